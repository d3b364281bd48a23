/* SPDX-License-Identifier: MIT */
/*
 * Signed texts: the messages a central verifier and a vault exchange over MQTT
 * (docs/verifier.md). A signed text is short printable ASCII, one field per
 * line:
 *
 *   <type> 1\n            the first line: what the text is, format 1
 *   <key> <value>\n       any number of fields; key [a-z_]+, each key once,
 *                         value printable ASCII (0x20-0x7e), may be empty
 *   pubkey <64 hex>\n     the signer's Ed25519 public key
 *   sig <128 hex>\n       last: Ed25519 over "VAULT-SIGNED-TEXT\n" followed by
 *                         every byte before this line
 *
 * A checker pins the key it expects; the pubkey line only says which key
 * signed, so that a wrong key is told apart from a forged signature.
 */
#ifndef VAULT_SIGNEDTEXT_H
#define VAULT_SIGNEDTEXT_H
#include <stddef.h>
#include <stdint.h>

#define VAULT_SIGNED_MAX 2048

/* buf holds len bytes of text (the type line and the fields, each ending in
 * \n). Appends the pubkey and sig lines signed with sk (libsodium's 64-byte
 * Ed25519 secret key, public key in its second half) and a NUL. Returns the
 * new length, or -EINVAL (not a well-formed unsigned text) or -ENAMETOOLONG. */
int vault_signed_finish(char *buf, size_t size, size_t len, const uint8_t sk[64]);

/* Check text (len bytes, no NUL needed) against the pinned key pk: 0 if it is
 * a well-formed signed text of this type signed by pk; -EBADMSG if it is not
 * well formed (or not of this type), -EKEYREJECTED if another key signed it,
 * -EPERM if the signature is wrong. *err (may be NULL) says what, in words. */
int vault_signed_check(const char *text, size_t len, const char *type, const uint8_t pk[32],
		       const char **err);

/* The value of field key in a checked text, copied to out. 0, -ENOENT, or
 * -ENAMETOOLONG (out too small). */
int vault_signed_get(const char *text, size_t len, const char *key, char *out, size_t size);
/* The same, as a decimal integer >= 0: 0, -ENOENT or -EINVAL. */
int vault_signed_get_i64(const char *text, size_t len, const char *key, int64_t *v);
#endif
