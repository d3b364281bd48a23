/* SPDX-License-Identifier: MIT */
/*
 * Secret keys (checkpoint signing key, PIN pepper, NFC site master key).
 * Looked up first in $CREDENTIALS_DIRECTORY (systemd LoadCredential=), then in
 * the configured keys directory. A key file readable by group or others is
 * refused. Key bytes are never logged, stored in the database or published.
 */
#ifndef VAULT_SECRETS_H
#define VAULT_SECRETS_H
#include <stddef.h>
#include <stdint.h>

/* Read exactly `len` bytes of key `name`. Returns 0, -ENOENT, -EPERM (mode too
 * open), -EINVAL (wrong length), or another -errno. */
int vault_key_load(const char *name, const char *dir, uint8_t *out, size_t len);
/* Create key `name` in dir with `len` random bytes, mode 0600; -EEXIST if present. */
int vault_secret_create(const char *name, const char *dir, const uint8_t *key, size_t len);
#endif
