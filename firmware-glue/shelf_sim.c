/* SPDX-License-Identifier: MIT */
/* Shelf simulator model: node cores + simulated RF fields + fault switches. */
#include "shelf_regmap.h"
#include "vault/shelf_node.h"
#include "vault/tagsim.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct field_tag {
	uint8_t id[VAULT_TAG_ID_BYTES];
	uint8_t antenna;
};

struct simnode {
	int slave;
	struct vault_shelf_node *core;
	struct field_tag field[VAULT_TAGSIM_MAX_FIELD];
	unsigned nfield;
	int silent;
	enum vault_tagsim_garble garble;
	uint16_t map_version; /* 0: the core's own; else what MAP_VERSION reads as */
};

struct vault_tagsim {
	pthread_mutex_t mu;
	unsigned appear, vanish;
	struct simnode *nodes[VAULT_TAGSIM_MAX_NODES];
	unsigned nnodes;
};

int vault_tagsim_new(unsigned appear_scans, unsigned vanish_scans, struct vault_tagsim **ret)
{
	if (appear_scans < 1 || appear_scans > 255 || vanish_scans < 1 || vanish_scans > 255)
		return -EINVAL;
	struct vault_tagsim *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->mu, NULL);
	s->appear = appear_scans;
	s->vanish = vanish_scans;
	*ret = s;
	return 0;
}

void vault_tagsim_free(struct vault_tagsim *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->nnodes; i++) {
		vault_shelf_node_free(s->nodes[i]->core);
		free(s->nodes[i]);
	}
	pthread_mutex_destroy(&s->mu);
	free(s);
}

static struct simnode *find(struct vault_tagsim *s, int slave)
{
	for (unsigned i = 0; i < s->nnodes; i++)
		if (s->nodes[i]->slave == slave)
			return s->nodes[i];
	return NULL;
}

int vault_tagsim_add(struct vault_tagsim *s, int slave, unsigned antennas, unsigned max_tags)
{
	if (slave < 0 || slave > 255)
		return -EINVAL;
	struct vault_shelf_node_config cfg = {.antennas = antennas,
					      .max_tags = max_tags,
					      .appear_scans = s->appear,
					      .vanish_scans = s->vanish,
					      .fw_version = 0x0100};
	int r;
	pthread_mutex_lock(&s->mu);
	if (find(s, slave)) {
		r = -EEXIST;
		goto out;
	}
	if (s->nnodes >= VAULT_TAGSIM_MAX_NODES) {
		r = -ENOSPC;
		goto out;
	}
	struct simnode *n = calloc(1, sizeof *n);
	if (!n) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = vault_shelf_node_new(&cfg, &n->core)) < 0) {
		free(n);
		goto out;
	}
	n->slave = slave;
	s->nodes[s->nnodes++] = n;
out:
	pthread_mutex_unlock(&s->mu);
	return r;
}

int vault_tagsim_has(struct vault_tagsim *s, int slave)
{
	pthread_mutex_lock(&s->mu);
	int r = find(s, slave) != NULL;
	pthread_mutex_unlock(&s->mu);
	return r;
}

static int field_find(const struct simnode *n, const uint8_t *id)
{
	for (unsigned i = 0; i < n->nfield; i++)
		if (!memcmp(n->field[i].id, id, VAULT_TAG_ID_BYTES))
			return (int)i;
	return -1;
}

static void field_drop(struct simnode *n, int i)
{
	n->field[i] = n->field[--n->nfield];
}

static int id_zero(const uint8_t *id)
{
	for (unsigned i = 0; i < VAULT_TAG_ID_BYTES; i++)
		if (id[i])
			return 0;
	return 1;
}

int vault_tagsim_place(struct vault_tagsim *s, int slave, unsigned antenna,
		       const uint8_t id[VAULT_TAG_ID_BYTES])
{
	int r = 0;
	pthread_mutex_lock(&s->mu);
	struct simnode *n = find(s, slave);
	if (!n) {
		r = -ENOENT;
		goto out;
	}
	uint16_t ants = 0;
	vault_shelf_node_read_input(n->core, SHELF_IR_ANTENNA_COUNT, 1, &ants);
	if (antenna < 1 || antenna > ants || id_zero(id)) {
		r = -EINVAL;
		goto out;
	}
	int have = field_find(n, id);
	if (have < 0 && n->nfield >= VAULT_TAGSIM_MAX_FIELD) {
		r = -ENOSPC;
		goto out;
	}
	for (unsigned i = 0; i < s->nnodes; i++) {
		int j = field_find(s->nodes[i], id);
		if (j >= 0 && s->nodes[i] != n)
			field_drop(s->nodes[i], j);
	}
	if (have < 0) {
		have = (int)n->nfield++;
		memcpy(n->field[have].id, id, VAULT_TAG_ID_BYTES);
	}
	n->field[have].antenna = (uint8_t)antenna;
out:
	pthread_mutex_unlock(&s->mu);
	return r;
}

int vault_tagsim_remove(struct vault_tagsim *s, int slave, const uint8_t id[VAULT_TAG_ID_BYTES])
{
	int r = -ENOENT;
	pthread_mutex_lock(&s->mu);
	struct simnode *n = find(s, slave);
	int j = n ? field_find(n, id) : -1;
	if (j >= 0) {
		field_drop(n, j);
		r = 0;
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

int vault_tagsim_silence(struct vault_tagsim *s, int slave, int on)
{
	pthread_mutex_lock(&s->mu);
	struct simnode *n = find(s, slave);
	if (n)
		n->silent = !!on;
	pthread_mutex_unlock(&s->mu);
	return n ? 0 : -ENOENT;
}

int vault_tagsim_garble(struct vault_tagsim *s, int slave, enum vault_tagsim_garble kind)
{
	if ((unsigned)kind > VAULT_GARBLE_CRC)
		return -EINVAL;
	pthread_mutex_lock(&s->mu);
	struct simnode *n = find(s, slave);
	if (n)
		n->garble = kind;
	pthread_mutex_unlock(&s->mu);
	return n ? 0 : -ENOENT;
}

int vault_tagsim_get_garble(struct vault_tagsim *s, int slave)
{
	pthread_mutex_lock(&s->mu);
	struct simnode *n = find(s, slave);
	int r = n ? (int)n->garble : -ENOENT;
	pthread_mutex_unlock(&s->mu);
	return r;
}

int vault_tagsim_map_version(struct vault_tagsim *s, int slave, uint16_t version)
{
	pthread_mutex_lock(&s->mu);
	struct simnode *n = find(s, slave);
	if (n)
		n->map_version = version;
	pthread_mutex_unlock(&s->mu);
	return n ? 0 : -ENOENT;
}

int vault_tagsim_scan(struct vault_tagsim *s)
{
	int changed = 0;
	struct vault_shelf_seen seen[VAULT_TAGSIM_MAX_FIELD];
	pthread_mutex_lock(&s->mu);
	for (unsigned i = 0; i < s->nnodes; i++) {
		struct simnode *n = s->nodes[i];
		for (unsigned j = 0; j < n->nfield; j++) {
			memcpy(seen[j].id, n->field[j].id, VAULT_TAG_ID_BYTES);
			seen[j].antenna = n->field[j].antenna;
			/* A plausible, stable RSSI per tag and antenna. */
			seen[j].rssi = (int16_t)(-35 - (n->field[j].id[11] % 30));
		}
		if (vault_shelf_node_scan(n->core, seen, n->nfield) > 0)
			changed++;
	}
	pthread_mutex_unlock(&s->mu);
	return changed;
}

int vault_tagsim_list(struct vault_tagsim *s, int slave, struct vault_tag_entry *out,
		      size_t max)
{
	int r = -ENOENT;
	pthread_mutex_lock(&s->mu);
	struct simnode *n = find(s, slave);
	if (n) {
		unsigned cnt = vault_shelf_node_tag_count(n->core);
		for (unsigned i = 0; i < cnt && i < max; i++) {
			uint16_t e[SHELF_ENTRY_WORDS];
			vault_shelf_node_read_input(n->core,
						    SHELF_IR_TABLE + i * SHELF_ENTRY_WORDS,
						    SHELF_ENTRY_WORDS, e);
			for (unsigned w = 0; w < SHELF_TAG_ID_WORDS; w++) {
				out[i].id[2 * w] = (uint8_t)(e[w] >> 8);
				out[i].id[2 * w + 1] = (uint8_t)e[w];
			}
			out[i].antenna = (uint8_t)e[SHELF_ENTRY_ANTENNA];
			out[i].rssi = (int16_t)e[SHELF_ENTRY_RSSI];
		}
		r = (int)cnt;
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

static void apply_garble(enum vault_tagsim_garble g, unsigned addr, unsigned count,
			 uint16_t *out)
{
	for (unsigned i = 0; i < count; i++) {
		unsigned a = addr + i;
		if (g == VAULT_GARBLE_MAGIC && a == SHELF_IR_MAGIC_LO)
			out[i] ^= 0x0100;
		else if (g == VAULT_GARBLE_COUNT && a == SHELF_IR_TAG_COUNT)
			out[i] = 0xFFFF;
		else if (g == VAULT_GARBLE_ANTENNA && a >= SHELF_IR_TABLE &&
			 (a - SHELF_IR_TABLE) % SHELF_ENTRY_WORDS == SHELF_ENTRY_ANTENNA)
			out[i] = 0x00FF;
	}
}

int vault_tagsim_read_input(struct vault_tagsim *s, int slave, unsigned addr, unsigned count,
			    uint16_t *out)
{
	int r;
	pthread_mutex_lock(&s->mu);
	struct simnode *n = find(s, slave);
	if (!n)
		r = -ENODEV;
	else if (n->silent)
		r = -ETIMEDOUT;
	else if ((r = vault_shelf_node_read_input(n->core, addr, count, out)) == 0) {
		apply_garble(n->garble, addr, count, out);
		if (n->map_version && addr <= SHELF_IR_MAP_VERSION &&
		    addr + count > SHELF_IR_MAP_VERSION)
			out[SHELF_IR_MAP_VERSION - addr] = n->map_version;
		r = (int)count;
		if (n->garble == VAULT_GARBLE_SHORT)
			r--;
		else if (n->garble == VAULT_GARBLE_CRC)
			r = -EBADMSG;
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

int vault_tagsim_read_holding(struct vault_tagsim *s, int slave, unsigned addr, unsigned count,
			      uint16_t *out)
{
	int r;
	pthread_mutex_lock(&s->mu);
	struct simnode *n = find(s, slave);
	if (!n)
		r = -ENODEV;
	else if (n->silent)
		r = -ETIMEDOUT;
	else if ((r = vault_shelf_node_read_holding(n->core, addr, count, out)) == 0)
		r = (int)count;
	pthread_mutex_unlock(&s->mu);
	return r;
}

int vault_tagsim_write_holding(struct vault_tagsim *s, int slave, unsigned addr, uint16_t value)
{
	int r;
	pthread_mutex_lock(&s->mu);
	struct simnode *n = find(s, slave);
	if (!n)
		r = -ENODEV;
	else if (n->silent)
		r = -ETIMEDOUT;
	else
		r = vault_shelf_node_write_holding(n->core, addr, value);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int vault_tagsim_parse_tag(const char *hex, uint8_t id[VAULT_TAG_ID_BYTES])
{
	size_t len = hex ? strlen(hex) : 0;
	if (len < 1 || len > 2 * VAULT_TAG_ID_BYTES)
		return -EINVAL;
	uint8_t tmp[VAULT_TAG_ID_BYTES] = {0};
	for (size_t i = 0; i < len; i++) {
		char c = hex[len - 1 - i];
		int v;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			return -EINVAL;
		tmp[VAULT_TAG_ID_BYTES - 1 - i / 2] |= (uint8_t)(i % 2 ? v << 4 : v);
	}
	memcpy(id, tmp, sizeof tmp);
	return 0;
}

int vault_tagsim_parse_garble(const char *name)
{
	static const char *const names[] = {"off", "magic", "count", "antenna", "short", "crc"};
	if (!strcmp(name, "on"))
		return VAULT_GARBLE_MAGIC;
	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(name, names[i]))
			return (int)i;
	return -EINVAL;
}

static int parse_int(const char *s, int lo, int hi, int *ret)
{
	char *end;
	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

static const char *errname(int r)
{
	switch (r) {
	case -ENOENT:
		return "no-such-shelf-or-tag";
	case -ENOSPC:
		return "full";
	case -EEXIST:
		return "exists";
	default:
		return "invalid";
	}
}

int vault_tagsim_command(struct vault_tagsim *s, const char *line, char *reply, size_t size)
{
	char buf[256], *argv[6];
	int argc = 0, r = -EINVAL, slave = 0, v = 0;
	uint8_t id[VAULT_TAG_ID_BYTES];
	if (strlen(line) >= sizeof buf) {
		snprintf(reply, size, "err too-long");
		return -EINVAL;
	}
	strcpy(buf, line);
	for (char *save = NULL, *t = strtok_r(buf, " \t\r", &save); t && argc < 6;
	     t = strtok_r(NULL, " \t\r", &save))
		argv[argc++] = t;
	if (argc == 0) {
		snprintf(reply, size, "err empty");
		return -EINVAL;
	}
	const char *cmd = argv[0];
	if (argc >= 2 && parse_int(argv[1], 0, 255, &slave) < 0 && strcmp(cmd, "ping")) {
		snprintf(reply, size, "err bad-shelf-id");
		return -EINVAL;
	}
	if (!strcmp(cmd, "ping") && argc == 1) {
		r = 0;
	} else if (!strcmp(cmd, "scan") && argc == 1) {
		vault_tagsim_scan(s);
		r = 0;
	} else if (!strcmp(cmd, "place") && argc == 4) {
		if (parse_int(argv[2], 1, 255, &v) == 0 &&
		    vault_tagsim_parse_tag(argv[3], id) == 0)
			r = vault_tagsim_place(s, slave, (unsigned)v, id);
	} else if (!strcmp(cmd, "remove") && argc == 3) {
		if (vault_tagsim_parse_tag(argv[2], id) == 0)
			r = vault_tagsim_remove(s, slave, id);
	} else if (!strcmp(cmd, "silence") && argc == 3) {
		if (!strcmp(argv[2], "on") || !strcmp(argv[2], "off"))
			r = vault_tagsim_silence(s, slave, !strcmp(argv[2], "on"));
	} else if (!strcmp(cmd, "garble") && argc == 3) {
		int g = vault_tagsim_parse_garble(argv[2]);
		if (g >= 0)
			r = vault_tagsim_garble(s, slave, (enum vault_tagsim_garble)g);
	} else if (!strcmp(cmd, "mapver") && argc == 3) {
		if (parse_int(argv[2], 0, 65535, &v) == 0)
			r = vault_tagsim_map_version(s, slave, (uint16_t)v);
	} else if (!strcmp(cmd, "list") && argc == 2) {
		struct vault_tag_entry t[SHELF_MAX_TAGS];
		int n = vault_tagsim_list(s, slave, t, SHELF_MAX_TAGS);
		if (n < 0) {
			r = n;
		} else {
			size_t off = (size_t)snprintf(reply, size, "ok %d", n);
			for (int i = 0; i < n && off < size; i++) {
				char hex[2 * VAULT_TAG_ID_BYTES + 1];
				for (unsigned k = 0; k < VAULT_TAG_ID_BYTES; k++)
					snprintf(hex + 2 * k, 3, "%02x", t[i].id[k]);
				off += (size_t)snprintf(reply + off, size - off, " %s@%u", hex,
							t[i].antenna);
			}
			if (off >= size) {
				snprintf(reply, size, "err reply-too-long");
				return -ENOBUFS;
			}
			return 0;
		}
	} else {
		snprintf(reply, size, "err unknown-command");
		return -EINVAL;
	}
	if (r < 0)
		snprintf(reply, size, "err %s", errname(r));
	else
		snprintf(reply, size, "ok");
	return r;
}
