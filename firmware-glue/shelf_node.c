/* SPDX-License-Identifier: MIT */
/* Shelf-node firmware core: antenna scans -> debounced tag table -> registers. */
#include "vault/shelf_node.h"
#include "shelf_regmap.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Candidates (seen, not yet debounced in) are bounded too: a flood of reads must
 * not grow memory on an MCU. */
#define CAND_MAX (2 * SHELF_MAX_TAGS)

struct track {
	uint8_t id[SHELF_TAG_ID_BYTES];
	uint8_t antenna;
	int16_t rssi;
	unsigned run; /* consecutive scans seen (candidate) or missed (present) */
};

struct vault_shelf_node {
	struct vault_shelf_node_config cfg;
	struct track present[SHELF_MAX_TAGS]; /* the table, in arrival order */
	unsigned npresent;
	struct track cand[CAND_MAX];
	unsigned ncand;
	uint16_t seq, scans, health;
	uint32_t antenna_faults; /* bit a-1 per antenna */
};

int vault_shelf_node_new(const struct vault_shelf_node_config *cfg,
			 struct vault_shelf_node **ret)
{
	if (!cfg || cfg->antennas < 1 || cfg->antennas > SHELF_MAX_ANTENNAS ||
	    cfg->max_tags < 1 || cfg->max_tags > SHELF_MAX_TAGS || cfg->appear_scans < 1 ||
	    cfg->appear_scans > 255 || cfg->vanish_scans < 1 || cfg->vanish_scans > 255)
		return -EINVAL;
	struct vault_shelf_node *n = calloc(1, sizeof *n);
	if (!n)
		return -ENOMEM;
	n->cfg = *cfg;
	if (!n->cfg.map_version)
		n->cfg.map_version = SHELF_MAP_VERSION;
	n->health = SHELF_HEALTH_NO_SCAN;
	*ret = n;
	return 0;
}

void vault_shelf_node_free(struct vault_shelf_node *n)
{
	free(n);
}

static bool id_zero(const uint8_t *id)
{
	for (unsigned i = 0; i < SHELF_TAG_ID_BYTES; i++)
		if (id[i])
			return false;
	return true;
}

/* Index of the strongest read of `id` in seen[], or -1. */
static int find_seen(const struct vault_shelf_seen *seen, size_t nseen, const uint8_t *id,
		     unsigned prefer_antenna)
{
	int best = -1;
	for (size_t i = 0; i < nseen; i++) {
		if (memcmp(seen[i].id, id, SHELF_TAG_ID_BYTES))
			continue;
		/* Seen on its own antenna: it stays there, whatever the RSSI elsewhere,
		 * so a tag between two antennas does not flap. */
		if (prefer_antenna && seen[i].antenna == prefer_antenna)
			return (int)i;
		if (best < 0 || seen[i].rssi > seen[best].rssi)
			best = (int)i;
	}
	return best;
}

static int find_track(const struct track *t, unsigned nt, const uint8_t *id)
{
	for (unsigned i = 0; i < nt; i++)
		if (!memcmp(t[i].id, id, SHELF_TAG_ID_BYTES))
			return (int)i;
	return -1;
}

/* Keeps candidate order: the first seen is the first to enter a full table. */
static void drop_cand(struct vault_shelf_node *n, unsigned i)
{
	memmove(&n->cand[i], &n->cand[i + 1], (n->ncand - i - 1) * sizeof n->cand[0]);
	n->ncand--;
}

int vault_shelf_node_scan(struct vault_shelf_node *n, const struct vault_shelf_seen *seen,
			  size_t nseen)
{
	if (nseen && !seen)
		return -EINVAL;
	for (size_t i = 0; i < nseen; i++)
		if (seen[i].antenna < 1 || seen[i].antenna > n->cfg.antennas ||
		    id_zero(seen[i].id))
			return -EINVAL;

	bool changed = false;
	/* Present tags: refresh or count misses. */
	for (unsigned i = 0; i < n->npresent;) {
		struct track *t = &n->present[i];
		int s = find_seen(seen, nseen, t->id, t->antenna);
		if (s >= 0) {
			t->run = 0;
			t->rssi = seen[s].rssi;
			if (seen[s].antenna != t->antenna) {
				t->antenna = seen[s].antenna;
				changed = true;
			}
			i++;
		} else if (++t->run >= n->cfg.vanish_scans) {
			memmove(t, t + 1, (n->npresent - i - 1) * sizeof *t);
			n->npresent--;
			changed = true;
		} else {
			i++;
		}
	}
	/* Candidates: a scan without them breaks the run. */
	for (unsigned i = 0; i < n->ncand;) {
		struct track *t = &n->cand[i];
		int s = find_seen(seen, nseen, t->id, t->antenna);
		if (s >= 0) {
			t->run++;
			t->antenna = seen[s].antenna;
			t->rssi = seen[s].rssi;
			i++;
		} else {
			drop_cand(n, i);
		}
	}
	/* New reads become candidates (as many as fit). */
	for (size_t i = 0; i < nseen; i++) {
		if (find_track(n->present, n->npresent, seen[i].id) >= 0 ||
		    find_track(n->cand, n->ncand, seen[i].id) >= 0 || n->ncand >= CAND_MAX)
			continue;
		int s = find_seen(seen, nseen, seen[i].id, 0);
		struct track *t = &n->cand[n->ncand++];
		memcpy(t->id, seen[s].id, SHELF_TAG_ID_BYTES);
		t->antenna = seen[s].antenna;
		t->rssi = seen[s].rssi;
		t->run = 1;
	}
	/* Promote candidates seen K times in a row, oldest-first by candidate order. */
	bool full = false;
	for (unsigned i = 0; i < n->ncand;) {
		struct track *t = &n->cand[i];
		if (t->run < n->cfg.appear_scans) {
			i++;
			continue;
		}
		if (n->npresent >= n->cfg.max_tags) {
			full = true; /* stays a candidate; enters when room appears */
			i++;
			continue;
		}
		n->present[n->npresent] = *t;
		n->present[n->npresent].run = 0;
		n->npresent++;
		drop_cand(n, i);
		changed = true;
	}
	n->health &= (uint16_t) ~(SHELF_HEALTH_TABLE_FULL | SHELF_HEALTH_NO_SCAN);
	if (full)
		n->health |= SHELF_HEALTH_TABLE_FULL;
	n->scans++;
	if (changed)
		n->seq++;
	return changed ? 1 : 0;
}

int vault_shelf_node_set_antenna_fault(struct vault_shelf_node *n, unsigned antenna, int faulty)
{
	if (antenna < 1 || antenna > n->cfg.antennas)
		return -EINVAL;
	if (faulty)
		n->antenna_faults |= 1u << (antenna - 1);
	else
		n->antenna_faults &= ~(1u << (antenna - 1));
	return 0;
}

static uint16_t input_word(const struct vault_shelf_node *n, unsigned a)
{
	switch (a) {
	case SHELF_IR_MAGIC_HI:
		return SHELF_MAGIC_HI;
	case SHELF_IR_MAGIC_LO:
		return SHELF_MAGIC_LO;
	case SHELF_IR_MAP_VERSION:
		return n->cfg.map_version;
	case SHELF_IR_FW_VERSION:
		return n->cfg.fw_version;
	case SHELF_IR_ANTENNA_COUNT:
		return (uint16_t)n->cfg.antennas;
	case SHELF_IR_MAX_TAGS:
		return (uint16_t)n->cfg.max_tags;
	case SHELF_IR_TAG_COUNT:
		return (uint16_t)n->npresent;
	case SHELF_IR_CHANGE_SEQ:
		return n->seq;
	case SHELF_IR_HEALTH:
		return (uint16_t)(n->health |
				  (n->antenna_faults ? SHELF_HEALTH_ANTENNA_FAULT : 0));
	case SHELF_IR_ENTRY_WORDS:
		return SHELF_ENTRY_WORDS;
	case SHELF_IR_SCAN_COUNT:
		return n->scans;
	}
	if (a < SHELF_IR_TABLE)
		return 0;
	unsigned e = (a - SHELF_IR_TABLE) / SHELF_ENTRY_WORDS;
	unsigned w = (a - SHELF_IR_TABLE) % SHELF_ENTRY_WORDS;
	if (e >= n->npresent)
		return 0;
	const struct track *t = &n->present[e];
	if (w < SHELF_TAG_ID_WORDS)
		return (uint16_t)(t->id[2 * w] << 8 | t->id[2 * w + 1]);
	if (w == SHELF_ENTRY_ANTENNA)
		return t->antenna;
	return (uint16_t)t->rssi;
}

int vault_shelf_node_read_input(const struct vault_shelf_node *n, unsigned addr, unsigned count,
				uint16_t *out)
{
	if (count == 0 || count > SHELF_MAX_READ_WORDS)
		return -EINVAL;
	if (addr >= SHELF_INPUT_WORDS || count > SHELF_INPUT_WORDS - addr)
		return -ERANGE;
	for (unsigned i = 0; i < count; i++)
		out[i] = input_word(n, addr + i);
	return 0;
}

int vault_shelf_node_read_holding(const struct vault_shelf_node *n, unsigned addr,
				  unsigned count, uint16_t *out)
{
	if (count == 0 || count > SHELF_MAX_READ_WORDS)
		return -EINVAL;
	if (addr >= SHELF_HR_COUNT || count > SHELF_HR_COUNT - addr)
		return -ERANGE;
	for (unsigned i = 0; i < count; i++)
		out[i] = (uint16_t)(addr + i == SHELF_HR_DEBOUNCE_APPEAR ? n->cfg.appear_scans
									 : n->cfg.vanish_scans);
	return 0;
}

int vault_shelf_node_write_holding(struct vault_shelf_node *n, unsigned addr, uint16_t value)
{
	if (addr >= SHELF_HR_COUNT)
		return -ERANGE;
	if (value < 1 || value > 255)
		return -EINVAL;
	if (addr == SHELF_HR_DEBOUNCE_APPEAR)
		n->cfg.appear_scans = value;
	else
		n->cfg.vanish_scans = value;
	return 0;
}

uint16_t vault_shelf_node_seq(const struct vault_shelf_node *n)
{
	return n->seq;
}

unsigned vault_shelf_node_tag_count(const struct vault_shelf_node *n)
{
	return n->npresent;
}
