/* SPDX-License-Identifier: MIT */
/* Master key loading: credentials directory first, permissions and length checked. */
#include "tap.h"
#include "vault/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64], cred[64];

static void put(const char *d, const char *name, const void *buf, size_t n, mode_t mode)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", d, name);
	unlink(p);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, buf, n) != (ssize_t)n)
		exit(2);
	fchmod(fd, mode);
	close(fd);
}

int main(void)
{
	uint8_t k[16], a[16], b[16], out[16];
	memset(a, 0xA1, 16);
	memset(b, 0xB2, 16);
	strcpy(dir, "/tmp/vault-keys-XXXXXX");
	strcpy(cred, "/tmp/vault-cred-XXXXXX");
	if (!mkdtemp(dir) || !mkdtemp(cred))
		tap_skip_all("mkdtemp failed");
	unsetenv("CREDENTIALS_DIRECTORY");
	put(dir, "badge-master", a, 16, 0600);
	ok(vault_key_load("badge-master", dir, k, 16) == 0 && !memcmp(k, a, 16),
	   "key read from the configured directory");
	put(cred, "badge-master", b, 16, 0400);
	setenv("CREDENTIALS_DIRECTORY", cred, 1);
	ok(vault_key_load("badge-master", dir, k, 16) == 0 && !memcmp(k, b, 16),
	   "$CREDENTIALS_DIRECTORY takes precedence");
	unsetenv("CREDENTIALS_DIRECTORY");
	put(dir, "badge-master", a, 16, 0640);
	memset(out, 0x5A, 16);
	ok(vault_key_load("badge-master", dir, out, 16) == -EPERM && out[0] == 0x5A,
	   "group-readable key file refused with -EPERM, output untouched");
	put(dir, "badge-master", a, 16, 0604);
	ok(vault_key_load("badge-master", dir, out, 16) == -EPERM, "world-readable key file refused");
	put(dir, "badge-master", a, 15, 0600);
	ok(vault_key_load("badge-master", dir, out, 16) == -EMSGSIZE, "15-byte key file refused (-EMSGSIZE)");
	uint8_t big[17] = {0};
	put(dir, "badge-master", big, 17, 0600);
	ok(vault_key_load("badge-master", dir, out, 16) == -EMSGSIZE, "17-byte key file refused");
	ok(vault_key_load("absent", dir, out, 16) == -ENOENT, "missing key file: -ENOENT");
	ok(vault_key_load("../etc/passwd", dir, out, 16) == -EINVAL, "a name with a slash is refused");
	char lnk[128];
	snprintf(lnk, sizeof lnk, "%s/link", dir);
	put(dir, "badge-master", a, 16, 0600);
	symlink("badge-master", lnk);
	ok(vault_key_load("link", dir, out, 16) == -EPERM, "a symlinked key file is refused");
	unlink(lnk);
	char p[128];
	snprintf(p, sizeof p, "%s/badge-master", dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/badge-master", cred);
	unlink(p);
	rmdir(dir);
	rmdir(cred);
	return tap_done();
}
