/* SPDX-License-Identifier: MIT */
/*
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside
 * whichever commit crosses the threshold, adding database-file writes and an
 * fsync to that commit — which could be a door decision. vaultd turns it off on
 * its writer connection and this thread, on a connection of its own, runs a
 * PASSIVE checkpoint (never blocks the writer, never changes content: it copies
 * committed WAL frames into the database file) when the writer's WAL hook says
 * the log has grown past a threshold, or after a long idle interval.
 *
 * Why not every second: once a checkpoint has copied everything, the next
 * commit restarts the WAL, which costs it an extra header write and fdatasync.
 * Checkpointing by size makes that happen once per `pages` pages, not on the
 * first commit after every idle second (often a door decision).
 *
 * A checkpoint that a reader stopped short (an export holding an old snapshot)
 * is tried again every RETRY_MS until it has copied everything, instead of
 * waiting for `pages` more frames: the WAL can restart only after a complete
 * one, and until it restarts every commit extends the file past the reserve
 * vaultd wrote at start (vault_db_wal_reserve), which makes its fdatasync
 * commit the file system's journal too. A retry with nothing new to copy
 * writes nothing.
 */
#include "walckpt.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "vault/db.h"
#include "vault/util.h"

#define RETRY_MS 1000

struct walckpt {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int quit;
	int wanted; /* the writer's WAL passed the threshold */
	int pages;
	int asked_at; /* the WAL's size in frames at the last request */
	int64_t hold_until; /* monotonic µs: no checkpoint starts before this */
	sqlite3 *db;
	unsigned interval_ms;
	int restart_due; /* a checkpoint copied everything: the next commit restarts the WAL */
};

static void *run(void *arg)
{
	struct walckpt *w = arg;
	/* Lowest priority: it must never compete with the loop for a core. */
	vault_thread_background("walckpt");
	int short_of = 0; /* the last checkpoint left frames behind */
	pthread_mutex_lock(&w->mu);
	while (!w->quit) {
		unsigned ms = short_of ? RETRY_MS : w->interval_ms;
		struct timespec ts = vault_mono_ts(vault_now_mono_us() + (int64_t)ms * 1000);
		while (!w->quit && !w->wanted &&
		       pthread_cond_timedwait(&w->cv, &w->mu, &ts) == 0)
			;
		/* Held while a door decision is being prepared; the hold has a
		 * deadline, so it cannot keep the WAL growing. The cond's clock
		 * is CLOCK_MONOTONIC (vault_cond_init_mono). */
		while (!w->quit && w->hold_until > vault_now_mono_us()) {
			struct timespec hs = vault_mono_ts(w->hold_until);
			pthread_cond_timedwait(&w->cv, &w->mu, &hs);
		}
		if (w->quit)
			break;
		w->wanted = 0;
		pthread_mutex_unlock(&w->mu);
		int log = -1, copied = -1;
		sqlite3_wal_checkpoint_v2(w->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
		pthread_mutex_lock(&w->mu);
		short_of = log > 0 && copied < log;
		w->restart_due = log > 0 && copied == log;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int walckpt_start(const char *path, unsigned interval_ms, struct walckpt **ret)
{
	struct walckpt *w = calloc(1, sizeof *w);
	if (!w)
		return -ENOMEM;
	const char *err;
	int r = vault_db_open(path, VAULT_DB_READWRITE, NULL, &w->db, &err);
	if (r < 0) {
		free(w);
		return r;
	}
	sqlite3_wal_autocheckpoint(w->db, 0);
	w->interval_ms = interval_ms ? interval_ms : 60000;
	w->pages = 1000;
	pthread_mutex_init(&w->mu, NULL);
	vault_cond_init_mono(&w->cv);
	if (pthread_create(&w->thread, NULL, run, w) != 0) {
		vault_db_close(w->db);
		free(w);
		return -EAGAIN;
	}
	*ret = w;
	return 0;
}

/* Runs on the writer's thread after each commit: only a flag and a signal. */
static int wal_hook(void *ud, sqlite3 *db, const char *name, int pages)
{
	struct walckpt *w = ud;
	/* Ask once per `pages` new frames. While a reader (an export) holds an old
	 * snapshot the WAL cannot restart and stays above the threshold; asking
	 * after every commit would then put a database-file fsync beside each of
	 * the writer's own. A smaller WAL than at the last request means it
	 * restarted. */
	if (pages < w->asked_at)
		w->asked_at = 0;
	int ask = pages - w->asked_at >= w->pages;
	if (ask)
		w->asked_at = pages;
	pthread_mutex_lock(&w->mu);
	w->restart_due = 0; /* this commit restarted the WAL if one was due */
	if (ask) {
		w->wanted = 1;
		pthread_cond_signal(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return SQLITE_OK;
}

void walckpt_attach(struct walckpt *w, sqlite3 *writer, int pages)
{
	if (pages > 0)
		w->pages = pages;
	sqlite3_wal_autocheckpoint(writer, 0);
	sqlite3_wal_hook(writer, wal_hook, w);
}

void walckpt_hold(struct walckpt *w, unsigned ms)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->hold_until = ms ? vault_now_mono_us() + (int64_t)ms * 1000 : 0;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

int walckpt_prime(struct walckpt *w, sqlite3 *writer)
{
	if (!w)
		return 0;
	pthread_mutex_lock(&w->mu);
	int due = w->restart_due;
	pthread_mutex_unlock(&w->mu);
	if (!due)
		return 0;
	/* One frame and no change: the schema's user_version rewritten with its
	 * own value (page 1 is written whether or not the value differs). */
	sqlite3_stmt *st;
	int v = -1;
	if (sqlite3_prepare_v2(writer, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA user_version=%d", v);
	return v >= 0 && vault_db_exec(writer, sql) == 0 ? 1 : -EIO;
}

void walckpt_stop(struct walckpt *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	vault_db_close(w->db);
	free(w);
}
