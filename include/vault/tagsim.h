/* SPDX-License-Identifier: MIT */
/*
 * The shelf simulator's model: several shelf-node firmware cores (vault/shelf_node.h)
 * keyed by slave id, each with a simulated RF field (the tags physically placed on
 * each antenna) and fault switches. Used by build/shelf-sim (served over Modbus TCP
 * and RTU) and by the in-process sim tag-reader backend.
 *
 * Thread-safe: one internal mutex (a test thread drives it while a bus worker reads
 * it). Nothing blocks beyond that mutex.
 */
#ifndef VAULT_TAGSIM_H
#define VAULT_TAGSIM_H
#include <stddef.h>
#include <stdint.h>

#include "vault/tagdecode.h"

struct vault_tagsim;

#define VAULT_TAGSIM_MAX_NODES 64
/* Tags a simulated field may hold per shelf: more than a node's table on purpose. */
#define VAULT_TAGSIM_MAX_FIELD 128

enum vault_tagsim_garble {
	VAULT_GARBLE_OFF = 0,
	VAULT_GARBLE_MAGIC,   /* header magic corrupted */
	VAULT_GARBLE_COUNT,   /* TAG_COUNT 0xFFFF, more than MAX_TAGS */
	VAULT_GARBLE_ANTENNA, /* table entries name antenna 255 */
	VAULT_GARBLE_SHORT,   /* one register fewer than asked (framed correctly) */
	VAULT_GARBLE_CRC,     /* transport damage: RTU frame with a bad CRC */
};

/* Returns 0 or -EINVAL / -ENOMEM. appear/vanish: debounce K and M for every node. */
int vault_tagsim_new(unsigned appear_scans, unsigned vanish_scans, struct vault_tagsim **ret);
void vault_tagsim_free(struct vault_tagsim *s);

/* Add a node. Returns 0, -EEXIST, -EINVAL (slave 0..255, antennas, max_tags), -ENOSPC. */
int vault_tagsim_add(struct vault_tagsim *s, int slave, unsigned antennas, unsigned max_tags);
int vault_tagsim_has(struct vault_tagsim *s, int slave);

/* Put a tag in the field of (slave, antenna); a tag is in one place only, so it leaves
 * any other antenna or shelf. Returns 0, -ENOENT (no such slave), -EINVAL (antenna,
 * zero id), -ENOSPC (field full). */
int vault_tagsim_place(struct vault_tagsim *s, int slave, unsigned antenna,
		       const uint8_t id[VAULT_TAG_ID_BYTES]);
/* Returns 0 or -ENOENT (no such slave, or the tag is not in its field). */
int vault_tagsim_remove(struct vault_tagsim *s, int slave,
			const uint8_t id[VAULT_TAG_ID_BYTES]);
/* Fault switches: 0 or -ENOENT / -EINVAL. */
int vault_tagsim_silence(struct vault_tagsim *s, int slave, int on);
int vault_tagsim_garble(struct vault_tagsim *s, int slave, enum vault_tagsim_garble kind);
int vault_tagsim_get_garble(struct vault_tagsim *s, int slave); /* kind or -ENOENT */
/* Make MAP_VERSION read as `version` (0: the real one), to test readers. */
int vault_tagsim_map_version(struct vault_tagsim *s, int slave, uint16_t version);

/* One antenna scan on every node. Returns the number of nodes whose table changed. */
int vault_tagsim_scan(struct vault_tagsim *s);
/* The node's debounced table. Returns the count (copies at most max) or -ENOENT. */
int vault_tagsim_list(struct vault_tagsim *s, int slave, struct vault_tag_entry *out,
		      size_t max);

/*
 * A Modbus read as the node would answer it, faults applied. Returns the number of
 * words produced (count, or count-1 under GARBLE_SHORT), or -ENODEV (no such
 * slave: nobody answers), -ETIMEDOUT (silenced), -ERANGE (illegal address: exception
 * 0x02), -EINVAL (count), -EBADMSG (GARBLE_CRC: the frame would arrive damaged).
 */
int vault_tagsim_read_input(struct vault_tagsim *s, int slave, unsigned addr, unsigned count,
			    uint16_t *out);
int vault_tagsim_read_holding(struct vault_tagsim *s, int slave, unsigned addr, unsigned count,
			      uint16_t *out);
int vault_tagsim_write_holding(struct vault_tagsim *s, int slave, unsigned addr,
			       uint16_t value);

/* Parse a tag id: 1..24 hex digits, right-aligned in 12 bytes. Returns 0 or -EINVAL. */
int vault_tagsim_parse_tag(const char *hex, uint8_t id[VAULT_TAG_ID_BYTES]);
/* Parse a garble name ("on" = magic, "off", "magic", "count", "antenna", "short",
 * "crc"). Returns the kind or -EINVAL. */
int vault_tagsim_parse_garble(const char *name);

/*
 * The simulator's control protocol, one command per line (no newline in `line`):
 *   place <slave> <antenna> <tagid>    remove <slave> <tagid>
 *   silence <slave> on|off             garble <slave> on|off|magic|count|antenna|short|crc
 *   mapver <slave> <n>                 list <slave>  -> "ok <n> <tagid>@<antenna> ..."
 *   scan (one scan now)                ping
 * Writes "ok[ data]" or "err <reason>" (no newline) to reply. Returns 0 when the
 * command succeeded, -EINVAL/-ENOENT/... when it did not ("quit" is the caller's).
 */
int vault_tagsim_command(struct vault_tagsim *s, const char *line, char *reply, size_t size);
#endif
