/* SPDX-License-Identifier: MIT */
/*
 * The shelf node's Modbus register map: the ONE definition shared by the shelf-node
 * firmware core (firmware-glue/shelf_node.c), the shelf simulator and the
 * controller's reader code (readers/tag_decode.c, readers/tag_modbus.c).
 *
 * Register-map version 1. Smart shelves, the kiosk pad and the shredder throat are
 * all shelf nodes; the pad and the throat have one antenna.
 *
 * Everything the controller reads is an INPUT register (function 0x04). Words are
 * big-endian on the wire as Modbus defines; multi-word values are most significant
 * word first.
 *
 *   input reg  name                 meaning
 *   ---------  -------------------  ----------------------------------------------
 *   0          MAGIC_HI             0x5348 ("SH")            } addresses 0..2 never
 *   1          MAGIC_LO             0x4C46 ("LF")            } move in any future
 *   2          MAP_VERSION          SHELF_MAP_VERSION (1)    } version of the map
 *   3          FW_VERSION           firmware version, major << 8 | minor
 *   4          ANTENNA_COUNT        antennas on this node, 1..SHELF_MAX_ANTENNAS
 *   5          MAX_TAGS             capacity of this node's tag table, <= SHELF_MAX_TAGS
 *   6          TAG_COUNT            entries currently in the table, <= MAX_TAGS
 *   7          CHANGE_SEQ           bumped (mod 2^16) on every change of the table
 *   8          HEALTH               SHELF_HEALTH_* bit flags
 *   9          ENTRY_WORDS          words per table entry (SHELF_ENTRY_WORDS = 8)
 *   10         SCAN_COUNT           scans done since boot (mod 2^16), liveness
 *   11..15     reserved             read as 0
 *   16 + 8*i   tag table entry i, 0 <= i < TAG_COUNT:
 *     +0..+5     TAG_ID             96-bit EPC, 12 bytes, big-endian, never all zero
 *     +6         ANTENNA            low byte: antenna number 1..ANTENNA_COUNT;
 *                                   high byte reserved, 0
 *     +7         RSSI               signed 16-bit, dBm, as last seen
 *   Entries at i >= TAG_COUNT read as 0. Table order is arrival order.
 *
 *   holding reg  name               meaning (writable; the node clamps values)
 *   -----------  -----------------  ----------------------------------------------
 *   0            DEBOUNCE_APPEAR    K: a tag enters the table after K consecutive scans
 *   1            DEBOUNCE_VANISH    M: a tag leaves the table after M consecutive misses
 *
 * Reading a table consistently: read CHANGE_SEQ (with the header), then the entries,
 * then CHANGE_SEQ again; if it moved, the table changed in between: read again.
 * Addresses past the end of the map give exception 0x02 (illegal data address).
 */
#ifndef VAULT_SHELF_REGMAP_H
#define VAULT_SHELF_REGMAP_H

#define SHELF_MAGIC_HI 0x5348u
#define SHELF_MAGIC_LO 0x4C46u
#define SHELF_MAP_VERSION 1u

enum shelf_input_reg {
	SHELF_IR_MAGIC_HI = 0,
	SHELF_IR_MAGIC_LO = 1,
	SHELF_IR_MAP_VERSION = 2,
	SHELF_IR_FW_VERSION = 3,
	SHELF_IR_ANTENNA_COUNT = 4,
	SHELF_IR_MAX_TAGS = 5,
	SHELF_IR_TAG_COUNT = 6,
	SHELF_IR_CHANGE_SEQ = 7,
	SHELF_IR_HEALTH = 8,
	SHELF_IR_ENTRY_WORDS = 9,
	SHELF_IR_SCAN_COUNT = 10,
	SHELF_IR_TABLE = 16,
};

enum shelf_holding_reg {
	SHELF_HR_DEBOUNCE_APPEAR = 0,
	SHELF_HR_DEBOUNCE_VANISH = 1,
	SHELF_HR_COUNT = 2,
};

/* Header block: input registers 0 .. SHELF_HEADER_WORDS-1. */
#define SHELF_HEADER_WORDS 16u
/* One table entry. */
#define SHELF_ENTRY_WORDS 8u
#define SHELF_TAG_ID_BYTES 12u
#define SHELF_TAG_ID_WORDS 6u
#define SHELF_ENTRY_ANTENNA 6u
#define SHELF_ENTRY_RSSI 7u
/* Protocol limits: no node may declare more (readers refuse larger counts). */
#define SHELF_MAX_TAGS 64u
#define SHELF_MAX_ANTENNAS 16u
#define SHELF_INPUT_WORDS (SHELF_IR_TABLE + SHELF_MAX_TAGS * SHELF_ENTRY_WORDS)

/* Modbus limit on registers per read request (spec: 125); entries per read. */
#define SHELF_MAX_READ_WORDS 125u
#define SHELF_ENTRIES_PER_READ (SHELF_MAX_READ_WORDS / SHELF_ENTRY_WORDS)

/* HEALTH flags. */
#define SHELF_HEALTH_TABLE_FULL 0x0001u	   /* a debounced tag did not fit in the table */
#define SHELF_HEALTH_ANTENNA_FAULT 0x0002u /* an antenna reported a hardware fault */
#define SHELF_HEALTH_NO_SCAN 0x0004u	   /* no scan completed yet since boot */
#endif
