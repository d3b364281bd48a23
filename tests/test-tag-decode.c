/* SPDX-License-Identifier: MIT */
/* Register decoding: what a node core renders decodes back; every corruption is refused. */
#include "shelf_regmap.h"
#include "tap.h"
#include "vault/shelf_node.h"
#include "vault/tagdecode.h"
#include "vault/util.h"

#include <errno.h>
#include <string.h>

struct node_ctx {
	struct vault_shelf_node *n;
	int reads, bump_after; /* bump the table after this many reads (torn read) */
	int short_on;	       /* deliver one word less on this read number */
};

static struct vault_shelf_seen tag(unsigned k, unsigned antenna)
{
	struct vault_shelf_seen s;
	memset(&s, 0, sizeof s);
	s.id[0] = 0x30;
	s.id[11] = (uint8_t)k;
	s.id[10] = (uint8_t)(k >> 8);
	s.antenna = (uint8_t)antenna;
	s.rssi = -30;
	return s;
}

static struct vault_shelf_seen field[SHELF_MAX_TAGS];
static size_t nfield;

static int node_read(void *c, unsigned addr, unsigned count, uint16_t *out,
		     enum vault_reason *why)
{
	struct node_ctx *x = c;
	x->reads++;
	if (x->bump_after && x->reads == x->bump_after) {
		field[nfield] = tag(500 + (unsigned)x->reads, 1);
		vault_shelf_node_scan(x->n, field, nfield + 1);
	}
	if (vault_shelf_node_read_input(x->n, addr, count, out) < 0) {
		*why = VAULT_R_SHELF_EXCEPTION;
		return -EIO;
	}
	return x->short_on == x->reads ? (int)count - 1 : (int)count;
}

int main(void)
{
	struct vault_shelf_node_config cfg = {
	    .antennas = 4, .max_tags = SHELF_MAX_TAGS, .appear_scans = 1, .vanish_scans = 1};
	struct vault_shelf_node *n;
	vault_shelf_node_new(&cfg, &n);
	for (nfield = 0; nfield < 40; nfield++)
		field[nfield] = tag((unsigned)nfield + 1, (unsigned)(nfield % 4) + 1);
	vault_shelf_node_scan(n, field, nfield);

	struct node_ctx x = {.n = n};
	struct vault_shelf_snapshot snap;
	enum vault_reason why = VAULT_R_OK;
	int r = vault_tagdecode_poll(node_read, &x, 0, 0, &snap, &why);
	int same = r == 1 && snap.ntags == 40;
	for (unsigned i = 0; same && i < 40; i++)
		same = !memcmp(snap.tags[i].id, field[i].id, 12) &&
		       snap.tags[i].antenna == field[i].antenna && snap.tags[i].rssi == -30;
	ok(same, "40 tags over 4 antennas read back exactly through chunked reads (%d, %u)", r,
	   snap.ntags);
	ok(x.reads == 2 + 3, "header, 3 table chunks of <=125 words, header again (%d reads)",
	   x.reads);

	x.reads = 0;
	ok(vault_tagdecode_poll(node_read, &x, 1, snap.hdr.seq, &snap, &why) == 0 &&
	       x.reads == 1,
	   "unchanged CHANGE_SEQ: one header read, table not re-read");

	x = (struct node_ctx){.n = n, .bump_after = 3};
	r = vault_tagdecode_poll(node_read, &x, 0, 0, &snap, &why);
	ok(r == 1 && snap.ntags == 41 && x.reads > 5,
	   "table changing mid-read is detected by CHANGE_SEQ and read again (%d reads)",
	   x.reads);

	x = (struct node_ctx){.n = n, .short_on = 2};
	why = VAULT_R_OK;
	ok(vault_tagdecode_poll(node_read, &x, 0, 0, &snap, &why) == -EBADMSG &&
	       why == VAULT_R_SHELF_BAD_REPLY,
	   "a read delivering fewer words than asked is refused as SHELF_BAD_REPLY");

	uint16_t hw[SHELF_HEADER_WORDS], tw[SHELF_MAX_TAGS * SHELF_ENTRY_WORDS];
	struct vault_shelf_header h;
	vault_shelf_node_read_input(n, 0, SHELF_HEADER_WORDS, hw);
	ok(vault_tagdecode_header(hw, SHELF_HEADER_WORDS, &h, &why) == 0 && h.tag_count == 41 &&
	       h.antennas == 4,
	   "a good header decodes");
	struct {
		unsigned word;
		uint16_t value;
		enum vault_reason want;
		const char *what;
	} bad[] = {
	    {SHELF_IR_MAGIC_LO, 0x4C47, VAULT_R_SHELF_BAD_REPLY, "wrong magic"},
	    {SHELF_IR_MAP_VERSION, 2, VAULT_R_SHELF_MAP_VERSION, "map version 2"},
	    {SHELF_IR_MAX_TAGS, SHELF_MAX_TAGS + 1, VAULT_R_SHELF_TOO_MANY_TAGS, "capacity 65"},
	    {SHELF_IR_TAG_COUNT, SHELF_MAX_TAGS + 1, VAULT_R_SHELF_TOO_MANY_TAGS,
	     "count over capacity"},
	    {SHELF_IR_TAG_COUNT, 0xFFFF, VAULT_R_SHELF_TOO_MANY_TAGS, "count 65535"},
	    {SHELF_IR_ENTRY_WORDS, 9, VAULT_R_SHELF_BAD_REPLY, "entry size 9"},
	    {SHELF_IR_ANTENNA_COUNT, 0, VAULT_R_SHELF_BAD_REPLY, "no antennas"},
	    {SHELF_IR_ANTENNA_COUNT, 17, VAULT_R_SHELF_BAD_REPLY, "17 antennas"},
	    {13, 1, VAULT_R_SHELF_BAD_REPLY, "reserved word set"},
	};
	for (unsigned i = 0; i < VAULT_ARRAY_SIZE(bad); i++) {
		uint16_t c[SHELF_HEADER_WORDS];
		memcpy(c, hw, sizeof c);
		c[bad[i].word] = bad[i].value;
		struct vault_shelf_header keep = {.seq = 4242};
		why = VAULT_R_OK;
		ok(vault_tagdecode_header(c, SHELF_HEADER_WORDS, &keep, &why) == -EBADMSG &&
		       why == bad[i].want && keep.seq == 4242,
		   "header with %s refused as %s, output untouched", bad[i].what,
		   vault_reason_id(bad[i].want));
	}
	ok(vault_tagdecode_header(hw, SHELF_HEADER_WORDS - 1, &h, &why) == -EBADMSG &&
	       why == VAULT_R_SHELF_BAD_REPLY,
	   "a header one word short is refused");

	vault_shelf_node_read_input(n, SHELF_IR_TABLE, 120, tw);
	vault_shelf_node_read_input(n, SHELF_IR_TABLE + 120, 120, tw + 120);
	vault_shelf_node_read_input(n, SHELF_IR_TABLE + 240, 41 * 8 - 240, tw + 240);
	struct vault_tag_entry out[SHELF_MAX_TAGS];
	ok(vault_tagdecode_table(&h, tw, 41 * 8, out, SHELF_MAX_TAGS, &why) == 41,
	   "good table decodes");
	ok(vault_tagdecode_table(&h, tw, 41 * 8 - 1, out, SHELF_MAX_TAGS, &why) == -EBADMSG &&
	       vault_tagdecode_table(&h, tw, 40 * 8, out, SHELF_MAX_TAGS, &why) == -EBADMSG,
	   "table length not matching TAG_COUNT is refused");
	ok(vault_tagdecode_table(&h, tw, 41 * 8, out, 10, &why) == -ENOBUFS &&
	       why == VAULT_R_SHELF_TOO_MANY_TAGS,
	   "more entries than the caller's room: refused, not truncated");
	struct {
		unsigned word;
		uint16_t value;
		const char *what;
	} badt[] = {
	    {8 * 3 + SHELF_ENTRY_ANTENNA, 0, "antenna 0"},
	    {8 * 3 + SHELF_ENTRY_ANTENNA, 5, "antenna 5 of 4"},
	    {8 * 3 + SHELF_ENTRY_ANTENNA, 0x0101, "reserved antenna byte"},
	};
	for (unsigned i = 0; i < VAULT_ARRAY_SIZE(badt); i++) {
		uint16_t c[41 * 8];
		memcpy(c, tw, sizeof c);
		c[badt[i].word] = badt[i].value;
		ok(vault_tagdecode_table(&h, c, 41 * 8, out, SHELF_MAX_TAGS, &why) ==
			   -EBADMSG &&
		       why == VAULT_R_SHELF_BAD_REPLY,
		   "entry with %s refused", badt[i].what);
	}
	uint16_t c[41 * 8];
	memcpy(c, tw, sizeof c);
	memset(c + 8 * 5, 0, 12);
	ok(vault_tagdecode_table(&h, c, 41 * 8, out, SHELF_MAX_TAGS, &why) == -EBADMSG,
	   "entry with an all-zero tag id refused");
	memcpy(c, tw, sizeof c);
	memcpy(c + 8 * 7, c + 8 * 2, 12);
	ok(vault_tagdecode_table(&h, c, 41 * 8, out, SHELF_MAX_TAGS, &why) == -EBADMSG,
	   "the same tag twice in a table refused");
	vault_shelf_node_free(n);
	return tap_done();
}
