/* SPDX-License-Identifier: MIT */
#include "vault/keys.h"

#include "vault/util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int vault_key_load(const char *name, const char *dir, uint8_t *out, size_t len)
{
	char path[4096];
	const char *base = getenv("CREDENTIALS_DIRECTORY");
	if (!name || !*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..") ||
	    !out || len == 0 || len > 4096)
		return -EINVAL;
	/* Under systemd the credentials directory is the only source: a key the
	 * unit does not pass must fail, not be taken from a directory the
	 * service was not given (keys_dir may hold a stale or foreign copy). */
	if (!base || !*base)
		base = dir;
	if (!base || !*base)
		return -EINVAL;
	int n = snprintf(path, sizeof path, "%s/%s", base, name);
	if (n < 0 || (size_t)n >= sizeof path)
		return -ENAMETOOLONG;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return errno == ELOOP ? -EPERM : -errno;
	struct stat st;
	int r = 0;
	uint8_t buf[4097];
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	/* A secret others can read is already compromised; refuse it loudly. */
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077)) {
		r = -EPERM;
		goto out;
	}
	if ((size_t)st.st_size != len) {
		r = -EMSGSIZE;
		goto out;
	}
	size_t got = 0;
	while (got < len + 1) {
		ssize_t k = read(fd, buf + got, len + 1 - got);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	if (got != len) {
		r = -EMSGSIZE;
		goto out;
	}
	memcpy(out, buf, len);
out:
	OPENSSL_cleanse(buf, sizeof buf);
	close(fd);
	return r;
}
