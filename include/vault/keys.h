/* SPDX-License-Identifier: MIT */
/*
 * Secret key files (site master key for badges, ...). Under systemd the daemon gets
 * them as credentials ($CREDENTIALS_DIRECTORY/<name>, LoadCredential=); otherwise
 * from a configured directory. Never logs key bytes.
 */
#ifndef VAULT_KEYS_H
#define VAULT_KEYS_H
#include <stddef.h>
#include <stdint.h>

/* Read exactly len bytes of key `name` into out: from $CREDENTIALS_DIRECTORY/name
 * when that variable is set, else from dir/name. name must be a plain file name.
 * Returns 0; -EINVAL (bad name/arguments), -ENOENT, -EPERM (the file is readable or
 * writable by group or others, or not a regular file), -EMSGSIZE (wrong length),
 * or another -errno. out is untouched on failure. Blocking file I/O. */
int vault_key_load(const char *name, const char *dir, uint8_t *out, size_t len);
#endif
