/* SPDX-License-Identifier: MIT */
#include "vault/config.h"

#include <errno.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "vault/util.h"

enum type { T_STR, T_INT, T_ENUM };

struct key {
	const char *section, *name;
	enum type type;
	size_t off, size; /* T_STR, T_ENUM: buffer size */
	long min, max;    /* T_INT */
	const char *def;
	const char *choices; /* T_ENUM: space-separated */
};

#define S(sec, k, field, d)                                                                       \
	{sec, k, T_STR, offsetof(struct vault_config, field),                                      \
	 sizeof(((struct vault_config *)0)->field), 0, 0, d, NULL}
#define I(sec, k, field, lo, hi, d)                                                               \
	{sec, k, T_INT, offsetof(struct vault_config, field), 0, lo, hi, d, NULL}
#define E(sec, k, field, d, ch)                                                                   \
	{sec, k, T_ENUM, offsetof(struct vault_config, field),                                     \
	 sizeof(((struct vault_config *)0)->field), 0, 0, d, ch}

static const struct key keys[] = {
	S("vault", "name", name, "vault-1"),
	S("vault", "timezone", timezone, "Asia/Shanghai"),
	S("vault", "database", database, "/var/lib/vault/vault.db"),
	S("vault", "keys_dir", keys_dir, "/etc/vault/keys"),
	S("vault", "socket", socket, "/run/vault/vaultd.sock"),
	E("vault", "lang", lang, "zh-CN", "zh-CN en"),
	I("ledger", "checkpoint_every", checkpoint_every, 0, 1000000, "100"),
	I("ledger", "wal_reserve_mb", wal_reserve_mb, 0, 4096, "64"),
	I("ledger", "verify_every_h", verify_every_h, 0, 8760, "24"),
	I("ledger", "verify_at_start_s", verify_at_start_s, 0, 86400, "60"),
	I("pin", "argon2_ops", argon2_ops, 1, 10, "2"),
	I("pin", "argon2_mem_kib", argon2_mem_kib, 8, 1048576, "16384"),
	I("pin", "lockout_after", pin_lockout_after, 1, 100, "5"),
	I("pin", "lockout_seconds", pin_lockout_seconds, 1, 86400, "300"),
	I("policy", "training_max_days", training_max_days, 1, 365, "365"),
	I("policy", "cert_years", cert_years, 1, 5, "5"),
	I("policy", "onsite_threshold", onsite_threshold, 1, 100000, "10"),
	I("policy", "destruction_months", destruction_months, 1, 6, "6"),
	E("log", "level", log_level, "info", "debug info notice warning err"),
	I("door", "two_person", two_person, 0, 1, "0"),
	I("door", "two_person_window_s", two_person_window_s, 1, 600, "30"),
	I("door", "unlock_s", unlock_s, 1, 60, "5"),
	I("door", "held_s", held_s, 1, 3600, "60"),
	I("door", "pin_timeout_s", pin_timeout_s, 1, 120, "15"),
	I("door", "exit_reader", exit_reader, 0, 1, "1"),
	I("door", "fire_release", fire_release, 0, 1, "0"),
	I("door", "siren", siren, 0, 1, "1"),
	S("reader", "door", reader_door, "pn532_uart:/dev/ttyAMA1"),
	S("reader", "exit", reader_exit, ""),
	I("reader", "legacy_uid_only", legacy_uid_only, 0, 1, "0"),
	S("reader", "sysid", sysid, ""),
	I("reader", "refusal_limit", refusal_limit, 1, 10000, "10"),
	I("reader", "refusal_window_s", refusal_window_s, 1, 3600, "60"),
	S("reader", "kiosk", reader_kiosk, ""),
	S("reader", "shredder", reader_shredder, ""),
	S("reader", "console", reader_console, ""),
	S("custody", "pad", custody_pad, "kiosk-pad"),
	S("custody", "throat", custody_throat, "shredder-throat"),
	I("custody", "removal_window_s", removal_window_s, 1, 86400, "300"),
	I("custody", "return_window_s", return_window_s, 1, 86400, "900"),
	I("custody", "pad_window_s", pad_window_s, 1, 3600, "120"),
	I("custody", "station_window_s", station_window_s, 1, 3600, "60"),
	I("custody", "witness_window_s", witness_window_s, 1, 3600, "300"),
	I("custody", "quiet_window_s", quiet_window_s, 1, 86400, "60"),
	I("custody", "motor_grace_ms", motor_grace_ms, 0, 60000, "2000"),
	I("custody", "inventory_every_h", inventory_every_h, 0, 8760, "24"),
	I("custody", "inventory_settle_s", inventory_settle_s, 1, 600, "3"),
	I("http", "enabled", http_enabled, 0, 1, "0"),
	S("http", "bind", http_bind, "127.0.0.1"),
	I("http", "port", http_port, 0, 65535, "8080"),
	I("http", "allow_non_loopback", http_allow_non_loopback, 0, 1, "0"),
	S("http", "allowed_host", http_allowed_host, ""),
	S("http", "static_root", http_static_root, "/usr/local/share/vault/web"),
	I("http", "max_body", http_max_body, 256, 1048576, "16384"),
	I("http", "max_connections", http_max_connections, 1, 1024, "32"),
	I("http", "max_sessions", http_max_sessions, 1, 1024, "64"),
	I("http", "idle_timeout_s", http_idle_timeout_s, 10, 86400, "900"),
	I("http", "kiosk_idle_timeout_s", http_kiosk_idle_timeout_s, 10, 86400, "120"),
	I("http", "lifetime_s", http_lifetime_s, 60, 604800, "28800"),
	I("http", "cookie_secure", http_cookie_secure, 0, 1, "0"),
	S("http", "trusted_proxy", http_trusted_proxy, ""),
	I("http", "refusal_limit", http_refusal_limit, 1, 100000, "60"),
	I("http", "refusal_window_s", http_refusal_window_s, 1, 3600, "60"),
	I("admin", "refusal_limit", admin_refusal_limit, 1, 100000, "60"),
	I("admin", "refusal_window_s", admin_refusal_window_s, 1, 3600, "60"),
	I("admin", "reply_stall_s", admin_reply_stall_s, 1, 3600, "30"),
	E("gpio", "backend", gpio_backend, "gpiod", "gpiod sim"),
	S("gpio", "chip", gpio_chip, "gpiochip0"),
	S("gpio", "sim_socket", gpio_sim_socket, "/run/vault/gpio-sim.sock"),
	I("gpio", "debounce_ms", gpio_debounce_ms, 0, 10000, "20"),
	S("gpio", "active_low", gpio_active_low, ""),
	I("gpio", "keepalive_ms", gpio_keepalive_ms, 20, 5000, "250"),
	I("mqtt", "enabled", mqtt_enabled, 0, 1, "0"),
	S("mqtt", "broker", mqtt_broker, "tcp://127.0.0.1:1883"),
	S("mqtt", "client_id", mqtt_client_id, ""),
	S("mqtt", "topic_prefix", mqtt_topic_prefix, ""),
	S("mqtt", "verifier_key", mqtt_verifier_key, ""),
	I("clock", "check_s", clock_check_s, 1, 3600, "10"),
	I("clock", "jump_s", clock_jump_s, 5, 86400, "60"),
	I("storage", "check_s", storage_check_s, 1, 3600, "60"),
	I("storage", "warn_free_mb", storage_warn_free_mb, 0, 1000000000, "1024"),
	I("storage", "alarm_free_mb", storage_alarm_free_mb, 0, 1000000000, "256"),
	I("storage", "sensor_retention_days", sensor_retention_days, 0, 36500, "90"),
	I("storage", "sensor_limit", sensor_limit, 10, 100000, "1000"),
	I("storage", "sensor_window_s", sensor_window_s, 1, 3600, "10"),
	/* QoS 0 has no acknowledgement: the cursor could not advance honestly. */
	I("mqtt", "qos", mqtt_qos, 1, 2, "1"),
	I("mqtt", "keepalive_s", mqtt_keepalive_s, 5, 3600, "30"),
	I("mqtt", "reconnect_ms", mqtt_reconnect_ms, 50, 600000, "1000"),
};

#define BS(k, field, d)                                                                            \
	{"bus", k, T_STR, offsetof(struct vault_bus_config, field),                                \
	 sizeof(((struct vault_bus_config *)0)->field), 0, 0, d, NULL}
#define BI(k, field, lo, hi, d)                                                                    \
	{"bus", k, T_INT, offsetof(struct vault_bus_config, field), 0, lo, hi, d, NULL}
#define BE(k, field, d, ch)                                                                        \
	{"bus", k, T_ENUM, offsetof(struct vault_bus_config, field),                               \
	 sizeof(((struct vault_bus_config *)0)->field), 0, 0, d, ch}

/* Keys of a [bus.NAME] section (offsets into struct vault_bus_config). */
static const struct key bus_keys[] = {
	BE("kind", kind, "rtu", "rtu tcp"),
	BS("device", device, "/dev/ttyUSB0"),
	BI("baud", baud, 1200, 921600, "19200"),
	BE("parity", parity, "E", "N E O"),
	BI("rs485", rs485, 0, 1, "1"),
	BS("host", host, "127.0.0.1"),
	BI("port", port, 1, 65535, "502"),
	BS("shelves", shelves, ""),
	BI("response_timeout_ms", response_timeout_ms, 10, 10000, "200"),
	BI("byte_timeout_ms", byte_timeout_ms, 0, 10000, "50"),
	BI("retries", retries, 0, 10, "1"),
	BI("poll_interval_ms", poll_interval_ms, 10, 60000, "100"),
};

static int set_value_at(void *base, const struct key *k, const char *v, const char **why);

static int set_value(struct vault_config *c, const struct key *k, const char *v, const char **why)
{
	return set_value_at(c, k, v, why);
}

static int set_value_at(void *base, const struct key *k, const char *v, const char **why)
{
	char *dst = (char *)base + k->off;
	switch (k->type) {
	case T_STR:
		if (vault_strlcpy(dst, v, k->size) < 0) {
			*why = "value too long";
			return -EINVAL;
		}
		return 0;
	case T_ENUM: {
		size_t n = strlen(v);
		for (const char *p = k->choices; *p;) {
			size_t l = strcspn(p, " ");
			if (l == n && !strncmp(p, v, n))
				return vault_strlcpy(dst, v, k->size);
			p += l + (p[l] == ' ');
		}
		*why = "not one of the allowed values";
		return -EINVAL;
	}
	case T_INT: {
		char *end;
		errno = 0;
		long x = strtol(v, &end, 10);
		if (errno || end == v || *end) {
			*why = "not an integer";
			return -EINVAL;
		}
		if (x < k->min || x > k->max) {
			*why = "out of range";
			return -EINVAL;
		}
		*(int *)(void *)dst = (int)x;
		return 0;
	}
	}
	return -EINVAL;
}

void vault_config_defaults(struct vault_config *c)
{
	memset(c, 0, sizeof *c);
	const char *why;
	for (size_t i = 0; i < VAULT_ARRAY_SIZE(keys); i++)
		set_value(c, &keys[i], keys[i].def, &why);
}

const char *vault_config_key_name(size_t i, char *buf, size_t size)
{
	if (i >= VAULT_ARRAY_SIZE(keys))
		return NULL;
	snprintf(buf, size, "%s.%s", keys[i].section, keys[i].name);
	return buf;
}

struct parse {
	struct vault_config *c;
	const char *path;
	FILE *f;
	int line;
	char *err;
	size_t errsize;
	int failed;
};

/* inih as packaged is built without line numbers in the handler: count the
 * lines ourselves by feeding it through a reader. */
static char *reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	char *r = fgets(str, num, p->f);
	if (r)
		p->line++;
	return r;
}

/* A key of [bus.NAME]; the bus is created (with defaults) on first sight. */
static const char *bus_key(struct parse *p, const char *bus, const char *name, const char *value)
{
	struct vault_config *c = p->c;
	struct vault_bus_config *b = NULL;
	if (!*bus || strlen(bus) >= sizeof c->bus[0].name)
		return "bus name empty or too long";
	for (int i = 0; i < c->nbuses; i++)
		if (!strcmp(c->bus[i].name, bus))
			b = &c->bus[i];
	if (!b) {
		if (c->nbuses == VAULT_CONFIG_MAX_BUSES)
			return "too many buses (at most 4)";
		b = &c->bus[c->nbuses++];
		memset(b, 0, sizeof *b);
		const char *why;
		for (size_t i = 0; i < VAULT_ARRAY_SIZE(bus_keys); i++)
			set_value_at(b, &bus_keys[i], bus_keys[i].def, &why);
		snprintf(b->name, sizeof b->name, "%s", bus);
		b->line = p->line;
	}
	if (!name)
		return NULL;
	for (size_t i = 0; i < VAULT_ARRAY_SIZE(bus_keys); i++)
		if (!strcmp(bus_keys[i].name, name)) {
			const char *why = NULL;
			set_value_at(b, &bus_keys[i], value, &why);
			return why;
		}
	return "unknown key";
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	if (p->failed)
		return 0;
	const char *why = NULL;
	if (!name && !strncmp(section, "bus.", 4)) {
		why = bus_key(p, section + 4, NULL, NULL);
	} else if (!name) {
		int known = 0;
		for (size_t i = 0; i < VAULT_ARRAY_SIZE(keys); i++)
			known |= !strcmp(keys[i].section, section);
		if (!known)
			why = "unknown section";
	} else {
		const struct key *k = NULL;
		for (size_t i = 0; i < VAULT_ARRAY_SIZE(keys); i++)
			if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name))
				k = &keys[i];
		int section_known = 0;
		for (size_t i = 0; i < VAULT_ARRAY_SIZE(keys); i++)
			section_known |= !strcmp(keys[i].section, section);
		enum vault_gpio_line line;
		if (!strncmp(section, "bus.", 4)) {
			why = bus_key(p, section + 4, name, value);
		} else if (!k && !strcmp(section, "gpio") &&
			   vault_gpio_line_from_name(name, &line) == 0) {
			/* [gpio] <line> = offset | name:NAME | none */
			if (vault_strlcpy(p->c->gpio_line[line], value, sizeof p->c->gpio_line[line]) <
			    0)
				why = "value too long";
		} else if (!k) {
			why = section_known ? "unknown key" : "unknown section";
		} else {
			set_value(p->c, k, value, &why);
			/* Named in the file: shelves_check() wants that shelf on a bus. */
			if (!strcmp(section, "custody") && !strcmp(name, "pad"))
				p->c->custody_pad_line = p->line;
			else if (!strcmp(section, "custody") && !strcmp(name, "throat"))
				p->c->custody_throat_line = p->line;
		}
	}
	if (why) {
		snprintf(p->err, p->errsize, "%s:%d: [%s]%s%s: %s", p->path, p->line, section,
			 name ? " " : "", name ? name : "", why);
		p->failed = 1;
		return 0;
	}
	return 1;
}

int vault_config_load(const char *path, struct vault_config *c, char *err, size_t errsize)
{
	struct parse p = {.c = c, .path = path, .err = err, .errsize = errsize};
	p.f = fopen(path, "re");
	if (!p.f) {
		int e = -errno;
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return e;
	}
	int r = ini_parse_stream(reader, &p, handler, &p);
	fclose(p.f);
	if (p.failed)
		return -EINVAL;
	if (r != 0) {
		snprintf(err, errsize, "%s:%d: syntax error", path, r > 0 ? r : p.line);
		return -EINVAL;
	}
	/* A sensor event awaiting its citation (a removal's window, up to a day)
	 * must outlive that wait. */
	if (c->sensor_retention_days > 0 && c->sensor_retention_days < 7) {
		snprintf(err, errsize,
			 "%s: [storage] sensor_retention_days = %d: 0 (forever) or at least 7",
			 path, c->sensor_retention_days);
		return -EINVAL;
	}
	/* Without an exit reader nobody ever leaves the occupancy (a REX press
	 * is anonymous): anti-passback would refuse everyone's next entry and
	 * two-person integrity could not be watched. */
	if (c->two_person && (!c->exit_reader || !c->reader_exit[0])) {
		snprintf(err, errsize,
			 "%s: [door] two_person = 1 needs an exit reader ([reader] exit set, "
			 "[door] exit_reader = 1): occupancy is tracked by exit reads",
			 path);
		return -EINVAL;
	}
	/* storage.low is the early warning: a disk must pass it before
	 * storage.critical. Equal thresholds skip the warning; 0 turns a level
	 * off. */
	if (c->storage_warn_free_mb > 0 && c->storage_alarm_free_mb > c->storage_warn_free_mb) {
		snprintf(err, errsize,
			 "%s: [storage] alarm_free_mb = %d is above warn_free_mb = %d: the "
			 "warning (storage.low) would never come before the alarm",
			 path, c->storage_alarm_free_mb, c->storage_warn_free_mb);
		return -EINVAL;
	}
	/* One reader cannot be both: a throat read would count as a medium
	 * laid on the pad, and the reverse. */
	if (c->custody_pad[0] && !strcmp(c->custody_pad, c->custody_throat)) {
		snprintf(err, errsize,
			 "%s: [custody] pad and throat both name shelf '%s': the kiosk pad and "
			 "the shredder throat must be different readers",
			 path, c->custody_pad);
		return -EINVAL;
	}
	return 0;
}
