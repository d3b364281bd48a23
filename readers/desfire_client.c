/* SPDX-License-Identifier: MIT */
#include "vault/desfire_client.h"

#include "vault/an10922.h"
#include "vault/desfire_model.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <string.h>

#define ST_OK 0x00
#define ST_MORE 0xAF
#define ST_AUTH 0xAE
#define ST_APP_NOT_FOUND 0xA0

int vault_desfire_parse_answer(const uint8_t *ans, size_t n, uint8_t *st, const uint8_t **data)
{
	if (!ans || n < 2 || ans[n - 2] != 0x91)
		return -EBADMSG;
	*st = ans[n - 1];
	*data = ans;
	return (int)(n - 2);
}

/* Wrap cmd + params as 90 INS 00 00 [Lc data] 00, exchange, split the answer. */
static int exchange(vault_desfire_xfer_fn x, void *ud, uint8_t ins, const uint8_t *p,
		    size_t pn, uint8_t *ans, size_t max, uint8_t *st, const uint8_t **data)
{
	uint8_t apdu[5 + 255 + 1];
	size_t n = 0;
	if (pn > 255)
		return -EINVAL;
	apdu[n++] = 0x90;
	apdu[n++] = ins;
	apdu[n++] = 0x00;
	apdu[n++] = 0x00;
	if (pn) {
		apdu[n++] = (uint8_t)pn;
		memcpy(apdu + n, p, pn);
		n += pn;
	}
	apdu[n++] = 0x00; /* Le */
	int r = x(ud, apdu, n, ans, max);
	if (r < 0)
		return r;
	if ((size_t)r > max)
		return -EBADMSG;
	return vault_desfire_parse_answer(ans, (size_t)r, st, data);
}

static int status_err(uint8_t st, uint8_t *ret_status)
{
	if (ret_status)
		*ret_status = st;
	if (st == ST_APP_NOT_FOUND)
		return -ENOENT;
	if (st == ST_AUTH)
		return -EACCES;
	return -EPROTO;
}

int vault_desfire_select(vault_desfire_xfer_fn x, void *ud, const uint8_t aid[3],
			 uint8_t *ret_status)
{
	uint8_t ans[64], st;
	const uint8_t *d;
	int n = exchange(x, ud, 0x5A, aid, 3, ans, sizeof ans, &st, &d);
	if (n < 0)
		return n;
	if (st != ST_OK)
		return status_err(st, ret_status);
	if (n != 0)
		return -EBADMSG;
	if (ret_status)
		*ret_status = st;
	return 0;
}

int vault_desfire_key_version(vault_desfire_xfer_fn x, void *ud, uint8_t keyno,
			      uint8_t *ret_version, uint8_t *ret_status)
{
	uint8_t ans[64], st;
	const uint8_t *d;
	int n = exchange(x, ud, 0x64, &keyno, 1, ans, sizeof ans, &st, &d);
	if (n < 0)
		return n;
	if (st != ST_OK)
		return status_err(st, ret_status);
	/* Unauthenticated: exactly the version byte (no CMAC). */
	if (n != 1)
		return -EBADMSG;
	*ret_version = d[0];
	if (ret_status)
		*ret_status = st;
	return 0;
}

static void rotl1(uint8_t *dst, const uint8_t *src)
{
	for (int i = 0; i < 16; i++)
		dst[i] = src[(i + 1) % 16];
}

int vault_desfire_auth_aes(vault_desfire_xfer_fn x, void *ud, uint8_t keyno,
			   const uint8_t key[16], const uint8_t rnda[16], uint8_t *ret_session,
			   uint8_t *ret_status)
{
	uint8_t ans[64], st, iv[16] = {0}, rndb[16], tok[32], rnda_r[16], chk[16];
	const uint8_t *d;
	int r = -EBADMSG;
	int n = exchange(x, ud, 0xAA, &keyno, 1, ans, sizeof ans, &st, &d);
	if (n < 0)
		return n;
	if (st != ST_MORE)
		return status_err(st, ret_status);
	if (n != 16)
		return -EBADMSG;
	/* EV1: one CBC chain (IV zero at the start) runs through all three blocks. */
	memcpy(rndb, d, 16);
	if ((r = vault_aes128_cbc(key, iv, rndb, 16, 0)) < 0)
		goto out;
	memcpy(tok, rnda, 16);
	rotl1(tok + 16, rndb);
	if ((r = vault_aes128_cbc(key, iv, tok, 32, 1)) < 0)
		goto out;
	n = exchange(x, ud, 0xAF, tok, 32, ans, sizeof ans, &st, &d);
	if (n < 0) {
		r = n;
		goto out;
	}
	if (st != ST_OK) {
		r = status_err(st, ret_status);
		goto out;
	}
	if (n != 16) {
		r = -EBADMSG;
		goto out;
	}
	memcpy(chk, d, 16);
	if ((r = vault_aes128_cbc(key, iv, chk, 16, 0)) < 0)
		goto out;
	rotl1(rnda_r, rnda);
	if (CRYPTO_memcmp(chk, rnda_r, 16) != 0) {
		r = -EACCES; /* the card does not hold the key */
		goto out;
	}
	if (ret_session) {
		memcpy(ret_session, rnda, 4);
		memcpy(ret_session + 4, rndb, 4);
		memcpy(ret_session + 8, rnda + 12, 4);
		memcpy(ret_session + 12, rndb + 12, 4);
	}
	if (ret_status)
		*ret_status = st;
	r = 0;
out:
	OPENSSL_cleanse(rndb, sizeof rndb);
	OPENSSL_cleanse(tok, sizeof tok);
	OPENSSL_cleanse(chk, sizeof chk);
	OPENSSL_cleanse(iv, sizeof iv);
	return r;
}

static void rotl8(uint8_t *dst, const uint8_t *src)
{
	for (int i = 0; i < 8; i++)
		dst[i] = src[(i + 1) % 8];
}

int vault_desfire_auth_legacy(vault_desfire_xfer_fn x, void *ud, uint8_t keyno,
			      const uint8_t key[16], const uint8_t rnda[8], uint8_t *ret_status)
{
	uint8_t ans[64], st, rndb[8], tok[16], chk[8], rr[8];
	const uint8_t *d;
	int r;
	int n = exchange(x, ud, 0x0A, &keyno, 1, ans, sizeof ans, &st, &d);
	if (n < 0)
		return n;
	if (st != ST_MORE)
		return status_err(st, ret_status);
	if (n != 8)
		return -EBADMSG;
	memcpy(rndb, d, 8);
	/* Legacy mode: the PCD only ever deciphers; IV zero per exchange. */
	if ((r = vault_2k3des_block(key, rndb, 0)) < 0)
		goto out;
	memcpy(tok, rnda, 8);
	if ((r = vault_2k3des_block(key, tok, 0)) < 0)
		goto out;
	rotl8(tok + 8, rndb);
	for (int i = 0; i < 8; i++)
		tok[8 + i] ^= tok[i];
	if ((r = vault_2k3des_block(key, tok + 8, 0)) < 0)
		goto out;
	n = exchange(x, ud, 0xAF, tok, 16, ans, sizeof ans, &st, &d);
	if (n < 0) {
		r = n;
		goto out;
	}
	if (st != ST_OK) {
		r = status_err(st, ret_status);
		goto out;
	}
	if (n != 8) {
		r = -EBADMSG;
		goto out;
	}
	memcpy(chk, d, 8);
	if ((r = vault_2k3des_block(key, chk, 0)) < 0)
		goto out;
	rotl8(rr, rnda);
	r = CRYPTO_memcmp(chk, rr, 8) ? -EACCES : 0;
	if (r == 0 && ret_status)
		*ret_status = st;
out:
	OPENSSL_cleanse(rndb, sizeof rndb);
	OPENSSL_cleanse(tok, sizeof tok);
	return r;
}

int vault_desfire_create_app_aes(vault_desfire_xfer_fn x, void *ud, const uint8_t aid[3],
				 uint8_t settings, uint8_t nkeys, uint8_t *ret_status)
{
	uint8_t p[5] = {aid[0], aid[1], aid[2], settings, (uint8_t)(0x80 | (nkeys & 0x0F))};
	uint8_t ans[64], st;
	const uint8_t *d;
	if (nkeys < 1 || nkeys > 14)
		return -EINVAL;
	int n = exchange(x, ud, 0xCA, p, sizeof p, ans, sizeof ans, &st, &d);
	if (n < 0)
		return n;
	if (st == 0xDE) {
		if (ret_status)
			*ret_status = st;
		return -EEXIST;
	}
	if (st != ST_OK)
		return status_err(st, ret_status);
	if (n != 0)
		return -EBADMSG;
	if (ret_status)
		*ret_status = st;
	return 0;
}

int vault_desfire_change_own_key_aes(vault_desfire_xfer_fn x, void *ud, uint8_t keyno,
				     const uint8_t session[16], const uint8_t newkey[16],
				     uint8_t version, uint8_t *ret_status)
{
	uint8_t plain[2 + 32], iv[16] = {0}, ans[64], st;
	const uint8_t *d;
	memset(plain, 0, sizeof plain);
	plain[0] = 0xC4;
	plain[1] = keyno;
	memcpy(plain + 2, newkey, 16);
	plain[18] = version;
	/* CRC32 over command, key number, new key and version; little-endian. */
	uint32_t crc = vault_desfire_crc32(plain, 19);
	for (int i = 0; i < 4; i++)
		plain[19 + i] = (uint8_t)(crc >> (8 * i));
	int r = vault_aes128_cbc(session, iv, plain + 2, 32, 1);
	if (r < 0)
		goto out;
	int n = exchange(x, ud, 0xC4, plain + 1, 33, ans, sizeof ans, &st, &d);
	if (n < 0) {
		r = n;
		goto out;
	}
	if (st != ST_OK) {
		r = status_err(st, ret_status);
		goto out;
	}
	/* Changing the session's own key ends the session: no CMAC follows. */
	r = n == 0 ? 0 : -EBADMSG;
	if (r == 0 && ret_status)
		*ret_status = st;
out:
	OPENSSL_cleanse(plain, sizeof plain);
	OPENSSL_cleanse(iv, sizeof iv);
	return r;
}
