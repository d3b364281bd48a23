/* SPDX-License-Identifier: MIT */
/*
 * "powerloss": a SQLite VFS for tests that simulates losing power, and injects
 * single I/O faults. It wraps the VFS that was the default when it was first
 * registered (normally "unix") and passes every call through, while remembering,
 * for each database, rollback journal, super-journal and WAL file opened through it,
 * the "durable image": what the storage would hold after power loss.
 *
 * Model (docs/testing-powerloss.md has the long form):
 *   - File content becomes durable only at a successful xSync of that file (fsync is
 *     per inode, so writes made through any handle of the file count).
 *   - A directory entry (a created or a deleted name) becomes durable only when the
 *     directory is synced. The wrapped unix VFS does that (a) on the first xSync of
 *     a journal, super-journal or WAL handle opened with SQLITE_OPEN_CREATE (its
 *     UNIXFILE_DIRSYNC flag) and (b) in xDelete(dirSync=1), which SQLite passes only
 *     with PRAGMA synchronous=EXTRA. The shim applies the same rule: such a sync makes
 *     every pending name change in that directory durable. A file created and not yet
 *     covered by a directory sync is gone after a cut; a file deleted without a
 *     directory sync comes back (with its last synced content) after a cut.
 *   - A file that already exists when the shim first sees it is assumed durable.
 *   - -shm files are shared memory: cut() deletes them.
 *   - Writes not yet synced are all lost at a cut (or, in torn mode, an arbitrary
 *     seeded subset of their 512-byte sectors survives).
 *
 * All I/O on the tracked files must go through the shim while it tracks them (a
 * connection using "unix" directly on the same files is invisible to the model).
 * The functions below are thread-safe; they never block on I/O except cut().
 */
#ifndef VAULT_TESTS_VFS_POWERLOSS_H
#define VAULT_TESTS_VFS_POWERLOSS_H

#define VFS_POWERLOSS_NAME "powerloss"

enum vfs_op {
	VFS_OP_WRITE = 1, /* xWrite */
	VFS_OP_SYNC = 2,  /* xSync */
};

/*
 * Register the VFS as "powerloss" (idempotent). make_default != 0 also makes it the
 * default VFS; then open the underlying files with the VFS name "unix" to bypass it.
 * Returns 0, -ENOENT if there is no underlying VFS, -EIO if SQLite refuses.
 */
int vfs_powerloss_register(int make_default);

/*
 * Simulate power loss now: every tracked file is rewritten to its durable image
 * (content and size), files whose name is not durable are removed, deleted files
 * whose deletion is not durable are restored, and "<db>-shm" of every tracked database
 * is removed. Then the tracked files are forgotten, the crash state and pending
 * faults cleared and the counters restarted at 0 (torn mode stays as set), so the
 * files can be reopened through either VFS. Every connection using
 * the shim must be closed first.
 * Returns 0, -EBUSY if a file opened through the shim is still open (nothing is
 * changed), or -errno of the first file that could not be rewritten.
 */
int vfs_powerloss_cut(void);

/*
 * After n more successful xSync calls the machine "loses power": from then on every
 * xWrite, xSync, xTruncate and xDelete fails with SQLITE_IOERR_* without touching the
 * real file, and xOpen fails with SQLITE_CANTOPEN (reads still succeed: the page cache
 * lives until the cut), so the application sees errors; the test then closes its
 * connections and calls vfs_powerloss_cut(). The n-th sync itself succeeds and is
 * durable. n <= 0 disables a pending crash point.
 */
void vfs_powerloss_crash_after_syncs(int n);

/* Lose power now (same failure state as above): e.g. right after a commit returned. */
void vfs_powerloss_crash_now(void);

/* 1 if the simulated power is off (a crash point was reached), else 0. */
int vfs_powerloss_crashed(void);

/*
 * Number of xSync (resp. xWrite) calls that reached the shim since registration or
 * the last reset/cut, including calls that failed. An operation's sync points are
 * the difference of two readings around it in a fault-free run.
 */
long vfs_powerloss_sync_count(void);
long vfs_powerloss_write_count(void);

/*
 * Make the n-th future call (n >= 1; 1 is the next one) of `op` fail once, with
 * err = EIO or ENOSPC, as the unix VFS reports it: a write fails with
 * SQLITE_IOERR_WRITE (EIO) or SQLITE_FULL (ENOSPC) and writes nothing; a sync fails
 * with SQLITE_IOERR_FSYNC (either errno) and makes nothing durable. Later calls
 * succeed. One pending fault per op; n = 0 cancels it.
 * Returns 0, or -EINVAL for a bad op, n or err.
 */
int vfs_powerloss_fail_nth(enum vfs_op op, int n, int err);

/*
 * Torn mode, applied by the next cuts: seed != 0 makes every cut keep a pseudo-random
 * (reproducible from the seed) subset of the unsynced 512-byte sectors of each file,
 * a random one of the synced and current sizes, and resolve each pending directory
 * change either way -- "some writes of the interval reached the disk, in any order".
 * seed = 0 (the default) restores the strict model: nothing unsynced survives.
 */
void vfs_powerloss_set_torn(unsigned seed);

/*
 * Forget all tracked files, counters, the crash state, pending faults and torn mode
 * (between test cases). Files on disk are left as they are. Returns 0, or -EBUSY if a file
 * opened through the shim is still open (nothing is forgotten).
 */
int vfs_powerloss_reset(void);
#endif
