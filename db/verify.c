/* SPDX-License-Identifier: MIT */
#include "vault/verify.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vault/db.h"
#include "vault/ledger.h"
#include "vault/registry.h"
#include "vault/util.h"

#define MAX_REPORTED 50

struct ctx {
	vault_say_fn say;
	void *ud;
	struct vault_verify_result *res;
	uint8_t (*hashes)[VAULT_HASH_LEN]; /* index seq-1, for checkpoint checks */
	int64_t nhashes;
};

__attribute__((format(printf, 2, 3))) static void problem(struct ctx *c, const char *fmt, ...)
{
	c->res->problems++;
	if (c->res->problems > MAX_REPORTED)
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (c->say)
		c->say(c->ud, line);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	return t ? t : "";
}

/* The sensor events an entry cites are still what they were when it was
 * recorded (its payload's "cites_digest"; entries from before it have none). */
static void check_evidence(struct ctx *c, sqlite3 *db, int64_t seq, const char *cites,
			   const cJSON *p)
{
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(p, "cites_digest");
	if (!cJSON_IsString(ev))
		return;
	char now[2 * VAULT_HASH_LEN + 1];
	int r = vault_evidence_digest(db, cites, now);
	if (r < 0 || strcmp(now, ev->valuestring))
		problem(c,
			"seq %" PRId64 ": the sensor events it cites (%.80s) were changed or "
			"deleted since it was recorded",
			seq, cites);
}

static int replay_entry(struct ctx *c, sqlite3 *db, sqlite3 *mem, int64_t seq,
			const char *cites, const void *payload, int len)
{
	cJSON *p = cJSON_ParseWithLength(payload, (size_t)len);
	if (!p) {
		problem(c, "seq %" PRId64 ": payload is not JSON", seq);
		return 0;
	}
	if (*cites)
		check_evidence(c, db, seq, cites, p);
	const cJSON *set = cJSON_GetObjectItemCaseSensitive(p, "set");
	const cJSON *ch;
	cJSON_ArrayForEach(ch, set)
	{
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(ch, "t");
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(ch, "k");
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(ch, "digest");
		const char *err = "";
		if (cJSON_IsString(t) && vault_registry_is_secret(t->valuestring) &&
		    cJSON_IsString(k) && cJSON_IsString(d)) {
			sqlite3_stmt *st;
			sqlite3_prepare_v2(mem,
					   "INSERT INTO _secret(t,k,digest,seq) VALUES(?,?,?,?) "
					   "ON CONFLICT(t,k) DO UPDATE SET digest=excluded.digest,"
					   "seq=excluded.seq",
					   -1, &st, NULL);
			sqlite3_bind_text(st, 1, t->valuestring, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, k->valuestring, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, d->valuestring, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 4, seq);
			sqlite3_step(st);
			sqlite3_finalize(st);
		} else if (vault_registry_apply(mem, seq, ch, &err) < 0) {
			problem(c, "seq %" PRId64 ": registry change cannot be replayed: %s", seq,
				err && *err ? err : sqlite3_errmsg(mem));
		}
	}
	cJSON_Delete(p);
	return 0;
}

static int check_chain(struct ctx *c, sqlite3 *db, sqlite3 *mem)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db,
			       "SELECT seq,ts_utc,ts_mono,kind,actors,medium,approval,cites,payload,"
			       "prev_hash,hash FROM ledger ORDER BY seq",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	uint8_t prev[VAULT_HASH_LEN] = {0};
	int64_t expect = 1;
	int broken = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct vault_entry e = {0};
		e.seq = sqlite3_column_int64(st, 0);
		e.ts_utc = sqlite3_column_int64(st, 1);
		e.ts_mono = sqlite3_column_int64(st, 2);
		e.kind = col_text(st, 3);
		e.actors = col_text(st, 4);
		e.medium = col_text(st, 5);
		e.approval = col_text(st, 6);
		e.cites = col_text(st, 7);
		e.payload = sqlite3_column_blob(st, 8);
		e.payload_len = (size_t)sqlite3_column_bytes(st, 8);
		c->res->entries++;
		int ph_ok = sqlite3_column_bytes(st, 9) == VAULT_HASH_LEN;
		int h_ok = sqlite3_column_bytes(st, 10) == VAULT_HASH_LEN;
		if (ph_ok)
			memcpy(e.prev_hash, sqlite3_column_blob(st, 9), VAULT_HASH_LEN);
		uint8_t stored[VAULT_HASH_LEN] = {0}, calc[VAULT_HASH_LEN];
		if (h_ok)
			memcpy(stored, sqlite3_column_blob(st, 10), VAULT_HASH_LEN);
		vault_entry_hash(&e, calc);
		if (!broken) {
			const char *why = NULL;
			if (e.seq != expect)
				why = e.seq > expect ? "entries missing before it (seq gap)"
						     : "seq out of order";
			else if (e.seq == 1 && strcmp(e.kind, "ledger.genesis") != 0)
				why = "first entry is not the genesis";
			else if (!ph_ok || memcmp(e.prev_hash, prev, VAULT_HASH_LEN) != 0)
				why = "prev_hash does not match the previous entry's hash";
			else if (!h_ok || memcmp(calc, stored, VAULT_HASH_LEN) != 0)
				why = "hash does not match the entry's contents";
			if (why) {
				int64_t bad = e.seq != expect && e.seq > expect ? expect : e.seq;
				problem(c, "ledger: first bad seq %" PRId64 ": %s", bad, why);
				c->res->first_bad_seq = bad;
				broken = 1;
			}
		}
		if (e.seq >= 1 && e.seq <= c->nhashes + 1 && e.seq == c->nhashes + 1) {
			void *n = realloc(c->hashes, (size_t)(c->nhashes + 1) * VAULT_HASH_LEN);
			if (!n) {
				sqlite3_finalize(st);
				return -ENOMEM;
			}
			c->hashes = n;
			memcpy(c->hashes[c->nhashes++], stored, VAULT_HASH_LEN);
		}
		memcpy(prev, stored, VAULT_HASH_LEN);
		expect = e.seq + 1;
		replay_entry(c, db, mem, e.seq, e.cites, e.payload, (int)e.payload_len);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	if (c->res->entries == 0)
		problem(c, "ledger: empty (no genesis entry)");
	return 0;
}

static void check_one_checkpoint(struct ctx *c, const struct vault_checkpoint *k, const char *what,
				 const char *vault, const uint8_t *pk)
{
	if (strcmp(k->vault, vault) != 0) {
		problem(c, "%s seq %" PRId64 ": names vault '%s', this ledger is '%s'", what,
			k->seq, k->vault, vault);
		return;
	}
	if (memcmp(k->pk, pk, VAULT_SIGN_PK_LEN) != 0 || vault_checkpoint_check_sig(k) < 0) {
		problem(c, "%s seq %" PRId64 ": signature is not valid for this vault's key", what,
			k->seq);
		return;
	}
	if (k->seq > c->nhashes) {
		problem(c,
			"%s seq %" PRId64 ": ledger ends at seq %" PRId64
			" (truncated after a signed checkpoint)",
			what, k->seq, c->nhashes);
		return;
	}
	if (memcmp(c->hashes[k->seq - 1], k->hash, VAULT_HASH_LEN) != 0) {
		problem(c, "%s seq %" PRId64 ": ledger hash at seq %" PRId64
			   " differs from the signed one (ledger rewritten at or before it)",
			what, k->seq, k->seq);
		return;
	}
	c->res->checkpoints++;
}

static int check_checkpoints(struct ctx *c, sqlite3 *db, const struct vault_checkpoint *files,
			     size_t nfiles)
{
	struct vault_checkpoint k = {0};
	uint8_t pk[VAULT_SIGN_PK_LEN];
	char vault[128];
	int r = vault_ledger_genesis_info(db, vault, sizeof vault, pk);
	if (r < 0) {
		problem(c, "ledger: genesis entry missing or unreadable");
		return 0;
	}
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT seq,hash,ts_utc,sig FROM checkpoint ORDER BY seq", -1,
			       &st, NULL) != SQLITE_OK)
		return -EIO;
	while (sqlite3_step(st) == SQLITE_ROW) {
		memset(&k, 0, sizeof k);
		snprintf(k.vault, sizeof k.vault, "%s", vault);
		memcpy(k.pk, pk, sizeof pk);
		k.seq = sqlite3_column_int64(st, 0);
		k.ts_utc = sqlite3_column_int64(st, 2);
		if (sqlite3_column_bytes(st, 1) != VAULT_HASH_LEN ||
		    sqlite3_column_bytes(st, 3) != VAULT_SIG_LEN || k.seq < 1) {
			problem(c, "checkpoint seq %" PRId64 ": malformed", k.seq);
			continue;
		}
		memcpy(k.hash, sqlite3_column_blob(st, 1), VAULT_HASH_LEN);
		memcpy(k.sig, sqlite3_column_blob(st, 3), VAULT_SIG_LEN);
		check_one_checkpoint(c, &k, "checkpoint", vault, pk);
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < nfiles; i++)
		check_one_checkpoint(c, &files[i], "exported checkpoint", vault, pk);
	return 0;
}

static int values_equal(sqlite3_stmt *a, sqlite3_stmt *b, int i)
{
	if (sqlite3_column_type(a, i) != sqlite3_column_type(b, i))
		return 0;
	if (sqlite3_column_type(a, i) == SQLITE_NULL)
		return 1;
	int n = sqlite3_column_bytes(a, i);
	const void *pa = sqlite3_column_blob(a, i), *pb = sqlite3_column_blob(b, i);
	return n == sqlite3_column_bytes(b, i) && (n == 0 || memcmp(pa, pb, (size_t)n) == 0);
}

static int compare_table(struct ctx *c, sqlite3 *db, sqlite3 *mem, const char *t)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT * FROM \"%s\" ORDER BY id", t);
	sqlite3_stmt *a, *b;
	if (sqlite3_prepare_v2(db, sql, -1, &a, NULL) != SQLITE_OK)
		return -EIO;
	if (vault_registry_is_secret(t))
		snprintf(sql, sizeof sql,
			 "SELECT k AS id, seq, digest FROM _secret WHERE t='%s' ORDER BY k", t);
	if (sqlite3_prepare_v2(mem, sql, -1, &b, NULL) != SQLITE_OK) {
		sqlite3_finalize(a);
		return -EIO;
	}
	int ra = sqlite3_step(a), rb = sqlite3_step(b);
	int secret = vault_registry_is_secret(t);
	while (ra == SQLITE_ROW || rb == SQLITE_ROW) {
		int cmp;
		if (ra != SQLITE_ROW)
			cmp = 1;
		else if (rb != SQLITE_ROW)
			cmp = -1;
		else
			cmp = strcmp(col_text(a, 0), col_text(b, 0));
		if (cmp < 0) {
			problem(c, "registry row %s/%s: not produced by any ledger entry", t,
				col_text(a, 0));
			ra = sqlite3_step(a);
			continue;
		}
		if (cmp > 0) {
			problem(c, "registry row %s/%s: missing (written by ledger seq %s)", t,
				col_text(b, 0), col_text(b, 1));
			rb = sqlite3_step(b);
			continue;
		}
		c->res->rows++;
		if (secret) {
			char d[65];
			int seq_ok = sqlite3_column_int64(a, 1) == sqlite3_column_int64(b, 1);
			if (vault_registry_row_digest(db, t, col_text(a, 0), d) < 0 ||
			    strcmp(d, col_text(b, 2)) != 0 || !seq_ok)
				problem(c,
					"registry row %s/%s: differs from the digest ledgered at "
					"seq %s",
					t, col_text(a, 0), col_text(b, 1));
		} else {
			for (int i = 1; i < sqlite3_column_count(a); i++)
				if (!values_equal(a, b, i)) {
					problem(c,
						"registry row %s/%s: column %s differs from the "
						"ledger's replay (last written by seq %s)",
						t, col_text(a, 0), sqlite3_column_name(a, i),
						col_text(b, 1));
					break;
				}
		}
		ra = sqlite3_step(a);
		rb = sqlite3_step(b);
	}
	sqlite3_finalize(a);
	sqlite3_finalize(b);
	return 0;
}

int vault_verify(sqlite3 *db, const struct vault_checkpoint *files, size_t nfiles,
		 vault_say_fn say, void *ud, struct vault_verify_result *ret)
{
	struct vault_verify_result res = {0};
	struct ctx c = {.say = say, .ud = ud, .res = &res};
	sqlite3 *mem;
	if (sqlite3_open_v2(":memory:", &mem, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK)
		return -ENOMEM;
	int r = vault_db_migrate(mem, NULL);
	if (r == 0)
		r = vault_db_exec(mem, "CREATE TABLE _secret(t TEXT, k TEXT, digest TEXT, seq "
				       "INTEGER, PRIMARY KEY(t,k))");
	/* Replay in one transaction: it is a scratch database. */
	if (r == 0)
		r = vault_db_begin(mem);
	if (r == 0)
		r = check_chain(&c, db, mem);
	if (r == 0)
		r = vault_db_commit(mem);
	if (r == 0)
		r = check_checkpoints(&c, db, files, nfiles);
	for (int i = 0; r == 0 && vault_registry_tables[i]; i++)
		r = compare_table(&c, db, mem, vault_registry_tables[i]);
	sqlite3_close(mem);
	free(c.hashes);
	if (r == 0)
		*ret = res;
	return r;
}
