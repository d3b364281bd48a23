/* SPDX-License-Identifier: MIT */
/*
 * A 10,000-entry ledger, then every kind of single tampering an attacker with
 * the database file could do (triggers dropped first) — each must be found by
 * verification, naming the right seq or registry row.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib-vault.h"
#include "tap.h"
#include "vault/db.h"
#include "vault/registry.h"
#include "vault/util.h"
#include "vault/verify.h"

#define N 10000

static char *dir, master[512];
static struct vault_checkpoint exported;
static char said[8192];

static void say(void *ud, const char *line)
{
	size_t n = strlen(said);
	snprintf(said + n, sizeof said - n, "%s\n", line);
}

static int add(struct vault_ledger *l, const char *kind, const char *actors, const char *medium,
	       cJSON *payload)
{
	struct vault_record r = {.kind = kind, .actors = actors, .medium = medium, .cites = "1,2",
				 .payload = payload};
	const char *err;
	int e = vault_ledger_record(l, &r, NULL, NULL, &err);
	if (e < 0)
		fprintf(stderr, "record %s: %s\n", kind, err);
	cJSON_Delete(payload);
	return e;
}

static cJSON *person_row(int i)
{
	cJSON *r = cJSON_CreateObject();
	char u[16], n[32];
	snprintf(u, sizeof u, "U%d", i % 50);
	snprintf(n, sizeof n, "Person %d", i);
	cJSON_AddStringToObject(r, "name", n);
	cJSON_AddStringToObject(r, "role", i % 3 ? "staff" : "custodian");
	cJSON_AddStringToObject(r, "unit", u);
	cJSON_AddStringToObject(r, "status", "active");
	cJSON_AddNullToObject(r, "unix_user");
	return r;
}

static int build(void)
{
	sqlite3 *db;
	struct vault_ledger *l;
	int r = tv_new_vault(master, NULL, &db, &l, NULL);
	if (r < 0)
		return r;
	vault_ledger_set_checkpoint_every(l, 1000);
	char k[32];
	int i = 1;
	for (int u = 0; u < 50 && r == 0; u++, i++) {
		snprintf(k, sizeof k, "U%d", u);
		r = add(l, "registry.unit.add", "admin", "", tv_set1("unit", k, tv_unit_row(k, 1)));
	}
	for (int p = 0; p < 30 && r == 0; p++, i++) {
		snprintf(k, sizeof k, "P%d", p);
		r = add(l, "registry.person.add", "admin", "", tv_set1("person", k, person_row(p)));
	}
	while (r == 0 && ++i <= N) {
		if (i % 10 == 0) {
			snprintf(k, sizeof k, "U%d", i % 50);
			char name[32];
			snprintf(name, sizeof name, "Unit renamed %d", i);
			r = add(l, "registry.unit.update", "admin", "",
				tv_set1("unit", k, tv_unit_row(name, i % 20 == 0)));
		} else if (i % 100 == 5) {
			snprintf(k, sizeof k, "P%d", i % 30);
			cJSON *row = cJSON_CreateObject();
			char h[64];
			snprintf(h, sizeof h, "$argon2id$fake-%d", i);
			cJSON_AddStringToObject(row, "hash", h);
			cJSON_AddStringToObject(row, "duress_hash", "");
			r = add(l, "registry.pin.set", "admin", "", tv_set1("pin", k, row));
		} else {
			char m[32];
			snprintf(m, sizeof m, "M%d", i);
			cJSON *p = cJSON_CreateObject();
			cJSON_AddNumberToObject(p, "i", i);
			r = add(l, "test.event", "P1,P2", m, p);
		}
	}
	/* The exported checkpoint: the tip, kept "off the box". */
	int64_t cseq;
	if (r == 0)
		r = vault_ledger_checkpoint(l, &cseq);
	if (r == -ENODATA)
		r = 0;
	if (r == 0)
		r = vault_checkpoint_latest(db, &exported);
	if (r == 0) {
		char txt[1024];
		const char *err;
		vault_checkpoint_format(&exported, txt, sizeof txt);
		r = vault_checkpoint_parse(txt, &exported, &err);
	}
	vault_ledger_free(l);
	vault_db_close(db);
	return r;
}

/* Copy the master, run `sql` on the copy as an attacker (no triggers), verify.
 * Returns the verification result; `said` holds the reported lines. */
static struct vault_verify_result tamper(const char *sql, int with_file)
{
	static int n;
	char path[600], cmd[1400];
	snprintf(path, sizeof path, "%s/copy-%d.db", dir, ++n);
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", master, path);
	struct vault_verify_result res = {.problems = -1};
	said[0] = 0;
	if (system(cmd) != 0)
		return res;
	sqlite3 *db;
	sqlite3_open(path, &db);
	char *err = NULL;
	if (sqlite3_exec(db,
			 "DROP TRIGGER ledger_no_update; DROP TRIGGER ledger_no_delete;"
			 "DROP TRIGGER checkpoint_no_update; DROP TRIGGER checkpoint_no_delete;",
			 NULL, NULL, &err) != SQLITE_OK ||
	    (sql && sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)) {
		fprintf(stderr, "tamper SQL failed: %s\n", err);
		sqlite3_free(err);
		sqlite3_close(db);
		return res;
	}
	sqlite3_close(db);
	const char *oerr;
	if (vault_db_open(path, VAULT_DB_READONLY, NULL, &db, &oerr) < 0) {
		fprintf(stderr, "open copy: %s\n", oerr);
		return res;
	}
	if (vault_verify(db, &exported, with_file ? 1 : 0, say, NULL, &res) < 0)
		res.problems = -1;
	vault_db_close(db);
	unlink(path);
	return res;
}

/* Rewrite seq `from`..N after editing `from`, recomputing every hash as an
 * attacker who knows the algorithm would. */
static int rewrite_chain(const char *path, int64_t from)
{
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -EIO;
	sqlite3_exec(db, "DROP TRIGGER ledger_no_update; BEGIN", NULL, NULL, NULL);
	sqlite3_stmt *q, *u;
	sqlite3_prepare_v2(db,
			   "SELECT seq,ts_utc,ts_mono,kind,actors,medium,approval,cites,payload,"
			   "prev_hash FROM ledger WHERE seq >= ? ORDER BY seq",
			   -1, &q, NULL);
	sqlite3_prepare_v2(db, "UPDATE ledger SET prev_hash=?, hash=?, payload=? WHERE seq=?", -1,
			   &u, NULL);
	sqlite3_bind_int64(q, 1, from);
	uint8_t prev[32];
	int first = 1;
	while (sqlite3_step(q) == SQLITE_ROW) {
		struct vault_entry e = {0};
		e.seq = sqlite3_column_int64(q, 0);
		e.ts_utc = sqlite3_column_int64(q, 1);
		e.ts_mono = sqlite3_column_int64(q, 2);
		e.kind = (const char *)sqlite3_column_text(q, 3);
		e.actors = (const char *)sqlite3_column_text(q, 4);
		e.medium = (const char *)sqlite3_column_text(q, 5);
		e.approval = (const char *)sqlite3_column_text(q, 6);
		e.cites = (const char *)sqlite3_column_text(q, 7);
		const char *forged = "{\"i\":-1}";
		e.payload = first ? forged : sqlite3_column_blob(q, 8);
		e.payload_len = first ? strlen(forged) : (size_t)sqlite3_column_bytes(q, 8);
		memcpy(e.prev_hash, first ? sqlite3_column_blob(q, 9) : prev, 32);
		vault_entry_hash(&e, e.hash);
		sqlite3_bind_blob(u, 1, e.prev_hash, 32, SQLITE_TRANSIENT);
		sqlite3_bind_blob(u, 2, e.hash, 32, SQLITE_TRANSIENT);
		sqlite3_bind_blob(u, 3, e.payload, (int)e.payload_len, SQLITE_TRANSIENT);
		sqlite3_bind_int64(u, 4, e.seq);
		sqlite3_step(u);
		sqlite3_reset(u);
		memcpy(prev, e.hash, 32);
		first = 0;
	}
	sqlite3_finalize(q);
	sqlite3_finalize(u);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(db);
	return 0;
}

int main(void)
{
	dir = tv_tmpdir();
	snprintf(master, sizeof master, "%s/master.db", dir);
	if (!ok(build() == 0, "a %d-entry ledger with registry changes and checkpoints is built", N))
		return tap_done();

	struct vault_verify_result r = tamper(NULL, 1);
	ok(r.problems == 0 && r.entries == N, "the untouched copy verifies: %" PRId64 " entries, %" PRId64
	   " checkpoints, %" PRId64 " rows", r.entries, r.checkpoints, r.rows);
	ok(r.checkpoints >= 11, "stored checkpoints and the exported one are all checked (%" PRId64 ")",
	   r.checkpoints);

	/* Edit each column of a ledger row (different rows for each). */
	static const struct {
		const char *col, *val;
	} edits[] = {
		{"ts_utc", "ts_utc + 1"},
		{"ts_mono", "ts_mono - 5"},
		{"kind", "'registry.unit.add'"},
		{"actors", "'P3'"},
		{"medium", "'M0'"},
		{"approval", "'A1'"},
		{"cites", "''"},
		{"payload", "CAST('{\"i\":0}' AS BLOB)"},
		{"prev_hash", "zeroblob(32)"},
		{"hash", "randomblob(32)"},
		{"seq", "20000"},
	};
	srand(7);
	for (size_t i = 0; i < VAULT_ARRAY_SIZE(edits); i++) {
		int64_t s = 2 + rand() % (N - 2);
		char sql[256];
		snprintf(sql, sizeof sql, "UPDATE ledger SET %s = %s WHERE seq = %" PRId64,
			 edits[i].col, edits[i].val, s);
		r = tamper(sql, 0);
		ok(r.first_bad_seq == s, "edit of %s at seq %" PRId64 " is found at seq %" PRId64,
		   edits[i].col, s, r.first_bad_seq);
	}
	r = tamper("UPDATE ledger SET payload = CAST(replace(payload, 'test-vault', 'other') AS BLOB) "
		   "WHERE seq = 1", 0);
	ok(r.first_bad_seq == 1, "edit of the genesis entry is found at seq 1 (%" PRId64 ")",
	   r.first_bad_seq);

	r = tamper("DELETE FROM ledger WHERE seq = 4321", 0);
	ok(r.first_bad_seq == 4321, "a deleted entry is named (seq %" PRId64 ")", r.first_bad_seq);

	/* Swap two entries' contents, keeping their seq numbers. */
	r = tamper("CREATE TEMP TABLE a AS SELECT * FROM ledger WHERE seq IN (3000, 7000);"
		   "UPDATE ledger SET (ts_utc,ts_mono,kind,actors,medium,approval,cites,payload,"
		   "prev_hash,hash) = (SELECT ts_utc,ts_mono,kind,actors,medium,approval,cites,"
		   "payload,prev_hash,hash FROM a WHERE a.seq = 10000 - ledger.seq) "
		   "WHERE seq IN (3000, 7000)", 0);
	ok(r.first_bad_seq == 3000, "two swapped entries are found at the first (%" PRId64 ")",
	   r.first_bad_seq);

	/* Insert a made-up entry in the middle, renumbering the rest. */
	r = tamper("UPDATE ledger SET seq = seq + 1000000 WHERE seq > 5000;"
		   "UPDATE ledger SET seq = seq - 999999 WHERE seq > 1000000;"
		   "INSERT INTO ledger VALUES(5001, 0, 0, 'test.event', 'P9', 'M1', '', '', "
		   "CAST('{}' AS BLOB), (SELECT hash FROM ledger WHERE seq = 5000), randomblob(32))",
		   0);
	ok(r.first_bad_seq == 5001, "an inserted entry is named (seq %" PRId64 ")", r.first_bad_seq);

	/* Truncation: drop the tail and the stored checkpoints that cover it. */
	const char *trunc = "DELETE FROM ledger WHERE seq > 9000; DELETE FROM checkpoint WHERE seq > 9000";
	r = tamper(trunc, 0);
	ok(r.first_bad_seq == 0 && !strstr(said, "truncated"),
	   "truncation leaves the hash chain itself intact (why checkpoints are exported)");
	r = tamper(trunc, 1);
	ok(r.problems > 0 && strstr(said, "truncated") && strstr(said, "seq 10000"),
	   "truncation after an exported checkpoint is found: %s", said);

	/* A full rewrite from seq 6000 with every hash recomputed. */
	{
		char path[600], cmd[1300];
		snprintf(path, sizeof path, "%s/rewrite.db", dir);
		snprintf(cmd, sizeof cmd, "cp '%s' '%s'", master, path);
		sqlite3 *db;
		const char *oerr;
		int rr = system(cmd) == 0 ? rewrite_chain(path, 6001) : -1;
		said[0] = 0;
		struct vault_verify_result rw = {.problems = -1};
		if (rr == 0 && vault_db_open(path, VAULT_DB_READONLY, NULL, &db, &oerr) == 0) {
			vault_verify(db, &exported, 1, say, NULL, &rw);
			vault_db_close(db);
		}
		ok(rw.first_bad_seq == 0 && rw.problems > 0 &&
			   strstr(said, "checkpoint seq 7000: ledger hash at seq 7000 differs"),
		   "a chain rewritten with valid hashes is caught by the signed checkpoints: %.200s",
		   said);
	}

	/* Registry edits bypassing the ledger. */
	r = tamper("UPDATE unit SET name = 'Forged' WHERE id = 'U7'", 0);
	ok(r.problems == 1 && strstr(said, "registry row unit/U7: column name"),
	   "an edited registry row is named: %s", said);
	r = tamper("UPDATE person SET role = 'admin' WHERE id = 'P4'", 0);
	ok(r.problems == 1 && strstr(said, "registry row person/P4: column role"),
	   "a forged role is named: %s", said);
	r = tamper("DELETE FROM person WHERE id = 'P6'", 0);
	ok(r.problems >= 1 && strstr(said, "registry row person/P6: missing"),
	   "a deleted registry row is named: %s", said);
	r = tamper("INSERT INTO unit VALUES('U99', 1, 'Ghost', 0, 'active', '')", 0);
	ok(r.problems == 1 && strstr(said, "registry row unit/U99: not produced"),
	   "a registry row no entry wrote is named: %s", said);
	r = tamper("UPDATE pin SET hash = '$argon2id$attacker' WHERE id = 'P15'", 0);
	ok(r.problems == 1 && strstr(said, "registry row pin/P15"),
	   "a replaced PIN hash is caught by its ledgered digest: %s", said);
	r = tamper("UPDATE unit SET seq = 3 WHERE id = 'U8'", 0);
	ok(r.problems == 1 && strstr(said, "registry row unit/U8: column seq"),
	   "a registry row claiming the wrong seq is named: %s", said);

	/* A forged checkpoint signature. */
	r = tamper("UPDATE checkpoint SET sig = randomblob(64) WHERE seq = 2000", 0);
	ok(r.problems == 1 && strstr(said, "checkpoint seq 2000: signature"),
	   "a forged checkpoint signature is named: %s", said);

	tv_rmrf(dir);
	free(dir);
	return tap_done();
}
