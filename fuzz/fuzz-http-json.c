/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the HTTP layer's own parsers: the strict JSON-object gate
 * (vault_http_parse_json) and the request-target decoder (vault_http_parse_target).
 * Invariants checked: an accepted body is an object and its re-serialisation by
 * cJSON is accepted again; an accepted path starts with '/', has no "." or ".."
 * segment, no empty segment (except "/"), no backslash, and a query object of
 * strings only.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vault/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_path(const char *p)
{
	if (p[0] != '/')
		__builtin_trap();
	if (!strcmp(p, "/"))
		return;
	for (const char *s = p; *s; ) {
		const char *e = strchr(s + 1, '/');
		size_t n = e ? (size_t)(e - s - 1) : strlen(s + 1);
		if (n == 0 || (n == 1 && s[1] == '.') || (n == 2 && s[1] == '.' && s[2] == '.'))
			__builtin_trap();
		if (!e)
			break;
		s = e;
	}
	if (strchr(p, '\\'))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *j = NULL;
	if (vault_http_parse_json((const char *)data, size, &j) == 0) {
		if (!cJSON_IsObject(j))
			__builtin_trap();
		char *txt = cJSON_PrintUnformatted(j);
		if (txt) {
			cJSON *k = NULL;
			if (vault_http_parse_json(txt, strlen(txt), &k) < 0)
				__builtin_trap();
			cJSON_Delete(k);
			free(txt);
		}
		cJSON_Delete(j);
	}

	char *s = malloc(size + 2);
	if (!s)
		return 0;
	s[0] = '/';
	memcpy(s + 1, data, size);
	s[size + 1] = 0;
	char path[512];
	cJSON *q = NULL;
	if (vault_http_parse_target(s, path, sizeof path, &q) == 0) {
		check_path(path);
		if (!cJSON_IsObject(q))
			__builtin_trap();
		for (const cJSON *c = q->child; c; c = c->next)
			if (!cJSON_IsString(c) || !c->string || !c->string[0])
				__builtin_trap();
		cJSON_Delete(q);
	}
	free(s);
	return 0;
}
