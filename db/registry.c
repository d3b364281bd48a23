/* SPDX-License-Identifier: MIT */
/* Applying ledger "set" lists to the registry tables; digests of secret rows. */
#include "vault/registry.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "vault/util.h"

const char *const vault_registry_tables[] = {
	"unit",	    "person",  "badge",	   "pin",     "certificate",	   "training",
	"inspection", "project", "approval", "medium", "lineage",	   "schedule",
	"holiday",    "destruction_order", "device", NULL,
};

int vault_registry_is_table(const char *table)
{
	for (int i = 0; vault_registry_tables[i]; i++)
		if (!strcmp(vault_registry_tables[i], table))
			return 1;
	return 0;
}

int vault_registry_is_secret(const char *table)
{
	return !strcmp(table, "pin");
}

#define MAX_COLS 32

/* Column names of `table` except id and seq, in table order. */
static int table_columns(sqlite3 *db, const char *table, char cols[MAX_COLS][40], int *ret_n)
{
	char sql[128];
	snprintf(sql, sizeof sql, "PRAGMA table_info(\"%s\")", table);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	int n = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(st, 1);
		if (!strcmp(c, "id") || !strcmp(c, "seq"))
			continue;
		if (n == MAX_COLS || vault_strlcpy(cols[n], c, sizeof cols[n]) < 0) {
			sqlite3_finalize(st);
			return -E2BIG;
		}
		n++;
	}
	sqlite3_finalize(st);
	*ret_n = n;
	return n ? 0 : -ENOENT;
}

static int bind_json(sqlite3_stmt *st, int i, const cJSON *v)
{
	if (cJSON_IsString(v))
		return sqlite3_bind_text(st, i, v->valuestring, -1, SQLITE_TRANSIENT);
	if (cJSON_IsBool(v))
		return sqlite3_bind_int(st, i, cJSON_IsTrue(v));
	if (cJSON_IsNull(v))
		return sqlite3_bind_null(st, i);
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		if (d == (double)(int64_t)d)
			return sqlite3_bind_int64(st, i, (int64_t)d);
		return sqlite3_bind_double(st, i, d);
	}
	return SQLITE_MISMATCH;
}

int vault_registry_apply(sqlite3 *db, int64_t seq, const cJSON *change, const char **ret_err)
{
	const char *err = NULL;
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(change, "t");
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(change, "k");
	const cJSON *row = cJSON_GetObjectItemCaseSensitive(change, "row");
	if (!cJSON_IsString(t) || !vault_registry_is_table(t->valuestring))
		err = "change names no registry table";
	else if (!cJSON_IsString(k) || !k->valuestring[0] || strlen(k->valuestring) > 128)
		err = "change has no valid key";
	else if (!cJSON_IsObject(row))
		err = "change has no row object";
	if (err) {
		if (ret_err)
			*ret_err = err;
		return -EINVAL;
	}
	char cols[MAX_COLS][40];
	int n;
	if (table_columns(db, t->valuestring, cols, &n) < 0)
		return -EIO;
	/* Every column, no others: a registry row is always stated in full. */
	int given = cJSON_GetArraySize(row);
	if (given != n) {
		if (ret_err)
			*ret_err = given < n ? "row lacks a column" : "row has an unknown column";
		return -EINVAL;
	}
	char sql[2048];
	int off = snprintf(sql, sizeof sql, "INSERT INTO \"%s\"(id,seq", t->valuestring);
	for (int i = 0; i < n; i++)
		off += snprintf(sql + off, sizeof sql - (size_t)off, ",\"%s\"", cols[i]);
	off += snprintf(sql + off, sizeof sql - (size_t)off, ") VALUES(?,?");
	for (int i = 0; i < n; i++)
		off += snprintf(sql + off, sizeof sql - (size_t)off, ",?");
	off += snprintf(sql + off, sizeof sql - (size_t)off, ") ON CONFLICT(id) DO UPDATE SET seq=excluded.seq");
	for (int i = 0; i < n; i++)
		off += snprintf(sql + off, sizeof sql - (size_t)off, ",\"%s\"=excluded.\"%s\"", cols[i],
				cols[i]);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, k->valuestring, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, seq);
	for (int i = 0; i < n; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, cols[i]);
		if (!v || bind_json(st, i + 3, v) != SQLITE_OK) {
			sqlite3_finalize(st);
			if (ret_err)
				*ret_err = v ? "a value has the wrong type" : "row lacks a column";
			return -EINVAL;
		}
	}
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		if (ret_err)
			*ret_err = sqlite3_errmsg(db);
		return -EIO;
	}
	return 0;
}

static void put_field(EVP_MD_CTX *ctx, const void *p, size_t n)
{
	uint8_t len[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
	EVP_DigestUpdate(ctx, len, 4);
	EVP_DigestUpdate(ctx, p, n);
}

int vault_registry_row_digest(sqlite3 *db, const char *table, const char *id, char out[65])
{
	if (!vault_registry_is_table(table))
		return -EINVAL;
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT * FROM \"%s\" WHERE id=?", table);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	put_field(ctx, table, strlen(table));
	for (int i = 0; i < sqlite3_column_count(st); i++) {
		if (!strcmp(sqlite3_column_name(st, i), "seq"))
			continue;
		const unsigned char *v = sqlite3_column_text(st, i);
		put_field(ctx, v ? (const char *)v : "", v ? (size_t)sqlite3_column_bytes(st, i) : 0);
	}
	uint8_t h[32];
	EVP_DigestFinal_ex(ctx, h, NULL);
	EVP_MD_CTX_free(ctx);
	sqlite3_finalize(st);
	vault_hex(h, 32, out);
	return 0;
}

cJSON *vault_registry_get(sqlite3 *db, const char *table, const char *id)
{
	if (!vault_registry_is_table(table))
		return NULL;
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT * FROM \"%s\" WHERE id=?", table);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	cJSON *o = NULL;
	if (sqlite3_step(st) == SQLITE_ROW) {
		o = cJSON_CreateObject();
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const char *name = sqlite3_column_name(st, i);
			if (!strcmp(name, "seq") || !strcmp(name, "id"))
				continue;
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_INTEGER:
				cJSON_AddNumberToObject(o, name, (double)sqlite3_column_int64(st, i));
				break;
			case SQLITE_FLOAT:
				cJSON_AddNumberToObject(o, name, sqlite3_column_double(st, i));
				break;
			case SQLITE_NULL:
				cJSON_AddNullToObject(o, name);
				break;
			default:
				cJSON_AddStringToObject(o, name, (const char *)sqlite3_column_text(st, i));
			}
		}
	}
	sqlite3_finalize(st);
	return o;
}
