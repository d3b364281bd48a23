/* SPDX-License-Identifier: MIT */
/*
 * The registry as a projection of the ledger (see vault/ledger.h): applying a
 * ledger entry's "set" list, and the digests that stand in for secret rows.
 */
#ifndef VAULT_REGISTRY_H
#define VAULT_REGISTRY_H
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdint.h>

/* Registry tables in a fixed order (the order verification compares them). */
extern const char *const vault_registry_tables[];
/* 1 if `table` is a registry table whose rows are ledgered by digest only. */
int vault_registry_is_secret(const char *table);
/* 1 if `table` is a registry table. */
int vault_registry_is_table(const char *table);

/*
 * Apply one change {"t","k","row"} at ledger seq `seq`: upsert the row with
 * every column given (id and seq come from k and seq). Returns 0, -EINVAL
 * (*ret_err says what: unknown table or column, missing column, wrong type),
 * or -EIO (constraint or database error; the db's errmsg says which).
 */
int vault_registry_apply(sqlite3 *db, int64_t seq, const cJSON *change, const char **ret_err);

/* SHA-256 over the canonical encoding of row `id` of `table` as stored (all
 * columns but seq), hex into out[65]. Returns 0, -ENOENT, -EIO. */
int vault_registry_row_digest(sqlite3 *db, const char *table, const char *id, char out[65]);

/* Read one row as a JSON object (all columns but seq); NULL if absent. */
cJSON *vault_registry_get(sqlite3 *db, const char *table, const char *id);
#endif
