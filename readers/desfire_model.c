/* SPDX-License-Identifier: MIT */
#include "vault/desfire_model.h"

#include "vault/an10922.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

/* DESFire status codes (second status byte after 0x91). */
enum {
	ST_OK = 0x00,
	ST_ILLEGAL_CMD = 0x1C,
	ST_INTEGRITY = 0x1E,
	ST_NO_SUCH_KEY = 0x40,
	ST_LENGTH = 0x7E,
	ST_PERMISSION = 0x9D,
	ST_PARAMETER = 0x9E,
	ST_APP_NOT_FOUND = 0xA0,
	ST_AUTH = 0xAE,
	ST_MORE = 0xAF,
	ST_COUNT = 0xCE,
	ST_DUPLICATE = 0xDE,
};

enum keytype { KT_DES, KT_AES };
enum scheme { SC_NONE, SC_LEGACY, SC_AES };

struct app {
	int used;
	uint8_t aid[3];
	uint8_t settings;
	uint8_t nkeys;
	enum keytype kt;
	uint8_t keys[14][16]; /* DES keys stored as K1||K2 (single DES: K||K) */
	uint8_t ver[14];
};

struct vault_desfire_card {
	uint8_t uid[10];
	size_t uid_len;
	struct app apps[VAULT_DESFIRE_MAX_APPS + 1]; /* [0] is the PICC level */
	int sel;
	int auth_key; /* -1: not authenticated */
	enum scheme scheme;
	uint8_t skey[16];
	uint8_t iv[16];
	/* authentication in progress (between the two frames) */
	int pend_auth;
	uint8_t pend_cmd, pend_key;
	uint8_t rndb[16];
	uint8_t authiv[16];
	/* multi-frame answer in progress */
	uint8_t more[3][32];
	size_t more_len[3];
	int more_n, more_i;
	uint8_t macacc[96];
	size_t maclen;
	void (*rng)(void *, uint8_t *, size_t);
	void *rng_ud;
};

uint32_t vault_desfire_crc32(const uint8_t *data, size_t len)
{
	uint32_t crc = 0xFFFFFFFFu;
	for (size_t i = 0; i < len; i++) {
		crc ^= data[i];
		for (int b = 0; b < 8; b++)
			crc = (crc >> 1) ^ ((crc & 1) ? 0xEDB88320u : 0);
	}
	return crc;
}

static void default_rng(void *ud, uint8_t *buf, size_t n)
{
	if (RAND_bytes(buf, (int)n) != 1)
		abort(); /* no entropy: a card model must not hand out predictable challenges */
}

int vault_desfire_card_new(const uint8_t *uid, size_t uid_len, struct vault_desfire_card **ret)
{
	if (!uid || !ret || (uid_len != 4 && uid_len != 7 && uid_len != 10))
		return -EINVAL;
	struct vault_desfire_card *c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	memcpy(c->uid, uid, uid_len);
	c->uid_len = uid_len;
	c->apps[0].used = 1;
	c->apps[0].settings = 0x0F;
	c->apps[0].nkeys = 1;
	c->apps[0].kt = KT_DES;
	c->rng = default_rng;
	vault_desfire_card_reset(c);
	*ret = c;
	return 0;
}

void vault_desfire_card_free(struct vault_desfire_card *c)
{
	if (!c)
		return;
	OPENSSL_cleanse(c, sizeof *c);
	free(c);
}

void vault_desfire_card_set_rng(struct vault_desfire_card *c,
				void (*rng)(void *ud, uint8_t *buf, size_t n), void *ud)
{
	c->rng = rng ? rng : default_rng;
	c->rng_ud = ud;
}

static void drop_session(struct vault_desfire_card *c)
{
	c->auth_key = -1;
	c->scheme = SC_NONE;
	c->pend_auth = 0;
	OPENSSL_cleanse(c->skey, 16);
	memset(c->iv, 0, 16);
}

void vault_desfire_card_reset(struct vault_desfire_card *c)
{
	drop_session(c);
	c->sel = 0;
	c->more_n = c->more_i = 0;
}

static struct app *find_app(struct vault_desfire_card *c, const uint8_t aid[3], int *idx)
{
	for (int i = 1; i <= VAULT_DESFIRE_MAX_APPS; i++)
		if (c->apps[i].used && !memcmp(c->apps[i].aid, aid, 3)) {
			if (idx)
				*idx = i;
			return &c->apps[i];
		}
	return NULL;
}

static struct app *new_app(struct vault_desfire_card *c, const uint8_t aid[3], uint8_t settings,
			   uint8_t nkeys, enum keytype kt, int *err)
{
	if (find_app(c, aid, NULL)) {
		*err = ST_DUPLICATE;
		return NULL;
	}
	for (int i = 1; i <= VAULT_DESFIRE_MAX_APPS; i++)
		if (!c->apps[i].used) {
			struct app *a = &c->apps[i];
			memset(a, 0, sizeof *a);
			a->used = 1;
			memcpy(a->aid, aid, 3);
			a->settings = settings;
			a->nkeys = nkeys;
			a->kt = kt;
			return a;
		}
	*err = ST_COUNT;
	return NULL;
}

int vault_desfire_card_add_aes_app(struct vault_desfire_card *c, const uint8_t aid[3],
				   uint8_t settings, uint8_t nkeys, const uint8_t key0[16],
				   uint8_t keyver)
{
	int err = 0;
	if (!c || !aid || !key0 || nkeys < 1 || nkeys > 14 || !(aid[0] | aid[1] | aid[2]))
		return -EINVAL;
	struct app *a = new_app(c, aid, settings, nkeys, KT_AES, &err);
	if (!a)
		return err == ST_DUPLICATE ? -EEXIST : -ENOSPC;
	memcpy(a->keys[0], key0, 16);
	a->ver[0] = keyver;
	return 0;
}

int vault_desfire_card_get_key(const struct vault_desfire_card *c, const uint8_t aid[3],
			       uint8_t keyno, uint8_t ret_key[16], uint8_t *ret_version)
{
	const struct app *a = NULL;
	if (!(aid[0] | aid[1] | aid[2]))
		a = &c->apps[0];
	for (int i = 1; !a && i <= VAULT_DESFIRE_MAX_APPS; i++)
		if (c->apps[i].used && !memcmp(c->apps[i].aid, aid, 3))
			a = &c->apps[i];
	if (!a || keyno >= a->nkeys)
		return -ENOENT;
	memcpy(ret_key, a->keys[keyno], 16);
	if (ret_version)
		*ret_version = a->ver[keyno];
	return 0;
}

static int des_block(const uint8_t key[16], uint8_t b[8], int encrypt)
{
	return vault_2k3des_block(key, b, encrypt);
}

static void rotl(uint8_t *dst, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = src[(i + 1) % n];
}

/* Answer builder: data || 91 st, with the EV1 CMAC when an AES session survives. */
struct ans {
	uint8_t *out;
	size_t max, len;
	int overflow;
};

static void put(struct ans *a, const uint8_t *p, size_t n)
{
	if (a->len + n > a->max) {
		a->overflow = 1;
		return;
	}
	if (n)
		memcpy(a->out + a->len, p, n);
	a->len += n;
}

static void finish(struct vault_desfire_card *c, struct ans *a, const uint8_t *data, size_t n,
		   uint8_t st)
{
	if (st != ST_OK && st != ST_MORE) {
		/* EV1: any error status ends the authenticated state. */
		drop_session(c);
		n = 0;
	}
	put(a, data, n);
	if (st == ST_OK && c->scheme == SC_AES && c->auth_key >= 0) {
		uint8_t buf[VAULT_DESFIRE_MAX_RESP + 1], mac[16];
		if (n <= VAULT_DESFIRE_MAX_RESP) {
			if (n)
				memcpy(buf, data, n);
			buf[n] = ST_OK;
			vault_aes_cmac(c->skey, c->iv, buf, n + 1, mac);
			put(a, mac, 8);
		}
	}
	uint8_t sw[2] = {0x91, st};
	put(a, sw, 2);
}

static struct app *cur(struct vault_desfire_card *c)
{
	return &c->apps[c->sel];
}

static void session_key(struct vault_desfire_card *c, const uint8_t *rnda, enum keytype kt)
{
	if (kt == KT_AES) {
		memcpy(c->skey, rnda, 4);
		memcpy(c->skey + 4, c->rndb, 4);
		memcpy(c->skey + 8, rnda + 12, 4);
		memcpy(c->skey + 12, c->rndb + 12, 4);
		c->scheme = SC_AES;
	} else {
		/* DES / 2K3DES legacy session key: RndA[0..3] RndB[0..3] RndA[4..7] RndB[4..7]
		 * for 2K3DES; for single DES the second half repeats the first. */
		uint8_t k1[8], k2[8];
		memcpy(k1, rnda, 4);
		memcpy(k1 + 4, c->rndb, 4);
		memcpy(k2, rnda + 4, 4);
		memcpy(k2 + 4, c->rndb + 4, 4);
		const uint8_t *key = cur(c)->keys[c->pend_key];
		int single = !memcmp(key, key + 8, 8);
		memcpy(c->skey, k1, 8);
		memcpy(c->skey + 8, single ? k1 : k2, 8);
		c->scheme = SC_LEGACY;
	}
	memset(c->iv, 0, 16);
	c->auth_key = c->pend_key;
}

static void cmd_auth1(struct vault_desfire_card *c, struct ans *a, uint8_t ins,
		      const uint8_t *d, size_t n)
{
	struct app *ap = cur(c);
	drop_session(c);
	if (n != 1)
		return finish(c, a, NULL, 0, ST_LENGTH);
	if (d[0] >= ap->nkeys)
		return finish(c, a, NULL, 0, ST_NO_SUCH_KEY);
	if ((ins == 0xAA) != (ap->kt == KT_AES) || ins == 0x1A)
		return finish(c, a, NULL, 0, ST_AUTH);
	size_t bl = ap->kt == KT_AES ? 16 : 8;
	uint8_t enc[16];
	c->rng(c->rng_ud, c->rndb, bl);
	memcpy(enc, c->rndb, bl);
	memset(c->authiv, 0, 16);
	if (ap->kt == KT_AES)
		vault_aes128_cbc(ap->keys[d[0]], c->authiv, enc, 16, 1);
	else
		des_block(ap->keys[d[0]], enc, 1);
	c->pend_auth = 1;
	c->pend_cmd = ins;
	c->pend_key = d[0];
	finish(c, a, enc, bl, ST_MORE);
}

static void cmd_auth2(struct vault_desfire_card *c, struct ans *a, const uint8_t *d, size_t n)
{
	struct app *ap = cur(c);
	size_t bl = ap->kt == KT_AES ? 16 : 8;
	uint8_t tok[32], rotb[16], out[16];
	c->pend_auth = 0;
	if (n != 2 * bl)
		return finish(c, a, NULL, 0, ST_LENGTH);
	memcpy(tok, d, n);
	if (ap->kt == KT_AES) {
		vault_aes128_cbc(ap->keys[c->pend_key], c->authiv, tok, 32, 0);
	} else {
		/* The PCD "deciphers" in SEND mode: c1 = D(A), c2 = D(B' ^ c1). */
		uint8_t c1[8];
		memcpy(c1, d, 8);
		des_block(ap->keys[c->pend_key], tok, 1);
		des_block(ap->keys[c->pend_key], tok + 8, 1);
		for (int i = 0; i < 8; i++)
			tok[8 + i] ^= c1[i];
	}
	rotl(rotb, c->rndb, bl);
	if (CRYPTO_memcmp(rotb, tok + bl, bl) != 0)
		return finish(c, a, NULL, 0, ST_AUTH);
	rotl(out, tok, bl);
	if (ap->kt == KT_AES)
		vault_aes128_cbc(ap->keys[c->pend_key], c->authiv, out, 16, 1);
	else
		des_block(ap->keys[c->pend_key], out, 1);
	session_key(c, tok, ap->kt);
	/* The answer to the second frame carries no CMAC: send it raw. */
	put(a, out, bl);
	uint8_t sw[2] = {0x91, ST_OK};
	put(a, sw, 2);
	OPENSSL_cleanse(tok, sizeof tok);
}

static void start_multi(struct vault_desfire_card *c, struct ans *a)
{
	c->more_i = 0;
	c->maclen = 0;
	/* first frame */
	size_t l = c->more_len[0];
	memcpy(c->macacc, c->more[0], l);
	c->maclen = l;
	c->more_i = 1;
	uint8_t sw[2] = {0x91, ST_MORE};
	put(a, c->more[0], l);
	put(a, sw, 2);
}

static void next_multi(struct vault_desfire_card *c, struct ans *a)
{
	int i = c->more_i++;
	size_t l = c->more_len[i];
	if (c->maclen + l <= sizeof c->macacc) {
		memcpy(c->macacc + c->maclen, c->more[i], l);
		c->maclen += l;
	}
	if (c->more_i < c->more_n) {
		uint8_t sw[2] = {0x91, ST_MORE};
		put(a, c->more[i], l);
		put(a, sw, 2);
		return;
	}
	c->more_n = 0;
	/* Last frame: the CMAC covers the data of every frame. */
	put(a, c->more[i], l);
	if (c->scheme == SC_AES && c->auth_key >= 0) {
		uint8_t mac[16];
		c->macacc[c->maclen] = ST_OK;
		vault_aes_cmac(c->skey, c->iv, c->macacc, c->maclen + 1, mac);
		put(a, mac, 8);
	}
	uint8_t sw[2] = {0x91, ST_OK};
	put(a, sw, 2);
}

static void cmd_get_version(struct vault_desfire_card *c, struct ans *a)
{
	static const uint8_t hw[7] = {0x04, 0x01, 0x01, 0x01, 0x00, 0x18, 0x05};
	static const uint8_t sw[7] = {0x04, 0x01, 0x01, 0x01, 0x04, 0x18, 0x05};
	memcpy(c->more[0], hw, 7);
	c->more_len[0] = 7;
	memcpy(c->more[1], sw, 7);
	c->more_len[1] = 7;
	memset(c->more[2], 0, 14);
	memcpy(c->more[2], c->uid, c->uid_len < 7 ? c->uid_len : 7);
	/* batch number, production week/year: fixed for the model */
	static const uint8_t batch[7] = {0xBA, 0x7C, 0x00, 0x00, 0x01, 0x26, 0x26};
	memcpy(c->more[2] + 7, batch, 7);
	c->more_len[2] = 14;
	c->more_n = 3;
	start_multi(c, a);
}

static void cmd_select(struct vault_desfire_card *c, struct ans *a, const uint8_t *d, size_t n)
{
	int idx = 0;
	drop_session(c);
	if (n != 3)
		return finish(c, a, NULL, 0, ST_LENGTH);
	if (d[0] | d[1] | d[2]) {
		if (!find_app(c, d, &idx))
			return finish(c, a, NULL, 0, ST_APP_NOT_FOUND);
	}
	c->sel = idx;
	finish(c, a, NULL, 0, ST_OK);
}

static void cmd_create_app(struct vault_desfire_card *c, struct ans *a, const uint8_t *d, size_t n)
{
	int err = 0;
	if (n != 5)
		return finish(c, a, NULL, 0, ST_LENGTH);
	if (c->sel != 0)
		return finish(c, a, NULL, 0, ST_PERMISSION);
	if (!(c->apps[0].settings & 0x04) && c->auth_key != 0)
		return finish(c, a, NULL, 0, ST_PERMISSION);
	uint8_t nk = d[4] & 0x0F;
	if (!(d[0] | d[1] | d[2]) || nk < 1 || nk > 14 || (d[4] & 0x40))
		return finish(c, a, NULL, 0, ST_PARAMETER);
	if (!new_app(c, d, d[3], nk, (d[4] & 0x80) ? KT_AES : KT_DES, &err))
		return finish(c, a, NULL, 0, (uint8_t)err);
	finish(c, a, NULL, 0, ST_OK);
}

static void cmd_get_aids(struct vault_desfire_card *c, struct ans *a)
{
	uint8_t buf[3 * VAULT_DESFIRE_MAX_APPS];
	size_t n = 0;
	if (c->sel != 0)
		return finish(c, a, NULL, 0, ST_PERMISSION);
	if (!(c->apps[0].settings & 0x02) && c->auth_key != 0)
		return finish(c, a, NULL, 0, ST_AUTH);
	for (int i = 1; i <= VAULT_DESFIRE_MAX_APPS; i++)
		if (c->apps[i].used) {
			memcpy(buf + n, c->apps[i].aid, 3);
			n += 3;
		}
	finish(c, a, buf, n, ST_OK);
}

static void cmd_format(struct vault_desfire_card *c, struct ans *a)
{
	if (c->sel != 0 || c->auth_key != 0)
		return finish(c, a, NULL, 0, ST_AUTH);
	for (int i = 1; i <= VAULT_DESFIRE_MAX_APPS; i++)
		c->apps[i].used = 0;
	finish(c, a, NULL, 0, ST_OK);
}

static void cmd_key_version(struct vault_desfire_card *c, struct ans *a, const uint8_t *d,
			    size_t n)
{
	if (n != 1)
		return finish(c, a, NULL, 0, ST_LENGTH);
	uint8_t k = d[0] & 0x3F;
	if (k >= cur(c)->nkeys)
		return finish(c, a, NULL, 0, ST_NO_SUCH_KEY);
	finish(c, a, &cur(c)->ver[k], 1, ST_OK);
}

static void cmd_key_settings(struct vault_desfire_card *c, struct ans *a)
{
	uint8_t r[2] = {cur(c)->settings, (uint8_t)(cur(c)->nkeys | (cur(c)->kt == KT_AES ? 0x80 : 0))};
	finish(c, a, r, 2, ST_OK);
}

static void cmd_change_key(struct vault_desfire_card *c, struct ans *a, const uint8_t *cmd,
			   size_t cmdlen)
{
	struct app *ap = cur(c);
	if (c->auth_key < 0 || c->scheme != SC_AES || ap->kt != KT_AES || c->sel == 0)
		/* Only the AES-application path is modelled (what enrolment uses). */
		return finish(c, a, NULL, 0, c->auth_key < 0 ? ST_AUTH : ST_PERMISSION);
	if (cmdlen != 2 + 32)
		return finish(c, a, NULL, 0, ST_LENGTH);
	uint8_t keyno = cmd[1] & 0x0F;
	if (keyno >= ap->nkeys)
		return finish(c, a, NULL, 0, ST_NO_SUCH_KEY);
	uint8_t ck = ap->settings >> 4;
	int allowed = ck == 0xE ? c->auth_key == keyno
		    : ck == 0xF ? 0
				: c->auth_key == ck;
	if (keyno == 0)
		allowed = c->auth_key == 0 && (ap->settings & 0x01);
	if (!allowed)
		return finish(c, a, NULL, 0, ST_PERMISSION);
	uint8_t p[32], chk[2 + 17];
	memcpy(p, cmd + 2, 32);
	vault_aes128_cbc(c->skey, c->iv, p, 32, 0);
	int same = keyno == c->auth_key;
	uint8_t newkey[16];
	memcpy(newkey, p, 16);
	if (!same)
		for (int i = 0; i < 16; i++)
			newkey[i] ^= ap->keys[keyno][i];
	memcpy(chk, cmd, 2);
	memcpy(chk + 2, p, 17);
	uint32_t crc = vault_desfire_crc32(chk, sizeof chk);
	uint32_t got = (uint32_t)p[17] | (uint32_t)p[18] << 8 | (uint32_t)p[19] << 16 |
		       (uint32_t)p[20] << 24;
	int okc = crc == got;
	size_t pad = 21;
	if (!same) {
		uint32_t c2 = vault_desfire_crc32(newkey, 16);
		uint32_t g2 = (uint32_t)p[21] | (uint32_t)p[22] << 8 | (uint32_t)p[23] << 16 |
			      (uint32_t)p[24] << 24;
		okc = okc && c2 == g2;
		pad = 25;
	}
	for (size_t i = pad; i < 32; i++)
		okc = okc && p[i] == 0;
	if (!okc) {
		OPENSSL_cleanse(p, sizeof p);
		return finish(c, a, NULL, 0, ST_INTEGRITY);
	}
	memcpy(ap->keys[keyno], newkey, 16);
	ap->ver[keyno] = p[16];
	OPENSSL_cleanse(p, sizeof p);
	OPENSSL_cleanse(newkey, sizeof newkey);
	if (same) {
		/* Changing the key of the session ends it; the answer has no CMAC. */
		drop_session(c);
	}
	finish(c, a, NULL, 0, ST_OK);
}

int vault_desfire_card_apdu(struct vault_desfire_card *c, const uint8_t *in, size_t inlen,
			    uint8_t *out, size_t outmax)
{
	struct ans a = {.out = out, .max = outmax};
	uint8_t cmd[1 + 255];
	if (!c || !in || !out || outmax < 2)
		return -EINVAL;
	if (inlen < 5) {
		out[0] = 0x67;
		out[1] = 0x00;
		return 2;
	}
	if (in[0] != 0x90) {
		out[0] = 0x6E;
		out[1] = 0x00;
		return 2;
	}
	size_t lc = 0;
	if (inlen == 5) {
		lc = 0; /* 90 INS P1 P2 Le */
	} else {
		lc = in[4];
		if (inlen != 5 + lc + 1) {
			out[0] = 0x67;
			out[1] = 0x00;
			return 2;
		}
	}
	if (in[2] || in[3]) {
		out[0] = 0x6A;
		out[1] = 0x86;
		return 2;
	}
	cmd[0] = in[1];
	memcpy(cmd + 1, in + 5, lc);
	size_t cmdlen = 1 + lc;
	const uint8_t *d = cmd + 1;
	uint8_t ins = cmd[0];

	if (ins == 0xAF) {
		if (c->pend_auth) {
			cmd_auth2(c, &a, d, lc);
			goto out;
		}
		if (c->more_n && c->more_i < c->more_n && lc == 0) {
			next_multi(c, &a);
			goto out;
		}
		c->more_n = 0;
		finish(c, &a, NULL, 0, ST_ILLEGAL_CMD);
		goto out;
	}
	c->more_n = 0;
	c->pend_auth = 0;
	/* EV1 secure messaging: a plain command advances the IV by its CMAC. ChangeKey
	 * advances it by its own CBC decryption instead. */
	if (c->scheme == SC_AES && c->auth_key >= 0 && ins != 0xC4 && ins != 0xAA &&
	    ins != 0x0A && ins != 0x1A) {
		uint8_t mac[16];
		vault_aes_cmac(c->skey, c->iv, cmd, cmdlen, mac);
	}
	switch (ins) {
	case 0x0A:
	case 0x1A:
	case 0xAA:
		cmd_auth1(c, &a, ins, d, lc);
		break;
	case 0x60:
		if (lc)
			finish(c, &a, NULL, 0, ST_LENGTH);
		else
			cmd_get_version(c, &a);
		break;
	case 0x5A:
		cmd_select(c, &a, d, lc);
		break;
	case 0x64:
		cmd_key_version(c, &a, d, lc);
		break;
	case 0x45:
		cmd_key_settings(c, &a);
		break;
	case 0x6A:
		cmd_get_aids(c, &a);
		break;
	case 0xCA:
		cmd_create_app(c, &a, d, lc);
		break;
	case 0xC4:
		cmd_change_key(c, &a, cmd, cmdlen);
		break;
	case 0xFC:
		cmd_format(c, &a);
		break;
	default:
		finish(c, &a, NULL, 0, ST_ILLEGAL_CMD);
	}
out:
	OPENSSL_cleanse(cmd, sizeof cmd);
	if (a.overflow) {
		drop_session(c);
		return -ENOBUFS;
	}
	return (int)a.len;
}
