/* SPDX-License-Identifier: MIT */
/*
 * The configuration's documentation and the database's opening rules:
 * every key vaultd accepts is documented in docs/vault.ini.example (which
 * parses, giving the defaults); a database from a newer schema is refused;
 * every connection ends up in WAL, synchronous=FULL, foreign_keys=ON.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib-vault.h"
#include "tap.h"
#include "vault/config.h"
#include "vault/db.h"
#include "vault/registry.h"
#include "vault/util.h"

static long long q(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int main(void)
{
	const char *src = getenv("VAULT_SRC");
	char ex[1024], *text;
	snprintf(ex, sizeof ex, "%s/docs/vault.ini.example", src ? src : ".");
	if (vault_read_file(ex, 1 << 20, &text, NULL) < 0)
		tap_skip_all("docs/vault.ini.example not found (run from the source tree)");
	char key[128], section[64];
	int undocumented = 0, n = 0;
	for (size_t i = 0; vault_config_key_name(i, key, sizeof key); i++, n++) {
		char *dot = strchr(key, '.');
		snprintf(section, sizeof section, "[%.*s]", (int)(dot - key), key);
		char *sec = strstr(text, section);
		char needle[96];
		snprintf(needle, sizeof needle, "\n%s =", dot + 1);
		if (!sec || !strstr(sec, needle)) {
			printf("# undocumented: %s\n", key);
			undocumented++;
		}
	}
	ok(n > 10 && undocumented == 0, "all %d configuration keys are documented in the example", n);
	struct vault_config def, parsed;
	char err[256];
	vault_config_defaults(&def);
	vault_config_defaults(&parsed);
	memset(parsed.name, 0, sizeof parsed.name);
	int r = vault_config_load(ex, &parsed, err, sizeof err);
	ok(r == 0 && !strcmp(parsed.name, def.name) && parsed.checkpoint_every == def.checkpoint_every &&
		   !strcmp(parsed.timezone, "Asia/Shanghai"),
	   "the example parses and states the defaults (%s)", r ? err : "ok");
	free(text);

	char *dir = tv_tmpdir(), path[512];
	/* The directive's limits are ceilings: a site may be stricter, never looser. */
	static const char *const loose[][2] = {
	    {"cert_years = 6", "cert_years = 5"},
	    {"training_max_days = 366", "training_max_days = 365"},
	    {"destruction_months = 7", "destruction_months = 6"},
	};
	snprintf(path, sizeof path, "%s/policy.ini", dir);
	for (size_t i = 0; i < sizeof loose / sizeof loose[0]; i++)
		for (int k = 0; k < 2; k++) {
			FILE *f = fopen(path, "w");
			fprintf(f, "[policy]\n%s\n", loose[i][k]);
			fclose(f);
			vault_config_defaults(&parsed);
			r = vault_config_load(path, &parsed, err, sizeof err);
			if (k == 0)
				ok(r < 0 && strstr(err, "out of range"), "[policy] %s is refused (%s)",
				   loose[i][k], r < 0 ? err : "accepted");
			else
				ok(r == 0, "[policy] %s is accepted", loose[i][k]);
		}
	unlink(path);
	snprintf(path, sizeof path, "%s/v.db", dir);
	sqlite3 *db;
	const char *e;
	r = vault_db_open(path, VAULT_DB_READONLY, NULL, &db, &e);
	ok(r == -ENOENT, "opening a missing database fails with ENOENT (%s)", e);
	ok(vault_db_open(path, VAULT_DB_CREATE, NULL, &db, &e) == 0, "a new database is created");
	ok(q(db, "PRAGMA user_version") == vault_db_schema_version(),
	   "it is migrated to schema %u", vault_db_schema_version());
	ok(q(db, "PRAGMA synchronous") == 2 && q(db, "PRAGMA foreign_keys") == 1,
	   "the connection runs synchronous=FULL with foreign keys");
	sqlite3_stmt *st;
	sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
	sqlite3_step(st);
	ok(!strcmp((const char *)sqlite3_column_text(st, 0), "wal"), "the journal is WAL");
	sqlite3_finalize(st);
	ok(vault_db_exec(db, "INSERT INTO person(id,seq,name,role,unit,status) "
			     "VALUES('x',1,'x','staff','no-such-unit','active')") < 0,
	   "foreign keys are enforced");
	vault_db_close(db);
	ok(vault_db_open(path, VAULT_DB_CREATE, NULL, &db, &e) == -EEXIST,
	   "create refuses an existing database");

	/* A database written by a newer vaultd. */
	sqlite3_open(path, &db);
	sqlite3_exec(db, "PRAGMA user_version = 9999", NULL, NULL, NULL);
	sqlite3_close(db);
	r = vault_db_open(path, VAULT_DB_READWRITE, NULL, &db, &e);
	ok(r == -EPROTO, "a newer schema is refused for writing: %s", e);
	r = vault_db_open(path, VAULT_DB_READONLY, NULL, &db, &e);
	ok(r == -EPROTO, "and for reading: %s", e);
	/* A database of schema 1: the ledger tables only. */
	sqlite3_open(path, &db);
	for (int i = 0; vault_registry_tables[i]; i++) {
		char sql[128];
		snprintf(sql, sizeof sql, "DROP TABLE \"%s\"", vault_registry_tables[i]);
		sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	sqlite3_exec(db, "DROP TABLE mqtt_cursor", NULL, NULL, NULL); /* migration 3 */
	sqlite3_exec(
	    db, /* migration 7 */
	    "DROP TRIGGER ledger_cites; DROP TRIGGER sensor_cited_no_delete; "
	    "DROP TRIGGER sensor_event_no_update; DROP TRIGGER sensor_event_cited_no_delete; "
	    "DROP TABLE sensor_cited",
	    NULL, NULL, NULL);
	sqlite3_exec(db, "DROP INDEX ledger_approval", NULL, NULL, NULL); /* migration 8 */
	sqlite3_exec(db, "PRAGMA user_version = 1", NULL, NULL, NULL);
	sqlite3_close(db);
	ok(vault_db_open(path, VAULT_DB_READWRITE, NULL, &db, &e) == 0 &&
	       q(db, "PRAGMA user_version") == vault_db_schema_version() &&
	       q(db, "SELECT count(*) FROM mqtt_cursor WHERE seq = 0 AND checkpoint_seq = 0") ==
		   1 &&
	       q(db, "SELECT count(*) FROM sqlite_master WHERE name = 'sensor_cited'") == 1 &&
	       q(db, "SELECT count(*) FROM sqlite_master WHERE name = 'ledger_approval'") == 1,
	   "an older schema is migrated forward");
	vault_db_close(db);
	tv_rmrf(dir);
	free(dir);
	return tap_done();
}
