/* SPDX-License-Identifier: MIT */
/* Destruction certificates: a ledger entry printed with its seq and hash. */
#include "vault/destruction.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void vault_destruction_iso_utc(int64_t utc_us, char buf[32])
{
	time_t t = (time_t)(utc_us / 1000000);
	struct tm tm;
	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, 32, "?");
		return;
	}
	char s[24];
	strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, 32, "%s.%03dZ", s, (int)(utc_us % 1000000 / 1000));
}

static const char *col(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	return s ? s : "";
}

int vault_destruction_certificate(sqlite3 *db, const char *order, cJSON **ret)
{
	sqlite3_stmt *st;
	*ret = NULL;
	if (sqlite3_prepare_v2(
		db,
		"SELECT seq, ts_utc, kind, actors, medium, cites, CAST(payload AS TEXT), "
		"lower(hex(hash)) FROM ledger WHERE kind IN "
		"('destruction.confirmed','destruction.handover') AND "
		"json_valid(CAST(payload AS TEXT)) AND "
		"json_extract(CAST(payload AS TEXT),'$.order')=? ORDER BY seq DESC LIMIT 1",
		-1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, order, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	cJSON *c = cJSON_CreateObject();
	char when[32];
	vault_destruction_iso_utc(sqlite3_column_int64(st, 1), when);
	cJSON_AddStringToObject(c, "kind", col(st, 2));
	cJSON_AddNumberToObject(c, "seq", (double)sqlite3_column_int64(st, 0));
	cJSON_AddStringToObject(c, "hash", col(st, 7));
	cJSON_AddStringToObject(c, "time", when);
	cJSON_AddStringToObject(c, "actors", col(st, 3));
	cJSON_AddStringToObject(c, "medium", col(st, 4));
	cJSON_AddStringToObject(c, "cites", col(st, 5));
	cJSON *p = cJSON_Parse(col(st, 6));
	sqlite3_finalize(st);
	if (!p)
		p = cJSON_CreateObject();
	cJSON_DeleteItemFromObjectCaseSensitive(p, "set");
	cJSON_AddItemToObject(c, "entry", p);
	*ret = c;
	return 0;
}

/* ---- text ------------------------------------------------------------------ */

struct buf {
	char *s;
	size_t n, cap;
	int failed;
};

__attribute__((format(printf, 2, 3))) static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || b->failed)
		return;
	if (b->n + (size_t)n + 1 > b->cap) {
		size_t cap = (b->cap + (size_t)n + 1) * 2;
		char *s = realloc(b->s, cap);
		if (!s) {
			b->failed = 1;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
	va_end(ap);
	b->n += (size_t)n;
}

static const char *str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static void list(struct buf *b, const cJSON *o, const char *name)
{
	const cJSON *v, *a = cJSON_GetObjectItemCaseSensitive(o, name);
	int first = 1;
	cJSON_ArrayForEach(v, a)
	{
		if (cJSON_IsString(v)) {
			put(b, "%s%s", first ? "" : ", ", v->valuestring);
			first = 0;
		}
	}
	put(b, "\n");
}

char *vault_destruction_certificate_text(const cJSON *c)
{
	struct buf b = {0};
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(c, "entry");
	int handover = !strcmp(str(c, "kind"), "destruction.handover");
	put(&b, "%s\n\n",
	    handover ? "CERTIFICATE OF HANDOVER FOR DESTRUCTION"
		     : "CERTIFICATE OF DESTRUCTION");
	put(&b, "Certificate:     %s\n", str(e, "certificate"));
	put(&b, "Order:           %s (ordered by %s, approved by %s)\n", str(e, "order"),
	    str(e, "ordered_by"), str(e, "approved_by"));
	put(&b, "Medium:          %s  tag %s\n", str(c, "medium"), str(e, "tag"));
	put(&b, "Title:           %s\n", str(e, "title"));
	put(&b, "Classification:  %s\n", str(e, "classification"));
	put(&b, "Operator:        %s\n", str(e, "operator"));
	put(&b, "Witnesses:       ");
	list(&b, e, "witnesses");
	if (handover)
		put(&b, "Facility:        %s\n", str(e, "facility"));
	if (*str(e, "bin")) /* the shredder's bin door: closed, or not watched */
		put(&b, "Bin door:        %s\n", str(e, "bin"));
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "times"), *v;
	if (cJSON_IsObject(t)) {
		put(&b, "\nTimes (UTC)\n");
		cJSON_ArrayForEach(v, t)
		{
			if (cJSON_IsString(v))
				put(&b, "  %-15s %s\n", v->string, v->valuestring);
		}
	}
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(e, "evidence");
	if (cJSON_GetArraySize(ev) > 0) {
		put(&b, "\nSensor evidence\n");
		cJSON_ArrayForEach(v, ev)
		{
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(v, "sensor_event");
			put(&b, "  #%-6lld %-16s %-18s %s\n    proves: %s\n",
			    cJSON_IsNumber(id) ? (long long)id->valuedouble : 0LL,
			    str(v, "source"), str(v, "kind"), str(v, "time"), str(v, "proves"));
		}
	}
	if (*str(e, "proves"))
		put(&b, "\nWhat the sensors prove\n  %s\n", str(e, "proves"));
	if (*str(e, "does_not_prove"))
		put(&b, "What they do not prove\n  %s\n", str(e, "does_not_prove"));
	const cJSON *seq = cJSON_GetObjectItemCaseSensitive(c, "seq");
	put(&b, "\nLedger entry:    %s seq %lld at %s\n", str(c, "kind"),
	    cJSON_IsNumber(seq) ? (long long)seq->valuedouble : 0LL, str(c, "time"));
	put(&b, "Entry hash:      %s\n", str(c, "hash"));
	put(&b, "Check with `vaultctl verify`: the hash chain and the signed checkpoints cover "
		"this entry.\n\n");
	put(&b, "Operator: ________  Witness: ________  Witness: ________  Date: ______\n");
	if (b.failed) {
		free(b.s);
		return NULL;
	}
	return b.s;
}
