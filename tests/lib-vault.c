/* SPDX-License-Identifier: MIT */
/* Test helpers: a scratch directory and a fresh vault database. */
#include "lib-vault.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vault/db.h"

char *tv_tmpdir(void)
{
	char *t = strdup("/tmp/vault-test.XXXXXX");
	if (!mkdtemp(t)) {
		free(t);
		return NULL;
	}
	return t;
}

void tv_rmrf(const char *dir)
{
	char cmd[600];
	if (!dir || strncmp(dir, "/tmp/vault-test.", 16) != 0)
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

int tv_new_vault(const char *path, const char *vfs, sqlite3 **ret_db, struct vault_ledger **ret_l,
		 uint8_t sk[VAULT_SIGN_SK_LEN])
{
	uint8_t pk[VAULT_SIGN_PK_LEN], skl[VAULT_SIGN_SK_LEN];
	if (sodium_init() < 0)
		return -EIO;
	crypto_sign_ed25519_keypair(pk, skl);
	sqlite3 *db;
	const char *err;
	int r = vault_db_open(path, VAULT_DB_CREATE, vfs, &db, &err);
	if (r < 0) {
		fprintf(stderr, "open %s: %s\n", path, err);
		return r;
	}
	r = vault_ledger_genesis(db, "test-vault", pk);
	struct vault_ledger *l = NULL;
	if (r == 0)
		r = vault_ledger_open(db, &l);
	if (r == 0)
		r = vault_ledger_set_signing_key(l, skl);
	if (r < 0) {
		vault_ledger_free(l);
		vault_db_close(db);
		return r;
	}
	if (sk)
		memcpy(sk, skl, VAULT_SIGN_SK_LEN);
	*ret_db = db;
	*ret_l = l;
	return 0;
}

cJSON *tv_set1(const char *table, const char *key, cJSON *row)
{
	cJSON *p = cJSON_CreateObject();
	cJSON *set = cJSON_AddArrayToObject(p, "set");
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "t", table);
	cJSON_AddStringToObject(c, "k", key);
	cJSON_AddItemToObject(c, "row", row);
	cJSON_AddItemToArray(set, c);
	return p;
}

cJSON *tv_unit_row(const char *name, int first_time)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "name", name);
	cJSON_AddNumberToObject(r, "first_time", first_time);
	cJSON_AddStringToObject(r, "status", "active");
	cJSON_AddStringToObject(r, "status_reason", "");
	return r;
}
