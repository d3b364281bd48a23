/* SPDX-License-Identifier: MIT */
#include "vault/pin.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "vault/util.h"

int vault_pin_valid(const char *p)
{
	size_t n = p ? strlen(p) : 0;
	if (n < 4 || n > 12)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

static void prehash(const uint8_t *pepper, const char *pin, char hex[65])
{
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256(mac, (const uint8_t *)pin, strlen(pin), pepper);
	vault_hex(mac, sizeof mac, hex);
	sodium_memzero(mac, sizeof mac);
}

int vault_pin_hash(const uint8_t pepper[VAULT_PIN_PEPPER_LEN], const char *pin, int ops,
		   size_t mem, char out[VAULT_PIN_HASH_MAX])
{
	char hex[65];
	prehash(pepper, pin, hex);
	int r = crypto_pwhash_str_alg(out, hex, 64, (unsigned long long)ops, mem,
				      crypto_pwhash_ALG_ARGON2ID13);
	sodium_memzero(hex, sizeof hex);
	return r == 0 ? 0 : -ENOMEM;
}

int vault_pin_verify(const uint8_t pepper[VAULT_PIN_PEPPER_LEN], const char *pin,
		     const char *hash)
{
	if (!hash || !*hash || strlen(hash) >= crypto_pwhash_STRBYTES)
		return -EACCES;
	char hex[65];
	prehash(pepper, pin, hex);
	int r = crypto_pwhash_str_verify(hash, hex, 64);
	sodium_memzero(hex, sizeof hex);
	return r == 0 ? 0 : -EACCES;
}
