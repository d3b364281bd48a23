/* SPDX-License-Identifier: MIT */
/*
 * LD_PRELOAD for t-health: the free space vaultd reads, set by the test. A
 * disk cannot be filled and emptied on demand on a build machine (nor made to
 * fail statvfs), so this wraps statvfs(): the call still goes to the kernel,
 * and then the file named by VT_STATVFS says what to answer:
 *   N     (a number) the real answer with N MiB available (f_bavail)
 *   fail  -1 with errno EIO
 *   else, or no file: the real answer
 * The file is read at every call, so a test changes the answer while vaultd
 * runs. Nothing else is touched.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

int statvfs(const char *path, struct statvfs *buf)
{
	static int (*real)(const char *, struct statvfs *);
	if (!real)
		real = (int (*)(const char *, struct statvfs *))dlsym(RTLD_NEXT, "statvfs");
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	int r = real(path, buf);
	const char *ctl = getenv("VT_STATVFS");
	FILE *f = ctl ? fopen(ctl, "re") : NULL;
	if (!f)
		return r;
	char line[64] = "";
	if (!fgets(line, sizeof line, f))
		line[0] = 0;
	fclose(f);
	if (!strncmp(line, "fail", 4)) {
		errno = EIO;
		return -1;
	}
	char *end;
	unsigned long long mib = strtoull(line, &end, 10);
	if (r == 0 && end != line && buf->f_frsize)
		buf->f_bavail = (fsblkcnt_t)(mib * 1024 * 1024 / buf->f_frsize);
	return r;
}
