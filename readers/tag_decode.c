/* SPDX-License-Identifier: MIT */
/* Validation of shelf-node register words; see vault/tagdecode.h. */
#include "shelf_regmap.h"
#include "vault/tagdecode.h"

#include <errno.h>
#include <string.h>

_Static_assert(VAULT_TAG_MAX_PER_SHELF == SHELF_MAX_TAGS, "one limit for the tag table");
_Static_assert(VAULT_TAG_ID_BYTES == SHELF_TAG_ID_BYTES, "one tag id size");

static int refuse(enum vault_reason *why, enum vault_reason r, int err)
{
	if (why)
		*why = r;
	return err;
}

int vault_tagdecode_header(const uint16_t *regs, size_t n, struct vault_shelf_header *ret,
			   enum vault_reason *why)
{
	if (!regs || n != SHELF_HEADER_WORDS)
		return refuse(why, VAULT_R_SHELF_BAD_REPLY, -EBADMSG);
	if (regs[SHELF_IR_MAGIC_HI] != SHELF_MAGIC_HI ||
	    regs[SHELF_IR_MAGIC_LO] != SHELF_MAGIC_LO)
		return refuse(why, VAULT_R_SHELF_BAD_REPLY, -EBADMSG);
	/* Magic and version sit at fixed addresses in every version: past this check
	 * nothing else may be interpreted under another map. */
	if (regs[SHELF_IR_MAP_VERSION] != SHELF_MAP_VERSION)
		return refuse(why, VAULT_R_SHELF_MAP_VERSION, -EBADMSG);
	if (regs[SHELF_IR_ENTRY_WORDS] != SHELF_ENTRY_WORDS ||
	    regs[SHELF_IR_ANTENNA_COUNT] < 1 ||
	    regs[SHELF_IR_ANTENNA_COUNT] > SHELF_MAX_ANTENNAS)
		return refuse(why, VAULT_R_SHELF_BAD_REPLY, -EBADMSG);
	for (unsigned a = SHELF_IR_SCAN_COUNT + 1; a < SHELF_HEADER_WORDS; a++)
		if (regs[a])
			return refuse(why, VAULT_R_SHELF_BAD_REPLY, -EBADMSG);
	if (regs[SHELF_IR_MAX_TAGS] > SHELF_MAX_TAGS ||
	    regs[SHELF_IR_TAG_COUNT] > regs[SHELF_IR_MAX_TAGS])
		return refuse(why, VAULT_R_SHELF_TOO_MANY_TAGS, -EBADMSG);
	*ret = (struct vault_shelf_header){
	    .map_version = regs[SHELF_IR_MAP_VERSION],
	    .fw_version = regs[SHELF_IR_FW_VERSION],
	    .antennas = regs[SHELF_IR_ANTENNA_COUNT],
	    .max_tags = regs[SHELF_IR_MAX_TAGS],
	    .tag_count = regs[SHELF_IR_TAG_COUNT],
	    .seq = regs[SHELF_IR_CHANGE_SEQ],
	    .health = regs[SHELF_IR_HEALTH],
	    .scans = regs[SHELF_IR_SCAN_COUNT],
	};
	return 0;
}

int vault_tagdecode_table(const struct vault_shelf_header *h, const uint16_t *regs, size_t n,
			  struct vault_tag_entry *out, size_t max_out, enum vault_reason *why)
{
	if (!h || h->tag_count > SHELF_MAX_TAGS || h->tag_count > h->max_tags)
		return refuse(why, VAULT_R_SHELF_TOO_MANY_TAGS, -EBADMSG);
	if (h->tag_count > max_out)
		return refuse(why, VAULT_R_SHELF_TOO_MANY_TAGS, -ENOBUFS);
	if (n != (size_t)h->tag_count * SHELF_ENTRY_WORDS || (n && !regs))
		return refuse(why, VAULT_R_SHELF_BAD_REPLY, -EBADMSG);
	struct vault_tag_entry tmp[SHELF_MAX_TAGS];
	for (unsigned i = 0; i < h->tag_count; i++) {
		const uint16_t *e = regs + (size_t)i * SHELF_ENTRY_WORDS;
		struct vault_tag_entry *t = &tmp[i];
		uint16_t any = 0;
		for (unsigned w = 0; w < SHELF_TAG_ID_WORDS; w++) {
			t->id[2 * w] = (uint8_t)(e[w] >> 8);
			t->id[2 * w + 1] = (uint8_t)e[w];
			any |= e[w];
		}
		uint16_t ant = e[SHELF_ENTRY_ANTENNA];
		if (!any || ant > 0xFF || ant < 1 || ant > h->antennas)
			return refuse(why, VAULT_R_SHELF_BAD_REPLY, -EBADMSG);
		t->antenna = (uint8_t)ant;
		t->rssi = (int16_t)e[SHELF_ENTRY_RSSI];
		/* A node holds each tag once; a repeat means a torn or corrupt table. */
		for (unsigned j = 0; j < i; j++)
			if (!memcmp(tmp[j].id, t->id, SHELF_TAG_ID_BYTES))
				return refuse(why, VAULT_R_SHELF_BAD_REPLY, -EBADMSG);
	}
	if (h->tag_count)
		memcpy(out, tmp, h->tag_count * sizeof tmp[0]);
	return h->tag_count;
}

/* One read that must deliver exactly `count` words. */
static int read_exact(vault_tagdecode_read_fn rd, void *ctx, unsigned addr, unsigned count,
		      uint16_t *out, enum vault_reason *why)
{
	enum vault_reason r = VAULT_R_SHELF_BAD_REPLY;
	int n = rd(ctx, addr, count, out, &r);
	if (n < 0)
		return refuse(why, r, n);
	if ((unsigned)n != count)
		return refuse(why, VAULT_R_SHELF_BAD_REPLY, -EBADMSG);
	return 0;
}

int vault_tagdecode_poll(vault_tagdecode_read_fn rd, void *ctx, int have_last,
			 uint16_t last_seq, struct vault_shelf_snapshot *snap,
			 enum vault_reason *why)
{
	uint16_t hw[SHELF_HEADER_WORDS], tw[SHELF_MAX_TAGS * SHELF_ENTRY_WORDS];
	struct vault_shelf_header h, h2;
	int r;

	for (int attempt = 0; attempt < 3; attempt++) {
		if ((r = read_exact(rd, ctx, 0, SHELF_HEADER_WORDS, hw, why)) < 0)
			return r;
		if ((r = vault_tagdecode_header(hw, SHELF_HEADER_WORDS, &h, why)) < 0)
			return r;
		if (have_last && h.seq == last_seq) {
			snap->hdr = h;
			return 0;
		}
		size_t words = (size_t)h.tag_count * SHELF_ENTRY_WORDS;
		for (size_t off = 0; off < words;) {
			unsigned chunk = SHELF_ENTRIES_PER_READ * SHELF_ENTRY_WORDS;
			if (chunk > words - off)
				chunk = (unsigned)(words - off);
			if ((r = read_exact(rd, ctx, SHELF_IR_TABLE + (unsigned)off, chunk,
					    tw + off, why)) < 0)
				return r;
			off += chunk;
		}
		if ((r = read_exact(rd, ctx, 0, SHELF_HEADER_WORDS, hw, why)) < 0)
			return r;
		if ((r = vault_tagdecode_header(hw, SHELF_HEADER_WORDS, &h2, why)) < 0)
			return r;
		if (h2.seq != h.seq || h2.tag_count != h.tag_count)
			continue; /* changed while we read: the table may be torn */
		struct vault_tag_entry tags[SHELF_MAX_TAGS];
		r = vault_tagdecode_table(&h, tw, words, tags, SHELF_MAX_TAGS, why);
		if (r < 0)
			return r;
		snap->hdr = h2;
		snap->ntags = (unsigned)r;
		memcpy(snap->tags, tags, (size_t)r * sizeof tags[0]);
		return 1;
	}
	return refuse(why, VAULT_R_SHELF_BAD_REPLY, -EAGAIN);
}
