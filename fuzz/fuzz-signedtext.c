/* SPDX-License-Identifier: MIT */
/*
 * Signed texts (vault/signedtext.h): what arrives on <prefix>/command and
 * /verified from the broker is untrusted. Any input is checked against a
 * pinned key without crashing and never accepted (the fuzzer has no key);
 * an input that is a well-formed unsigned text, signed here, must check,
 * and then fail to check with any one byte changed.
 */
#include "vault/signedtext.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pk[32], sk[64];
	static int init;
	if (!init) {
		uint8_t seed[32] = {1, 2, 3};
		if (sodium_init() < 0)
			abort();
		crypto_sign_ed25519_seed_keypair(pk, sk, seed);
		init = 1;
	}
	const char *text = (const char *)data;
	if (vault_signed_check(text, size, "vault-command", pk, NULL) == 0)
		abort(); /* accepted without the key */
	char out[64];
	int64_t v;
	vault_signed_get(text, size, "id", out, sizeof out);
	vault_signed_get_i64(text, size, "from", &v);

	char buf[VAULT_SIGNED_MAX + 1];
	if (size >= sizeof buf)
		return 0;
	memcpy(buf, data, size);
	int n = vault_signed_finish(buf, sizeof buf, size, sk);
	if (n < 0)
		return 0;
	size_t sp = strcspn(buf, " ");
	char type[VAULT_SIGNED_MAX + 1];
	memcpy(type, buf, sp);
	type[sp] = 0;
	if (vault_signed_check(buf, (size_t)n, type, pk, NULL) != 0)
		abort(); /* signed here, refused */
	for (int i = 0; i < n; i += 1 + n / 64) {
		buf[i] ^= 0x01;
		if (vault_signed_check(buf, (size_t)n, type, pk, NULL) == 0)
			abort(); /* a changed byte accepted */
		buf[i] ^= 0x01;
	}
	return 0;
}
