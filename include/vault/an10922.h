/* SPDX-License-Identifier: MIT */
/*
 * AES-128 primitives for badges: single-block AES, CMAC (RFC 4493, with an optional
 * running IV as DESFire EV1 secure messaging uses it) and NXP AN10922 key
 * diversification. Built on OpenSSL libcrypto. Pure functions: no allocation kept,
 * no logging, thread-safe.
 */
#ifndef VAULT_AN10922_H
#define VAULT_AN10922_H
#include <stddef.h>
#include <stdint.h>

#define VAULT_AES_KEY_LEN 16
/* AN10922 limits the diversification input M (UID || AID || system id) to 31 bytes. */
#define VAULT_AN10922_MAX_INPUT 31

/* Encrypt (encrypt=1) or decrypt one 16-byte block with AES-128-ECB.
 * in and out may alias. Returns 0 or -EIO (libcrypto failure). */
int vault_aes128_block(const uint8_t key[16], const uint8_t in[16], uint8_t out[16], int encrypt);

/* Legacy DESFire cipher: one 8-byte block of 2-key 3DES-EDE with key K1||K2
 * (single DES when K1 == K2, as DESFire stores DES keys). Returns 0 or -EIO. */
int vault_2k3des_block(const uint8_t key[16], uint8_t b[8], int encrypt);

/* AES-CBC over len bytes (a multiple of 16) in place; iv is updated to the chaining
 * value after the last block (DESFire EV1 keeps one running IV per session).
 * Returns 0, -EINVAL (len not a multiple of 16) or -EIO. */
int vault_aes128_cbc(const uint8_t key[16], uint8_t iv[16], uint8_t *buf, size_t len, int encrypt);

/* AES-CMAC (RFC 4493) of msg. If iv is NULL the chain starts at zero (the standard
 * CMAC); otherwise it starts at *iv and *iv receives the full 16-byte result
 * (DESFire EV1 secure messaging). out gets 16 bytes. Returns 0 or -EIO. */
int vault_aes_cmac(const uint8_t key[16], uint8_t iv[16], const uint8_t *msg, size_t len,
		   uint8_t out[16]);

/* AN10922 AES-128 diversification: CMAC-style MAC over 0x01 || uid || aid || sysid,
 * padded (0x80 00..) to 32 bytes with subkey K2 when shorter than 32, else K1.
 * aid is the 3-byte DESFire AID as sent on the wire (LSB first).
 * Returns 0 and fills out, -EINVAL when uid_len is 0 or the input exceeds 31 bytes,
 * or -EIO. Never logs key material. */
int vault_an10922_aes128(const uint8_t master[16], const uint8_t *uid, size_t uid_len,
			 const uint8_t aid[3], const uint8_t *sysid, size_t sysid_len,
			 uint8_t out[16]);
#endif
