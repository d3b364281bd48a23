/* SPDX-License-Identifier: MIT */
/* Schema migrations embedded from db/migrations/NNNN-name.sql (tools/sql2c.sh). */
#ifndef VAULT_MIGRATIONS_H
#define VAULT_MIGRATIONS_H
struct vault_migration {
	unsigned version; /* NNNN of the file name: PRAGMA user_version after it */
	const char *name;
	const char *sql;
};
extern const struct vault_migration vault_migrations[];
extern const unsigned vault_migrations_count;
#endif
