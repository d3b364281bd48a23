/* SPDX-License-Identifier: MIT */
/*
 * The "powerloss" test VFS: see vfs_powerloss.h for the contract and
 * docs/testing-powerloss.md for the model.
 *
 * Per tracked path we keep a node:
 *   cur_exists    the name exists now (as far as the shim has seen);
 *   name_durable  the name -> current inode binding survives power loss
 *                 (a directory sync happened since the current inode was created);
 *   synced        content of the current inode as of its last successful xSync
 *                 (empty for an inode never synced);
 *   old           what the name resolves to after power loss while the current
 *                 binding is not durable: nothing (old_exists = 0), or the content of
 *                 an earlier inode whose deletion is not durable yet.
 * After power loss the path holds `synced` if cur_exists && name_durable, else `old`
 * if old_exists, else nothing.
 *
 * Durable content is read back from the real file through the real sqlite3_file at
 * each xSync, never through a second descriptor: closing any descriptor of a file
 * drops every POSIX lock the process holds on it, which would break SQLite's locking.
 */
#include "vfs_powerloss.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TORN_SECTOR 512
#define COPY_CHUNK 65536

struct buf {
	unsigned char *p;
	size_t len;
};

struct node {
	struct node *next;
	char *path;
	int is_main_db; /* owns a "-shm" to discard at a cut */
	int cur_exists;
	int name_durable;
	struct buf synced;
	int old_exists;
	struct buf old;
	/* Lowest offset written or truncated since the last sync (SIZE_MAX: none). */
	size_t dirty_lo;
};

struct pl_file {
	sqlite3_file base;
	sqlite3_file *real; /* the wrapped VFS's file, stored right after this struct */
	struct node *node;  /* NULL: untracked (temp files, statement journals) */
	int dirsync_pending;
};

static pthread_mutex_t pl_lock = PTHREAD_MUTEX_INITIALIZER;
static sqlite3_vfs *pl_root;
static struct node *pl_nodes;
static int pl_open_handles;
static long pl_syncs, pl_writes;
static int pl_crash_remaining; /* successful syncs left before power loss; 0 = none */
static int pl_crashed;
static long pl_fail_at[3]; /* indexed by enum vfs_op: call number that fails, 0 = none */
static int pl_fail_err[3];
static uint64_t pl_rng; /* torn mode state; 0 = strict model */

/* ---- buffers and nodes ------------------------------------------------------- */

static void buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
}

static int buf_resize(struct buf *b, size_t len)
{
	unsigned char *p;

	if (len == 0) {
		buf_free(b);
		return 0;
	}
	p = realloc(b->p, len);
	if (!p)
		return -ENOMEM;
	if (len > b->len)
		memset(p + b->len, 0, len - b->len);
	b->p = p;
	b->len = len;
	return 0;
}

static struct node *node_find(const char *path)
{
	for (struct node *n = pl_nodes; n; n = n->next)
		if (strcmp(n->path, path) == 0)
			return n;
	return NULL;
}

static struct node *node_new(const char *path)
{
	struct node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->path = strdup(path);
	if (!n->path) {
		free(n);
		return NULL;
	}
	n->dirty_lo = SIZE_MAX;
	n->next = pl_nodes;
	pl_nodes = n;
	return n;
}

static void nodes_free(void)
{
	while (pl_nodes) {
		struct node *n = pl_nodes;
		pl_nodes = n->next;
		buf_free(&n->synced);
		buf_free(&n->old);
		free(n->path);
		free(n);
	}
}

static size_t dir_len(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? (size_t)(slash - path) : 0;
}

/* A directory fsync: every pending name change in the directory becomes durable. */
static void dir_sync(const char *path)
{
	size_t dl = dir_len(path);

	for (struct node *n = pl_nodes; n; n = n->next) {
		if (dir_len(n->path) != dl || strncmp(n->path, path, dl) != 0)
			continue;
		if (n->cur_exists)
			n->name_durable = 1;
		n->old_exists = 0;
		buf_free(&n->old);
	}
}

/* Read bytes [from, size) of the real file into b (resized to the file's size). */
static int read_real(sqlite3_file *real, struct buf *b, size_t from)
{
	sqlite3_int64 size;
	int rc;

	rc = real->pMethods->xFileSize(real, &size);
	if (rc != SQLITE_OK || size < 0 || (uint64_t)size > SIZE_MAX / 2)
		return -EIO;
	if (buf_resize(b, (size_t)size) < 0)
		return -ENOMEM;
	for (size_t off = from; off < b->len;) {
		size_t n = b->len - off < COPY_CHUNK ? b->len - off : COPY_CHUNK;
		rc = real->pMethods->xRead(real, b->p + off, (int)n, (sqlite3_int64)off);
		/* A short read zero-fills the rest, which is what the file holds. */
		if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ)
			return -EIO;
		off += n;
	}
	return 0;
}

/*
 * Read a whole file by path. Only used where no SQLite handle has the file open:
 * for a journal or WAL being deleted (SQLite holds no POSIX locks on those), and
 * in cut() after every handle is closed.
 */
static int read_path(const char *path, struct buf *b)
{
	struct stat st;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_size < 0 || (uint64_t)st.st_size > SIZE_MAX / 2) {
		close(fd);
		return -EIO;
	}
	if (buf_resize(b, (size_t)st.st_size) < 0) {
		close(fd);
		return -ENOMEM;
	}
	for (size_t off = 0; off < b->len;) {
		ssize_t n = pread(fd, b->p + off, b->len - off, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* Shrunk meanwhile: the rest stays zero, like a short read. */
			r = n < 0 ? -errno : 0;
			break;
		}
		off += (size_t)n;
	}
	close(fd);
	return r;
}

static int write_path(const char *path, const struct buf *b)
{
	int fd, r = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	for (size_t off = 0; off < b->len;) {
		ssize_t n = pwrite(fd, b->p + off, b->len - off, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			break;
		}
		off += (size_t)n;
	}
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

static int unlink_path(const char *path)
{
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* ---- faults -------------------------------------------------------------------- */

/* Count a call of `op`; returns the errno to inject for it, or 0. Lock held. */
static int take_fault(enum vfs_op op, long count)
{
	if (pl_fail_at[op] == 0 || pl_fail_at[op] != count)
		return 0;
	pl_fail_at[op] = 0;
	return pl_fail_err[op];
}

/* ---- io methods ---------------------------------------------------------------- */

static int pl_close(sqlite3_file *f)
{
	struct pl_file *p = (struct pl_file *)f;
	int rc = p->real->pMethods->xClose(p->real);

	pthread_mutex_lock(&pl_lock);
	pl_open_handles--;
	pthread_mutex_unlock(&pl_lock);
	return rc;
}

static int pl_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
	struct pl_file *p = (struct pl_file *)f;
	/* Reads see the page cache, which survives until the cut: nothing to model. */
	return p->real->pMethods->xRead(p->real, buf, amt, off);
}

static void mark_dirty(struct node *n, sqlite3_int64 off)
{
	if (n && off >= 0 && (uint64_t)off < n->dirty_lo)
		n->dirty_lo = (size_t)off;
}

static int pl_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
	struct pl_file *p = (struct pl_file *)f;
	int rc, err;

	pthread_mutex_lock(&pl_lock);
	err = take_fault(VFS_OP_WRITE, ++pl_writes);
	if (pl_crashed || err) {
		pthread_mutex_unlock(&pl_lock);
		return err == ENOSPC ? SQLITE_FULL : SQLITE_IOERR_WRITE;
	}
	rc = p->real->pMethods->xWrite(p->real, buf, amt, off);
	mark_dirty(p->node, off);
	pthread_mutex_unlock(&pl_lock);
	return rc;
}

static int pl_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct pl_file *p = (struct pl_file *)f;
	int rc;

	pthread_mutex_lock(&pl_lock);
	if (pl_crashed) {
		pthread_mutex_unlock(&pl_lock);
		return SQLITE_IOERR_TRUNCATE;
	}
	rc = p->real->pMethods->xTruncate(p->real, size);
	mark_dirty(p->node, size);
	pthread_mutex_unlock(&pl_lock);
	return rc;
}

static int pl_sync(sqlite3_file *f, int flags)
{
	struct pl_file *p = (struct pl_file *)f;
	struct node *n = p->node;
	int rc, err;

	pthread_mutex_lock(&pl_lock);
	err = take_fault(VFS_OP_SYNC, ++pl_syncs);
	if (pl_crashed || err) {
		pthread_mutex_unlock(&pl_lock);
		return SQLITE_IOERR_FSYNC;
	}
	rc = p->real->pMethods->xSync(p->real, flags);
	if (rc == SQLITE_OK && n) {
		/*
		 * Bytes below min(dirty_lo, old size) are unchanged since the last sync;
		 * growth is always read, so nothing depends on every writer being seen.
		 */
		size_t from = n->dirty_lo < n->synced.len ? n->dirty_lo : n->synced.len;
		if (read_real(p->real, &n->synced, from) < 0) {
			rc = SQLITE_IOERR_FSYNC;
		} else {
			n->dirty_lo = SIZE_MAX;
			/* Mirrors the unix VFS: its UNIXFILE_DIRSYNC fsyncs the directory once. */
			if (p->dirsync_pending) {
				p->dirsync_pending = 0;
				dir_sync(n->path);
			}
		}
	}
	if (rc == SQLITE_OK && pl_crash_remaining > 0 && --pl_crash_remaining == 0)
		pl_crashed = 1;
	pthread_mutex_unlock(&pl_lock);
	return rc;
}

static int pl_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	struct pl_file *p = (struct pl_file *)f;
	return p->real->pMethods->xFileSize(p->real, size);
}

static int pl_lock_(sqlite3_file *f, int level)
{
	struct pl_file *p = (struct pl_file *)f;
	return p->real->pMethods->xLock(p->real, level);
}

static int pl_unlock(sqlite3_file *f, int level)
{
	struct pl_file *p = (struct pl_file *)f;
	return p->real->pMethods->xUnlock(p->real, level);
}

static int pl_check_reserved(sqlite3_file *f, int *out)
{
	struct pl_file *p = (struct pl_file *)f;
	return p->real->pMethods->xCheckReservedLock(p->real, out);
}

static int pl_file_control(sqlite3_file *f, int op, void *arg)
{
	struct pl_file *p = (struct pl_file *)f;
	int rc;

	if (op == SQLITE_FCNTL_VFSNAME) {
		/* Prepend our name, as SQLite's own shims do ("powerloss/unix"). */
		char *inner = NULL;
		rc = p->real->pMethods->xFileControl(p->real, op, &inner);
		*(char **)arg = sqlite3_mprintf("%s/%s", VFS_POWERLOSS_NAME,
						rc == SQLITE_OK && inner ? inner : "?");
		sqlite3_free(inner);
		return *(char **)arg ? SQLITE_OK : SQLITE_NOMEM;
	}
	rc = p->real->pMethods->xFileControl(p->real, op, arg);
	if (op == SQLITE_FCNTL_SIZE_HINT && p->node) {
		/* With a chunk size set, the unix VFS may extend the file here. */
		pthread_mutex_lock(&pl_lock);
		mark_dirty(p->node, 0);
		pthread_mutex_unlock(&pl_lock);
	}
	return rc;
}

static int pl_sector_size(sqlite3_file *f)
{
	struct pl_file *p = (struct pl_file *)f;
	return p->real->pMethods->xSectorSize(p->real);
}

static int pl_device_characteristics(sqlite3_file *f)
{
	struct pl_file *p = (struct pl_file *)f;
	return p->real->pMethods->xDeviceCharacteristics(p->real);
}

static int pl_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
	struct pl_file *p = (struct pl_file *)f;
	return p->real->pMethods->xShmMap(p->real, pg, pgsz, extend, pp);
}

static int pl_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	struct pl_file *p = (struct pl_file *)f;
	return p->real->pMethods->xShmLock(p->real, offset, n, flags);
}

static void pl_shm_barrier(sqlite3_file *f)
{
	struct pl_file *p = (struct pl_file *)f;
	p->real->pMethods->xShmBarrier(p->real);
}

static int pl_shm_unmap(sqlite3_file *f, int delete_flag)
{
	struct pl_file *p = (struct pl_file *)f;
	return p->real->pMethods->xShmUnmap(p->real, delete_flag);
}

/*
 * Version 2 tables: shared memory (WAL) yes, xFetch no. Memory-mapped I/O would let
 * SQLite read through a mapping of the real file, and with SQLITE_MMAP_READWRITE
 * write through it behind the shim's back, so the shim does not offer it.
 */
static const sqlite3_io_methods pl_methods_v1 = {
	.iVersion = 1,
	.xClose = pl_close,
	.xRead = pl_read,
	.xWrite = pl_write,
	.xTruncate = pl_truncate,
	.xSync = pl_sync,
	.xFileSize = pl_file_size,
	.xLock = pl_lock_,
	.xUnlock = pl_unlock,
	.xCheckReservedLock = pl_check_reserved,
	.xFileControl = pl_file_control,
	.xSectorSize = pl_sector_size,
	.xDeviceCharacteristics = pl_device_characteristics,
};

static const sqlite3_io_methods pl_methods_v2 = {
	.iVersion = 2,
	.xClose = pl_close,
	.xRead = pl_read,
	.xWrite = pl_write,
	.xTruncate = pl_truncate,
	.xSync = pl_sync,
	.xFileSize = pl_file_size,
	.xLock = pl_lock_,
	.xUnlock = pl_unlock,
	.xCheckReservedLock = pl_check_reserved,
	.xFileControl = pl_file_control,
	.xSectorSize = pl_sector_size,
	.xDeviceCharacteristics = pl_device_characteristics,
	.xShmMap = pl_shm_map,
	.xShmLock = pl_shm_lock,
	.xShmBarrier = pl_shm_barrier,
	.xShmUnmap = pl_shm_unmap,
};

/* ---- vfs methods --------------------------------------------------------------- */

static int tracked_type(int flags)
{
	int type = flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_TEMP_DB | SQLITE_OPEN_TRANSIENT_DB |
			    SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_TEMP_JOURNAL |
			    SQLITE_OPEN_SUBJOURNAL | SQLITE_OPEN_SUPER_JOURNAL | SQLITE_OPEN_WAL);
	if (flags & SQLITE_OPEN_DELETEONCLOSE)
		return 0;
	switch (type) {
	case SQLITE_OPEN_MAIN_DB:
	case SQLITE_OPEN_MAIN_JOURNAL:
	case SQLITE_OPEN_SUPER_JOURNAL:
	case SQLITE_OPEN_WAL:
		return type;
	default:
		return 0; /* temporary files do not outlive a crash anyway */
	}
}

/* Start or continue tracking `path`, just opened as `real`. Lock held. */
static int track_open(struct pl_file *p, const char *path, int type, int existed)
{
	struct node *n = node_find(path);
	int fresh = !n;

	if (!n && !(n = node_new(path)))
		return -ENOMEM;
	if (type == SQLITE_OPEN_MAIN_DB)
		n->is_main_db = 1;
	if (fresh && existed) {
		/* Existed before the shim saw it: taken as durable. */
		if (read_real(p->real, &n->synced, 0) < 0)
			return -EIO;
		n->cur_exists = 1;
		n->name_durable = 1;
	} else if (!existed || !n->cur_exists) {
		/* A new inode under this name; whatever the name held before stays in `old`. */
		if (n->cur_exists && n->name_durable) {
			/* Deleted behind our back; keep its last durable content as `old`. */
			buf_free(&n->old);
			n->old = n->synced;
			n->old_exists = 1;
			n->synced = (struct buf){ 0 };
		}
		buf_free(&n->synced);
		n->cur_exists = 1;
		n->name_durable = 0;
	}
	p->node = n;
	return 0;
}

static int pl_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags,
		   int *out_flags)
{
	struct pl_file *p = (struct pl_file *)f;
	int type = name ? tracked_type(flags) : 0;
	struct stat st;
	int existed = 0, rc;

	(void)vfs;
	memset(p, 0, sizeof(*p));
	p->real = (sqlite3_file *)(p + 1);
	pthread_mutex_lock(&pl_lock);
	if (pl_crashed) {
		pthread_mutex_unlock(&pl_lock);
		return SQLITE_CANTOPEN;
	}
	/* stat, not xAccess: the unix xAccess calls an empty file nonexistent. */
	if (type)
		existed = stat(name, &st) == 0;
	rc = pl_root->xOpen(pl_root, name, p->real, flags, out_flags);
	if (rc != SQLITE_OK) {
		pthread_mutex_unlock(&pl_lock);
		p->base.pMethods = NULL;
		return rc;
	}
	if (type && track_open(p, name, type, existed) < 0) {
		p->real->pMethods->xClose(p->real);
		pthread_mutex_unlock(&pl_lock);
		p->base.pMethods = NULL;
		return SQLITE_IOERR_NOMEM;
	}
	/* The unix VFS sets UNIXFILE_DIRSYNC under exactly this condition. */
	if (p->node && (flags & SQLITE_OPEN_CREATE) &&
	    (type == SQLITE_OPEN_MAIN_JOURNAL || type == SQLITE_OPEN_SUPER_JOURNAL ||
	     type == SQLITE_OPEN_WAL))
		p->dirsync_pending = 1;
	pl_open_handles++;
	pthread_mutex_unlock(&pl_lock);
	p->base.pMethods = p->real->pMethods->iVersion >= 2 ? &pl_methods_v2 : &pl_methods_v1;
	return SQLITE_OK;
}

static int pl_delete(sqlite3_vfs *vfs, const char *path, int sync_dir)
{
	struct node *n;
	struct stat st;
	int rc;

	(void)vfs;
	pthread_mutex_lock(&pl_lock);
	if (pl_crashed) {
		pthread_mutex_unlock(&pl_lock);
		return SQLITE_IOERR_DELETE;
	}
	n = node_find(path);
	if (!n && stat(path, &st) == 0) {
		/* Never opened through the shim (a leftover journal): durable as found. */
		n = node_new(path);
		if (!n || read_path(path, &n->synced) < 0) {
			pthread_mutex_unlock(&pl_lock);
			return SQLITE_IOERR_DELETE;
		}
		n->cur_exists = 1;
		n->name_durable = 1;
	}
	rc = pl_root->xDelete(pl_root, path, sync_dir);
	if (rc == SQLITE_OK && n && n->cur_exists) {
		if (n->name_durable) {
			buf_free(&n->old);
			n->old = n->synced;
			n->old_exists = 1;
			n->synced = (struct buf){ 0 };
		}
		buf_free(&n->synced);
		n->cur_exists = 0;
		n->name_durable = 0;
	}
	/* unixDelete fsyncs the directory after the unlink when asked to. */
	if (rc == SQLITE_OK && (sync_dir & 1))
		dir_sync(path);
	pthread_mutex_unlock(&pl_lock);
	return rc;
}

static int pl_access(sqlite3_vfs *vfs, const char *path, int flags, int *out)
{
	return pl_root->xAccess(pl_root, path, flags, out);
}

static int pl_full_pathname(sqlite3_vfs *vfs, const char *path, int n, char *out)
{
	return pl_root->xFullPathname(pl_root, path, n, out);
}

static void *pl_dlopen(sqlite3_vfs *vfs, const char *path)
{
	return pl_root->xDlOpen(pl_root, path);
}

static void pl_dlerror(sqlite3_vfs *vfs, int n, char *msg)
{
	pl_root->xDlError(pl_root, n, msg);
}

static void (*pl_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	return pl_root->xDlSym(pl_root, h, sym);
}

static void pl_dlclose(sqlite3_vfs *vfs, void *h)
{
	pl_root->xDlClose(pl_root, h);
}

static int pl_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	return pl_root->xRandomness(pl_root, n, out);
}

static int pl_sleep(sqlite3_vfs *vfs, int us)
{
	return pl_root->xSleep(pl_root, us);
}

static int pl_current_time(sqlite3_vfs *vfs, double *out)
{
	return pl_root->xCurrentTime(pl_root, out);
}

static int pl_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	return pl_root->xGetLastError ? pl_root->xGetLastError(pl_root, n, out) : 0;
}

static int pl_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	if (pl_root->iVersion >= 2 && pl_root->xCurrentTimeInt64)
		return pl_root->xCurrentTimeInt64(pl_root, out);
	double d;
	int rc = pl_root->xCurrentTime(pl_root, &d);
	*out = (sqlite3_int64)(d * 86400000.0);
	return rc;
}

static sqlite3_vfs pl_vfs = {
	.iVersion = 2,
	.zName = VFS_POWERLOSS_NAME,
	.xOpen = pl_open,
	.xDelete = pl_delete,
	.xAccess = pl_access,
	.xFullPathname = pl_full_pathname,
	.xDlOpen = pl_dlopen,
	.xDlError = pl_dlerror,
	.xDlSym = pl_dlsym,
	.xDlClose = pl_dlclose,
	.xRandomness = pl_randomness,
	.xSleep = pl_sleep,
	.xCurrentTime = pl_current_time,
	.xGetLastError = pl_get_last_error,
	.xCurrentTimeInt64 = pl_current_time_int64,
};

/* ---- torn mode ----------------------------------------------------------------- */

static uint64_t rng_next(void)
{
	/* xorshift64*: reproducible from the seed, good enough to pick subsets. */
	pl_rng ^= pl_rng >> 12;
	pl_rng ^= pl_rng << 25;
	pl_rng ^= pl_rng >> 27;
	return pl_rng * 0x2545F4914F6CDD1DULL;
}

static int coin(void)
{
	return (int)(rng_next() >> 63);
}

/*
 * Some of the writes since the last sync reached the disk: per sector, keep either
 * the synced bytes or the current ones; the size is either the synced or the
 * current one. Sectors beyond the synced size that "did not make it" read as zeros.
 */
static int torn_image(const struct buf *synced, const struct buf *now, struct buf *out)
{
	size_t len = coin() ? now->len : synced->len;

	if (buf_resize(out, len) < 0)
		return -ENOMEM;
	for (size_t s = 0; s < len; s += TORN_SECTOR) {
		size_t e = s + TORN_SECTOR < len ? s + TORN_SECTOR : len;
		int take_now = coin();
		for (size_t i = s; i < e; i++) {
			unsigned char a = i < synced->len ? synced->p[i] : 0;
			/* A truncation that did not make it leaves the synced bytes. */
			unsigned char b = i < now->len ? now->p[i] : a;
			out->p[i] = take_now ? b : a;
		}
	}
	return 0;
}

/* ---- public API ---------------------------------------------------------------- */

int vfs_powerloss_register(int make_default)
{
	int rc;

	pthread_mutex_lock(&pl_lock);
	if (!pl_root) {
		sqlite3_vfs *root = sqlite3_vfs_find(NULL);
		if (!root || root == &pl_vfs) {
			pthread_mutex_unlock(&pl_lock);
			return -ENOENT;
		}
		pl_root = root;
		pl_vfs.szOsFile = (int)sizeof(struct pl_file) + root->szOsFile;
		pl_vfs.mxPathname = root->mxPathname;
	}
	pthread_mutex_unlock(&pl_lock);
	rc = sqlite3_vfs_register(&pl_vfs, make_default ? 1 : 0);
	return rc == SQLITE_OK ? 0 : -EIO;
}

static void clear_state(void)
{
	nodes_free();
	pl_syncs = pl_writes = 0;
	pl_crash_remaining = 0;
	pl_crashed = 0;
	memset(pl_fail_at, 0, sizeof(pl_fail_at));
	memset(pl_fail_err, 0, sizeof(pl_fail_err));
}

static int cut_node(const struct node *n)
{
	struct buf now = { 0 }, torn = { 0 };
	int r, durable_now = n->cur_exists && n->name_durable;

	if (pl_rng && n->cur_exists && !durable_now && coin())
		durable_now = 1; /* the file system committed the new name anyway */
	else if (pl_rng && !n->cur_exists && n->old_exists && coin())
		return unlink_path(n->path); /* ... or the deletion */

	if (durable_now && pl_rng) {
		r = read_path(n->path, &now);
		if (r == 0)
			r = torn_image(&n->synced, &now, &torn);
		if (r == 0)
			r = write_path(n->path, &torn);
		buf_free(&now);
		buf_free(&torn);
		return r;
	}
	if (durable_now)
		return write_path(n->path, &n->synced);
	if (n->old_exists)
		return write_path(n->path, &n->old);
	return unlink_path(n->path);
}

int vfs_powerloss_cut(void)
{
	int r = 0;

	pthread_mutex_lock(&pl_lock);
	if (pl_open_handles > 0) {
		pthread_mutex_unlock(&pl_lock);
		return -EBUSY;
	}
	for (struct node *n = pl_nodes; n; n = n->next) {
		int r1 = cut_node(n);
		if (r1 < 0 && r == 0)
			r = r1;
		if (n->is_main_db) {
			char shm[4096];
			if ((size_t)snprintf(shm, sizeof(shm), "%s-shm", n->path) < sizeof(shm)) {
				r1 = unlink_path(shm);
				if (r1 < 0 && r == 0)
					r = r1;
			}
		}
	}
	clear_state();
	pthread_mutex_unlock(&pl_lock);
	return r;
}

void vfs_powerloss_crash_after_syncs(int n)
{
	pthread_mutex_lock(&pl_lock);
	pl_crash_remaining = n > 0 ? n : 0;
	pthread_mutex_unlock(&pl_lock);
}

void vfs_powerloss_crash_now(void)
{
	pthread_mutex_lock(&pl_lock);
	pl_crash_remaining = 0;
	pl_crashed = 1;
	pthread_mutex_unlock(&pl_lock);
}

int vfs_powerloss_crashed(void)
{
	int c;

	pthread_mutex_lock(&pl_lock);
	c = pl_crashed;
	pthread_mutex_unlock(&pl_lock);
	return c;
}

long vfs_powerloss_sync_count(void)
{
	long c;

	pthread_mutex_lock(&pl_lock);
	c = pl_syncs;
	pthread_mutex_unlock(&pl_lock);
	return c;
}

long vfs_powerloss_write_count(void)
{
	long c;

	pthread_mutex_lock(&pl_lock);
	c = pl_writes;
	pthread_mutex_unlock(&pl_lock);
	return c;
}

int vfs_powerloss_fail_nth(enum vfs_op op, int n, int err)
{
	if ((op != VFS_OP_WRITE && op != VFS_OP_SYNC) || n < 0 ||
	    (n > 0 && err != EIO && err != ENOSPC))
		return -EINVAL;
	pthread_mutex_lock(&pl_lock);
	pl_fail_at[op] = n ? (op == VFS_OP_WRITE ? pl_writes : pl_syncs) + n : 0;
	pl_fail_err[op] = err;
	pthread_mutex_unlock(&pl_lock);
	return 0;
}

void vfs_powerloss_set_torn(unsigned seed)
{
	pthread_mutex_lock(&pl_lock);
	/* Spread small seeds; xorshift needs a non-zero state. */
	pl_rng = seed ? ((uint64_t)seed * 0x9E3779B97F4A7C15ULL) | 1 : 0;
	pthread_mutex_unlock(&pl_lock);
}

int vfs_powerloss_reset(void)
{
	pthread_mutex_lock(&pl_lock);
	if (pl_open_handles > 0) {
		pthread_mutex_unlock(&pl_lock);
		return -EBUSY;
	}
	clear_state();
	pl_rng = 0;
	pthread_mutex_unlock(&pl_lock);
	return 0;
}
