/* SPDX-License-Identifier: MIT */
/*
 * Inventory reconciliation (docs/inventory.md): a sweep of every storage shelf
 * against expected custody -> present, missing, misplaced, unexpected,
 * unverified -> a report signed with the vault's checkpoint key, one
 * `inventory.reconciled` ledger entry, and one alarm entry per medium.
 *
 * The sweep: every configured shelf but the kiosk pad and the shredder throat
 * must answer two fresh polls after the request (the bus worker's counters),
 * or it is "unread" and what it holds is "unverified" (a silent shelf never
 * means "tags gone"). A shelf node's table is re-read whenever its CHANGE_SEQ
 * moves, so once a shelf answers afresh the world model's contents of it are
 * current. The result is computed in a message posted to the loop after the
 * last check, so every tag event the bus posted before it has been applied.
 *
 * Runs on demand (`inventory.run`) and every [custody] inventory_every_h hours,
 * counted from the last `inventory.reconciled` entry (or the genesis), so a
 * restart neither skips nor repeats one.
 */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "events.h"
#include "shelves.h"
#include "vault/keys.h"
#include "vault/registry.h"
#include "vault/util.h"
#include "vaultd.h"

#define TICK_US 50000LL
#define SCHEDULE_RECHECK_US (3600LL * 1000000)
/* A report larger than this goes to a file next to the database; the entry
 * keeps its SHA-256 and signature. */
#define REPORT_INLINE_MAX (256 * 1024)

struct inv_shelf {
	char name[VAULTD_PLACE_MAX];
	uint64_t ok0, polls0;
	int have_counts, done;
};

struct inventory {
	struct vaultd *d;
	uint8_t sk[VAULT_SIGN_SK_LEN];
	uint8_t pk[VAULT_SIGN_PK_LEN];
	char vault[128];
	/* the run in progress */
	int running;
	char trigger[16]; /* "action" or "schedule" */
	struct vault_caller who;
	uint64_t client_id;
	int has_client;
	int64_t started_utc, started_mono;
	struct inv_shelf *sh;
	size_t nsh;
	uint64_t tick, sched;
	struct finish_msg *fin; /* posted, not yet delivered */
};

/* ---- helpers ------------------------------------------------------------- */

static void iso_utc(int64_t us, char *buf, size_t size)
{
	time_t s = (time_t)(us / 1000000);
	struct tm tm;
	gmtime_r(&s, &tm);
	char base[24];
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%06dZ", base, (int)(us % 1000000));
}

static const struct vaultd_shelf *world_shelf(const struct vaultd *d, const char *name)
{
	const struct vaultd_shelf *s;
	size_t n = vaultd_shelves(d, &s);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s[i].name, name))
			return &s[i];
	return NULL;
}

/* ts_utc of the last inventory.reconciled entry, else of the genesis; 0 if none. */
static int64_t last_reconciled_utc(struct vaultd *d)
{
	return vault_ledger_last_utc(d->db, "inventory.reconciled", NULL);
}

/* ---- the result ----------------------------------------------------------- */

struct med {
	char id[65], tag[65], home[VAULTD_PLACE_MAX], status[24];
	/* what the sweep saw */
	char seen[VAULTD_PLACE_MAX]; /* on a read shelf */
	int64_t seen_ev;
	char stale[VAULTD_PLACE_MAX]; /* last known on an unread shelf */
};

struct sweep {
	struct inventory *x;
	struct med *m;
	size_t nm;
	cJSON *unknown; /* tags on read shelves that no medium carries */
	cJSON *unknown_stale;
};

static int med_cmp(const void *a, const void *b)
{
	return strcasecmp(((const struct med *)a)->tag, ((const struct med *)b)->tag);
}

static struct med *med_by_tag(struct sweep *s, const char *tag)
{
	struct med key;
	snprintf(key.tag, sizeof key.tag, "%s", tag);
	return bsearch(&key, s->m, s->nm, sizeof *s->m, med_cmp);
}

static int shelf_read(const struct inventory *x, const char *name)
{
	for (size_t i = 0; i < x->nsh; i++)
		if (!strcmp(x->sh[i].name, name))
			return x->sh[i].done == 1;
	return 0;
}

static int load_media(struct sweep *s)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->x->d->db,
			       "SELECT id, tag, home_shelf, status FROM medium ORDER BY id", -1,
			       &st, NULL) != SQLITE_OK)
		return -EIO;
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (s->nm == cap) {
			cap = cap ? 2 * cap : 256;
			struct med *n = realloc(s->m, cap * sizeof *n);
			if (!n) {
				sqlite3_finalize(st);
				return -ENOMEM;
			}
			s->m = n;
		}
		struct med *m = &s->m[s->nm++];
		memset(m, 0, sizeof *m);
		for (int c = 0; c < 4; c++) {
			const char *v = (const char *)sqlite3_column_text(st, c);
			char *dst[] = {m->id, m->tag, m->home, m->status};
			size_t sz[] = {sizeof m->id, sizeof m->tag, sizeof m->home, sizeof m->status};
			snprintf(dst[c], sz[c], "%s", v ? v : "");
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	if (s->nm)
		qsort(s->m, s->nm, sizeof *s->m, med_cmp);
	return 0;
}

static void on_place(const struct vaultd_tag_place *p, void *ud)
{
	struct sweep *s = ud;
	struct vaultd *d = s->x->d;
	if (!vaultd_is_storage(d, p->where))
		return;
	int read = shelf_read(s->x, p->where);
	struct med *m = med_by_tag(s, p->tag);
	if (!m) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "tag", p->tag);
		cJSON_AddStringToObject(o, read ? "seen_shelf" : "last_known_shelf", p->where);
		cJSON_AddNumberToObject(o, "sensor_event", (double)p->sensor_id);
		if (read)
			cJSON_AddStringToObject(o, "code", vault_reason_id(VAULT_R_INVENTORY_UNKNOWN_TAG));
		cJSON_AddItemToArray(read ? s->unknown : s->unknown_stale, o);
		return;
	}
	if (read) {
		snprintf(m->seen, sizeof m->seen, "%s", p->where);
		m->seen_ev = p->sensor_id;
	} else {
		snprintf(m->stale, sizeof m->stale, "%s", p->where);
	}
}

static cJSON *item(const struct med *m, int with_seen)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "medium", m->id);
	cJSON_AddStringToObject(o, "tag", m->tag);
	cJSON_AddStringToObject(o, "status", m->status);
	cJSON_AddStringToObject(o, "expected_shelf", m->home);
	if (with_seen) {
		cJSON_AddStringToObject(o, "seen_shelf", m->seen);
		cJSON_AddNumberToObject(o, "sensor_event", (double)m->seen_ev);
	}
	return o;
}

static int all_storage_read(const struct inventory *x)
{
	if (!x->nsh)
		return 0; /* no shelves: nothing proves a medium is not on one */
	for (size_t i = 0; i < x->nsh; i++)
		if (x->sh[i].done != 1)
			return 0;
	return 1;
}

static int configured(const struct inventory *x, const char *shelf)
{
	for (size_t i = 0; i < x->nsh; i++)
		if (!strcmp(x->sh[i].name, shelf))
			return 1;
	return 0;
}

/* Classify every medium into the report's lists. */
static void classify(struct sweep *s, cJSON *rep)
{
	struct inventory *x = s->x;
	cJSON *present = cJSON_AddArrayToObject(rep, "present");
	cJSON *missing = cJSON_AddArrayToObject(rep, "missing");
	cJSON *misplaced = cJSON_AddArrayToObject(rep, "misplaced");
	cJSON *unexpected = cJSON_AddArrayToObject(rep, "unexpected");
	cJSON *unverified = cJSON_AddArrayToObject(rep, "unverified");
	for (size_t i = 0; i < s->nm; i++) {
		struct med *m = &s->m[i];
		int expected = !strcmp(m->status, "in-vault") || !strcmp(m->status, "missing");
		if (!expected) {
			if (!m->seen[0])
				continue; /* out, as recorded (or last known on an unread shelf) */
			int gone = !strcmp(m->status, "destroyed") || !strcmp(m->status, "handed-over");
			cJSON *o = item(m, 1);
			cJSON_AddStringToObject(
			    o, "code",
			    vault_reason_id(gone ? VAULT_R_INVENTORY_GONE_SEEN
						 : VAULT_R_INVENTORY_NOT_EXPECTED));
			cJSON_AddItemToArray(unexpected, o);
			continue;
		}
		if (m->seen[0] && !strcmp(m->seen, m->home)) {
			cJSON_AddItemToArray(present, item(m, 1));
		} else if (m->seen[0]) {
			cJSON_AddItemToArray(misplaced, item(m, 1));
		} else {
			/* Not read on any shelf that answered: missing only if the shelf
			 * it belongs on answered (or, for a home that is no configured
			 * shelf, every shelf did) and no unread shelf last held it. */
			int home_read = configured(x, m->home) ? shelf_read(x, m->home)
							       : all_storage_read(x);
			if (home_read && !m->stale[0]) {
				cJSON_AddItemToArray(missing, item(m, 0));
			} else {
				cJSON *o = item(m, 0);
				if (m->stale[0])
					cJSON_AddStringToObject(o, "last_known_shelf", m->stale);
				cJSON_AddItemToArray(unverified, o);
			}
		}
	}
	cJSON *u;
	cJSON_ArrayForEach(u, s->unknown) cJSON_AddItemToArray(unexpected, cJSON_Duplicate(u, 1));
	cJSON_AddItemToObject(rep, "unknown_tags_unverified", cJSON_Duplicate(s->unknown_stale, 1));
}

static cJSON *counts_of(const cJSON *rep)
{
	static const char *const lists[] = {"present", "missing", "misplaced", "unexpected",
					    "unverified"};
	cJSON *c = cJSON_CreateObject();
	for (size_t i = 0; i < VAULT_ARRAY_SIZE(lists); i++)
		cJSON_AddNumberToObject(
		    c, lists[i],
		    cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(rep, lists[i])));
	return c;
}

/* One alarm (or status) entry about one medium or tag. */
static void alarm(struct inventory *x, const char *kind, enum vault_reason code,
		  const cJSON *it, int64_t report_seq, const char *new_status)
{
	struct vaultd *d = x->d;
	const cJSON *med = cJSON_GetObjectItemCaseSensitive(it, "medium");
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(it, "sensor_event");
	cJSON *p = cJSON_Duplicate(it, 1);
	cJSON_DeleteItemFromObjectCaseSensitive(p, "code");
	cJSON_AddStringToObject(p, "code", vault_reason_id(code));
	cJSON_AddStringToObject(p, "text", vault_reason_text(code, "en"));
	cJSON_AddNumberToObject(p, "inventory", (double)report_seq);
	if (new_status && cJSON_IsString(med)) {
		cJSON *row = vault_registry_get(d->db, "medium", med->valuestring);
		if (row) {
			cJSON_ReplaceItemInObjectCaseSensitive(row, "status",
							       cJSON_CreateString(new_status));
			vaultd_set_add(p, "medium", med->valuestring, row);
		}
	}
	char cites[24] = "";
	if (cJSON_IsNumber(ev) && ev->valuedouble > 0)
		snprintf(cites, sizeof cites, "%" PRId64, (int64_t)ev->valuedouble);
	struct vault_record r = {.kind = kind,
				 .medium = cJSON_IsString(med) ? med->valuestring : NULL,
				 .cites = cites,
				 .payload = p};
	vaultd_record(d, &r, NULL);
	cJSON_Delete(p);
}

static void alarms_for(struct inventory *x, const cJSON *rep, int64_t seq)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(rep, "missing"))
	{
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(it, "status");
		int was_missing = cJSON_IsString(st) && !strcmp(st->valuestring, "missing");
		alarm(x, "inventory.missing", VAULT_R_INVENTORY_MISSING, it, seq,
		      was_missing ? NULL : "missing");
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(rep, "misplaced"))
	{
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(it, "status");
		int was_missing = cJSON_IsString(st) && !strcmp(st->valuestring, "missing");
		alarm(x, "inventory.misplaced", VAULT_R_INVENTORY_MISPLACED, it, seq,
		      was_missing ? "in-vault" : NULL);
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(rep, "unexpected"))
	{
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(it, "code");
		enum vault_reason r = VAULT_R_INVENTORY_UNKNOWN_TAG;
		if (cJSON_IsString(code))
			vault_reason_from_id(code->valuestring, &r);
		alarm(x, "inventory.unexpected", r, it, seq, NULL);
	}
	/* A medium recorded missing and read back on its home shelf. */
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(rep, "present"))
	{
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(it, "status");
		if (cJSON_IsString(st) && !strcmp(st->valuestring, "missing"))
			alarm(x, "inventory.found", VAULT_R_INVENTORY_FOUND, it, seq, "in-vault");
	}
}

/* Write a large report next to the database; returns 0 and the file name. */
static int report_file(struct inventory *x, const char *text, char *name, size_t size)
{
	char dir[512], path[700];
	snprintf(dir, sizeof dir, "%s", x->d->cfg.database);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	else
		snprintf(dir, sizeof dir, ".");
	snprintf(name, size, "inventory-%" PRId64 ".json", x->started_utc);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return vault_write_file_atomic(path, text, strlen(text), 0640);
}

static void finish_run(struct inventory *x)
{
	struct vaultd *d = x->d;
	struct action_result res = {.reason = VAULT_R_OK};
	struct sweep s = {.x = x, .unknown = cJSON_CreateArray(),
			  .unknown_stale = cJSON_CreateArray()};
	cJSON *rep = cJSON_CreateObject();
	char t0[40], t1[40];
	iso_utc(x->started_utc, t0, sizeof t0);
	iso_utc(vault_now_utc_us(), t1, sizeof t1);
	cJSON_AddStringToObject(rep, "type", "vault-inventory-report");
	cJSON_AddNumberToObject(rep, "version", 1);
	cJSON_AddStringToObject(rep, "vault", x->vault);
	cJSON_AddStringToObject(rep, "started", t0);
	cJSON_AddStringToObject(rep, "finished", t1);
	cJSON_AddStringToObject(rep, "trigger", x->trigger);
	cJSON_AddStringToObject(rep, "by", x->has_client ? x->who.person : "");
	/* Shelves: which answered afresh, which did not (and why). */
	cJSON *read = cJSON_CreateArray(), *unread = cJSON_CreateArray();
	for (size_t i = 0; i < x->nsh; i++) {
		const struct vaultd_shelf *ws = world_shelf(d, x->sh[i].name);
		if (x->sh[i].done == 1 && ws && ws->state == VSHELF_OK) {
			cJSON_AddItemToArray(read, cJSON_CreateString(x->sh[i].name));
			continue;
		}
		x->sh[i].done = 2;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "shelf", x->sh[i].name);
		cJSON_AddStringToObject(o, "state",
					!ws || ws->state == VSHELF_UNKNOWN ? "never-answered"
					: ws->state == VSHELF_FAULT	   ? "fault"
									   : "silent");
		cJSON_AddItemToArray(unread, o);
	}
	cJSON *shelves = cJSON_AddObjectToObject(rep, "shelves");
	cJSON_AddItemToObject(shelves, "read", read);
	cJSON_AddItemToObject(shelves, "unread", unread);
	int r = load_media(&s);
	if (r < 0) {
		res.reason = VAULT_R_DB_ERROR;
		snprintf(res.detail, sizeof res.detail, "cannot read the media register");
		goto out;
	}
	vaultd_tags_each(d, NULL, on_place, &s);
	classify(&s, rep);
	cJSON *counts = counts_of(rep);
	cJSON_AddItemToObject(rep, "counts", counts);

	char *text = cJSON_PrintUnformatted(rep);
	uint8_t h[crypto_hash_sha256_BYTES], sig[crypto_sign_BYTES];
	char hhex[2 * sizeof h + 1], shex[2 * sizeof sig + 1];
	crypto_hash_sha256(h, (const uint8_t *)text, strlen(text));
	crypto_sign_ed25519_detached(sig, NULL, (const uint8_t *)text, strlen(text), x->sk);
	vault_hex(h, sizeof h, hhex);
	vault_hex(sig, sizeof sig, shex);

	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "trigger", x->trigger);
	cJSON_AddItemToObject(p, "counts", cJSON_Duplicate(counts, 1));
	cJSON_AddItemToObject(p, "shelves", cJSON_Duplicate(shelves, 1));
	cJSON_AddStringToObject(p, "sha256", hhex);
	cJSON_AddStringToObject(p, "sig", shex);
	cJSON_AddStringToObject(p, "sig_alg", "ed25519");
	char fname[96];
	if (strlen(text) <= REPORT_INLINE_MAX) {
		cJSON_AddStringToObject(p, "report", text);
	} else if (report_file(x, text, fname, sizeof fname) == 0) {
		cJSON_AddStringToObject(p, "report_file", fname);
	} else {
		vault_log(LOG_ERR, "inventory", "the report (%zu bytes) could not be written",
			  strlen(text));
		cJSON_AddStringToObject(p, "report_file", "");
	}
	struct vault_record rec = {.kind = "inventory.reconciled",
				   .actors = x->has_client ? x->who.person : "",
				   .payload = p};
	int64_t seq = 0;
	if (vaultd_record(d, &rec, &seq) < 0) {
		res.reason = VAULT_R_DB_ERROR;
		snprintf(res.detail, sizeof res.detail, "the inventory was not recorded");
	} else {
		alarms_for(x, rep, seq);
		res.seq = seq;
		res.data = cJSON_CreateObject();
		cJSON_AddItemToObject(res.data, "report", cJSON_Duplicate(rep, 1));
		cJSON_AddStringToObject(res.data, "sha256", hhex);
		cJSON_AddStringToObject(res.data, "sig", shex);
	}
	vault_log(LOG_NOTICE, "inventory",
		  "reconciled (%s): %d present, %d missing, %d misplaced, %d unexpected, "
		  "%d unverified",
		  x->trigger, cJSON_GetObjectItem(counts, "present")->valueint,
		  cJSON_GetObjectItem(counts, "missing")->valueint,
		  cJSON_GetObjectItem(counts, "misplaced")->valueint,
		  cJSON_GetObjectItem(counts, "unexpected")->valueint,
		  cJSON_GetObjectItem(counts, "unverified")->valueint);
	cJSON_Delete(p);
	free(text);
out:
	cJSON_Delete(rep);
	cJSON_Delete(s.unknown);
	cJSON_Delete(s.unknown_stale);
	free(s.m);
	free(x->sh);
	x->sh = NULL;
	x->nsh = 0;
	x->running = 0;
	if (x->has_client) {
		x->has_client = 0;
		admin_complete(d, x->client_id, "inventory.run", &x->who, &res);
	} else {
		cJSON_Delete(res.data);
	}
}

/* ---- the sweep ------------------------------------------------------------ */

static void schedule_next(struct inventory *x);

/* A posted finish; x is cleared by inventory_free if vaultd stops first. */
struct finish_msg {
	struct inventory *x;
};

static void on_finish_msg(struct vault_loop *l, void *msg, int quitting)
{
	struct finish_msg *m = msg;
	struct inventory *x = m->x;
	free(m);
	if (!x)
		return;
	x->fin = NULL;
	if (quitting)
		return;
	finish_run(x);
	schedule_next(x);
}

/* Finish from the mailbox: every tag event a bus worker posted before this
 * point is applied to the world model first (the mailbox is FIFO). Returns 0,
 * or -ENOMEM (the caller tries again on the next tick). */
static int post_finish(struct inventory *x)
{
	struct finish_msg *m = calloc(1, sizeof *m);
	if (!m)
		return -ENOMEM;
	m->x = x;
	x->fin = m;
	if (vault_loop_post(x->d->loop, on_finish_msg, m) < 0) {
		x->fin = NULL;
		free(m);
		return -ENOMEM;
	}
	return 0;
}

static void on_tick(struct vault_loop *l, uint64_t id, void *ud)
{
	struct inventory *x = ud;
	struct vaultd *d = x->d;
	x->tick = 0;
	int pending = 0;
	for (size_t i = 0; i < x->nsh; i++) {
		struct inv_shelf *s = &x->sh[i];
		if (s->done)
			continue;
		uint64_t ok, polls;
		if (!s->have_counts || shelves_poll_counts(d->shelves, s->name, &ok, &polls) < 0) {
			s->done = 2;
			continue;
		}
		const struct vaultd_shelf *ws = world_shelf(d, s->name);
		/* Two successful polls: the first may have started before the
		 * request; the second began after it. */
		if (ok >= s->ok0 + 2)
			s->done = 1;
		else if (ws && ws->state == VSHELF_FAULT && polls > s->polls0 && ok == s->ok0)
			s->done = 2; /* tried afresh and still failing */
		else
			pending++;
	}
	int64_t settle = (int64_t)d->cfg.inventory_settle_s * 1000000;
	if ((pending && vault_now_mono_us() - x->started_mono < settle) || post_finish(x) < 0)
		vault_loop_timer_in(l, TICK_US, on_tick, x, &x->tick);
}

static int start_run(struct inventory *x, const char *trigger)
{
	struct vaultd *d = x->d;
	const struct vaultd_shelf *ws;
	size_t n = vaultd_shelves(d, &ws);
	x->sh = calloc(n ? n : 1, sizeof *x->sh);
	if (!x->sh)
		return -ENOMEM;
	x->nsh = 0;
	for (size_t i = 0; i < n; i++) {
		if (!vaultd_is_storage(d, ws[i].name))
			continue;
		struct inv_shelf *s = &x->sh[x->nsh++];
		snprintf(s->name, sizeof s->name, "%s", ws[i].name);
		s->have_counts = shelves_poll_counts(d->shelves, s->name, &s->ok0, &s->polls0) == 0;
	}
	x->running = 1;
	snprintf(x->trigger, sizeof x->trigger, "%s", trigger);
	x->started_utc = vault_now_utc_us();
	x->started_mono = vault_now_mono_us();
	if (x->sched) {
		vault_loop_timer_cancel(d->loop, x->sched);
		x->sched = 0;
	}
	vault_log(LOG_INFO, "inventory", "sweep of %zu shelves started (%s)", x->nsh, trigger);
	on_tick(d->loop, 0, x);
	return 0;
}

/* ---- the schedule ---------------------------------------------------------- */

static void on_schedule(struct vault_loop *l, uint64_t id, void *ud)
{
	struct inventory *x = ud;
	x->sched = 0;
	if (x->running)
		return; /* the run reschedules when it ends */
	int64_t due = last_reconciled_utc(x->d) +
		      (int64_t)x->d->cfg.inventory_every_h * 3600 * 1000000;
	if (vault_now_utc_us() >= due) {
		if (start_run(x, "schedule") == 0)
			return;
		vault_log(LOG_ERR, "inventory", "the scheduled sweep could not start");
	}
	schedule_next(x);
}

static void schedule_next(struct inventory *x)
{
	struct vaultd *d = x->d;
	if (x->running || x->sched || d->cfg.inventory_every_h <= 0)
		return;
	const struct vaultd_shelf *ws;
	size_t n = vaultd_shelves(d, &ws), storage = 0;
	for (size_t i = 0; i < n; i++)
		storage += vaultd_is_storage(d, ws[i].name);
	if (!storage)
		return; /* nothing to sweep */
	int64_t due = last_reconciled_utc(d) + (int64_t)d->cfg.inventory_every_h * 3600 * 1000000;
	int64_t wait = due - vault_now_utc_us();
	if (wait < 0)
		wait = 0;
	/* Re-check at least hourly: the wall clock may be set meanwhile. */
	if (wait > SCHEDULE_RECHECK_US)
		wait = SCHEDULE_RECHECK_US;
	vault_loop_timer_in(d->loop, wait, on_schedule, x, &x->sched);
}

/* ---- module ------------------------------------------------------------- */

int inventory_start(struct vaultd *d, struct inventory **ret)
{
	*ret = NULL;
	struct inventory *x = calloc(1, sizeof *x);
	if (!x)
		return -ENOMEM;
	x->d = d;
	int r = vault_key_load("checkpoint.key", d->cfg.keys_dir, x->sk, sizeof x->sk);
	if (r == 0)
		r = vault_ledger_genesis_info(d->db, x->vault, sizeof x->vault, x->pk);
	if (r < 0) {
		vault_log(LOG_ERR, "inventory", "checkpoint.key or the genesis: %s", strerror(-r));
		inventory_free(x);
		return r;
	}
	*ret = x;
	schedule_next(x);
	return 0;
}

void inventory_free(struct inventory *x)
{
	if (!x)
		return;
	if (x->d && x->d->loop) {
		vault_loop_timer_cancel(x->d->loop, x->tick);
		vault_loop_timer_cancel(x->d->loop, x->sched);
	}
	if (x->fin)
		x->fin->x = NULL;
	free(x->sh);
	sodium_memzero(x->sk, sizeof x->sk);
	free(x);
}

int inventory_action_known(const char *action)
{
	return !strcmp(action, "inventory.run") || !strcmp(action, "inventory.status") ||
	       !strcmp(action, "inventory.report");
}

/* Verify one inventory.reconciled entry's report against its hash and the
 * genesis public key. */
static void report_action(struct vaultd *d, const cJSON *args, struct action_result *res)
{
	struct inventory *x = d->inventory;
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(args, "seq");
	long long seq = 0;
	if (cJSON_IsString(a)) {
		char *end = NULL;
		seq = strtoll(a->valuestring, &end, 10);
		if (!end || *end)
			seq = 0;
	} else if (cJSON_IsNumber(a)) {
		seq = (long long)a->valuedouble;
	} else if (!a) { /* the latest */
		sqlite3_stmt *q;
		if (sqlite3_prepare_v2(d->db,
				       "SELECT max(seq) FROM ledger WHERE kind='inventory.reconciled'",
				       -1, &q, NULL) == SQLITE_OK &&
		    sqlite3_step(q) == SQLITE_ROW)
			seq = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	}
	sqlite3_stmt *st;
	cJSON *p = NULL;
	if (seq > 0 && sqlite3_prepare_v2(d->db,
					  "SELECT payload FROM ledger WHERE seq = ? AND kind = "
					  "'inventory.reconciled'",
					  -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, seq);
		if (sqlite3_step(st) == SQLITE_ROW)
			p = cJSON_ParseWithLength(sqlite3_column_blob(st, 0),
						  (size_t)sqlite3_column_bytes(st, 0));
		sqlite3_finalize(st);
	}
	if (!p) {
		res->reason = VAULT_R_NOT_FOUND;
		snprintf(res->detail, sizeof res->detail, "no inventory.reconciled entry %lld", seq);
		return;
	}
	const cJSON *text = cJSON_GetObjectItemCaseSensitive(p, "report");
	const cJSON *hx = cJSON_GetObjectItemCaseSensitive(p, "sha256");
	const cJSON *sx = cJSON_GetObjectItemCaseSensitive(p, "sig");
	char *body = NULL;
	size_t len = 0;
	const cJSON *file = cJSON_GetObjectItemCaseSensitive(p, "report_file");
	if (cJSON_IsString(text)) {
		body = strdup(text->valuestring);
		len = body ? strlen(body) : 0;
	} else if (cJSON_IsString(file) && *file->valuestring && !strchr(file->valuestring, '/')) {
		char path[700], dir[512];
		snprintf(dir, sizeof dir, "%s", d->cfg.database);
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = 0;
		snprintf(path, sizeof path, "%s/%s", slash ? dir : ".", file->valuestring);
		if (vault_read_file(path, 64u << 20, &body, &len) < 0)
			body = NULL;
	}
	uint8_t h[crypto_hash_sha256_BYTES], want[crypto_hash_sha256_BYTES], sig[crypto_sign_BYTES];
	int hash_ok = 0, sig_ok = 0;
	if (body && cJSON_IsString(hx) && cJSON_IsString(sx) &&
	    vault_unhex(hx->valuestring, want, sizeof want) == 0 &&
	    vault_unhex(sx->valuestring, sig, sizeof sig) == 0) {
		crypto_hash_sha256(h, (const uint8_t *)body, len);
		hash_ok = !memcmp(h, want, sizeof h);
		sig_ok = crypto_sign_ed25519_verify_detached(sig, (const uint8_t *)body, len,
							     x->pk) == 0;
	}
	res->data = cJSON_CreateObject();
	cJSON_AddNumberToObject(res->data, "inventory", (double)seq);
	cJSON_AddBoolToObject(res->data, "hash_ok", hash_ok);
	cJSON_AddBoolToObject(res->data, "signature_ok", sig_ok);
	cJSON *rep = body ? cJSON_ParseWithLength(body, len) : NULL;
	cJSON_AddItemToObject(res->data, "report", rep ? rep : cJSON_CreateNull());
	free(body);
	cJSON_Delete(p);
}

void inventory_action(struct vaultd *d, const struct vault_caller *who, const char *action,
		      const cJSON *args, struct action_result *res, uint64_t client_id)
{
	struct inventory *x = d->inventory;
	if (!x) {
		res->reason = VAULT_R_UNKNOWN_ACTION;
		return;
	}
	if (!strcmp(action, "inventory.run")) {
		if (x->running) {
			res->reason = VAULT_R_INVENTORY_RUNNING;
			snprintf(res->detail, sizeof res->detail, "started %s",
				 x->trigger);
			return;
		}
		x->who = *who;
		x->client_id = client_id;
		x->has_client = 1;
		if (start_run(x, "action") < 0) {
			x->has_client = 0;
			res->reason = VAULT_R_DB_ERROR;
			snprintf(res->detail, sizeof res->detail, "out of memory");
			return;
		}
		/* The reply is sent by finish_run(), always from a later loop turn. */
		res->pending = 1;
		return;
	}
	if (!strcmp(action, "inventory.status")) {
		res->data = cJSON_CreateObject();
		cJSON_AddBoolToObject(res->data, "running", x->running);
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(d->db,
				       "SELECT seq, ts_utc, json_extract(payload,'$.counts') FROM "
				       "ledger WHERE kind='inventory.reconciled' ORDER BY seq DESC "
				       "LIMIT 1",
				       -1, &st, NULL) == SQLITE_OK) {
			if (sqlite3_step(st) == SQLITE_ROW) {
				char t[40];
				iso_utc(sqlite3_column_int64(st, 1), t, sizeof t);
				cJSON_AddNumberToObject(res->data, "last_seq",
							(double)sqlite3_column_int64(st, 0));
				cJSON_AddStringToObject(res->data, "last_time", t);
				cJSON *c = cJSON_Parse((const char *)sqlite3_column_text(st, 2));
				if (c)
					cJSON_AddItemToObject(res->data, "last_counts", c);
			}
			sqlite3_finalize(st);
		}
		if (d->cfg.inventory_every_h > 0) {
			char t[40];
			iso_utc(last_reconciled_utc(d) +
				    (int64_t)d->cfg.inventory_every_h * 3600 * 1000000,
				t, sizeof t);
			cJSON_AddStringToObject(res->data, "next_due", t);
		}
		return;
	}
	if (!strcmp(action, "inventory.report")) {
		report_action(d, args, res);
		return;
	}
	res->reason = VAULT_R_UNKNOWN_ACTION;
}
