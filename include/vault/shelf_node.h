/* SPDX-License-Identifier: MIT */
/*
 * The shelf-node firmware core: plain C, no Modbus library, no I/O. It turns antenna
 * scans into a debounced tag table and renders the register map of
 * firmware-glue/shelf_regmap.h. The same code runs on the node's MCU, in the shelf
 * simulator (build/shelf-sim) and in the sim tag-reader backend.
 *
 * Debounce: a tag enters the table after it was seen in K consecutive scans
 * (DEBOUNCE_APPEAR) and leaves it after M consecutive scans without it
 * (DEBOUNCE_VANISH). A tag in the table seen on another antenna only (not on its
 * own) moves to that antenna. Each scan that changes the table (entry added,
 * removed or moved) bumps CHANGE_SEQ once. RSSI updates alone do not.
 *
 * Not thread-safe: one owner calls everything. Nothing blocks.
 */
#ifndef VAULT_SHELF_NODE_H
#define VAULT_SHELF_NODE_H
#include <stddef.h>
#include <stdint.h>

struct vault_shelf_node;

struct vault_shelf_node_config {
	unsigned antennas;     /* 1..SHELF_MAX_ANTENNAS */
	unsigned max_tags;     /* 1..SHELF_MAX_TAGS */
	unsigned appear_scans; /* K >= 1 */
	unsigned vanish_scans; /* M >= 1 */
	uint16_t fw_version;   /* major << 8 | minor */
	uint16_t map_version;  /* 0 = SHELF_MAP_VERSION; other values only to test readers */
};

/* One read by the antenna driver during a scan. */
struct vault_shelf_seen {
	uint8_t id[12];	 /* 96-bit EPC */
	uint8_t antenna; /* 1..antennas */
	int16_t rssi;	 /* dBm */
};

/* Returns 0 or -EINVAL (a value out of range), -ENOMEM. */
int vault_shelf_node_new(const struct vault_shelf_node_config *cfg,
			 struct vault_shelf_node **ret);
/* Accepts NULL. */
void vault_shelf_node_free(struct vault_shelf_node *n);

/*
 * Feed one complete scan (all antennas): the tags seen, in any order, duplicates
 * allowed (the strongest read of a tag wins). Returns 1 if the table changed, 0 if
 * not, -EINVAL (nothing applied) if an entry names an antenna out of range or an
 * all-zero tag id.
 */
int vault_shelf_node_scan(struct vault_shelf_node *n, const struct vault_shelf_seen *seen,
			  size_t nseen);

/* Mark an antenna faulty (HEALTH bit). Returns 0 or -EINVAL. */
int vault_shelf_node_set_antenna_fault(struct vault_shelf_node *n, unsigned antenna,
				       int faulty);

/*
 * Register access as a Modbus server would do it. Fills out[0..count-1] with input
 * registers addr..addr+count-1. Returns 0, or -ERANGE when any address is outside
 * the map (Modbus exception 0x02), -EINVAL for count 0 or > SHELF_MAX_READ_WORDS.
 */
int vault_shelf_node_read_input(const struct vault_shelf_node *n, unsigned addr, unsigned count,
				uint16_t *out);
int vault_shelf_node_read_holding(const struct vault_shelf_node *n, unsigned addr,
				  unsigned count, uint16_t *out);
/* Write one holding register. Returns 0, -ERANGE (address), -EINVAL (value 0 or >
 * 255 for a debounce count). */
int vault_shelf_node_write_holding(struct vault_shelf_node *n, unsigned addr, uint16_t value);

/* Current CHANGE_SEQ and TAG_COUNT (convenience for the simulator and tests). */
uint16_t vault_shelf_node_seq(const struct vault_shelf_node *n);
unsigned vault_shelf_node_tag_count(const struct vault_shelf_node *n);
#endif
