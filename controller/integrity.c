/* SPDX-License-Identifier: MIT */
/*
 * vaultd verifying its own ledger: the early warning on "ledger verification
 * failure" (DESIGN §1). The verification is the full one of `vaultctl verify`
 * (db/verify.c: every hash and link, every stored checkpoint, the registry
 * replayed and compared row by row), so a registry row or an entry changed
 * behind vaultd's back (triggers dropped, the file edited) is found on the box
 * without waiting for anyone to run it.
 *
 * It reads the whole database, so it never runs on the loop: each run is a
 * thread of its own at background priority (vault_thread_background) on its
 * own read-only connection, inside ONE read transaction, so that the chain,
 * the checkpoints and the registry are compared in the same snapshot while the
 * loop keeps writing (WAL readers never block the writer). The thread posts
 * its result to the loop, which ledgers `ledger.verified` or the alarm
 * `ledger.verify_failed`.
 *
 * When: once [ledger] verify_at_start_s after start, then every
 * verify_every_h hours counted from the last run in the ledger (so a restart
 * neither skips nor repeats one), and on demand (`ledger.verify`, answered when
 * its run is done). One run at a time: a request during a run is answered by
 * a run started right after it, so that its answer covers what the ledger held
 * when it asked. Stopping vaultd interrupts a run (a progress handler on the
 * run's connection) and joins the thread.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "integrity.h"
#include "vault/db.h"
#include "vault/util.h"
#include "vault/verify.h"

#define SCHEDULE_RECHECK_US (3600LL * 1000000)
#define SAID_MAX 20 /* problem lines kept in the alarm entry and the answer */
#define RETRY_POST_US 100000

struct waiter {
	uint64_t client_id;
	struct vault_caller who;
	struct waiter *next;
};

/* One run: filled by its thread, then handed to the loop as the message. */
struct run {
	struct integrity *x; /* NULL once integrity_free has let go of the run */
	char trigger[16];    /* "start", "schedule" or "action" */
	char path[512];
	int err;             /* -errno: the verification could not run */
	char errmsg[640];
	struct vault_verify_result res;
	int64_t tip;
	char tip_hash[2 * VAULT_HASH_LEN + 1];
	int64_t ms;
	char said[SAID_MAX][512];
	int nsaid;
};

struct integrity {
	struct vaultd *d;
	pthread_t thread;
	int running;	 /* a thread runs, or its result is not yet handled */
	atomic_int stop; /* vaultd is stopping: interrupt the run */
	pthread_mutex_t mu; /* posted, against the thread */
	struct run *posted; /* posted to the loop, not yet delivered */
	struct waiter *cur;  /* answered by the run in progress */
	struct waiter *next; /* asked during it: answered by the next run */
	uint64_t timer;
	/* When the last run ended: the schedule counts from it even if its
	 * entry could not be recorded (no run after run on a failing disk). */
	int64_t last_utc;
};

/* ---- the thread ------------------------------------------------------------ */

static void say(void *ud, const char *line)
{
	struct run *r = ud;
	if (r->nsaid < SAID_MAX)
		snprintf(r->said[r->nsaid++], sizeof r->said[0], "%s", line);
}

/* Called by SQLite every 1000 virtual-machine instructions of the run's
 * statements: non-zero interrupts the statement, which ends vault_verify with
 * -EIO. Unlike sqlite3_interrupt(), it also stops statements started after
 * the flag is set, and needs no lock against the connection being closed. */
static int interrupted(void *ud)
{
	return atomic_load((atomic_int *)ud);
}

static void verify(struct run *r, atomic_int *stop)
{
	sqlite3 *db = NULL;
	const char *err = NULL;
	r->err = vault_db_open(r->path, VAULT_DB_READONLY, NULL, &db, &err);
	if (r->err < 0) {
		snprintf(r->errmsg, sizeof r->errmsg, "opening %s: %s", r->path, err ? err : "");
		return;
	}
	sqlite3_progress_handler(db, 1000, interrupted, stop);
	/* One snapshot for all of it: the first read after BEGIN fixes it. */
	uint8_t h[VAULT_HASH_LEN];
	int e = vault_db_exec(db, "BEGIN");
	if (e == 0)
		e = vault_ledger_tip(db, &r->tip, h);
	if (e == 0) {
		vault_hex(h, sizeof h, r->tip_hash);
		e = vault_verify(db, NULL, 0, say, r, &r->res);
	} else if (e == -EBADMSG) { /* the tip's hash is not a hash: the verifier says so */
		r->tip_hash[0] = 0;
		e = vault_verify(db, NULL, 0, say, r, &r->res);
	}
	if (e < 0) {
		r->err = e;
		snprintf(r->errmsg, sizeof r->errmsg, "reading the database: %s",
			 sqlite3_errmsg(db));
	}
	vault_db_exec(db, "ROLLBACK");
	vault_db_close(db);
}

static void on_result(struct vault_loop *l, void *msg, int quitting);

static void *run_thread(void *arg)
{
	struct run *r = arg;
	struct integrity *x = r->x;
	/* The whole database is read: never compete with the loop for a core
	 * or the disk. */
	vault_thread_background("integrity");
	int64_t t0 = vault_now_mono_us();
	verify(r, &x->stop);
	r->ms = (vault_now_mono_us() - t0) / 1000;
	/* Posting is the thread's last act: the loop joins it on delivery. */
	for (;;) {
		pthread_mutex_lock(&x->mu);
		x->posted = r;
		pthread_mutex_unlock(&x->mu);
		if (vault_loop_post(x->d->loop, on_result, r) == 0)
			break;
		pthread_mutex_lock(&x->mu);
		x->posted = NULL;
		pthread_mutex_unlock(&x->mu);
		if (atomic_load(&x->stop)) { /* nobody will read it */
			free(r);
			break;
		}
		struct timespec ts = {0, RETRY_POST_US * 1000};
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static int start_run(struct integrity *x, const char *trigger)
{
	struct run *r = calloc(1, sizeof *r);
	if (!r)
		return -ENOMEM;
	r->x = x;
	snprintf(r->trigger, sizeof r->trigger, "%s", trigger);
	snprintf(r->path, sizeof r->path, "%s", x->d->cfg.database);
	int e = pthread_create(&x->thread, NULL, run_thread, r);
	if (e != 0) {
		free(r);
		return -e;
	}
	x->running = 1;
	if (x->timer) {
		vault_loop_timer_cancel(x->d->loop, x->timer);
		x->timer = 0;
	}
	vault_log(LOG_INFO, "integrity", "ledger verification started (%s)", trigger);
	return 0;
}

/* ---- the result, on the loop ---------------------------------------------------- */

/* "registry row person/S1: column ..." -> "person/S1" */
static void bad_row_of(const struct run *r, char *row, size_t size)
{
	row[0] = 0;
	for (int i = 0; i < r->nsaid; i++)
		if (!strncmp(r->said[i], "registry row ", 13)) {
			const char *s = r->said[i] + 13;
			snprintf(row, size, "%.*s", (int)strcspn(s, ":"), s);
			return;
		}
}

/* The entry's payload, which is also the answer to `ledger.verify`. */
static cJSON *result_payload(const struct run *r, enum vault_reason *code)
{
	cJSON *p = cJSON_CreateObject();
	int ok = r->err == 0 && r->res.problems == 0;
	*code = ok ? VAULT_R_OK : r->err ? VAULT_R_LEDGER_VERIFY_ERROR : VAULT_R_LEDGER_VERIFY_FAILED;
	if (!ok) {
		char text[1280];
		snprintf(text, sizeof text, "%s: %s", vault_reason_text(*code, "en"),
			 r->err ? r->errmsg : r->nsaid ? r->said[0] : "");
		cJSON_AddStringToObject(p, "code", vault_reason_id(*code));
		cJSON_AddStringToObject(p, "text", text);
	}
	cJSON_AddStringToObject(p, "trigger", r->trigger);
	if (!r->err) {
		cJSON_AddNumberToObject(p, "entries", (double)r->res.entries);
		cJSON_AddNumberToObject(p, "tip", (double)r->tip);
		cJSON_AddStringToObject(p, "tip_hash", r->tip_hash);
		cJSON_AddNumberToObject(p, "checkpoints", (double)r->res.checkpoints);
		cJSON_AddNumberToObject(p, "rows", (double)r->res.rows);
	}
	cJSON_AddNumberToObject(p, "ms", (double)r->ms);
	if (ok || r->err)
		return p;
	if (r->res.first_bad_seq > 0)
		cJSON_AddNumberToObject(p, "first_bad_seq", (double)r->res.first_bad_seq);
	char row[256];
	bad_row_of(r, row, sizeof row);
	if (row[0])
		cJSON_AddStringToObject(p, "bad_row", row);
	cJSON_AddNumberToObject(p, "problems", r->res.problems);
	cJSON *said = cJSON_AddArrayToObject(p, "said");
	for (int i = 0; i < r->nsaid; i++)
		cJSON_AddItemToArray(said, cJSON_CreateString(r->said[i]));
	return p;
}

static void schedule_next(struct integrity *x);

static void answer(struct integrity *x, struct waiter *w, const cJSON *p, int64_t seq, int recorded)
{
	while (w) {
		struct waiter *n = w->next;
		struct action_result res = {.reason = VAULT_R_OK, .seq = seq};
		res.data = cJSON_Duplicate(p, 1);
		cJSON_AddBoolToObject(res.data, "verified",
				      !cJSON_GetObjectItemCaseSensitive(p, "code"));
		if (!recorded) {
			res.reason = VAULT_R_DB_ERROR;
			snprintf(res.detail, sizeof res.detail, "the result was not recorded");
		}
		admin_complete(x->d, w->client_id, "ledger.verify", &w->who, &res);
		free(w);
		w = n;
	}
}

static void on_result(struct vault_loop *l, void *msg, int quitting)
{
	struct run *r = msg;
	struct integrity *x = r->x;
	if (!x) { /* integrity_free joined the thread and let go of it */
		free(r);
		return;
	}
	pthread_mutex_lock(&x->mu);
	x->posted = NULL;
	pthread_mutex_unlock(&x->mu);
	pthread_join(x->thread, NULL); /* it has posted: it is returning */
	x->running = 0;
	x->last_utc = vault_now_utc_us();
	if (quitting) {
		free(r);
		return;
	}
	struct vaultd *d = x->d;
	enum vault_reason code;
	cJSON *p = result_payload(r, &code);
	struct vault_record rec = {
	    .kind = code == VAULT_R_OK ? "ledger.verified" : "ledger.verify_failed", .payload = p};
	int64_t seq = 0;
	int recorded = vaultd_record(d, &rec, &seq) == 0;
	if (code == VAULT_R_OK)
		vault_log(LOG_INFO, "integrity",
			  "ledger verified (%s): %" PRId64 " entries, tip %" PRId64 ", %" PRId64
			  " checkpoints, %" PRId64 " registry rows, %" PRId64 " ms",
			  r->trigger, r->res.entries, r->tip, r->res.checkpoints, r->res.rows, r->ms);
	else
		vault_log(LOG_CRIT, "integrity", "%s (%s): %s", vault_reason_id(code), r->trigger,
			  r->err ? r->errmsg : r->nsaid ? r->said[0] : "");
	struct waiter *w = x->cur;
	x->cur = NULL;
	answer(x, w, p, seq, recorded);
	cJSON_Delete(p);
	free(r);
	/* Requests that came during this run get one of their own. */
	if (x->next) {
		x->cur = x->next;
		x->next = NULL;
		if (start_run(x, "action") < 0) {
			struct action_result res = {.reason = VAULT_R_DB_ERROR};
			snprintf(res.detail, sizeof res.detail, "the verification thread did not start");
			for (struct waiter *n; x->cur; x->cur = n) {
				n = x->cur->next;
				admin_complete(d, x->cur->client_id, "ledger.verify", &x->cur->who, &res);
				free(x->cur);
			}
		}
	}
	schedule_next(x);
}

/* ---- the schedule ----------------------------------------------------------------- */

/* ts_utc of the last run in the ledger, else of the genesis; 0 if none. */
static int64_t last_run_utc(struct vaultd *d)
{
	return vault_ledger_last_utc(d->db, "ledger.verified", "ledger.verify_failed");
}

static int64_t due_utc(struct integrity *x)
{
	int64_t last = last_run_utc(x->d);
	if (x->last_utc > last)
		last = x->last_utc;
	return last + (int64_t)x->d->cfg.verify_every_h * 3600 * 1000000;
}

static void on_schedule(struct vault_loop *l, uint64_t id, void *ud)
{
	struct integrity *x = ud;
	x->timer = 0;
	if (x->running)
		return; /* the run reschedules when it ends */
	if (vault_now_utc_us() >= due_utc(x)) {
		if (start_run(x, "schedule") == 0)
			return;
		vault_log(LOG_ERR, "integrity", "the scheduled verification could not start");
	}
	schedule_next(x);
}

static void schedule_next(struct integrity *x)
{
	struct vaultd *d = x->d;
	if (x->running || x->timer || d->cfg.verify_every_h <= 0)
		return;
	int64_t wait = due_utc(x) - vault_now_utc_us();
	if (wait < 0)
		wait = 0;
	/* Re-check at least hourly: the wall clock may be set meanwhile. */
	if (wait > SCHEDULE_RECHECK_US)
		wait = SCHEDULE_RECHECK_US;
	vault_loop_timer_in(d->loop, wait, on_schedule, x, &x->timer);
}

static void on_start_timer(struct vault_loop *l, uint64_t id, void *ud)
{
	struct integrity *x = ud;
	x->timer = 0;
	if (x->running)
		return; /* one ran on demand meanwhile; it reschedules when it ends */
	if (start_run(x, "start") < 0) {
		vault_log(LOG_ERR, "integrity", "the verification at start could not start");
		schedule_next(x);
	}
}

/* ---- module ---------------------------------------------------------------------- */

int integrity_start(struct vaultd *d, struct integrity **ret)
{
	*ret = NULL;
	struct integrity *x = calloc(1, sizeof *x);
	if (!x)
		return -ENOMEM;
	x->d = d;
	atomic_init(&x->stop, 0);
	pthread_mutex_init(&x->mu, NULL);
	int r = 0;
	if (d->cfg.verify_at_start_s > 0)
		r = vault_loop_timer_in(d->loop, (int64_t)d->cfg.verify_at_start_s * 1000000,
					on_start_timer, x, &x->timer);
	else
		schedule_next(x);
	if (r < 0) {
		integrity_free(x);
		return r;
	}
	*ret = x;
	return 0;
}

static void free_waiters(struct waiter *w)
{
	for (struct waiter *n; w; w = n) {
		n = w->next;
		free(w);
	}
}

void integrity_free(struct integrity *x)
{
	if (!x)
		return;
	if (x->d->loop)
		vault_loop_timer_cancel(x->d->loop, x->timer);
	if (x->running) {
		atomic_store(&x->stop, 1);
		pthread_join(x->thread, NULL);
	}
	/* A result posted and not yet delivered is freed by its delivery. */
	pthread_mutex_lock(&x->mu);
	if (x->posted)
		x->posted->x = NULL;
	pthread_mutex_unlock(&x->mu);
	pthread_mutex_destroy(&x->mu);
	/* Waiting clients are not answered: the admin socket closes after this. */
	free_waiters(x->cur);
	free_waiters(x->next);
	free(x);
}

int integrity_action_known(const char *action)
{
	return !strcmp(action, "ledger.verify");
}

void integrity_action(struct vaultd *d, const struct vault_caller *who, const char *action,
		      const cJSON *args, struct action_result *res, uint64_t client_id)
{
	struct integrity *x = d->integrity;
	if (!x || strcmp(action, "ledger.verify") != 0) {
		res->reason = VAULT_R_UNKNOWN_ACTION;
		return;
	}
	struct waiter *w = calloc(1, sizeof *w);
	if (!w) {
		res->reason = VAULT_R_DB_ERROR;
		snprintf(res->detail, sizeof res->detail, "out of memory");
		return;
	}
	w->client_id = client_id;
	w->who = *who;
	if (x->running) {
		/* After the run in progress, which may have read the ledger before
		 * this request. */
		w->next = x->next;
		x->next = w;
	} else if (start_run(x, "action") < 0) {
		free(w);
		res->reason = VAULT_R_DB_ERROR;
		snprintf(res->detail, sizeof res->detail, "the verification thread did not start");
		return;
	} else {
		x->cur = w;
	}
	/* Answered by on_result(), always from a later loop turn. */
	res->pending = 1;
}
