/* SPDX-License-Identifier: MIT */
#ifndef VAULT_TESTS_LIB_VAULT_H
#define VAULT_TESTS_LIB_VAULT_H
#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "vault/ledger.h"

/* mkdtemp under /tmp; caller frees. */
char *tv_tmpdir(void);
/* rm -rf, only of a directory made by tv_tmpdir. */
void tv_rmrf(const char *dir);
/* Create a vault database with a genesis and a fresh signing key (returned in
 * sk if not NULL). vfs may be NULL. */
int tv_new_vault(const char *path, const char *vfs, sqlite3 **ret_db, struct vault_ledger **ret_l,
		 uint8_t sk[VAULT_SIGN_SK_LEN]);
/* {"set":[{"t":table,"k":key,"row":row}]}; takes ownership of row. */
cJSON *tv_set1(const char *table, const char *key, cJSON *row);
cJSON *tv_unit_row(const char *name, int first_time);
#endif
