/* SPDX-License-Identifier: MIT */
/*
 * The WAL checkpointer (controller/walckpt.c) with real SQLite files: the writer
 * never checkpoints itself, the thread copies the WAL into the database file
 * once the WAL passes its threshold, and a hold (the door's, from badge to
 * decision) keeps it from starting until released or expired. What is observed
 * is what a checkpoint does: the database file grows while the writer's
 * connection does nothing but commit. A checkpoint that a reader cut short is
 * tried again once the reader is gone, so the WAL restarts.
 *
 * Then the WAL reserve (vault_db_wal_reserve): the -wal file written to its
 * size first, commits that then leave its size alone, a reserve that waits for
 * no writer, and recovery after a crash with frames, older frames and zeros.
 */
#include "../controller/walckpt.h"
#include "tap.h"
#include "vault/db.h"
#include "vault/util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/vault-walckpt.XXXXXX", path[256];

static long long size_of(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

static long long db_size(void)
{
	return size_of(path);
}

/* The WAL header's checkpoint sequence number (big-endian at offset 12): SQLite
 * adds one each time the log restarts from its beginning. */
static long long wal_restarts(const char *wal)
{
	unsigned char b[4];
	FILE *f = fopen(wal, "rb");
	long long n = -1;
	if (f && fseek(f, 12, SEEK_SET) == 0 && fread(b, 1, 4, f) == 4)
		n = (long long)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
	if (f)
		fclose(f);
	return n;
}

/* Commit `n` transactions of one row of `size` bytes each. */
static int commits_of(sqlite3 *db, int n, int size)
{
	char sql[64];
	snprintf(sql, sizeof sql, "INSERT INTO t(v) VALUES(randomblob(%d))", size);
	for (int i = 0; i < n; i++)
		if (vault_db_exec(db, sql) < 0)
			return -1;
	return 0;
}

/* The writer's commits: one 2 KiB row each. */
static int commits(sqlite3 *w, int n)
{
	return commits_of(w, n, 2048);
}

/* The first column of a one-row query as an integer (-1 if none). */
static long long one_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
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

/* A vault-style connection (vault_db_open: WAL, FULL, 5 s busy timeout) to a
 * new database `name` in dir, with table t. */
static sqlite3 *open_new(const char *name, char *p, size_t n)
{
	snprintf(p, n, "%s/%s", dir, name);
	sqlite3 *db;
	const char *err;
	if (vault_db_open(p, VAULT_DB_CREATE, NULL, &db, &err) < 0 ||
	    vault_db_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)") < 0) {
		fprintf(stderr, "%s: %s\n", p, err);
		return NULL;
	}
	sqlite3_wal_autocheckpoint(db, 0);
	return db;
}

static long long rows(const char *p)
{
	sqlite3 *db;
	const char *err;
	if (vault_db_open(p, VAULT_DB_READWRITE, NULL, &db, &err) < 0)
		return -1;
	long long n = one_int(db, "SELECT count(*) FROM t WHERE length(v) = 300");
	sqlite3_stmt *st;
	char *ic = NULL;
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		ic = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (!ic || strcmp(ic, "ok"))
		n = -2;
	free(ic);
	vault_db_close(db);
	return n;
}

/* The reserve tests' commits: one 300-byte row each (rows() counts them). */
static int small_commits(sqlite3 *db, int n)
{
	return commits_of(db, n, 300);
}

static void reserve_tests(void)
{
	char p[256], wal[300], q[256], qwal[300];
	const char *err = "";
	int64_t added = -1;
	sqlite3 *db = open_new("r.db", p, sizeof p);
	snprintf(wal, sizeof wal, "%s-wal", p);
	ok(db && vault_db_wal_reserve(db, 1 << 20, &added, &err) == 0,
	   "WAL reserve of 1 MiB (%s)", err);
	ok(size_of(wal) == 1 << 20 && added > 0 && added <= 1 << 20,
	   "the -wal file is 1 MiB (%lld), %lld bytes written", size_of(wal), (long long)added);
	int r = vault_db_wal_reserve(db, 1 << 20, &added, &err);
	ok(r == 0 && added == 0, "asked again: nothing to write (%lld)", (long long)added);

	/* The same commits on a database without a reserve grow its WAL. */
	sqlite3 *plain = open_new("p.db", q, sizeof q);
	snprintf(qwal, sizeof qwal, "%s-wal", q);
	long long q0 = size_of(qwal);
	ok(small_commits(db, 100) == 0 && small_commits(plain, 100) == 0,
	   "100 commits on each");
	ok(size_of(wal) == 1 << 20, "reserved: the -wal file is still 1 MiB (%lld)",
	   size_of(wal));
	ok(size_of(qwal) > q0 + 100 * 4096,
	   "not reserved: each commit extended it, %lld -> %lld", q0, size_of(qwal));
	vault_db_close(plain);

	/* Another writer holds the write lock: the reserve waits for it (busy
	 * timeout, shortened here) and then gives up without writing. */
	sqlite3 *other;
	ok(sqlite3_open(p, &other) == SQLITE_OK && vault_db_exec(other, "BEGIN IMMEDIATE") == 0,
	   "another connection holds the write lock");
	sqlite3_busy_timeout(db, 100);
	r = vault_db_wal_reserve(db, 2 << 20, &added, &err);
	ok(r == -EBUSY && size_of(wal) == 1 << 20,
	   "reserve refused while it is held: %d (%s), "
	   "-wal file %lld",
	   r, err, size_of(wal));
	vault_db_exec(other, "ROLLBACK");
	sqlite3_close(other);
	vault_db_close(db);

	/* Crash: a child reserves, commits, checkpoints everything (no reader),
	 * commits again (the WAL restarts: new frames over old ones, then the
	 * old frames, then zeros) and dies without closing. Every commit is
	 * there afterwards, and the database is intact. */
	pid_t pid = fork();
	if (pid == 0) {
		sqlite3 *c;
		const char *e;
		snprintf(p, sizeof p, "%s/crash.db", dir);
		if (vault_db_open(p, VAULT_DB_CREATE, NULL, &c, &e) < 0 ||
		    vault_db_exec(c, "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)") < 0)
			_exit(1);
		sqlite3_wal_autocheckpoint(c, 0);
		int64_t a;
		if (vault_db_wal_reserve(c, 1 << 20, &a, &e) < 0 || small_commits(c, 50) < 0)
			_exit(2);
		int log = -1, done = -1;
		sqlite3_wal_checkpoint_v2(c, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
		if (log <= 0 || done != log || small_commits(c, 7) < 0)
			_exit(3);
		_exit(0);
	}
	int st = -1;
	waitpid(pid, &st, 0);
	snprintf(p, sizeof p, "%s/crash.db", dir);
	snprintf(wal, sizeof wal, "%s-wal", p);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && size_of(wal) == 1 << 20,
	   "a writer committed 50, checkpointed, committed 7 more and died (status %d, -wal "
	   "%lld)",
	   st, size_of(wal));
	long long n = rows(p);
	ok(n == 57, "after the crash: all 57 rows, integrity ok (%lld)", n);

	/* A reserve that cannot be written whole (here: a file size limit, as a
	 * full disk would) is an error and costs nothing else: the commits after
	 * it are there. */
	pid = fork();
	if (pid == 0) {
		sqlite3 *c;
		const char *e = "";
		snprintf(p, sizeof p, "%s/limit.db", dir);
		if (vault_db_open(p, VAULT_DB_CREATE, NULL, &c, &e) < 0 ||
		    vault_db_exec(c, "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)") < 0)
			_exit(1);
		signal(SIGXFSZ, SIG_IGN);
		struct rlimit rl = {600 << 10, 600 << 10};
		int64_t a = 0;
		if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
			_exit(2);
		r = vault_db_wal_reserve(c, 1 << 20, &a, &e);
		if (r != -EFBIG || a <= 0 || strcmp(e, "cannot extend the WAL file"))
			_exit(3);
		_exit(small_commits(c, 20) < 0 ? 4 : 0);
	}
	waitpid(pid, &st, 0);
	snprintf(p, sizeof p, "%s/limit.db", dir);
	snprintf(wal, sizeof wal, "%s-wal", p);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && size_of(wal) == 600 << 10,
	   "a reserve cut short at 600 KiB: -EFBIG, 'cannot extend the WAL file', then 20 "
	   "commits "
	   "(status %d, -wal %lld)",
	   st, size_of(wal));
	n = rows(p);
	ok(n == 20, "the 20 rows are there, integrity ok (%lld)", n);
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

	/* A reader's snapshot stops a checkpoint short; once the reader is gone
	 * the thread tries again by itself (within about a second), with no more
	 * commits to ask it, and the next commit restarts the WAL. */
	sqlite3 *r;
	ok(sqlite3_open(path, &r) == SQLITE_OK && vault_db_exec(r, "BEGIN") == 0 &&
	       vault_db_exec(r, "SELECT count(*) FROM t") == 0,
	   "a reader holds a snapshot");
	long long s3 = db_size();
	ok(commits(w, 200) == 0, "200 commits past the threshold while the reader reads");
	usleep(1500000);
	ok(db_size() == s3, "nothing past the reader's snapshot copied (%lld bytes)",
	   db_size());
	ok(vault_db_exec(r, "COMMIT") == 0, "the reader ends");
	g = grows(s3, 4000);
	ok(g, "the short checkpoint was tried again without more commits: %lld -> %lld bytes",
	   s3, db_size());
	char walp[300];
	snprintf(walp, sizeof walp, "%s-wal", path);
	usleep(100000);
	long long ws = size_of(walp), seq0 = wal_restarts(walp);
	int c = commits(w, 20);
	long long seq1 = wal_restarts(walp), ws1 = size_of(walp);
	ok(c == 0 && seq1 == seq0 + 1 && ws1 == ws,
	   "the next commit restarted the WAL (header's checkpoint sequence %lld -> %lld), "
	   "its file stays at %lld bytes (%lld)",
	   seq0, seq1, ws, ws1);
	sqlite3_close(r);

	/* Priming: after a complete checkpoint the next commit restarts the WAL
	 * (and syncs its header first). walckpt_prime makes that commit at once,
	 * with nothing changed, so the commit after it is an ordinary one. */
	ok(walckpt_prime(ck, w) == 0, "nothing to prime while the WAL is not checkpointed");
	/* Held, so that the checkpoint comes after the last commit (one in the
	 * middle would let the next commit restart the WAL: nothing due). */
	walckpt_hold(ck, 10000);
	ok(commits(w, 200) == 0, "200 commits past the threshold, checkpoints held");
	long long s4 = db_size();
	walckpt_hold(ck, 0);
	g = grows(s4, 3000);
	/* Complete once the commits above have stopped: at once or at a retry. */
	long long seq2 = -1, seq3 = -1;
	int pr = 0;
	for (int i = 0; i < 40 && pr == 0; i++) {
		usleep(100000);
		seq2 = wal_restarts(walp);
		pr = walckpt_prime(ck, w);
		seq3 = wal_restarts(walp);
	}
	ok(g && pr == 1 && seq3 == seq2 + 1,
	   "checkpointed: primed, and the priming commit restarted the WAL (%d; sequence %lld "
	   "-> "
	   "%lld)",
	   pr, seq2, seq3);
	long long n0 = one_int(w, "SELECT count(*) FROM t");
	c = commits(w, 1);
	long long n1 = one_int(w, "SELECT count(*) FROM t");
	ok(c == 0 && wal_restarts(walp) == seq3 && n1 == n0 + 1,
	   "the next commit does not restart it again (sequence %lld), and priming added no "
	   "row "
	   "(%lld -> %lld)",
	   wal_restarts(walp), n0, n1);
	ok(walckpt_prime(ck, w) == 0, "primed once: nothing due after a commit");

	sqlite3_wal_hook(w, NULL, NULL);
	walckpt_stop(ck);
	sqlite3_close(w);
	reserve_tests();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return tap_done();
}
