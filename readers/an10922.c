/* SPDX-License-Identifier: MIT */
#include "vault/an10922.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

int vault_aes128_block(const uint8_t key[16], const uint8_t in[16], uint8_t out[16], int encrypt)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t tmp[32];
	int n = 0, r = -EIO;
	if (!c)
		return -ENOMEM;
	if (EVP_CipherInit_ex(c, EVP_aes_128_ecb(), NULL, key, NULL, encrypt ? 1 : 0) == 1 &&
	    EVP_CIPHER_CTX_set_padding(c, 0) == 1 && EVP_CipherUpdate(c, tmp, &n, in, 16) == 1 &&
	    n == 16) {
		memcpy(out, tmp, 16);
		r = 0;
	}
	OPENSSL_cleanse(tmp, sizeof tmp);
	EVP_CIPHER_CTX_free(c);
	return r;
}

int vault_2k3des_block(const uint8_t key[16], uint8_t b[8], int encrypt)
{
	/* 3DES-EDE with K1 == K2 is single DES, so no legacy provider is needed. */
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	uint8_t out[16];
	int n = 0, r = -EIO;
	if (!x)
		return -ENOMEM;
	if (EVP_CipherInit_ex(x, EVP_des_ede_ecb(), NULL, key, NULL, encrypt ? 1 : 0) == 1 &&
	    EVP_CIPHER_CTX_set_padding(x, 0) == 1 && EVP_CipherUpdate(x, out, &n, b, 8) == 1 &&
	    n == 8) {
		memcpy(b, out, 8);
		r = 0;
	}
	OPENSSL_cleanse(out, sizeof out);
	EVP_CIPHER_CTX_free(x);
	return r;
}

int vault_aes128_cbc(const uint8_t key[16], uint8_t iv[16], uint8_t *buf, size_t len, int encrypt)
{
	if (len % 16)
		return -EINVAL;
	for (size_t off = 0; off < len; off += 16) {
		uint8_t *b = buf + off, save[16];
		int r;
		if (encrypt) {
			for (int i = 0; i < 16; i++)
				b[i] ^= iv[i];
			if ((r = vault_aes128_block(key, b, b, 1)) < 0)
				return r;
			memcpy(iv, b, 16);
		} else {
			memcpy(save, b, 16);
			if ((r = vault_aes128_block(key, b, b, 0)) < 0)
				return r;
			for (int i = 0; i < 16; i++)
				b[i] ^= iv[i];
			memcpy(iv, save, 16);
		}
	}
	return 0;
}

/* Doubling in GF(2^128) as RFC 4493 derives K1 and K2. */
static void dbl(uint8_t b[16])
{
	uint8_t carry = b[0] & 0x80;
	for (int i = 0; i < 15; i++)
		b[i] = (uint8_t)((b[i] << 1) | (b[i + 1] >> 7));
	b[15] = (uint8_t)(b[15] << 1);
	if (carry)
		b[15] ^= 0x87;
}

static int subkeys(const uint8_t key[16], uint8_t k1[16], uint8_t k2[16])
{
	uint8_t z[16] = {0};
	int r = vault_aes128_block(key, z, k1, 1);
	if (r < 0)
		return r;
	dbl(k1);
	memcpy(k2, k1, 16);
	dbl(k2);
	return 0;
}

/* MAC over buf (blen bytes, multiple of 16, already padded) after XOR of the subkey
 * into the last block. */
static int mac_padded(const uint8_t key[16], uint8_t chain[16], uint8_t *buf, size_t blen,
		      const uint8_t sub[16])
{
	for (int i = 0; i < 16; i++)
		buf[blen - 16 + i] ^= sub[i];
	return vault_aes128_cbc(key, chain, buf, blen, 1);
}

int vault_aes_cmac(const uint8_t key[16], uint8_t iv[16], const uint8_t *msg, size_t len,
		   uint8_t out[16])
{
	uint8_t k1[16], k2[16], chain[16] = {0};
	int r;
	if (len > (1u << 20))
		return -EINVAL;
	size_t blen = (len == 0 || len % 16) ? (len / 16 + 1) * 16 : len;
	uint8_t *buf = calloc(1, blen);
	if (!buf)
		return -ENOMEM;
	if ((r = subkeys(key, k1, k2)) < 0)
		goto out;
	if (len)
		memcpy(buf, msg, len);
	if (iv)
		memcpy(chain, iv, 16);
	if (len == 0 || len % 16) {
		buf[len] = 0x80;
		r = mac_padded(key, chain, buf, blen, k2);
	} else {
		r = mac_padded(key, chain, buf, blen, k1);
	}
	if (r == 0) {
		memcpy(out, chain, 16);
		if (iv)
			memcpy(iv, chain, 16);
	}
out:
	OPENSSL_cleanse(k1, 16);
	OPENSSL_cleanse(k2, 16);
	OPENSSL_cleanse(buf, blen);
	free(buf);
	return r;
}

int vault_an10922_aes128(const uint8_t master[16], const uint8_t *uid, size_t uid_len,
			 const uint8_t aid[3], const uint8_t *sysid, size_t sysid_len,
			 uint8_t out[16])
{
	uint8_t d[32] = {0}, k1[16], k2[16], chain[16] = {0};
	size_t m = uid_len + 3 + sysid_len;
	int r;
	if (!uid || uid_len == 0 || m > VAULT_AN10922_MAX_INPUT || (sysid_len && !sysid))
		return -EINVAL;
	/* Diversification constant 0x01 for AES-128, then M. */
	d[0] = 0x01;
	memcpy(d + 1, uid, uid_len);
	memcpy(d + 1 + uid_len, aid, 3);
	if (sysid_len)
		memcpy(d + 4 + uid_len, sysid, sysid_len);
	if ((r = subkeys(master, k1, k2)) < 0)
		goto out;
	/* AN10922 always MACs two blocks: short input is padded to 32, not to 16. */
	if (m + 1 < 32) {
		d[m + 1] = 0x80;
		r = mac_padded(master, chain, d, 32, k2);
	} else {
		r = mac_padded(master, chain, d, 32, k1);
	}
	if (r == 0)
		memcpy(out, chain, 16);
out:
	OPENSSL_cleanse(d, sizeof d);
	OPENSSL_cleanse(k1, 16);
	OPENSSL_cleanse(k2, 16);
	OPENSSL_cleanse(chain, 16);
	return r;
}
