/* SPDX-License-Identifier: MIT */
/* AES-CMAC against RFC 4493 and AN10922 diversification against NXP's published
 * AES-128 example (AN10922 section 2.2.1). */
#include "tap.h"
#include "vault/an10922.h"
#include "vault/util.h"

#include <errno.h>
#include <string.h>

static void unhex(const char *h, uint8_t *out, size_t n)
{
	if (vault_unhex(h, out, n) < 0) {
		fprintf(stderr, "bad hex in test\n");
		exit(2);
	}
}

static int cmac_is(const char *keyh, const char *msgh, const char *exph)
{
	uint8_t key[16], msg[64], exp[16], out[16];
	size_t n = strlen(msgh) / 2;
	unhex(keyh, key, 16);
	unhex(msgh, msg, n);
	unhex(exph, exp, 16);
	return vault_aes_cmac(key, NULL, msg, n, out) == 0 && memcmp(out, exp, 16) == 0;
}

int main(void)
{
	const char *k = "2b7e151628aed2a6abf7158809cf4f3c";
	const char *m64 = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
			  "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
	char m40[81];
	memcpy(m40, m64, 80);
	m40[80] = 0;
	char m16[33];
	memcpy(m16, m64, 32);
	m16[32] = 0;
	ok(cmac_is(k, "", "bb1d6929e95937287fa37d129b756746"), "RFC 4493 example 1 (empty message)");
	ok(cmac_is(k, m16, "070a16b46b4d4144f79bdd9dd04a287c"), "RFC 4493 example 2 (16 bytes)");
	ok(cmac_is(k, m40, "dfa66747de9ae63030ca32611497c827"), "RFC 4493 example 3 (40 bytes)");
	ok(cmac_is(k, m64, "51f0bebf7e3b9d92fc49741779363cfe"), "RFC 4493 example 4 (64 bytes)");

	uint8_t master[16], uid[7], aid[3], exp[16], out[16];
	const uint8_t sysid[] = "NXP Abu";
	unhex("00112233445566778899AABBCCDDEEFF", master, 16);
	unhex("04782E21801D80", uid, 7);
	unhex("3042F5", aid, 3);
	unhex("A8DD63A3B89D54B37CA802473FDA9175", exp, 16);
	memset(out, 0, sizeof out);
	ok(vault_an10922_aes128(master, uid, 7, aid, sysid, 7, out) == 0 &&
		   memcmp(out, exp, 16) == 0,
	   "AN10922 AES-128 example: diversified key A8DD63A3B89D54B37CA802473FDA9175");

	/* A different UID must give a different key (the point of diversification). */
	uint8_t uid2[7], out2[16];
	memcpy(uid2, uid, 7);
	uid2[6] ^= 1;
	ok(vault_an10922_aes128(master, uid2, 7, aid, sysid, 7, out2) == 0 &&
		   memcmp(out, out2, 16) != 0,
	   "a one-bit UID change gives a different diversified key");

	/* Input of exactly 31 bytes (D = 32 bytes, no padding, K1) is accepted and differs
	 * from the standard CMAC of the same bytes only by construction, not by error. */
	uint8_t longsys[21] = "ABCDEFGHIJKLMNOPQRSTU";
	uint8_t d[32], std[16], out3[16];
	ok(vault_an10922_aes128(master, uid, 7, aid, longsys, 21, out3) == 0,
	   "31-byte diversification input is accepted");
	d[0] = 1;
	memcpy(d + 1, uid, 7);
	memcpy(d + 8, aid, 3);
	memcpy(d + 11, longsys, 21);
	ok(vault_aes_cmac(master, NULL, d, 32, std) == 0 && memcmp(std, out3, 16) == 0,
	   "with a full 32-byte input AN10922 equals plain CMAC (K1 path)");
	uint8_t longer[22] = {0};
	ok(vault_an10922_aes128(master, uid, 7, aid, longer, 22, out3) == -EINVAL,
	   "32-byte diversification input is refused with -EINVAL");
	ok(vault_an10922_aes128(master, uid, 0, aid, sysid, 7, out3) == -EINVAL,
	   "empty UID is refused with -EINVAL");
	return tap_done();
}
