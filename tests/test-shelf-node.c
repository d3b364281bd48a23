/* SPDX-License-Identifier: MIT */
/* Shelf-node firmware core: debounce in and out, moves, capacity, register image. */
#include "shelf_regmap.h"
#include "tap.h"
#include "vault/shelf_node.h"

#include <errno.h>
#include <string.h>

static struct vault_shelf_seen tag(unsigned n, unsigned antenna, int rssi)
{
	struct vault_shelf_seen s;
	memset(&s, 0, sizeof s);
	s.id[0] = 0xE2;
	s.id[10] = (uint8_t)(n >> 8);
	s.id[11] = (uint8_t)n;
	s.antenna = (uint8_t)antenna;
	s.rssi = (int16_t)rssi;
	return s;
}

static uint16_t reg(struct vault_shelf_node *n, unsigned a)
{
	uint16_t v = 0xDEAD;
	vault_shelf_node_read_input(n, a, 1, &v);
	return v;
}

int main(void)
{
	struct vault_shelf_node *n = NULL;
	struct vault_shelf_node_config cfg = {.antennas = 2,
					      .max_tags = 3,
					      .appear_scans = 3,
					      .vanish_scans = 2,
					      .fw_version = 0x0102};
	struct vault_shelf_node_config bad = cfg;
	bad.max_tags = SHELF_MAX_TAGS + 1;
	ok(vault_shelf_node_new(&bad, &n) == -EINVAL && n == NULL,
	   "a node with more tags than the protocol allows is refused");
	ok(vault_shelf_node_new(&cfg, &n) == 0, "node created");
	ok(reg(n, SHELF_IR_MAGIC_HI) == SHELF_MAGIC_HI &&
	       reg(n, SHELF_IR_MAGIC_LO) == SHELF_MAGIC_LO &&
	       reg(n, SHELF_IR_MAP_VERSION) == SHELF_MAP_VERSION &&
	       reg(n, SHELF_IR_FW_VERSION) == 0x0102 && reg(n, SHELF_IR_ANTENNA_COUNT) == 2 &&
	       reg(n, SHELF_IR_MAX_TAGS) == 3 &&
	       reg(n, SHELF_IR_ENTRY_WORDS) == SHELF_ENTRY_WORDS,
	   "header registers carry magic, map version, firmware, antennas, capacity");
	ok(reg(n, SHELF_IR_HEALTH) & SHELF_HEALTH_NO_SCAN,
	   "health says no scan before the first");

	struct vault_shelf_seen a = tag(1, 1, -40);
	uint16_t seq0 = vault_shelf_node_seq(n);
	int r1 = vault_shelf_node_scan(n, &a, 1), r2 = vault_shelf_node_scan(n, &a, 1);
	ok(r1 == 0 && r2 == 0 && reg(n, SHELF_IR_TAG_COUNT) == 0 &&
	       vault_shelf_node_seq(n) == seq0,
	   "a tag seen in 2 of K=3 scans is not in the table yet");
	ok(vault_shelf_node_scan(n, &a, 1) == 1 && reg(n, SHELF_IR_TAG_COUNT) == 1 &&
	       vault_shelf_node_seq(n) == (uint16_t)(seq0 + 1),
	   "seen in the 3rd consecutive scan: it enters the table and CHANGE_SEQ moves by one");
	ok(!(reg(n, SHELF_IR_HEALTH) & SHELF_HEALTH_NO_SCAN), "health no-scan bit clears");
	uint16_t e[SHELF_ENTRY_WORDS];
	ok(vault_shelf_node_read_input(n, SHELF_IR_TABLE, SHELF_ENTRY_WORDS, e) == 0 &&
	       e[0] == 0xE200 && e[5] == 0x0001 && e[SHELF_ENTRY_ANTENNA] == 1 &&
	       (int16_t)e[SHELF_ENTRY_RSSI] == -40,
	   "the entry holds the EPC big-endian, antenna 1 and RSSI -40");

	/* A candidate whose run breaks starts over. */
	struct vault_shelf_seen b = tag(2, 2, -50), ab[2] = {a, b};
	vault_shelf_node_scan(n, ab, 2);
	vault_shelf_node_scan(n, ab, 2);
	vault_shelf_node_scan(n, &a, 1);
	vault_shelf_node_scan(n, ab, 2);
	vault_shelf_node_scan(n, ab, 2);
	ok(vault_shelf_node_tag_count(n) == 1,
	   "a run of 2, a gap, then 2 more does not debounce in");
	ok(vault_shelf_node_scan(n, ab, 2) == 1 && vault_shelf_node_tag_count(n) == 2,
	   "the third consecutive read after the gap adds it");

	/* Misses: M=2. */
	uint16_t s1 = vault_shelf_node_seq(n);
	ok(vault_shelf_node_scan(n, &b, 1) == 0 && vault_shelf_node_tag_count(n) == 2,
	   "one missed scan keeps the tag (M=2)");
	ok(vault_shelf_node_scan(n, ab, 2) == 0 && vault_shelf_node_scan(n, &b, 1) == 0,
	   "a read resets the miss count");
	ok(vault_shelf_node_scan(n, &b, 1) == 1 && vault_shelf_node_tag_count(n) == 1 &&
	       vault_shelf_node_seq(n) == (uint16_t)(s1 + 1),
	   "second consecutive miss removes it, one CHANGE_SEQ bump");
	ok(reg(n, SHELF_IR_TABLE + SHELF_ENTRY_WORDS) == 0 &&
	       reg(n, SHELF_IR_TABLE + 5) == 0x0002,
	   "table compacts: tag 2 is entry 0, entry 1 reads as zero");

	/* Move: seen only on antenna 1 now. */
	struct vault_shelf_seen b1 = tag(2, 1, -45);
	ok(vault_shelf_node_scan(n, &b1, 1) == 1 &&
	       reg(n, SHELF_IR_TABLE + SHELF_ENTRY_ANTENNA) == 1,
	   "a tag read only on another antenna moves there (a table change)");
	struct vault_shelf_seen both[2] = {tag(2, 2, -20), tag(2, 1, -60)};
	ok(vault_shelf_node_scan(n, both, 2) == 0 &&
	       reg(n, SHELF_IR_TABLE + SHELF_ENTRY_ANTENNA) == 1 &&
	       (int16_t)reg(n, SHELF_IR_TABLE + SHELF_ENTRY_RSSI) == -60,
	   "read on its own antenna and a stronger other one: stays, RSSI refreshes, no "
	   "change");

	/* Capacity 3. */
	struct vault_shelf_seen many[5] = {tag(2, 1, -40), tag(10, 1, -40), tag(11, 1, -40),
					   tag(12, 2, -40), tag(13, 2, -40)};
	for (int i = 0; i < 3; i++)
		vault_shelf_node_scan(n, many, 5);
	ok(vault_shelf_node_tag_count(n) == 3 &&
	       (reg(n, SHELF_IR_HEALTH) & SHELF_HEALTH_TABLE_FULL),
	   "more debounced tags than capacity: table holds max_tags, health says TABLE_FULL");
	for (int i = 0; i < 2; i++)
		vault_shelf_node_scan(n, many + 1, 3);
	ok(vault_shelf_node_tag_count(n) == 3 &&
	       reg(n, SHELF_IR_TABLE + 2 * SHELF_ENTRY_WORDS + 5) == 12 &&
	       !(reg(n, SHELF_IR_HEALTH) & SHELF_HEALTH_TABLE_FULL),
	   "when a tag leaves, a waiting one takes its place and TABLE_FULL clears");

	/* Bad input and addresses. */
	struct vault_shelf_seen badant = tag(3, 3, -40), zero;
	memset(&zero, 0, sizeof zero);
	zero.antenna = 1;
	uint16_t before = vault_shelf_node_seq(n);
	ok(vault_shelf_node_scan(n, &badant, 1) == -EINVAL &&
	       vault_shelf_node_scan(n, &zero, 1) == -EINVAL &&
	       vault_shelf_node_seq(n) == before,
	   "a read on a missing antenna or an all-zero id is refused, nothing applied");
	uint16_t big[SHELF_MAX_READ_WORDS];
	ok(vault_shelf_node_read_input(n, SHELF_INPUT_WORDS - 1, 2, big) == -ERANGE &&
	       vault_shelf_node_read_input(n, 0, SHELF_MAX_READ_WORDS + 1, big) == -EINVAL &&
	       vault_shelf_node_read_input(n, SHELF_INPUT_WORDS - 1, 1, big) == 0,
	   "reads past the map are refused, the last word is readable");
	ok(vault_shelf_node_write_holding(n, SHELF_HR_DEBOUNCE_APPEAR, 1) == 0 &&
	       vault_shelf_node_write_holding(n, SHELF_HR_DEBOUNCE_VANISH, 0) == -EINVAL &&
	       vault_shelf_node_write_holding(n, 7, 1) == -ERANGE,
	   "holding registers: K writable, zero M refused, unknown address refused");
	vault_shelf_node_free(n);
	vault_shelf_node_free(NULL);
	return tap_done();
}
