/* SPDX-License-Identifier: MIT */
#include "vault/db.h"
#include "vault/migrations.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

unsigned vault_db_schema_version(void)
{
	unsigned v = 0;
	for (unsigned i = 0; i < vault_migrations_count; i++)
		if (vault_migrations[i].version > v)
			v = vault_migrations[i].version;
	return v;
}

int vault_db_exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

int vault_db_begin(sqlite3 *db)
{
	return vault_db_exec(db, "BEGIN IMMEDIATE");
}

int vault_db_commit(sqlite3 *db)
{
	if (vault_db_exec(db, "COMMIT") == 0)
		return 0;
	/* A failed COMMIT may leave the transaction open: roll back so the
	 * connection is usable and nothing half-done lingers. */
	vault_db_rollback(db);
	return -EIO;
}

void vault_db_rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

/* sqlite3_errmsg() dies with its connection: keep a copy for the caller. */
static const char *keep_err(sqlite3 *db)
{
	static char buf[256];
	snprintf(buf, sizeof buf, "%s", db ? sqlite3_errmsg(db) : "out of memory");
	return buf;
}

static int pragma_int(sqlite3 *db, const char *sql, long long *ret)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ret = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -EIO;
}

static int pragma_text(sqlite3 *db, const char *sql, char *buf, size_t n)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		snprintf(buf, n, "%s", t ? t : "");
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -EIO;
}

int vault_db_migrate(sqlite3 *db, const char **ret_err)
{
	long long have;
	if (pragma_int(db, "PRAGMA user_version", &have) < 0) {
		if (ret_err)
			*ret_err = keep_err(db);
		return -EIO;
	}
	if ((unsigned long long)have > vault_db_schema_version()) {
		if (ret_err)
			*ret_err = "database schema is newer than this program";
		return -EPROTO;
	}
	for (unsigned i = 0; i < vault_migrations_count; i++) {
		const struct vault_migration *m = &vault_migrations[i];
		if (m->version <= have)
			continue;
		char setv[64];
		snprintf(setv, sizeof setv, "PRAGMA user_version=%u", m->version);
		if (vault_db_begin(db) < 0 || vault_db_exec(db, m->sql) < 0 ||
		    vault_db_exec(db, setv) < 0 || vault_db_commit(db) < 0) {
			if (ret_err)
				*ret_err = keep_err(db);
			vault_db_rollback(db);
			return -EIO;
		}
	}
	return 0;
}

static int check_settings(sqlite3 *db, int rw, const char **ret_err)
{
	char jm[32] = "";
	long long sync = -1, fk = -1;
	if (sqlite3_busy_timeout(db, 5000) != SQLITE_OK)
		return -EIO;
	if (rw && vault_db_exec(db, "PRAGMA journal_mode=WAL") < 0) {
		if (ret_err)
			*ret_err = keep_err(db);
		return -EIO;
	}
	vault_db_exec(db, "PRAGMA synchronous=FULL");
	vault_db_exec(db, "PRAGMA foreign_keys=ON");
	if (pragma_text(db, "PRAGMA journal_mode", jm, sizeof jm) < 0 ||
	    pragma_int(db, "PRAGMA synchronous", &sync) < 0 ||
	    pragma_int(db, "PRAGMA foreign_keys", &fk) < 0) {
		if (ret_err)
			*ret_err = keep_err(db);
		return -EIO;
	}
	/* synchronous: 2 = FULL. A read-only open of a non-WAL file cannot switch
	 * modes; vaultd (rw) always leaves the file in WAL. */
	if ((rw && strcmp(jm, "wal") != 0) || sync != 2 || fk != 1) {
		if (ret_err)
			*ret_err = "database settings did not take (WAL, synchronous=FULL, "
				   "foreign_keys)";
		return -EPROTO;
	}
	return 0;
}

int vault_db_open(const char *path, enum vault_db_mode mode, const char *vfs, sqlite3 **ret_db,
		  const char **ret_err)
{
	static const char *errs = "";
	if (ret_err)
		*ret_err = errs;
	int exists = access(path, F_OK) == 0;
	if (mode == VAULT_DB_CREATE && exists) {
		if (ret_err)
			*ret_err = "database already exists";
		return -EEXIST;
	}
	if (mode != VAULT_DB_CREATE && !exists) {
		if (ret_err)
			*ret_err = "database does not exist (run vaultctl init)";
		return -ENOENT;
	}
	if (mode == VAULT_DB_READWRITE && access(path, W_OK) != 0) {
		if (ret_err)
			*ret_err = "database file is not writable";
		return -EROFS;
	}
	int flags = SQLITE_OPEN_NOMUTEX;
	flags |= mode == VAULT_DB_READONLY ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	if (mode == VAULT_DB_CREATE)
		flags |= SQLITE_OPEN_CREATE;
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, flags, vfs) != SQLITE_OK) {
		if (ret_err)
			*ret_err = keep_err(db);
		int e = (db && sqlite3_errcode(db) == SQLITE_CANTOPEN) ? -EACCES : -EIO;
		sqlite3_close(db);
		return e;
	}
	sqlite3_extended_result_codes(db, 1);
	int r = check_settings(db, mode != VAULT_DB_READONLY, ret_err);
	if (r == 0 && mode != VAULT_DB_READONLY)
		r = vault_db_migrate(db, ret_err);
	if (r == 0 && mode == VAULT_DB_READONLY) {
		long long have = 0;
		r = pragma_int(db, "PRAGMA user_version", &have);
		if (r == 0 && ((unsigned long long)have > vault_db_schema_version() || have == 0)) {
			if (ret_err)
				*ret_err = have ? "database schema is newer than this program"
						: "not a vault database";
			r = -EPROTO;
		}
	}
	if (r < 0) {
		sqlite3_close(db);
		if (mode == VAULT_DB_CREATE)
			unlink(path);
		return r;
	}
	*ret_db = db;
	return 0;
}

/* Cached statements: (connection, SQL text pointer) -> prepared statement. */
#define CACHE_MAX 64
static struct {
	sqlite3 *db;
	const char *sql;
	sqlite3_stmt *st;
} cache[CACHE_MAX];
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;

int vault_db_cached(sqlite3 *db, const char *sql, sqlite3_stmt **ret)
{
	pthread_mutex_lock(&cache_mu);
	int free_slot = -1;
	for (int i = 0; i < CACHE_MAX; i++) {
		if (cache[i].db == db && cache[i].sql == sql) {
			sqlite3_stmt *st = cache[i].st;
			pthread_mutex_unlock(&cache_mu);
			*ret = st;
			return 0;
		}
		if (!cache[i].db && free_slot < 0)
			free_slot = i;
	}
	pthread_mutex_unlock(&cache_mu);
	sqlite3_stmt *st;
	int persistent = free_slot >= 0 ? SQLITE_PREPARE_PERSISTENT : 0;
	if (sqlite3_prepare_v3(db, sql, -1, (unsigned)persistent, &st, NULL) != SQLITE_OK)
		return -EIO;
	pthread_mutex_lock(&cache_mu);
	for (int i = 0; i < CACHE_MAX; i++)
		if (!cache[i].db) {
			cache[i].db = db;
			cache[i].sql = sql;
			cache[i].st = st;
			pthread_mutex_unlock(&cache_mu);
			*ret = st;
			return 0;
		}
	pthread_mutex_unlock(&cache_mu);
	*ret = st; /* cache full: vault_db_done() finalizes it */
	return 0;
}

void vault_db_done(sqlite3_stmt *st)
{
	if (!st)
		return;
	pthread_mutex_lock(&cache_mu);
	int cached = 0;
	for (int i = 0; i < CACHE_MAX && !cached; i++)
		cached = cache[i].st == st;
	pthread_mutex_unlock(&cache_mu);
	if (cached) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	} else {
		sqlite3_finalize(st);
	}
}

void vault_db_close(sqlite3 *db)
{
	if (db) {
		pthread_mutex_lock(&cache_mu);
		for (int i = 0; i < CACHE_MAX; i++)
			if (cache[i].db == db) {
				sqlite3_finalize(cache[i].st);
				cache[i].db = NULL;
				cache[i].st = NULL;
				cache[i].sql = NULL;
			}
		pthread_mutex_unlock(&cache_mu);
	}
	/* close_v2: statements still held by their owners (a ledger writer's
	 * prepared insert) keep the connection alive until they are finalized. */
	if (db)
		sqlite3_close_v2(db);
}

int vault_outbox_read(sqlite3 *db, struct vault_outbox *ret)
{
	struct vault_outbox o = {0};
	sqlite3_stmt *st;
	if (vault_db_cached(db,
			    "SELECT (SELECT ifnull(max(seq), 0) FROM ledger), seq, checkpoint_seq, "
			    "verified_seq, verified_utc, command_id FROM mqtt_cursor WHERE id=1",
			    &st) < 0)
		return -EIO;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int64_t *f[] = {&o.tip, &o.published, &o.checkpoint, &o.verified, &o.verified_utc,
				&o.command_id};
		for (int i = 0; i < 6; i++)
			*f[i] = sqlite3_column_int64(st, i);
	}
	vault_db_done(st);
	if (rc != SQLITE_ROW)
		return -EIO;
	*ret = o;
	return 0;
}

int vault_db_wal_reserve(sqlite3 *db, int64_t bytes, int64_t *ret_added, const char **ret_err)
{
	static char zeros[65536];
	*ret_added = 0;
	*ret_err = "";
	const char *wal = sqlite3_filename_wal(sqlite3_db_filename(db, "main"));
	if (!wal || !*wal) {
		*ret_err = "no WAL file name";
		return -EINVAL;
	}
	/* The write lock also opens the WAL, so the file exists from here. */
	if (vault_db_begin(db) < 0) {
		*ret_err = keep_err(db);
		return -EBUSY;
	}
	int r = 0;
	int fd = open(wal, O_WRONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		*ret_err = "cannot open the WAL file";
		goto out;
	}
	for (int64_t off = st.st_size; off < bytes;) {
		size_t n = bytes - off < (int64_t)sizeof zeros ? (size_t)(bytes - off) : sizeof zeros;
		ssize_t w = pwrite(fd, zeros, n, off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = w < 0 ? -errno : -EIO;
			*ret_err = "cannot extend the WAL file";
			break;
		}
		off += w;
		*ret_added += w;
	}
	if (*ret_added > 0 && fdatasync(fd) < 0 && r == 0) {
		r = -errno;
		*ret_err = "cannot sync the WAL file";
	}
out:
	if (fd >= 0)
		close(fd);
	vault_db_rollback(db); /* nothing was written through SQLite */
	return r;
}
