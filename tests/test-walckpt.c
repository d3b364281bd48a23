/* SPDX-License-Identifier: MIT */
/*
 * The WAL checkpointer (controller/walckpt.c) with real SQLite files: the writer
 * never checkpoints itself, the thread copies the WAL into the database file
 * once the WAL passes its threshold, and a hold (the door's, from badge to
 * decision) keeps it from starting until released or expired. What is observed
 * is what a checkpoint does: the database file grows while the writer's
 * connection does nothing but commit.
 */
#include "tap.h"
#include "../controller/walckpt.h"
#include "vault/db.h"
#include "vault/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/vault-walckpt.XXXXXX", path[256];

static long long db_size(void)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* Commit `n` transactions of one 2 KiB row each on the writer. */
static int commits(sqlite3 *w, int n)
{
	for (int i = 0; i < n; i++)
		if (vault_db_exec(w, "INSERT INTO t(v) VALUES(randomblob(2048))") < 0)
			return -1;
	return 0;
}

/* Poll up to `ms` for the database file to grow past `than`. */
static int grows(long long than, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		if (db_size() > than)
			return 1;
		usleep(10000);
	}
	return 0;
}

int main(void)
{
	if (!mkdtemp(dir))
		tap_skip_all("mkdtemp: %m");
	snprintf(path, sizeof path, "%s/w.db", dir);
	sqlite3 *w;
	ok(sqlite3_open(path, &w) == SQLITE_OK, "writer opened");
	ok(vault_db_exec(w, "PRAGMA journal_mode=WAL") == 0 &&
		   vault_db_exec(w, "PRAGMA synchronous=FULL") == 0 &&
		   vault_db_exec(w, "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)") == 0,
	   "WAL database with one table");
	/* The table is in the WAL, not yet in the file: make the file hold it. */
	sqlite3_wal_checkpoint_v2(w, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);

	struct walckpt *ck;
	ok(walckpt_start(path, 3600 * 1000, &ck) == 0, "checkpointer started");
	walckpt_attach(ck, w, 200);

	long long s0 = db_size();
	ok(commits(w, 20) == 0, "20 commits, under the 200-page threshold");
	usleep(200000);
	ok(db_size() == s0, "no checkpoint below the threshold (the writer's own is off): %lld",
	   db_size());

	ok(commits(w, 200) == 0, "200 more commits, past the threshold");
	int g = grows(s0, 3000);
	ok(g, "the thread checkpointed: database file %lld -> %lld bytes", s0, db_size());

	/* Held: past the threshold again, and nothing is copied. */
	walckpt_hold(ck, 10000);
	long long s1 = db_size();
	ok(commits(w, 200) == 0, "200 commits while held");
	usleep(300000);
	ok(db_size() == s1, "no checkpoint starts while held (%lld bytes)", db_size());
	walckpt_hold(ck, 0);
	g = grows(s1, 3000);
	ok(g, "released: checkpointed at once, %lld -> %lld bytes", s1, db_size());

	/* A hold that is never released ends at its deadline. */
	walckpt_hold(ck, 1500);
	long long s2 = db_size();
	ok(commits(w, 200) == 0, "200 commits under a 1.5 s hold");
	ok(!grows(s2, 300), "not checkpointed before the deadline");
	g = grows(s2, 3000);
	ok(g, "checkpointed after the deadline, %lld -> %lld bytes", s2, db_size());

	sqlite3_wal_hook(w, NULL, NULL);
	walckpt_stop(ck);
	sqlite3_close(w);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return tap_done();
}
