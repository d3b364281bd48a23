/* SPDX-License-Identifier: MIT */
/*
 * Decoding and validation of a shelf node's registers (firmware-glue/shelf_regmap.h),
 * independent of any Modbus library: every word count, the magic, the register-map
 * version, counts against limits and every table entry are checked here, so that a
 * garbled or hostile reply is refused by our code whatever the transport let through.
 *
 * Pure functions, no I/O, no allocation; safe from any thread.
 */
#ifndef VAULT_TAGDECODE_H
#define VAULT_TAGDECODE_H
#include <stddef.h>
#include <stdint.h>

#include "vault/reason.h"

#define VAULT_TAG_ID_BYTES 12
#define VAULT_TAG_MAX_PER_SHELF 64 /* == SHELF_MAX_TAGS */

struct vault_tag_entry {
	uint8_t id[VAULT_TAG_ID_BYTES]; /* 96-bit EPC */
	uint8_t antenna;		/* 1-based */
	int16_t rssi;			/* dBm */
};

struct vault_shelf_header {
	uint16_t map_version, fw_version, antennas, max_tags, tag_count, seq, health, scans;
};

/* Everything known about one shelf after a successful poll. */
struct vault_shelf_snapshot {
	struct vault_shelf_header hdr;
	unsigned ntags;
	struct vault_tag_entry tags[VAULT_TAG_MAX_PER_SHELF];
};

/*
 * Decode the header block (input registers 0..n-1; n must be SHELF_HEADER_WORDS).
 * Returns 0 and fills *ret, or -EBADMSG with *why = SHELF_BAD_REPLY (length, magic,
 * entry size, antenna count, reserved words), SHELF_MAP_VERSION (another map
 * version) or SHELF_TOO_MANY_TAGS (MAX_TAGS over the protocol limit, TAG_COUNT over
 * MAX_TAGS). *ret is untouched on failure.
 */
int vault_tagdecode_header(const uint16_t *regs, size_t n, struct vault_shelf_header *ret,
			   enum vault_reason *why);

/*
 * Decode h->tag_count entries from regs (n words, which must be exactly
 * tag_count * SHELF_ENTRY_WORDS) into out (room for max_out). Refuses an all-zero id,
 * a non-zero reserved byte, an antenna outside 1..h->antennas, the same tag twice.
 * Returns the entry count, or -EBADMSG (*why SHELF_BAD_REPLY) / -ENOBUFS (*why
 * SHELF_TOO_MANY_TAGS when out is too small).
 */
int vault_tagdecode_table(const struct vault_shelf_header *h, const uint16_t *regs, size_t n,
			  struct vault_tag_entry *out, size_t max_out, enum vault_reason *why);

/*
 * Reads `count` input registers of one shelf from `addr` into out. Returns the number
 * of words the transport delivered (the caller checks it equals count), or -errno
 * with *why set (SHELF_TIMEOUT, SHELF_EXCEPTION, SHELF_BUS_ERROR, SHELF_BAD_REPLY).
 * May block (it is called on a bus worker thread).
 */
typedef int (*vault_tagdecode_read_fn)(void *ctx, unsigned addr, unsigned count, uint16_t *out,
				       enum vault_reason *why);

/*
 * The polling protocol: read the header; when have_last and its CHANGE_SEQ equals
 * last_seq, the table is unchanged: return 0 with snap->hdr refreshed only.
 * Otherwise read the table in chunks, then CHANGE_SEQ again; if it moved the table
 * changed under us: start over (3 attempts, then -EAGAIN, not a fault). Returns 1
 * with *snap complete, 0 (unchanged), or -errno with *why: transport failures as
 * the read function says, a short read as SHELF_BAD_REPLY, decode failures as above.
 * Blocks as long as rd does.
 */
int vault_tagdecode_poll(vault_tagdecode_read_fn rd, void *ctx, int have_last,
			 uint16_t last_seq, struct vault_shelf_snapshot *snap,
			 enum vault_reason *why);
#endif
