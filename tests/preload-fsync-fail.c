/* SPDX-License-Identifier: MIT */
/*
 * LD_PRELOAD for t-door-dbfail: a disk that stops honouring flushes. While
 * the file named by VT_FSYNC_FAIL exists, fdatasync() and fsync() fail with
 * EIO without syncing (SQLite's commit then fails: SQLITE_IOERR_FSYNC, and it
 * rolls back); otherwise they go to the kernel. Nothing else is touched.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

/* NAME (fdatasync or fsync) on FD: EIO while the file exists, else the real. */
static int sync_or_fail(const char *name, int (**real)(int), int fd)
{
	const char *f = getenv("VT_FSYNC_FAIL");
	if (f && access(f, F_OK) == 0) {
		errno = EIO;
		return -1;
	}
	if (!*real)
		*real = (int (*)(int))dlsym(RTLD_NEXT, name);
	if (!*real) {
		errno = ENOSYS;
		return -1;
	}
	return (*real)(fd);
}

int fdatasync(int fd)
{
	static int (*real)(int);
	return sync_or_fail("fdatasync", &real, fd);
}

int fsync(int fd)
{
	static int (*real)(int);
	return sync_or_fail("fsync", &real, fd);
}
