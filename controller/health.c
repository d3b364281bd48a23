/* SPDX-License-Identifier: MIT */
/*
 * The box's own health as ledger entries, checked on vaultd's loop.
 *
 * Clock jumps. Every ledger entry carries the wall-clock time, and the
 * calendar-day rules (expiry, due dates, deadlines, schedules) read it: a wall
 * clock set forward or back — by hand, by a bad NTP source, by a flat RTC
 * battery — changes what the vault allows and what its ledger says happened
 * when. Every `[clock] check_s` the wall clock's advance since the last check
 * is compared with the monotonic clock's (which nobody can set); a difference
 * over `[clock] jump_s` is ledgered as `clock.jump` (an alarm):
 *   {code "CLOCK_JUMP", text, from_utc, to_utc, delta_s, direction}
 * from_utc is what the wall clock should have read (the last check's reading
 * plus the monotonic time since), to_utc what it read; both ISO 8601 UTC
 * ("2026-11-25T08:00:00Z"); delta_s is to − from in whole seconds, signed;
 * direction "forward" or "backward". A jump while vaultd was stopped cannot be
 * told from downtime when it goes forward, but one backwards can: at start, an
 * entry dated more than jump_s after now means the clock went back across the
 * restart, ledgered with "at_start": true, "entry": that entry's seq and
 * from_utc its time. The monotonic clock stops during a suspend; a vault
 * controller never suspends, so that is not corrected for.
 *
 * Storage. The ledger cannot record what happens once the disk is full, so
 * free space on the database's file system (statvfs of its directory: the
 * database and its WAL) is checked at start and every `[storage] check_s`:
 * under `warn_free_mb` → `storage.low` (a warning), under `alarm_free_mb` →
 * `storage.critical` (an alarm), back above warn_free_mb → `storage.ok`, each
 * {code, text, free_mb, threshold_mb, path}, and only when the level changes.
 * The level last ledgered is read back at start, so a restart does not ledger
 * it again. Free space hovering at a threshold would otherwise write an entry
 * at every check — entries that themselves eat the space — so a level is left
 * upwards only once free space is a sixteenth of its threshold above it.
 * Free space that cannot be read (statvfs failing) would leave the vault
 * blind to a filling disk: the first failure of a streak ledgers
 * `storage.unknown` (a warning; {code, text, error, path}), and the first
 * reading after it ledgers the level found, whichever it is.
 *
 * Sensor events. Every reading (a tag arriving, a door contact) is a row; the
 * ones a ledger entry cites are evidence and kept for good (table
 * sensor_cited, kept by a trigger on the ledger; a cited row cannot be
 * deleted). The others are kept `[storage] sensor_retention_days` (0:
 * forever). Five seconds after start and then daily, the uncited ones older
 * than that are counted and, if there are any, `sensor.pruned` is ledgered
 * first ({before_utc, count, retention_days}: what is about to go, so that
 * the deletion is on the record even if vaultd dies halfway), then deleted
 * PRUNE_BATCH rows per loop turn, so the loop never waits on one long delete.
 */
#include "health.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "vault/db.h"
#include "vault/util.h"
#include "vaultd.h"

#define MIB ((uint64_t)1024 * 1024)
#define PRUNE_BATCH 1000
#define PRUNE_FIRST_US (5 * 1000000LL)
#define PRUNE_EVERY_US (86400 * 1000000LL)

enum level { LEVEL_OK, LEVEL_LOW, LEVEL_CRITICAL, LEVEL_UNKNOWN };
static const char *const level_names[] = {"ok", "low", "critical", "unknown"};
static const char *const level_kinds[] = {"storage.ok", "storage.low", "storage.critical",
					  "storage.unknown"};
static const enum vault_reason level_codes[] = {
    VAULT_R_STORAGE_OK, VAULT_R_STORAGE_LOW, VAULT_R_STORAGE_CRITICAL, VAULT_R_STORAGE_UNKNOWN};

struct health {
	struct vaultd *d;
	uint64_t first_timer, clock_timer, storage_timer, prune_timer;
	int64_t prune_before; /* the cutoff of the prune under way (0: none) */
	/* the wall and monotonic clocks at the last clock check */
	int64_t last_utc, last_mono;
	/* at start: the latest-dated entry the clock must not fall behind */
	int64_t ref_seq, ref_utc;
	enum level level;    /* the level last ledgered */
	int statvfs_failing; /* logged once per failure streak */
	char path[4096];     /* the database's directory */
};

static void iso_utc(int64_t us, char out[32])
{
	time_t s = (time_t)(us / 1000000);
	struct tm tm;
	gmtime_r(&s, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- clock ----------------------------------------------------------------- */

static void record_jump(struct health *h, int64_t from_utc, int64_t to_utc, int64_t ref_seq)
{
	int64_t delta_us = to_utc - from_utc;
	/* whole seconds, rounded half away from zero */
	long long delta_s = (delta_us + (delta_us < 0 ? -500000 : 500000)) / 1000000;
	const char *dir = delta_us > 0 ? "forward" : "backward";
	char from[32], to[32];
	iso_utc(from_utc, from);
	iso_utc(to_utc, to);
	vault_log(LOG_WARNING, "clock", "the wall clock jumped %lld s %s (%s -> %s)%s", delta_s,
		  dir, from, to, ref_seq ? " across a restart" : "");
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "code", vault_reason_id(VAULT_R_CLOCK_JUMP));
	cJSON_AddStringToObject(p, "text", vault_reason_text(VAULT_R_CLOCK_JUMP, "en"));
	cJSON_AddStringToObject(p, "from_utc", from);
	cJSON_AddStringToObject(p, "to_utc", to);
	cJSON_AddNumberToObject(p, "delta_s", (double)delta_s);
	cJSON_AddStringToObject(p, "direction", dir);
	if (ref_seq) {
		cJSON_AddBoolToObject(p, "at_start", 1);
		cJSON_AddNumberToObject(p, "entry", (double)ref_seq);
	}
	struct vault_record r = {.kind = "clock.jump", .payload = p};
	vaultd_record(h->d, &r, NULL);
	cJSON_Delete(p);
}

/* The latest-dated entry since the last backward jump ledgered (that jump
 * explains the entries dated after it; the jump entry itself counts, dated
 * on the clock as set back). The latest-dated, not the last: modules that
 * started before this one may already have written entries, dated now. */
static int load_ref(struct health *h)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(
		h->d->db,
		"SELECT seq, ts_utc FROM ledger WHERE seq >= coalesce((SELECT max(seq) "
		"FROM ledger WHERE kind = 'clock.jump' AND "
		"json_extract(payload,'$.direction') = 'backward'), 0) "
		"ORDER BY ts_utc DESC LIMIT 1",
		-1, &st, NULL) != SQLITE_OK)
		return -EIO;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		h->ref_seq = sqlite3_column_int64(st, 0);
		h->ref_utc = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

static void check_clock_at_start(struct health *h)
{
	int64_t now = vault_now_utc_us();
	if (h->ref_seq && h->ref_utc - now > (int64_t)h->d->cfg.clock_jump_s * 1000000)
		record_jump(h, h->ref_utc, now, h->ref_seq);
}

static void check_clock(struct health *h)
{
	int64_t utc = vault_now_utc_us(), mono = vault_now_mono_us();
	int64_t mono_adv = mono - h->last_mono;
	int64_t drift = (utc - h->last_utc) - mono_adv;
	if (drift > (int64_t)h->d->cfg.clock_jump_s * 1000000 ||
	    drift < -(int64_t)h->d->cfg.clock_jump_s * 1000000)
		record_jump(h, h->last_utc + mono_adv, utc, 0);
	h->last_utc = utc;
	h->last_mono = mono;
}

static void on_clock(struct vault_loop *l, uint64_t id, void *ud)
{
	struct health *h = ud;
	check_clock(h);
	vault_loop_timer_in(l, (int64_t)h->d->cfg.clock_check_s * 1000000, on_clock, h,
			    &h->clock_timer);
}

/* ---- storage --------------------------------------------------------------- */

/* The newest storage.* entry's level; ok when there is none. */
static int load_level(struct health *h)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(
		h->d->db,
		"SELECT kind FROM ledger WHERE kind IN ('storage.ok', 'storage.low', "
		"'storage.critical', 'storage.unknown') ORDER BY seq DESC LIMIT 1",
		-1, &st, NULL) != SQLITE_OK)
		return -EIO;
	int rc = sqlite3_step(st);
	h->level = LEVEL_OK;
	if (rc == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		for (int i = 0; i < (int)VAULT_ARRAY_SIZE(level_kinds); i++)
			if (k && !strcmp(k, level_kinds[i]))
				h->level = (enum level)i;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

static enum level level_for(const struct health *h, uint64_t free_b)
{
	uint64_t warn = (uint64_t)h->d->cfg.storage_warn_free_mb * MIB;
	uint64_t alarm = (uint64_t)h->d->cfg.storage_alarm_free_mb * MIB;
	enum level l = free_b < alarm ? LEVEL_CRITICAL : free_b < warn ? LEVEL_LOW : LEVEL_OK;
	/* Upwards only with the margin (see the top of the file). */
	if (l < h->level && h->level != LEVEL_UNKNOWN) {
		if (h->level == LEVEL_CRITICAL && free_b < alarm + alarm / 16)
			l = LEVEL_CRITICAL;
		else if (l == LEVEL_OK && free_b < warn + warn / 16)
			l = LEVEL_LOW;
	}
	return l;
}

/* Ledgers level L ({code, text, path} and EXTRA's members, taken); the level
 * stays if that fails (a full disk, say), and the next check tries again. */
static void ledger_level(struct health *h, enum level l, cJSON *extra)
{
	cJSON *p = extra ? extra : cJSON_CreateObject();
	cJSON_AddStringToObject(p, "code", vault_reason_id(level_codes[l]));
	cJSON_AddStringToObject(p, "text", vault_reason_text(level_codes[l], "en"));
	cJSON_AddStringToObject(p, "path", h->path);
	struct vault_record r = {.kind = level_kinds[l], .payload = p};
	if (vaultd_record(h->d, &r, NULL) == 0)
		h->level = l;
	cJSON_Delete(p);
}

static void check_storage(struct health *h)
{
	struct statvfs sv;
	if (statvfs(h->path, &sv) < 0) {
		int e = errno;
		if (!h->statvfs_failing)
			vault_log(LOG_ERR, "storage", "free space of %s unknown: statvfs: %s",
				  h->path, strerror(e));
		h->statvfs_failing = 1;
		if (h->level != LEVEL_UNKNOWN) {
			cJSON *p = cJSON_CreateObject();
			cJSON_AddStringToObject(p, "error", strerror(e));
			ledger_level(h, LEVEL_UNKNOWN, p);
		}
		return;
	}
	if (h->statvfs_failing)
		vault_log(LOG_INFO, "storage", "free space of %s known again", h->path);
	h->statvfs_failing = 0;
	uint64_t free_b = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
	enum level l = level_for(h, free_b);
	if (l == h->level)
		return;
	int threshold = l == LEVEL_CRITICAL ? h->d->cfg.storage_alarm_free_mb
					    : h->d->cfg.storage_warn_free_mb;
	vault_log(l == LEVEL_OK ? LOG_INFO : LOG_WARNING, "storage",
		  "%" PRIu64 " MB free on %s (threshold %d MB): %s", free_b / MIB, h->path,
		  threshold, level_names[l]);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddNumberToObject(p, "free_mb", (double)(free_b / MIB));
	cJSON_AddNumberToObject(p, "threshold_mb", threshold);
	ledger_level(h, l, p);
}

static void on_storage(struct vault_loop *l, uint64_t id, void *ud)
{
	struct health *h = ud;
	check_storage(h);
	vault_loop_timer_in(l, (int64_t)h->d->cfg.storage_check_s * 1000000, on_storage, h,
			    &h->storage_timer);
}

/* ---- sensor event retention ------------------------------------------------ */

static const char sql_prune_count[] = "SELECT count(*) FROM sensor_event WHERE ts_utc < ?1 "
				      "AND id NOT IN (SELECT id FROM sensor_cited)";
static const char sql_prune[] =
    "DELETE FROM sensor_event WHERE id IN (SELECT id FROM sensor_event WHERE ts_utc < ?1 "
    "AND id NOT IN (SELECT id FROM sensor_cited) ORDER BY id LIMIT ?2)";

/* Uncited events before BEFORE: their count, or -1. */
static int64_t prune_count(struct health *h, int64_t before)
{
	sqlite3_stmt *st;
	if (vault_db_cached(h->d->db, sql_prune_count, &st) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, before);
	int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	vault_db_done(st);
	return n;
}

/* Deletes one batch; the number deleted, or -1. */
static int prune_batch(struct health *h)
{
	sqlite3_stmt *st;
	sqlite3 *db = h->d->db;
	if (vault_db_begin(db) < 0)
		return -1;
	if (vault_db_cached(db, sql_prune, &st) < 0) {
		vault_db_rollback(db);
		return -1;
	}
	sqlite3_bind_int64(st, 1, h->prune_before);
	sqlite3_bind_int(st, 2, PRUNE_BATCH);
	int rc = sqlite3_step(st);
	vault_db_done(st);
	int n = sqlite3_changes(db);
	if (rc != SQLITE_DONE || vault_db_commit(db) < 0) {
		vault_db_rollback(db);
		return -1;
	}
	return n;
}

static void on_prune(struct vault_loop *l, uint64_t id, void *ud)
{
	struct health *h = ud;
	h->prune_timer = 0;
	int64_t next = PRUNE_EVERY_US;
	if (!h->prune_before) { /* a new round: count, ledger, then delete */
		int64_t before = vault_now_utc_us() -
				 (int64_t)h->d->cfg.sensor_retention_days * 86400000000LL;
		int64_t n = prune_count(h, before);
		if (n > 0) {
			char iso[32];
			iso_utc(before, iso);
			cJSON *p = cJSON_CreateObject();
			cJSON_AddStringToObject(p, "before_utc", iso);
			cJSON_AddNumberToObject(p, "count", (double)n);
			cJSON_AddNumberToObject(p, "retention_days",
						h->d->cfg.sensor_retention_days);
			struct vault_record r = {.kind = "sensor.pruned", .payload = p};
			if (vaultd_record(h->d, &r, NULL) == 0)
				h->prune_before = before;
			cJSON_Delete(p);
		} else if (n < 0)
			vault_log(LOG_ERR, "storage", "sensor events to prune not counted: %s",
				  sqlite3_errmsg(h->d->db));
	}
	if (h->prune_before) {
		int n = prune_batch(h);
		if (n < 0) {
			vault_log(LOG_ERR, "storage", "pruning sensor events failed: %s",
				  sqlite3_errmsg(h->d->db));
			h->prune_before = 0; /* counted again next round */
		} else if (n == PRUNE_BATCH)
			next = 0; /* more: the next batch on the next turn */
		else {
			vault_log(LOG_INFO, "storage", "sensor events pruned");
			h->prune_before = 0;
		}
	}
	vault_loop_timer_in(l, next, on_prune, h, &h->prune_timer);
}

/* ---- start ----------------------------------------------------------------- */

/* The first checks, once the loop runs: after vaultd.start in the ledger. */
static void on_first(struct vault_loop *l, uint64_t id, void *ud)
{
	struct health *h = ud;
	h->first_timer = 0;
	check_clock_at_start(h);
	on_storage(l, 0, h);
	vault_loop_timer_in(l, (int64_t)h->d->cfg.clock_check_s * 1000000, on_clock, h,
			    &h->clock_timer);
}

int health_start(struct vaultd *d, struct health **ret)
{
	*ret = NULL;
	struct health *h = calloc(1, sizeof *h);
	if (!h)
		return -ENOMEM;
	h->d = d;
	const char *slash = strrchr(d->cfg.database, '/');
	if (!slash)
		snprintf(h->path, sizeof h->path, ".");
	else if (slash == d->cfg.database)
		snprintf(h->path, sizeof h->path, "/");
	else
		snprintf(h->path, sizeof h->path, "%.*s", (int)(slash - d->cfg.database),
			 d->cfg.database);
	h->last_utc = vault_now_utc_us();
	h->last_mono = vault_now_mono_us();
	int r = load_ref(h);
	if (r == 0)
		r = load_level(h);
	if (r < 0)
		vault_log(LOG_ERR, "health", "the ledger could not be read: %s",
			  sqlite3_errmsg(d->db));
	if (r == 0)
		r = vault_loop_timer_in(d->loop, 0, on_first, h, &h->first_timer);
	if (r == 0 && d->cfg.sensor_retention_days)
		r = vault_loop_timer_in(d->loop, PRUNE_FIRST_US, on_prune, h, &h->prune_timer);
	if (r < 0) {
		free(h);
		return r;
	}
	*ret = h;
	return 0;
}

void health_free(struct health *h)
{
	if (!h)
		return;
	if (h->d->loop) {
		vault_loop_timer_cancel(h->d->loop, h->first_timer);
		vault_loop_timer_cancel(h->d->loop, h->clock_timer);
		vault_loop_timer_cancel(h->d->loop, h->storage_timer);
		vault_loop_timer_cancel(h->d->loop, h->prune_timer);
	}
	free(h);
}
