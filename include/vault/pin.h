/* SPDX-License-Identifier: MIT */
/*
 * PIN hashing: argon2id (libsodium) over HMAC-SHA256(pepper, PIN) in hex. The
 * pepper is a secret kept outside the database, so a stolen database alone
 * cannot be brute-forced. Both calls are slow on purpose: run them in a
 * worker thread, never on the event loop.
 */
#ifndef VAULT_PIN_H
#define VAULT_PIN_H
#include <stddef.h>
#include <stdint.h>

#define VAULT_PIN_PEPPER_LEN 32
#define VAULT_PIN_HASH_MAX 128 /* >= crypto_pwhash_STRBYTES */

/* 1 if pin is 4..12 decimal digits. */
int vault_pin_valid(const char *pin);
/* Returns 0 or -ENOMEM. Blocks for the argon2id cost. */
int vault_pin_hash(const uint8_t pepper[VAULT_PIN_PEPPER_LEN], const char *pin, int ops,
		   size_t mem, char out[VAULT_PIN_HASH_MAX]);
/* Returns 0 if pin matches hash, -EACCES if not (or hash is empty/invalid). Blocks. */
int vault_pin_verify(const uint8_t pepper[VAULT_PIN_PEPPER_LEN], const char *pin,
		     const char *hash);
#endif
