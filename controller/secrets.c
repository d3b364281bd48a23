/* SPDX-License-Identifier: MIT */
#include "vault/secrets.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int open_key(const char *name, const char *dir, char *path, size_t size)
{
	const char *cred = getenv("CREDENTIALS_DIRECTORY");
	if (cred && *cred) {
		snprintf(path, size, "%s/%s", cred, name);
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0 || errno != ENOENT)
			return fd < 0 ? -errno : fd;
	}
	if (snprintf(path, size, "%s/%s", dir, name) >= (int)size)
		return -ENAMETOOLONG;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	return fd < 0 ? -errno : fd;
}

int vault_secret_load(const char *name, const char *dir, uint8_t *out, size_t len)
{
	char path[1024];
	int fd = open_key(name, dir, path, sizeof path);
	if (fd < 0)
		return fd;
	struct stat st;
	int r = 0;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	else if (st.st_mode & 077)
		r = -EPERM;
	else if ((size_t)st.st_size != len)
		r = -EINVAL;
	else if (read(fd, out, len) != (ssize_t)len)
		r = -EIO;
	close(fd);
	return r;
}

int vault_secret_create(const char *name, const char *dir, const uint8_t *key, size_t len)
{
	char path[1024];
	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
		return -ENAMETOOLONG;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	int r = 0;
	if (write(fd, key, len) != (ssize_t)len || fsync(fd) < 0)
		r = -EIO;
	close(fd);
	if (r < 0)
		unlink(path);
	return r;
}
