/* SPDX-License-Identifier: MIT */
/*
 * Opening the vault database. Every connection sets and then CHECKS:
 * journal_mode=WAL, synchronous=FULL, foreign_keys=ON, a busy timeout.
 * A database whose schema (PRAGMA user_version) is newer than this build knows
 * is refused with -EPROTO. Migrations run in one transaction each.
 */
#ifndef VAULT_DB_H
#define VAULT_DB_H
#include <sqlite3.h>
#include <stdint.h>

enum vault_db_mode {
	VAULT_DB_READONLY,  /* vaultctl log/verify, exports: never writes */
	VAULT_DB_READWRITE, /* vaultd only: must exist, migrated to the latest schema */
	VAULT_DB_CREATE,    /* vaultctl init: must NOT exist yet */
};

/*
 * Open `path`. `vfs` may be NULL (default VFS; tests pass "powerloss").
 * Returns 0 and *ret_db, or -ENOENT (missing), -EEXIST (CREATE on an existing
 * file), -EPROTO (schema newer than this build, or pragmas that did not take),
 * -EROFS / -EACCES (read-only file opened for writing), -EIO (anything else).
 * *ret_err (may be NULL) receives a static or sqlite-owned message for logging.
 */
int vault_db_open(const char *path, enum vault_db_mode mode, const char *vfs, sqlite3 **ret_db,
		  const char **ret_err);
void vault_db_close(sqlite3 *db);

/* Latest schema version this build knows. */
unsigned vault_db_schema_version(void);
/* Apply all migrations to a fresh or older database (CREATE/READWRITE do this). */
int vault_db_migrate(sqlite3 *db, const char **ret_err);

/*
 * A prepared statement for `sql` on `db`, reused across calls: `sql` must be a
 * string with static storage (the pointer is the cache key). Use it, then hand
 * it back with vault_db_done() (resets it; never finalize it yourself). The
 * cache is emptied for a connection by vault_db_close(). Returns 0 or -EIO.
 */
int vault_db_cached(sqlite3 *db, const char *sql, sqlite3_stmt **ret);
void vault_db_done(sqlite3_stmt *st);

/* Thin helpers returning 0 or -EIO. */
int vault_db_exec(sqlite3 *db, const char *sql);
int vault_db_begin(sqlite3 *db);   /* BEGIN IMMEDIATE */
int vault_db_commit(sqlite3 *db);
void vault_db_rollback(sqlite3 *db);

/*
 * Reserve the first `bytes` of the write-ahead log: extend the -wal file with
 * written zeros to that size and fdatasync it, under the write lock (BEGIN
 * IMMEDIATE), so no frame is being written meanwhile. SQLite never truncates a
 * WAL it reuses (vaultd sets no journal_size_limit): every frame it later
 * writes inside the reserve overwrites allocated, written blocks, and the
 * commit's fdatasync then flushes data alone. A frame that extends the file
 * must also commit the file system's journal (the new size and blocks), which
 * under disk and CPU load can cost milliseconds (bench/door.sh measures both).
 * Zeros after the last frame are what SQLite already handles after a restart
 * of the log: recovery stops at the first frame whose salt does not match.
 * Returns 0 with *ret_added (bytes written; 0 if the file was large enough),
 * or -errno with *ret_err (ENOSPC leaves a partial reserve, which is harmless).
 */
int vault_db_wal_reserve(sqlite3 *db, int64_t bytes, int64_t *ret_added, const char **ret_err);

/* How far the ledger has left the box (table mqtt_cursor; docs/verifier.md):
 * the tip, what the broker has acknowledged (entries, checkpoints), and what
 * the central verifier holds (its seq, when it said so; 0 if never). */
struct vault_outbox {
	int64_t tip, published, checkpoint, verified, verified_utc, command_id;
};
/* 0 or -EIO. */
int vault_outbox_read(sqlite3 *db, struct vault_outbox *ret);
#endif
