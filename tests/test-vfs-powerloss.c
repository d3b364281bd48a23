/* SPDX-License-Identifier: MIT */
/*
 * The "powerloss" VFS with plain SQLite: a power cut at every sync point of a
 * one-row commit keeps every acknowledged row and an intact database (WAL+FULL,
 * DELETE+EXTRA, also with torn writes); the model has teeth (synchronous=OFF loses
 * acknowledged rows; DELETE+FULL rolls back a commit cut right after it returned,
 * because the journal unlink is not synced); injected ENOSPC/EIO fail the commit
 * and leave a consistent database that keeps working.
 */
#include "tap.h"
#include "vfs_powerloss.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ROWS 6	    /* appends whose sync points are each cut */
#define VALUE_LEN 700 /* a few rows per page: appends touch more than one page */

static char dir[256], db_path[300];

struct mode {
	const char *name;
	const char *journal; /* PRAGMA journal_mode */
	const char *sync;    /* PRAGMA synchronous */
	int autockpt;	     /* PRAGMA wal_autocheckpoint (0: leave default) */
	unsigned torn_seeds; /* 0: strict model; else run each cut with seeds 1..n */
};

static void value_for(int id, char *out)
{
	int n = 0;
	while (n < VALUE_LEN - 16)
		n += snprintf(out + n, (size_t)(VALUE_LEN - n), "row-%d-", id);
	out[n] = '\0';
}

static void remove_files(void)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char p[320];
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", db_path, sfx[i]);
		unlink(p);
	}
}

static int exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* A fresh database through the shim: schema committed and durable. NULL on error. */
static sqlite3 *setup(const struct mode *m)
{
	sqlite3 *db = NULL;
	char sql[256];

	if (vfs_powerloss_reset() < 0)
		return NULL;
	remove_files();
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			    VFS_POWERLOSS_NAME) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_extended_result_codes(db, 1);
	snprintf(sql, sizeof(sql),
		 "PRAGMA journal_mode=%s; PRAGMA synchronous=%s; PRAGMA wal_autocheckpoint=%d;"
		 "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL);",
		 m->journal, m->sync, m->autockpt ? m->autockpt : 1000);
	if (exec(db, sql) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/* One row, one transaction. Returns the first failing result code, or SQLITE_OK. */
static int append(sqlite3 *db, int id)
{
	char v[VALUE_LEN], sql[VALUE_LEN + 64];
	int rc;

	value_for(id, v);
	snprintf(sql, sizeof(sql), "INSERT INTO t VALUES(%d, '%s')", id, v);
	rc = exec(db, "BEGIN");
	if (rc == SQLITE_OK)
		rc = exec(db, sql);
	if (rc == SQLITE_OK)
		rc = exec(db, "COMMIT");
	if (rc != SQLITE_OK && !sqlite3_get_autocommit(db))
		exec(db, "ROLLBACK");
	return rc;
}

static int query_int(sqlite3 *db, const char *sql, int *out)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* 1 if row `id` is present with its value, 0 if absent, -1 if wrong or unreadable. */
static int row_state(sqlite3 *db, int id)
{
	char v[VALUE_LEN];
	sqlite3_stmt *st;
	int r;

	value_for(id, v);
	if (sqlite3_prepare_v2(db, "SELECT v FROM t WHERE id=?", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int(st, 1, id);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		r = strcmp((const char *)sqlite3_column_text(st, 0), v) == 0 ? 1 : -1;
	else
		r = r == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(st);
	return r;
}

static int integrity_ok(sqlite3 *db)
{
	sqlite3_stmt *st;
	int good;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
		return 0;
	good = sqlite3_step(st) == SQLITE_ROW &&
	       strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0 &&
	       sqlite3_step(st) == SQLITE_DONE;
	sqlite3_finalize(st);
	return good;
}

/*
 * After a cut, open with the plain "unix" VFS (recovery, hot-journal rollback) and
 * check. acked[id] = 1 for acknowledged rows 1..max_id. Returns the number of
 * acknowledged rows missing, or -1 if the database is damaged or holds a row that was
 * never attempted; *ret_present gets the row count.
 */
static int verify(const int *acked, int max_id, int *ret_present)
{
	sqlite3 *db = NULL;
	int missing = 0, n = -1, bad = 0;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, "unix") != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	if (!integrity_ok(db) || query_int(db, "SELECT count(*) FROM t", &n) != SQLITE_OK)
		bad = 1;
	for (int id = 1; !bad && id <= max_id + 1; id++) {
		int s = row_state(db, id);
		if (s < 0 || (id > max_id && s != 0))
			bad = 1;
		else if (id <= max_id && acked[id] && s == 0)
			missing++;
	}
	sqlite3_close(db);
	*ret_present = n;
	return bad ? -1 : missing;
}

struct cut_stats {
	int runs;
	int setup_failed;   /* the part before the crash point did not work */
	int not_crashed;    /* the crash point was never reached: no teeth */
	int cut_failed;
	int damaged;	    /* integrity_check failed or a phantom row appeared */
	int lost_after_ack; /* acknowledged rows missing, cut right after a commit */
	int lost_in_flight; /* acknowledged rows missing, cut at a sync point */
	int unacked_points; /* crash points where the in-flight commit failed */
	int points;	    /* distinct crash points (k values summed over rows) */
};

/*
 * Row `row` is appended after row-1 acknowledged rows. k > 0: lose power after its
 * k-th sync; k = 0: lose power right after it returned. Then try one more row, close,
 * cut (torn with `seed` if non-zero), verify.
 */
static void cut_run(const struct mode *m, int row, int k, unsigned seed, struct cut_stats *s)
{
	int acked[ROWS + 3] = { 0 };
	sqlite3 *db = setup(m);
	int present, missing;

	s->runs++;
	if (!db) {
		s->setup_failed++;
		return;
	}
	for (int id = 1; id < row; id++)
		acked[id] = append(db, id) == SQLITE_OK;
	for (int id = 1; id < row; id++)
		if (!acked[id])
			s->setup_failed++;
	if (k > 0)
		vfs_powerloss_crash_after_syncs(k);
	acked[row] = append(db, row) == SQLITE_OK;
	if (k == 0)
		vfs_powerloss_crash_now();
	if (!acked[row])
		s->unacked_points++;
	acked[row + 1] = append(db, row + 1) == SQLITE_OK;
	if (!vfs_powerloss_crashed() || acked[row + 1])
		s->not_crashed++;
	sqlite3_close(db);
	vfs_powerloss_set_torn(seed);
	if (vfs_powerloss_cut() < 0)
		s->cut_failed++;
	missing = verify(acked, row + 1, &present);
	if (missing < 0)
		s->damaged++;
	else if (missing > 0 && k == 0)
		s->lost_after_ack++;
	else if (missing > 0) {
		s->lost_in_flight++;
		printf("# %s: row %d, crash after sync %d, seed %u: %d acknowledged rows lost\n",
		       m->name, row, k, seed, missing);
	}
}

/* Sync points of appending row `row` (after row-1 rows), from a fault-free run. */
static int measure(const struct mode *m, int row, long *ret_writes)
{
	sqlite3 *db = setup(m);
	long s0, w0;
	int bad = 0;

	if (!db)
		return -1;
	for (int id = 1; id < row; id++)
		bad |= append(db, id) != SQLITE_OK;
	s0 = vfs_powerloss_sync_count();
	w0 = vfs_powerloss_write_count();
	bad |= append(db, row) != SQLITE_OK;
	s0 = vfs_powerloss_sync_count() - s0;
	if (ret_writes)
		*ret_writes = vfs_powerloss_write_count() - w0;
	sqlite3_close(db);
	return bad ? -1 : (int)s0;
}

static void cut_every_sync_point(const struct mode *m, struct cut_stats *s, int *ret_min_syncs)
{
	int min_syncs = 1 << 30;

	for (int row = 1; row <= ROWS; row++) {
		int syncs = measure(m, row, NULL);
		if (syncs < 0) {
			s->setup_failed++;
			continue;
		}
		if (syncs < min_syncs)
			min_syncs = syncs;
		for (int k = 0; k <= syncs; k++) {
			s->points++;
			if (!m->torn_seeds)
				cut_run(m, row, k, 0, s);
			for (unsigned seed = 1; seed <= m->torn_seeds; seed++)
				cut_run(m, row, k, seed + 1000u * (unsigned)(row * 64 + k), s);
		}
	}
	*ret_min_syncs = min_syncs;
}

/* Every acknowledged row survives every cut, and the database is intact. */
static void test_durable_mode(const struct mode *m)
{
	struct cut_stats s = { 0 };
	int min_syncs;

	cut_every_sync_point(m, &s, &min_syncs);
	ok(s.setup_failed == 0 && s.cut_failed == 0 && min_syncs >= 1,
	   "%s: each append has sync points (at least %d), %d crash points over %d rows",
	   m->name, min_syncs, s.points, ROWS);
	ok(s.not_crashed == 0, "%s: in all %d runs the power went off and later writes failed",
	   m->name, s.runs);
	/* With one sync per append (WAL, no checkpoint) no crash point precedes it. */
	ok(s.unacked_points > 0 || min_syncs == 1,
	   "%s: crash points before a commit's last sync fail that commit (%d runs; "
	   "an append with a single sync has none)", m->name,
	   s.unacked_points);
	ok(s.damaged == 0, "%s: integrity_check ok and no phantom rows after all %d cuts",
	   m->name, s.runs);
	ok(s.lost_after_ack == 0 && s.lost_in_flight == 0,
	   "%s: every acknowledged row present after every cut (lost: %d after ack, %d at sync points)",
	   m->name, s.lost_after_ack, s.lost_in_flight);
}

/*
 * DELETE + FULL commits by unlinking the journal without syncing the directory
 * (SQLite syncs it only with synchronous=EXTRA): a cut right after COMMIT returned
 * brings the journal back and the commit is rolled back. Sync points inside the
 * append are safe. The database is never damaged.
 */
static void test_delete_full(void)
{
	static const struct mode m = { "DELETE+FULL", "DELETE", "FULL", 0, 0 };
	struct cut_stats s = { 0 };
	int min_syncs;

	cut_every_sync_point(&m, &s, &min_syncs);
	ok(s.setup_failed == 0 && s.cut_failed == 0 && s.not_crashed == 0 && min_syncs >= 1,
	   "%s: %d crash points over %d rows, power went off in every run", m.name, s.points,
	   ROWS);
	ok(s.damaged == 0, "%s: integrity_check ok and no phantom rows after all %d cuts", m.name,
	   s.runs);
	ok(s.lost_in_flight == 0,
	   "%s: a cut at any sync point inside an append loses no acknowledged row", m.name);
	ok(s.lost_after_ack == ROWS,
	   "%s: a cut right after COMMIT returned rolls the commit back in %d of %d cases "
	   "(journal unlink not durable without synchronous=EXTRA)",
	   m.name, s.lost_after_ack, ROWS);
}

/* synchronous=OFF never syncs: a cut loses acknowledged rows; closing does not. */
static void test_sync_off(void)
{
	static const struct mode m = { "WAL+OFF", "WAL", "FULL", 0, 0 };
	int acked[8] = { 0 }, present = 0, missing, control_missing = -1;
	long syncs = -1;

	for (int cut = 0; cut <= 1; cut++) {
		sqlite3 *db = setup(&m);
		if (!db)
			break;
		acked[1] = append(db, 1) == SQLITE_OK;
		acked[2] = append(db, 2) == SQLITE_OK;
		exec(db, "PRAGMA synchronous=OFF");
		long s0 = vfs_powerloss_sync_count();
		for (int id = 3; id <= 5; id++)
			acked[id] = append(db, id) == SQLITE_OK;
		if (cut)
			syncs = vfs_powerloss_sync_count() - s0;
		sqlite3_close(db);
		if (!cut) {
			/* Control: closing (and an application crash) loses nothing. */
			control_missing = verify(acked, 5, &present);
			continue;
		}
		ok(vfs_powerloss_cut() == 0, "WAL+OFF: cut succeeds");
	}
	missing = verify(acked, 5, &present);
	ok(acked[1] && acked[2] && acked[3] && acked[4] && acked[5],
	   "WAL+OFF: all five commits returned SQLITE_OK");
	ok(control_missing == 0, "WAL+OFF: without power loss every row is there after reopening");
	ok(syncs == 0, "WAL+OFF: the three commits with synchronous=OFF made no sync (%ld)", syncs);
	ok(missing == 3 && present == 2,
	   "WAL+OFF: power loss drops exactly the 3 unsynced acknowledged rows "
	   "(missing %d, present %d), the 2 synced ones survive",
	   missing, present);
}

/* Inject a fault at every write (or sync) of one append; returns failures seen. */
static void test_faults(const struct mode *m)
{
	long writes = 0;
	int syncs = measure(m, 4, &writes);
	int wrong_rc = 0, visible = 0, broken = 0, later = 0, lost = 0, runs = 0;

	ok(syncs >= 1 && writes >= 1, "%s: an append makes %ld writes and %d syncs", m->name,
	   writes, syncs);
	for (int kind = 0; kind < 3; kind++) {
		/* kind 0: write ENOSPC, 1: write EIO, 2: sync EIO. */
		long n_ops = kind < 2 ? writes : syncs;
		for (long i = 1; i <= n_ops; i++) {
			int acked[8] = { 0 }, present, rc, expect;
			sqlite3 *db = setup(m);

			runs++;
			if (!db) {
				broken++;
				continue;
			}
			for (int id = 1; id <= 3; id++)
				acked[id] = append(db, id) == SQLITE_OK;
			if (kind == 0)
				vfs_powerloss_fail_nth(VFS_OP_WRITE, (int)i, ENOSPC);
			else if (kind == 1)
				vfs_powerloss_fail_nth(VFS_OP_WRITE, (int)i, EIO);
			else
				vfs_powerloss_fail_nth(VFS_OP_SYNC, (int)i, EIO);
			expect = kind == 0 ? SQLITE_FULL :
				 kind == 1 ? SQLITE_IOERR_WRITE : SQLITE_IOERR_FSYNC;
			rc = append(db, 4);
			if (rc != expect) {
				wrong_rc++;
				printf("# %s: fault kind %d at op %ld: append returned %d (%s)\n",
				       m->name, kind, i, rc, sqlite3_errstr(rc));
			}
			if (row_state(db, 4) != 0)
				visible++;
			if (!integrity_ok(db))
				broken++;
			acked[5] = append(db, 5) == SQLITE_OK;
			if (!acked[5] || row_state(db, 5) != 1)
				later++;
			sqlite3_close(db);
			if (vfs_powerloss_cut() < 0)
				broken++;
			acked[4] = 0; /* never acknowledged, may or may not survive */
			int missing = verify(acked, 5, &present);
			if (missing < 0)
				broken++;
			else if (missing > 0 || !acked[1] || !acked[2] || !acked[3])
				lost++;
		}
	}
	ok(wrong_rc == 0,
	   "%s: each of %d injected faults fails the commit as SQLite reports it "
	   "(ENOSPC -> SQLITE_FULL, EIO -> SQLITE_IOERR_WRITE / SQLITE_IOERR_FSYNC)",
	   m->name, runs);
	ok(visible == 0, "%s: the failed row is not visible after the failed commit", m->name);
	ok(broken == 0, "%s: integrity_check ok after every fault and after the cut", m->name);
	ok(later == 0, "%s: the next commit succeeds after every transient fault", m->name);
	ok(lost == 0, "%s: after a power cut every acknowledged row is present", m->name);
}

/* ---- the model, file by file, through the VFS methods ---------------------------- */

struct vf {
	sqlite3_file *f;
	char path[320];
};

static int vf_open(struct vf *v, const char *suffix, int type)
{
	sqlite3_vfs *vfs = sqlite3_vfs_find(VFS_POWERLOSS_NAME);
	char rel[320];
	int out;

	snprintf(rel, sizeof(rel), "%s%s", db_path, suffix);
	if (!vfs || vfs->xFullPathname(vfs, rel, (int)sizeof(v->path), v->path) != SQLITE_OK)
		return -1;
	v->f = calloc(1, (size_t)vfs->szOsFile);
	if (!v->f)
		return -1;
	if (vfs->xOpen(vfs, v->path, v->f, type | SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
		       &out) != SQLITE_OK) {
		free(v->f);
		v->f = NULL;
		return -1;
	}
	return 0;
}

static void vf_close(struct vf *v)
{
	if (v->f && v->f->pMethods)
		v->f->pMethods->xClose(v->f);
	free(v->f);
	v->f = NULL;
}

/* Fill [off, off+len) with byte c. */
static int vf_fill(struct vf *v, int c, int off, int len)
{
	char b[4096];
	memset(b, c, sizeof(b));
	for (int done = 0; done < len;) {
		int n = len - done < (int)sizeof(b) ? len - done : (int)sizeof(b);
		if (v->f->pMethods->xWrite(v->f, b, n, off + done) != SQLITE_OK)
			return -1;
		done += n;
	}
	return 0;
}

static int vf_sync(struct vf *v)
{
	return v->f->pMethods->xSync(v->f, SQLITE_SYNC_FULL) == SQLITE_OK ? 0 : -1;
}

/* Size of a file by path, -1 if absent. Byte counts of c go to *ret_count. */
static long file_size_count(const char *path, int c, long *ret_count)
{
	FILE *fp = fopen(path, "rb");
	long n = 0, count = 0;
	int ch;

	if (!fp)
		return -1;
	while ((ch = fgetc(fp)) != EOF) {
		n++;
		count += ch == c;
	}
	fclose(fp);
	if (ret_count)
		*ret_count = count;
	return n;
}

static void test_model(void)
{
	struct vf db = { 0 }, j = { 0 };
	long size, count;
	char shm[330];
	int r;

	/* A new main database is synced, but SQLite never syncs its directory entry. */
	vfs_powerloss_reset();
	remove_files();
	r = vf_open(&db, "", SQLITE_OPEN_MAIN_DB) | vf_fill(&db, 'A', 0, 8192) | vf_sync(&db);
	vf_close(&db);
	ok(r == 0 && vfs_powerloss_cut() == 0 && file_size_count(db_path, 'A', NULL) == -1,
	   "model: a created main db, synced, but with no directory sync is gone after a cut");

	/* The first sync of a journal opened with CREATE syncs the directory (DIRSYNC). */
	r = vf_open(&db, "", SQLITE_OPEN_MAIN_DB) | vf_fill(&db, 'A', 0, 8192) | vf_sync(&db);
	r |= vf_fill(&db, 'B', 4096, 4096) | vf_fill(&db, 'B', 8192, 1000);
	r |= vf_open(&j, "-journal", SQLITE_OPEN_MAIN_JOURNAL) | vf_fill(&j, 'J', 0, 512);
	r |= vf_sync(&j);
	vf_close(&j);
	vf_close(&db);
	snprintf(shm, sizeof(shm), "%s-shm", db_path);
	fclose(fopen(shm, "w"));
	ok(r == 0 && vfs_powerloss_cut() == 0, "model: cut after db + journal writes");
	size = file_size_count(db_path, 'A', &count);
	ok(size == 8192 && count == 8192,
	   "model: the db keeps its synced content and size, unsynced writes and growth are "
	   "gone (size %ld, %ld synced bytes)", size, count);
	ok(file_size_count(j.path, 'J', &count) == 512 && count == 512,
	   "model: the journal's directory entry became durable at its first sync");
	ok(file_size_count(shm, 0, NULL) == -1, "model: the -shm file is removed by a cut");

	/* A deletion without a directory sync is undone; with one (EXTRA) it is not. */
	sqlite3_vfs *vfs = sqlite3_vfs_find(VFS_POWERLOSS_NAME);
	r = vfs->xDelete(vfs, j.path, 0);
	ok(r == SQLITE_OK && file_size_count(j.path, 0, NULL) == -1 && vfs_powerloss_cut() == 0 &&
		   file_size_count(j.path, 'J', &count) == 512 && count == 512,
	   "model: a journal deleted without a directory sync comes back after a cut");
	r = vfs->xDelete(vfs, j.path, 1);
	ok(r == SQLITE_OK && vfs_powerloss_cut() == 0 && file_size_count(j.path, 0, NULL) == -1,
	   "model: a journal deleted with a directory sync stays deleted");

	/* Recreated and never synced: the new file is gone, the old name stays gone. */
	r = vf_open(&j, "-journal", SQLITE_OPEN_MAIN_JOURNAL) | vf_fill(&j, 'K', 0, 512);
	vf_close(&j);
	ok(r == 0 && vfs_powerloss_cut() == 0 && file_size_count(j.path, 0, NULL) == -1,
	   "model: a journal created and never synced is gone after a cut");

	/* After the power went off every change fails and nothing reaches the file. */
	r = vf_open(&db, "", SQLITE_OPEN_MAIN_DB);
	vfs_powerloss_crash_after_syncs(1);
	r |= vf_sync(&db);
	ok(r == 0 && vfs_powerloss_crashed() &&
		   db.f->pMethods->xWrite(db.f, "x", 1, 0) == SQLITE_IOERR_WRITE &&
		   db.f->pMethods->xTruncate(db.f, 0) == SQLITE_IOERR_TRUNCATE &&
		   db.f->pMethods->xSync(db.f, SQLITE_SYNC_FULL) == SQLITE_IOERR_FSYNC &&
		   vfs->xDelete(vfs, db.path, 0) == SQLITE_IOERR_DELETE &&
		   vf_open(&j, "-journal", SQLITE_OPEN_MAIN_JOURNAL) < 0 &&
		   file_size_count(db_path, 'A', &count) == 8192 && count == 8192,
	   "crash point: after the n-th sync, writes, truncates, syncs, deletes and opens fail "
	   "and the file is untouched");
	vf_close(&db);
	ok(vfs_powerloss_cut() == 0 && !vfs_powerloss_crashed(), "cut turns the power back on");

	/* Torn mode: every 512-byte sector is the synced or the written version. */
	int mixed = 0, pure = 1, sizes_seen = 0;
	for (unsigned seed = 1; seed <= 16; seed++) {
		unsigned char img[16384 + 1];
		int n_old = 0, n_new = 0;
		r = vf_open(&db, "", SQLITE_OPEN_MAIN_DB) | vf_fill(&db, 'C', 0, 16384);
		vf_close(&db);
		vfs_powerloss_set_torn(seed);
		r |= vfs_powerloss_cut();
		vfs_powerloss_set_torn(0);
		FILE *fp = fopen(db_path, "rb");
		size = fp ? (long)fread(img, 1, sizeof(img), fp) : -1;
		if (fp)
			fclose(fp);
		if (r || (size != 8192 && size != 16384))
			pure = 0;
		/* Below 8192 the synced byte is 'A'; above, a sector never written reads 0. */
		for (long sec = 0; pure && sec < size; sec += 512) {
			int old = sec < 8192 ? 'A' : 0, same = 1;
			for (long i = sec + 1; i < sec + 512; i++)
				same &= img[i] == img[sec];
			if (!same || (img[sec] != old && img[sec] != 'C'))
				pure = 0;
			n_old += img[sec] == old;
			n_new += img[sec] == 'C';
		}
		if (n_old > 0 && n_new > 0)
			mixed++;
		sizes_seen |= size == 16384 ? 1 : 2;
		/* Back to the all-'A' durable 8192-byte image for the next seed. */
		vf_open(&db, "", SQLITE_OPEN_MAIN_DB);
		vf_fill(&db, 'A', 0, 8192);
		db.f->pMethods->xTruncate(db.f, 8192);
		vf_sync(&db);
		vf_close(&db);
		vfs_powerloss_reset();
	}
	ok(pure, "torn: each sector is either its synced or its written version, the size "
		 "either the synced or the written one");
	ok(mixed >= 8 && sizes_seen == 3,
	   "torn: seeds give mixed images (%d of 16) and both sizes", mixed);
}

static void test_api(void)
{
	sqlite3 *db = NULL;
	static const struct mode m = { "api", "WAL", "FULL", 0, 0 };

	ok(vfs_powerloss_register(0) == 0 && sqlite3_vfs_find(VFS_POWERLOSS_NAME) != NULL &&
		   sqlite3_vfs_find(NULL) != sqlite3_vfs_find(VFS_POWERLOSS_NAME),
	   "register(0) again: still registered, not the default");
	ok(vfs_powerloss_fail_nth(VFS_OP_WRITE, 1, EPERM) == -EINVAL &&
		   vfs_powerloss_fail_nth((enum vfs_op)7, 1, EIO) == -EINVAL &&
		   vfs_powerloss_fail_nth(VFS_OP_SYNC, -1, EIO) == -EINVAL,
	   "fail_nth refuses other errnos, ops and negative counts");
	db = setup(&m);
	ok(db && vfs_powerloss_cut() == -EBUSY && vfs_powerloss_reset() == -EBUSY,
	   "cut and reset refuse while a connection is open");
	sqlite3_close(db);

	/* Made the default, it is used by sqlite3_open(); "unix" still bypasses it. */
	ok(vfs_powerloss_register(1) == 0 &&
		   sqlite3_vfs_find(NULL) == sqlite3_vfs_find(VFS_POWERLOSS_NAME),
	   "register(1) makes it the default VFS");
	vfs_powerloss_reset();
	remove_files();
	db = NULL;
	long s0 = vfs_powerloss_sync_count();
	int rc = sqlite3_open(db_path, &db);
	if (rc == SQLITE_OK)
		rc = exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			      "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
	ok(rc == SQLITE_OK && vfs_powerloss_sync_count() > s0,
	   "a default sqlite3_open() goes through the shim (syncs counted)");
	sqlite3_close(db);
	sqlite3_vfs_register(sqlite3_vfs_find("unix"), 1);
	ok(sqlite3_vfs_find(NULL) == sqlite3_vfs_find("unix"), "unix restored as the default");
	vfs_powerloss_reset();
}

int main(void)
{
	static const struct mode modes[] = {
		{ "WAL+FULL", "WAL", "FULL", 0, 0 },
		{ "WAL+FULL+checkpoints", "WAL", "FULL", 2, 0 },
		{ "DELETE+EXTRA", "DELETE", "EXTRA", 0, 0 },
		{ "WAL+FULL+checkpoints torn", "WAL", "FULL", 2, 3 },
		{ "DELETE+EXTRA torn", "DELETE", "EXTRA", 0, 3 },
	};
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/vfs-powerloss-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		tap_skip_all("cannot create a temporary directory: %s", strerror(errno));
	snprintf(db_path, sizeof(db_path), "%s/t.db", dir);
	ok(vfs_powerloss_register(0) == 0, "register the powerloss VFS");
	test_model();

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		test_durable_mode(&modes[i]);
	test_delete_full();
	test_sync_off();
	test_faults(&modes[0]);
	test_faults(&modes[2]);
	test_api();

	remove_files();
	rmdir(dir);
	return tap_done();
}
