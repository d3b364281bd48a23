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

static int failing(void)
{
	const char *f = getenv("VT_FSYNC_FAIL");
	return f && access(f, F_OK) == 0;
}

int fdatasync(int fd)
{
	static int (*real)(int);
	if (failing()) {
		errno = EIO;
		return -1;
	}
	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	return real ? real(fd) : (errno = ENOSYS, -1);
}

int fsync(int fd)
{
	static int (*real)(int);
	if (failing()) {
		errno = EIO;
		return -1;
	}
	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	return real ? real(fd) : (errno = ENOSYS, -1);
}
