/* SPDX-License-Identifier: MIT */
/*
 * vaultd: the vault controller daemon. One event loop owns all state and is
 * the only writer of the database. Exit codes: 0 clean stop, 1 runtime
 * failure, 2 bad configuration or usage.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "door.h"
#include "events.h"
#include "flood.h"
#include "health.h"
#include "integrity.h"
#include "kdf.h"
#include "mqtt.h"
#include "shelves.h"
#include "stations.h"
#include "vault/badge.h"
#include "vault/caldate.h"
#include "vault/db.h"
#include "vault/keys.h"
#include "vault/regload.h"
#include "vault/secrets.h"
#include "vault/util.h"
#include "vaultd.h"
#include "walckpt.h"

#define VAULTD_VERSION "0.1.0"

static volatile sig_atomic_t sig_quit, sig_hup;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		sig_hup = 1;
	else
		sig_quit = sig;
}

/* CITES without the ids that are 0 (a sensor event not stored: a flooded
 * source's counted reading, a failed insert: nothing to cite), in a new
 * string; NULL if there is no such id (or no memory: CITES as it is). */
static char *cites_stored(const char *cites)
{
	int zero = 0;
	for (const char *p = cites; p && *p; p += strcspn(p, ","), p += *p == ',')
		zero |= p[0] == '0' && (p[1] == ',' || !p[1]);
	char *out = zero ? malloc(strlen(cites) + 1) : NULL;
	if (!out)
		return NULL;
	size_t o = 0;
	for (const char *p = cites; *p;) {
		size_t len = strcspn(p, ",");
		if (len && !(len == 1 && *p == '0')) {
			if (o)
				out[o++] = ',';
			memcpy(out + o, p, len);
			o += len;
		}
		p += len + (p[len] == ',');
	}
	out[o] = 0;
	return out;
}

int vaultd_record(struct vaultd *d, const struct vault_record *r0, int64_t *ret_seq)
{
	const char *err = NULL;
	int64_t seq = 0;
	struct vault_record rec = *r0, *r = &rec;
	char *cites = cites_stored(r0->cites);
	if (cites)
		rec.cites = cites;
	int e = vault_ledger_record(d->ledger, r, &seq, NULL, &err);
	if (e < 0) {
		vault_log(LOG_ERR, "ledger", "recording %s failed: %s (%s)", r->kind,
			  strerror(-e), err && *err ? err : sqlite3_errmsg(d->db));
		door_db_failed(d); /* fail secure, whoever was recording */
		free(cites);
		return e;
	}
	if (ret_seq)
		*ret_seq = seq;
	if (vaultd_sets_policy(r->payload))
		d->registry_gen++;
	mqtt_notify(d->mqtt); /* the ledger is the MQTT outbox */
	warnings_notify(d->warnings, r);
	free(cites);
	return 0;
}

/* The sensor budget ([storage] sensor_limit per sensor_window_s) of SOURCE's
 * events of KIND's family (up to its first '.'): "SH-1/tag", "gpio/door_a",
 * so that one flapping line does not silence the others. Made on its first
 * event; budgets beyond VAULTD_SENSOR_SOURCES share the last ("other"). */
static struct flood *sensor_flood(struct vaultd *d, const char *source, const char *kind)
{
	char name[32];
	snprintf(name, sizeof name, "%s/%.*s", source, (int)strcspn(kind, "."), kind);
	int i;
	for (i = 0; i < d->nsensor_floods; i++)
		if (!strcmp(d->sensor_floods[i].source, name))
			return d->sensor_floods[i].f;
	if (i == VAULTD_SENSOR_SOURCES)
		return d->sensor_floods[i - 1].f;
	if (i == VAULTD_SENSOR_SOURCES - 1)
		snprintf(name, sizeof name, "other");
	struct flood_spec s = {.source = name,
			       .kind = "sensor",
			       .what = "sensor",
			       .keys = "kinds",
			       .limit = d->cfg.sensor_limit,
			       .window_s = d->cfg.sensor_window_s,
			       .counted_as = "events"};
	if (flood_new(d, &s, &d->sensor_floods[i].f) < 0)
		return NULL;
	snprintf(d->sensor_floods[i].source, sizeof d->sensor_floods[i].source, "%s", name);
	d->nsensor_floods++;
	return d->sensor_floods[i].f;
}

int64_t vaultd_sensor_event(struct vaultd *d, const char *source, const char *kind,
			    const char *data)
{
	sqlite3_stmt *st;
	int rc = SQLITE_ERROR;
	/* A device flooding the loop with readings (a flapping contact, a
	 * hostile shelf node) would cost a synced commit per reading: beyond
	 * its budget they are counted by kind into one sensor.batch entry per
	 * window (flood.h), not stored one by one (0: nothing to cite). */
	struct flood *f = d->loop ? sensor_flood(d, source, kind) : NULL;
	if (f && !flood_take(f, VAULT_R_OK, kind))
		return 0;
	if (vault_db_cached(d->db,
			    "INSERT INTO sensor_event(ts_utc,ts_mono,source,kind,data) "
			    "VALUES(?,?,?,?,?)",
			    &st) == 0) {
		sqlite3_bind_int64(st, 1, vault_now_utc_us());
		sqlite3_bind_int64(st, 2, vault_now_mono_us());
		sqlite3_bind_text(st, 3, source, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, data ? data : "", -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		vault_db_done(st);
	}
	if (rc != SQLITE_DONE) {
		vault_log(LOG_ERR, "sensors", "sensor event %s/%s not stored: %s", source, kind,
			  sqlite3_errmsg(d->db));
		return 0;
	}
	return sqlite3_last_insert_rowid(d->db);
}

void vaultd_record_refusal(struct vaultd *d, const char *kind, const char *actors,
			   const char *action, enum vault_reason reason, const char *detail,
			   const struct vault_caller *who)
{
	char k[64];
	snprintf(k, sizeof k, "%s.refused", kind);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "action", action);
	cJSON_AddStringToObject(p, "code", vault_reason_id(reason));
	cJSON_AddStringToObject(p, "text", vault_reason_text(reason, "en"));
	if (detail && *detail)
		cJSON_AddStringToObject(p, "detail", detail);
	if (who) {
		cJSON_AddStringToObject(p, "unix_user", who->user);
		cJSON_AddNumberToObject(p, "uid", (double)who->uid);
	}
	struct vault_record r = {.kind = k, .actors = actors, .payload = p};
	vaultd_record(d, &r, NULL);
	cJSON_Delete(p);
}

static void watchdog_tick(struct vault_loop *l, uint64_t id, void *ud)
{
	struct vaultd *d = ud;
	sd_notify(0, "WATCHDOG=1");
	vault_loop_timer_in(l, (int64_t)d->watchdog_usec / 2, watchdog_tick, d, NULL);
}

/* VEV_DAY at start and whenever the site-local date changes. */
static void day_tick(struct vault_loop *l, uint64_t id, void *ud)
{
	static struct vault_date last;
	struct vaultd *d = ud;
	struct vault_date t = vaultd_today(d);
	if (t.year != last.year || t.month != last.month || t.day != last.day) {
		last = t;
		struct vaultd_event ev = {.kind = VEV_DAY, .source = "clock"};
		vaultd_emit(d, &ev);
	}
	vault_loop_timer_in(l, 30 * 1000000LL, day_tick, d, NULL);
}

static void idle(struct vault_loop *l, void *ud)
{
	if (sig_quit)
		vault_loop_quit(l);
	if (sig_hup) {
		sig_hup = 0;
		vault_log(LOG_INFO, "vaultd", "SIGHUP: configuration is read at start only");
	}
}

/* The WAL's first [ledger] wal_reserve_mb MiB written before the loop runs, so
 * that a door decision's commit overwrites the log instead of extending it
 * (vault_db_wal_reserve). A failure costs latency, not data: logged, not fatal. */
static void wal_reserve(struct vaultd *d)
{
	if (d->cfg.wal_reserve_mb <= 0)
		return;
	int64_t added = 0, t0 = vault_now_mono_us();
	const char *err;
	int r = vault_db_wal_reserve(d->db, (int64_t)d->cfg.wal_reserve_mb << 20, &added, &err);
	if (r < 0)
		vault_log(LOG_WARNING, "db", "WAL reserve of %d MiB: %s (%s); commits that extend "
			  "the log will be slower", d->cfg.wal_reserve_mb, err, strerror(-r));
	else if (added)
		vault_log(LOG_INFO, "db", "WAL reserve: %d MiB (%lld KiB written in %lld ms)",
			  d->cfg.wal_reserve_mb, (long long)(added >> 10),
			  (long long)((vault_now_mono_us() - t0) / 1000));
}

static int usage(FILE *f, int rc)
{
	fprintf(f, "usage: vaultd [-c CONFIG] [--check-config]\n"
		   "  -c, --config FILE    configuration (default /etc/vault/vault.ini)\n"
		   "      --check-config   parse the configuration and exit\n"
		   "  -h, --help           this help\n"
		   "exit codes: 0 clean stop, 1 runtime failure, 2 bad configuration or usage\n");
	return rc;
}

static int level_of(const char *s)
{
	static const char *names[] = {"emerg", "alert", "crit", "err", "warning", "notice",
				      "info", "debug"};
	for (int i = 0; i < 8; i++)
		if (!strcmp(names[i], s))
			return i;
	return LOG_INFO;
}

struct vault_date vaultd_today(const struct vaultd *d)
{
	struct vault_date t = {0};
	vault_tz_date(d->tz, vault_now_utc_us(), &t);
	return t;
}

int vaultd_localtime(const struct vaultd *d, struct vault_localtime *ret)
{
	return vault_tz_localtime(d->tz, vault_now_utc_us(), ret);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *config = "/etc/vault/vault.ini";
	int check_only = 0, o;
	vault_log_set_ident("vaultd");
	if (vault_log_journal() < 0)
		vault_log(LOG_WARNING, "vaultd",
			  "the journal socket cannot be used: logging to stderr");
	while ((o = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			config = optarg;
			break;
		case 'C':
			check_only = 1;
			break;
		case 'h':
			return usage(stdout, 0);
		default:
			return usage(stderr, 2);
		}
	}
	if (optind != argc)
		return usage(stderr, 2);

	struct vaultd d = {0};
	char err[512];
	vault_config_defaults(&d.cfg);
	if (vault_config_load(config, &d.cfg, err, sizeof err) < 0) {
		vault_log(LOG_ERR, "config", "%s", err);
		return 2;
	}
	if (vault_tz_load(NULL, d.cfg.timezone, &d.tz) < 0) {
		vault_log(LOG_ERR, "config", "%s: [vault] timezone: unknown time zone '%s'", config,
			  d.cfg.timezone);
		return 2;
	}
	vault_policy_config_from(&d.pc, d.cfg.training_max_days, d.cfg.cert_years,
				 d.cfg.onsite_threshold, d.cfg.destruction_months);
	if (shelves_check(&d.cfg, err, sizeof err) < 0) {
		vault_log(LOG_ERR, "config", "%s: %s", config, err);
		vault_tz_free(d.tz);
		return 2;
	}
	if (check_only) {
		vault_tz_free(d.tz);
		printf("%s: ok\n", config);
		return 0;
	}
	vault_log_set_level(level_of(d.cfg.log_level));
	/* Calendar-day rules count days in the site's zone. */
	setenv("TZ", d.cfg.timezone, 1);
	tzset();
	if (sodium_init() < 0) {
		vault_log(LOG_ERR, "vaultd", "libsodium failed to initialise");
		return 1;
	}

	int have_readers = d.cfg.reader_door[0] || d.cfg.reader_exit[0] || d.cfg.reader_kiosk[0] ||
			   d.cfg.reader_shredder[0] || d.cfg.reader_console[0];
	/* While this is the only thread (libnfc writes the environment). */
	if (have_readers)
		vault_badge_nfc_prepare();

	/* Fail secure, before anything else: the lock output off. */
	char gerr[256];
	if (door_open_gpio(&d, gerr, sizeof gerr) < 0) {
		vault_log(LOG_ERR, "gpio", "%s", gerr);
		vault_tz_free(d.tz);
		return 1;
	}
	int rc = 1;
	const char *dberr = NULL;
	int r = vault_db_open(d.cfg.database, VAULT_DB_READWRITE, NULL, &d.db, &dberr);
	if (r < 0) {
		vault_log(LOG_ERR, "db", "%s: %s", d.cfg.database, dberr);
		goto out;
	}
	wal_reserve(&d);
	/* Checkpoints run in their own thread, never inside a commit on the loop. */
	r = walckpt_start(d.cfg.database, 0, &d.walckpt);
	if (r < 0) {
		vault_log(LOG_ERR, "db", "WAL checkpointer: %s", strerror(-r));
		goto out;
	}
	walckpt_attach(d.walckpt, d.db, 0);
	r = vault_ledger_open(d.db, &d.ledger);
	if (r < 0) {
		vault_log(LOG_ERR, "ledger", "%s: no readable genesis entry (%s)", d.cfg.database,
			  strerror(-r));
		goto out;
	}
	uint8_t sk[VAULT_SIGN_SK_LEN];
	r = vault_key_load("checkpoint.key", d.cfg.keys_dir, sk, sizeof sk);
	if (r == 0)
		r = vault_ledger_set_signing_key(d.ledger, sk);
	sodium_memzero(sk, sizeof sk);
	if (r < 0) {
		const char *cred = getenv("CREDENTIALS_DIRECTORY");
		vault_log(LOG_ERR, "keys", "checkpoint.key (in %s): %s",
			  cred && *cred ? cred : d.cfg.keys_dir,
			  r == -EKEYREJECTED ? "not the key named by the ledger's genesis"
					     : strerror(-r));
		goto out;
	}
	vault_ledger_set_checkpoint_every(d.ledger, (unsigned)d.cfg.checkpoint_every);
	r = vault_key_load("pin-pepper.key", d.cfg.keys_dir, d.pepper, sizeof d.pepper);
	if (r < 0) {
		vault_log(LOG_ERR, "keys", "pin-pepper.key: %s", strerror(-r));
		goto out;
	}
	d.have_pepper = 1;
	if (have_readers) {
		r = vault_key_load("nfc-master.key", d.cfg.keys_dir, d.nfc_key, sizeof d.nfc_key);
		if (r < 0) {
			vault_log(LOG_ERR, "keys", "nfc-master.key (16 bytes): %s", strerror(-r));
			goto out;
		}
	}
	if (d.cfg.legacy_uid_only)
		vault_log(LOG_WARNING, "door",
			  "legacy_uid_only is set: badges are identified by UID alone, which "
			  "anyone can copy");

	if ((r = vault_loop_new(&d.loop)) < 0) {
		vault_log(LOG_ERR, "vaultd", "event loop: %s", strerror(-r));
		goto out;
	}
	r = admin_server_new(&d, d.cfg.socket, &d.admin);
	if (r < 0) {
		vault_log(LOG_ERR, "admin", "%s: %s", d.cfg.socket, strerror(-r));
		goto out;
	}

	/* Signals are blocked except inside epoll_pwait; handlers only set flags. */
	sigset_t block, waitmask;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGHUP);
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	vault_loop_set_idle(d.loop, idle, &d);
	r = kdf_start(&d.kdf);
	if (r < 0) {
		vault_log(LOG_ERR, "vaultd", "PIN hashing thread: %s", strerror(-r));
		goto out;
	}
	if ((r = vaultd_events_init(&d)) < 0)
		goto out;
	r = shelves_start(&d, &d.shelves, gerr, sizeof gerr);
	if (r < 0) {
		vault_log(LOG_ERR, "shelves", "%s", gerr);
		goto out;
	}
	r = door_start(&d, &d.door);
	if (r < 0) {
		vault_log(LOG_ERR, "door", "cannot start the door: %s", strerror(-r));
		goto out;
	}
	/* The workflow modules listen to the devices; the station readers start
	 * after them so that no presentation is missed. */
	if ((r = custody_start(&d, &d.custody)) < 0) {
		vault_log(LOG_ERR, "custody", "cannot start: %s", strerror(-r));
		goto out;
	}
	if ((r = destruction_start(&d, &d.destruction)) < 0) {
		vault_log(LOG_ERR, "destruction", "cannot start: %s", strerror(-r));
		goto out;
	}
	if ((r = inventory_start(&d, &d.inventory)) < 0) {
		vault_log(LOG_ERR, "inventory", "cannot start: %s", strerror(-r));
		goto out;
	}
	if ((r = integrity_start(&d, &d.integrity)) < 0) {
		vault_log(LOG_ERR, "integrity", "cannot start: %s", strerror(-r));
		goto out;
	}
	if ((r = warnings_start(&d, &d.warnings)) < 0) {
		vault_log(LOG_ERR, "warnings", "cannot start: %s", strerror(-r));
		goto out;
	}
	if ((r = health_start(&d, &d.health)) < 0) {
		vault_log(LOG_ERR, "health", "cannot start: %s", strerror(-r));
		goto out;
	}
	if ((r = stations_start(&d, &d.stations)) < 0)
		goto out;
	r = web_start(&d, &d.web, gerr, sizeof gerr);
	if (r < 0) {
		vault_log(LOG_ERR, "http", "%s", gerr);
		goto out;
	}
	day_tick(d.loop, 0, &d);
	/* After the signal mask: Paho's threads inherit it. */
	r = mqtt_start(&d, &d.mqtt, gerr, sizeof gerr);
	if (r < 0) {
		vault_log(LOG_ERR, "mqtt", "%s", gerr);
		goto out;
	}

	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "version", VAULTD_VERSION);
	cJSON_AddNumberToObject(p, "pid", (double)getpid());
	struct vault_record start = {.kind = "vaultd.start", .payload = p};
	r = vaultd_record(&d, &start, NULL);
	cJSON_Delete(p);
	if (r < 0)
		goto out;

	if (sd_watchdog_enabled(0, &d.watchdog_usec) > 0 && d.watchdog_usec)
		vault_loop_timer_in(d.loop, (int64_t)d.watchdog_usec / 2, watchdog_tick, &d, NULL);
	sd_notifyf(0, "READY=1\nSTATUS=vault %s: ready\nMAINPID=%d", d.cfg.name, (int)getpid());
	vault_log(LOG_INFO, "vaultd", "vault %s ready (db %s, socket %s)", d.cfg.name,
		  d.cfg.database, d.cfg.socket);

	r = vault_loop_run(d.loop, &waitmask);
	sd_notify(0, "STOPPING=1");
	if (r < 0) {
		vault_log(LOG_ERR, "vaultd", "event loop failed: %s", strerror(-r));
	} else {
		flood_flush_all(&d); /* refusals counted at a flooded reader */
		p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "signal", sig_quit ? strsignal(sig_quit) : "");
		if (d.fault)
			cJSON_AddStringToObject(p, "fault", d.fault);
		struct vault_record stop = {.kind = "vaultd.stop", .payload = p};
		vaultd_record(&d, &stop, NULL);
		cJSON_Delete(p);
		rc = d.fault ? 1 : 0;
	}
	vault_log(LOG_INFO, "vaultd", "stopped");
out:
	web_free(d.web);
	stations_free(d.stations);
	health_free(d.health);
	warnings_free(d.warnings);
	integrity_free(d.integrity); /* interrupts and joins a run */
	inventory_free(d.inventory);
	destruction_free(d.destruction);
	custody_free(d.custody);
	door_free(d.door);
	door_lock_safe(&d);
	for (int i = 0; i < d.nsensor_floods; i++)
		flood_free(d.sensor_floods[i].f);
	shelves_free(d.shelves);
	admin_server_free(d.admin);
	mqtt_free(d.mqtt); /* before the loop: its timers and messages */
	kdf_stop(d.kdf); /* queued PIN jobs are dropped; posted results wait in the loop */
	vault_gpio_free(d.gpio); /* released lines fall back to the pull-down: locked */
	d.gpio = NULL;
	vault_loop_free(d.loop);
	vaultd_events_free(&d);
	sodium_memzero(&d.pinlock, sizeof d.pinlock);
	vault_ledger_free(d.ledger);
	if (d.db)
		sqlite3_wal_hook(d.db, NULL, NULL);
	walckpt_stop(d.walckpt);
	if (d.db) /* leave a small WAL behind on a clean stop */
		sqlite3_wal_checkpoint_v2(d.db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	vault_db_close(d.db);
	sodium_memzero(d.pepper, sizeof d.pepper);
	sodium_memzero(d.nfc_key, sizeof d.nfc_key);
	vault_tz_free(d.tz);
	return rc;
}
