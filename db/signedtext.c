/* SPDX-License-Identifier: MIT */
/* Signed texts (include/vault/signedtext.h). */
#include "vault/signedtext.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vault/util.h"

static const char domain[] = "VAULT-SIGNED-TEXT\n";
#define MAX_LINES 64

struct line {
	const char *key, *val; /* val: after the space */
	size_t klen, vlen, off; /* off: the line's start in the text */
};

/* Split text into at most MAX_LINES lines, each checked: printable, ending in
 * \n; the first "<type> 1" with type [a-z-]+, the others "<key> <value>" with
 * key [a-z_]+, each key once. Returns the number of lines or -EBADMSG. */
static int split(const char *text, size_t len, struct line *ln, const char **err)
{
	if (!len || len > VAULT_SIGNED_MAX || text[len - 1] != '\n') {
		*err = len > VAULT_SIGNED_MAX ? "too long" : "not whole lines";
		return -EBADMSG;
	}
	int n = 0;
	for (size_t i = 0; i < len;) {
		if (n == MAX_LINES) {
			*err = "too many lines";
			return -EBADMSG;
		}
		struct line *l = &ln[n];
		l->off = i;
		l->key = text + i;
		size_t k = i;
		int first = n == 0;
		while (k < len && ((text[k] >= 'a' && text[k] <= 'z') || text[k] == (first ? '-' : '_')))
			k++;
		l->klen = k - i;
		if (!l->klen || k >= len || text[k] != ' ') {
			*err = first ? "the first line does not name a type" : "a line is not 'key value'";
			return -EBADMSG;
		}
		l->val = text + k + 1;
		size_t e = k + 1;
		while (e < len && text[e] != '\n') {
			if ((unsigned char)text[e] < 0x20 || (unsigned char)text[e] > 0x7e) {
				*err = "a value holds a byte that is not printable ASCII";
				return -EBADMSG;
			}
			e++;
		}
		l->vlen = e - (k + 1);
		for (int j = 1; j < n; j++)
			if (ln[j].klen == l->klen && !memcmp(ln[j].key, l->key, l->klen)) {
				*err = "a field appears twice";
				return -EBADMSG;
			}
		n++;
		i = e + 1;
	}
	if (ln[0].vlen != 1 || ln[0].val[0] != '1') {
		*err = "not format 1";
		return -EBADMSG;
	}
	return n;
}

/* Lowercase hex only: with either case accepted, two texts would carry one
 * signature. */
static int lower_hex(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return 0;
	return 1;
}

static int is_key(const struct line *l, const char *key)
{
	return l->klen == strlen(key) && !memcmp(l->key, key, l->klen);
}

static int sign_bytes(const char *text, size_t n, uint8_t **ret)
{
	uint8_t *m = malloc(sizeof domain - 1 + n);
	if (!m)
		return -ENOMEM;
	memcpy(m, domain, sizeof domain - 1);
	memcpy(m + sizeof domain - 1, text, n);
	*ret = m;
	return (int)(sizeof domain - 1 + n);
}

int vault_signed_finish(char *buf, size_t size, size_t len, const uint8_t sk[64])
{
	struct line ln[MAX_LINES];
	const char *err;
	if (len >= size) /* else size - len below wraps and snprintf overruns buf */
		return -ENAMETOOLONG;
	int n = split(buf, len, ln, &err);
	if (n < 0)
		return -EINVAL;
	for (int i = 1; i < n; i++)
		if (is_key(&ln[i], "pubkey") || is_key(&ln[i], "sig"))
			return -EINVAL;
	char pk[65], sig[129];
	vault_hex(sk + 32, 32, pk);
	int w = snprintf(buf + len, size - len, "pubkey %s\n", pk);
	if (w < 0 || (size_t)w >= size - len)
		return -ENAMETOOLONG;
	len += (size_t)w;
	uint8_t *m;
	int mn = sign_bytes(buf, len, &m);
	if (mn < 0)
		return mn;
	uint8_t s[64];
	crypto_sign_ed25519_detached(s, NULL, m, (unsigned long long)mn, sk);
	free(m);
	vault_hex(s, 64, sig);
	w = snprintf(buf + len, size - len, "sig %s\n", sig);
	if (w < 0 || (size_t)w >= size - len || len + (size_t)w > VAULT_SIGNED_MAX)
		return -ENAMETOOLONG;
	return (int)(len + (size_t)w);
}

int vault_signed_check(const char *text, size_t len, const char *type, const uint8_t pk[32],
		       const char **err)
{
	const char *e = NULL;
	if (!err)
		err = &e;
	struct line ln[MAX_LINES];
	int n = split(text, len, ln, err);
	if (n < 0)
		return n;
	if (!is_key(&ln[0], type)) {
		*err = "not the expected type";
		return -EBADMSG;
	}
	if (n < 3 || !is_key(&ln[n - 2], "pubkey") || !is_key(&ln[n - 1], "sig")) {
		*err = "the pubkey and sig lines are not last";
		return -EBADMSG;
	}
	for (int i = 1; i < n - 2; i++)
		if (is_key(&ln[i], "pubkey") || is_key(&ln[i], "sig")) {
			*err = "the pubkey and sig lines are not last";
			return -EBADMSG;
		}
	char hex[129];
	uint8_t signer[32], s[64];
	memcpy(hex, ln[n - 2].val, ln[n - 2].vlen < 64 ? ln[n - 2].vlen : 64);
	hex[ln[n - 2].vlen < 64 ? ln[n - 2].vlen : 64] = 0;
	if (ln[n - 2].vlen != 64 || !lower_hex(ln[n - 2].val, 64) || vault_unhex(hex, signer, 32) < 0) {
		*err = "the pubkey is not 64 lowercase hex digits";
		return -EBADMSG;
	}
	memcpy(hex, ln[n - 1].val, ln[n - 1].vlen < 128 ? ln[n - 1].vlen : 128);
	hex[ln[n - 1].vlen < 128 ? ln[n - 1].vlen : 128] = 0;
	if (ln[n - 1].vlen != 128 || !lower_hex(ln[n - 1].val, 128) || vault_unhex(hex, s, 64) < 0) {
		*err = "the sig is not 128 lowercase hex digits";
		return -EBADMSG;
	}
	if (sodium_memcmp(signer, pk, 32) != 0) {
		*err = "signed by another key than the pinned one";
		return -EKEYREJECTED;
	}
	uint8_t *m;
	int mn = sign_bytes(text, ln[n - 1].off, &m);
	if (mn < 0) {
		*err = "out of memory";
		return mn;
	}
	int bad = crypto_sign_ed25519_verify_detached(s, m, (unsigned long long)mn, pk);
	free(m);
	if (bad) {
		*err = "the signature does not verify";
		return -EPERM;
	}
	return 0;
}

int vault_signed_get(const char *text, size_t len, const char *key, char *out, size_t size)
{
	struct line ln[MAX_LINES];
	const char *err;
	int n = split(text, len, ln, &err);
	for (int i = 1; i < n; i++)
		if (is_key(&ln[i], key)) {
			if (ln[i].vlen >= size)
				return -ENAMETOOLONG;
			memcpy(out, ln[i].val, ln[i].vlen);
			out[ln[i].vlen] = 0;
			return 0;
		}
	return -ENOENT;
}

int vault_signed_get_i64(const char *text, size_t len, const char *key, int64_t *v)
{
	char s[24], *end;
	int r = vault_signed_get(text, len, key, s, sizeof s);
	if (r == -ENAMETOOLONG)
		return -EINVAL;
	if (r < 0)
		return r;
	if (!s[0] || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (*end || errno)
		return -EINVAL;
	*v = x;
	return 0;
}
