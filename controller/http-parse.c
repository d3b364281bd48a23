/* SPDX-License-Identifier: MIT */
/*
 * The HTTP layer's own parsers: a strict JSON-object gate in front of cJSON, and
 * the request-target decoder. Both take untrusted bytes; both are fuzzed
 * (fuzz/fuzz-http-json.c).
 */
#include <errno.h>
#include <string.h>

#include "vault/http.h"

#define JSON_MAX_DEPTH 8
#define JSON_MAX_MEMBERS 256
#define QUERY_MAX_PAIRS 16
#define QUERY_KEY_MAX 32
#define QUERY_VALUE_MAX 256

/* Strict UTF-8: no overlongs, no surrogates, nothing past U+10FFFF. */
static int utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		size_t k;
		unsigned min, cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			k = 1, min = 0x80, cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			k = 2, min = 0x800, cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			k = 3, min = 0x10000, cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i <= k)
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += k + 1;
	}
	return 1;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Lexical checks cJSON does not make: raw control bytes inside strings (JSON
 * forbids them) and \u0000, which cJSON would turn into a C string that ends
 * early ("A1\u0000x" read as "A1").
 */
static int json_lex_ok(const char *s, size_t n)
{
	int in_str = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!in_str) {
			if (c == '"')
				in_str = 1;
			continue;
		}
		if (c < 0x20)
			return 0;
		if (c == '"') {
			in_str = 0;
		} else if (c == '\\') {
			if (i + 1 >= n)
				return 0;
			if (s[i + 1] == 'u') {
				if (n - i < 6)
					return 0;
				unsigned v = 0;
				for (int j = 2; j < 6; j++) {
					int h = hexval((unsigned char)s[i + j]);
					if (h < 0)
						return 0;
					v = v << 4 | (unsigned)h;
				}
				if (v == 0)
					return 0;
				i += 5;
			} else {
				i++;
			}
		}
	}
	return !in_str;
}

static int json_tree_ok(const cJSON *j, int depth)
{
	if (depth > JSON_MAX_DEPTH)
		return 0;
	if (!cJSON_IsObject(j) && !cJSON_IsArray(j))
		return 1;
	int n = 0;
	for (const cJSON *c = j->child; c; c = c->next) {
		if (++n > JSON_MAX_MEMBERS)
			return 0;
		if (cJSON_IsObject(j)) {
			if (!c->string)
				return 0;
			for (const cJSON *p = j->child; p != c; p = p->next)
				if (!strcmp(p->string, c->string))
					return 0;
		}
		if (!json_tree_ok(c, depth + 1))
			return 0;
	}
	return 1;
}

int vault_http_parse_json(const char *buf, size_t len, cJSON **ret)
{
	if (!buf || !len || !utf8_valid((const unsigned char *)buf, len) || !json_lex_ok(buf, len))
		return -EINVAL;
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	if (!j)
		return -EINVAL;
	/* Only whitespace may follow the object (cJSON stops at its end). */
	for (const char *p = end; p && p < buf + len; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
			cJSON_Delete(j);
			return -EINVAL;
		}
	if (!cJSON_IsObject(j) || !json_tree_ok(j, 1)) {
		cJSON_Delete(j);
		return -EINVAL;
	}
	*ret = j;
	return 0;
}

/* Percent-decode s[0..n) into out (size osz). plus_space: '+' means ' '. */
static int pct_decode(const char *s, size_t n, int plus_space, char *out, size_t osz,
		      size_t *ret_len)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7F)
			return -EINVAL;
		if (c == '%') {
			if (n - i < 3)
				return -EINVAL;
			int hi = hexval((unsigned char)s[i + 1]), lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -EINVAL;
			c = (unsigned char)(hi << 4 | lo);
			if (c == 0)
				return -EINVAL;
			i += 2;
		} else if (c == '+' && plus_space) {
			c = ' ';
		}
		if (o + 1 >= osz)
			return -EINVAL;
		out[o++] = (char)c;
	}
	out[o] = 0;
	if (!utf8_valid((const unsigned char *)out, o))
		return -EINVAL;
	*ret_len = o;
	return 0;
}

static int parse_query(const char *q, size_t n, cJSON *obj)
{
	int pairs = 0;
	size_t i = 0;
	while (i < n) {
		size_t e = i;
		while (e < n && q[e] != '&')
			e++;
		if (e == i)
			return -EINVAL; /* "a=1&&b=2", trailing '&' */
		if (++pairs > QUERY_MAX_PAIRS)
			return -EINVAL;
		const char *eq = memchr(q + i, '=', e - i);
		size_t klen = eq ? (size_t)(eq - (q + i)) : e - i;
		char key[QUERY_KEY_MAX + 1], val[QUERY_VALUE_MAX + 1];
		size_t kl, vl;
		if (pct_decode(q + i, klen, 1, key, sizeof key, &kl) < 0 || kl == 0)
			return -EINVAL;
		for (size_t k = 0; k < kl; k++)
			if (!((key[k] >= 'a' && key[k] <= 'z') || (key[k] >= '0' && key[k] <= '9') ||
			      key[k] == '_'))
				return -EINVAL;
		if (eq) {
			if (pct_decode(eq + 1, (size_t)(q + e - eq - 1), 1, val, sizeof val, &vl) < 0)
				return -EINVAL;
		} else {
			val[0] = 0;
		}
		if (cJSON_GetObjectItemCaseSensitive(obj, key))
			return -EINVAL;
		if (!cJSON_AddStringToObject(obj, key, val))
			return -ENOMEM;
		i = e + 1;
		if (e + 1 == n && q[e] == '&')
			return -EINVAL;
	}
	return 0;
}

int vault_http_parse_target(const char *raw, char *path, size_t pathsize, cJSON **ret_query)
{
	if (!raw || raw[0] != '/' || !pathsize)
		return -EINVAL;
	size_t n = strlen(raw);
	const char *qm = memchr(raw, '?', n);
	size_t plen = qm ? (size_t)(qm - raw) : n;
	if (memchr(raw, '#', n))
		return -EINVAL;
	/* Segment by segment so an encoded '/' can never make a new segment and
	 * dot segments are seen after decoding ("%2e%2e"). */
	size_t o = 0;
	size_t i = 0;
	while (i < plen) {
		/* raw[i] == '/' here */
		size_t e = i + 1;
		while (e < plen && raw[e] != '/')
			e++;
		size_t seglen = e - i - 1;
		if (o + 1 >= pathsize)
			return -EINVAL;
		path[o++] = '/';
		if (seglen == 0) {
			/* Only the root "/" or a trailing slash... neither a trailing one:
			 * "/api//x" and "/x/" are not names we serve. */
			if (!(i == 0 && plen == 1))
				return -EINVAL;
		} else {
			size_t dl;
			if (pct_decode(raw + i + 1, seglen, 0, path + o, pathsize - o, &dl) < 0)
				return -EINVAL;
			if (memchr(path + o, '/', dl) || memchr(path + o, '\\', dl))
				return -EINVAL;
			if ((dl == 1 && path[o] == '.') ||
			    (dl == 2 && path[o] == '.' && path[o + 1] == '.'))
				return -EINVAL;
			o += dl;
		}
		i = e;
	}
	path[o] = 0;
	cJSON *obj = NULL;
	if (ret_query) {
		obj = cJSON_CreateObject();
		if (!obj)
			return -ENOMEM;
		if (qm) {
			int r = parse_query(qm + 1, n - plen - 1, obj);
			if (r < 0) {
				cJSON_Delete(obj);
				return r;
			}
		}
		*ret_query = obj;
	}
	return 0;
}
