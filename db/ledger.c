/* SPDX-License-Identifier: MIT */
/* The hash-chained ledger, its writer, and signed checkpoints. */
#include "vault/ledger.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vault/db.h"
#include "vault/registry.h"
#include "vault/util.h"

static const char domain_entry[] = "VAULT-LEDGER-ENTRY";
static const char domain_ckpt[] = "VAULT-LEDGER-CHECKPOINT";

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)(v >> 32));
	put_u32(p + 4, (uint32_t)v);
}

static void field(EVP_MD_CTX *ctx, const void *p, size_t n)
{
	uint8_t len[4];
	put_u32(len, (uint32_t)n);
	EVP_DigestUpdate(ctx, len, 4);
	if (n)
		EVP_DigestUpdate(ctx, p, n);
}

static void field_i64(EVP_MD_CTX *ctx, int64_t v)
{
	uint8_t b[8];
	put_u64(b, (uint64_t)v);
	field(ctx, b, 8);
}

static void field_str(EVP_MD_CTX *ctx, const char *s)
{
	field(ctx, s ? s : "", s ? strlen(s) : 0);
}

void vault_entry_hash(const struct vault_entry *e, uint8_t out[VAULT_HASH_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	field(ctx, domain_entry, sizeof domain_entry - 1);
	uint8_t fmt[4];
	put_u32(fmt, VAULT_LEDGER_FORMAT);
	field(ctx, fmt, 4);
	field_i64(ctx, e->seq);
	field_i64(ctx, e->ts_utc);
	field_i64(ctx, e->ts_mono);
	field_str(ctx, e->kind);
	field_str(ctx, e->actors);
	field_str(ctx, e->medium);
	field_str(ctx, e->approval);
	field_str(ctx, e->cites);
	field(ctx, e->payload, e->payload_len);
	field(ctx, e->prev_hash, VAULT_HASH_LEN);
	EVP_DigestFinal_ex(ctx, out, NULL);
	EVP_MD_CTX_free(ctx);
}

static const char domain_evidence[] = "VAULT-SENSOR-EVIDENCE";
static const char sql_evidence[] =
    "SELECT ts_utc,ts_mono,source,kind,data FROM sensor_event WHERE id=?";

int vault_evidence_digest(sqlite3 *db, const char *cites, char out[2 * VAULT_HASH_LEN + 1])
{
	if (!cites || !*cites)
		return -ENOENT;
	sqlite3_stmt *st;
	if (vault_db_cached(db, sql_evidence, &st) < 0)
		return -EIO;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx) {
		vault_db_done(st);
		return -ENOMEM;
	}
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	field(ctx, domain_evidence, sizeof domain_evidence - 1);
	uint8_t fmt[4];
	put_u32(fmt, 1);
	field(ctx, fmt, 4);
	int r = 0, n = 0;
	for (const char *p = cites; *p && r == 0;) {
		char *end;
		long long id = strtoll(p, &end, 10);
		if (end == p || (*end && *end != ',')) {
			r = -EINVAL;
			break;
		}
		p = *end ? end + 1 : end;
		field_i64(ctx, id);
		n++;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, id);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			field_i64(ctx, sqlite3_column_int64(st, 0));
			field_i64(ctx, sqlite3_column_int64(st, 1));
			for (int i = 2; i < 5; i++)
				field_str(ctx, (const char *)sqlite3_column_text(st, i));
		} else if (rc == SQLITE_DONE)
			field_str(ctx, "missing");
		else
			r = -EIO;
	}
	uint8_t h[VAULT_HASH_LEN];
	EVP_DigestFinal_ex(ctx, h, NULL);
	EVP_MD_CTX_free(ctx);
	vault_db_done(st);
	if (r == 0 && n == 0)
		r = -ENOENT;
	if (r == 0)
		vault_hex(h, VAULT_HASH_LEN, out);
	return r;
}

int vault_checkpoint_message(const char *vault, int64_t seq, const uint8_t hash[VAULT_HASH_LEN],
			     int64_t ts_utc, uint8_t *buf, size_t size)
{
	size_t vn = strlen(vault);
	size_t need = 4 + sizeof domain_ckpt - 1 + 4 + 4 + vn + 4 + 8 + 4 + VAULT_HASH_LEN + 4 + 8;
	if (need > size)
		return -ENAMETOOLONG;
	uint8_t *p = buf;
#define PUT(ptr, n)                                                                                \
	do {                                                                                       \
		put_u32(p, (uint32_t)(n));                                                         \
		memcpy(p + 4, ptr, n);                                                             \
		p += 4 + (n);                                                                      \
	} while (0)
	uint8_t fmt[4], s8[8], t8[8];
	put_u32(fmt, VAULT_LEDGER_FORMAT);
	put_u64(s8, (uint64_t)seq);
	put_u64(t8, (uint64_t)ts_utc);
	PUT(domain_ckpt, sizeof domain_ckpt - 1);
	PUT(fmt, 4);
	PUT(vault, vn);
	PUT(s8, 8);
	PUT(hash, VAULT_HASH_LEN);
	PUT(t8, 8);
#undef PUT
	return (int)(p - buf);
}

struct vault_ledger {
	sqlite3 *db;
	char vault[128];
	uint8_t pk[VAULT_SIGN_PK_LEN];
	uint8_t sk[VAULT_SIGN_SK_LEN];
	int have_sk;
	unsigned every;
	sqlite3_stmt *st_insert; /* prepared once: the append is the hot path */
};

int vault_ledger_tip(sqlite3 *db, int64_t *ret_seq, uint8_t ret_hash[VAULT_HASH_LEN])
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1", -1, &st,
			       NULL) != SQLITE_OK)
		return -EIO;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*ret_seq = sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) != VAULT_HASH_LEN) {
			sqlite3_finalize(st);
			return -EBADMSG;
		}
		memcpy(ret_hash, sqlite3_column_blob(st, 1), VAULT_HASH_LEN);
	} else if (rc == SQLITE_DONE) {
		*ret_seq = 0;
		memset(ret_hash, 0, VAULT_HASH_LEN);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

int vault_ledger_genesis_info(sqlite3 *db, char *vault, size_t vault_size,
			      uint8_t pk[VAULT_SIGN_PK_LEN])
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT kind, payload FROM ledger WHERE seq=1", -1, &st, NULL) !=
	    SQLITE_OK)
		return -EIO;
	int r = -ENODATA;
	if (sqlite3_step(st) == SQLITE_ROW) {
		r = -EBADMSG;
		const char *kind = (const char *)sqlite3_column_text(st, 0);
		cJSON *p = cJSON_ParseWithLength(sqlite3_column_blob(st, 1),
						 (size_t)sqlite3_column_bytes(st, 1));
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, "vault");
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(p, "checkpoint_pubkey");
		if (kind && !strcmp(kind, "ledger.genesis") && cJSON_IsString(v) &&
		    cJSON_IsString(k) && vault_unhex(k->valuestring, pk, VAULT_SIGN_PK_LEN) == 0 &&
		    vault_strlcpy(vault, v->valuestring, vault_size) == 0)
			r = 0;
		cJSON_Delete(p);
	}
	sqlite3_finalize(st);
	return r;
}

static const char sql_insert[] =
	"INSERT INTO ledger(seq,ts_utc,ts_mono,kind,actors,medium,approval,"
	"cites,payload,prev_hash,hash) VALUES(?,?,?,?,?,?,?,?,?,?,?)";

/* Insert an entry whose kind..payload and prev_hash are set, as seq tip+1;
 * fills seq, times and hash. Runs inside the caller's transaction. `st` is a
 * prepared sql_insert to reuse (reset here), or NULL to prepare one. */
static int append(sqlite3 *db, sqlite3_stmt *st, int64_t tip, struct vault_entry *e)
{
	e->seq = tip + 1;
	e->ts_utc = vault_now_utc_us();
	e->ts_mono = vault_now_mono_us();
	vault_entry_hash(e, e->hash);
	sqlite3_stmt *own = NULL;
	if (!st) {
		if (sqlite3_prepare_v2(db, sql_insert, -1, &own, NULL) != SQLITE_OK)
			return -EIO;
		st = own;
	}
	sqlite3_bind_int64(st, 1, e->seq);
	sqlite3_bind_int64(st, 2, e->ts_utc);
	sqlite3_bind_int64(st, 3, e->ts_mono);
	sqlite3_bind_text(st, 4, e->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, e->actors, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, e->medium, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, e->approval, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, e->cites, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 9, e->payload, (int)e->payload_len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 10, e->prev_hash, VAULT_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 11, e->hash, VAULT_HASH_LEN, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (own)
		sqlite3_finalize(own);
	else {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int vault_ledger_genesis(sqlite3 *db, const char *vault, const uint8_t pk[VAULT_SIGN_PK_LEN])
{
	int64_t tip;
	uint8_t h[VAULT_HASH_LEN];
	if (vault_ledger_tip(db, &tip, h) < 0)
		return -EIO;
	if (tip)
		return -EEXIST;
	char pkhex[2 * VAULT_SIGN_PK_LEN + 1];
	vault_hex(pk, VAULT_SIGN_PK_LEN, pkhex);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddNumberToObject(p, "format", VAULT_LEDGER_FORMAT);
	cJSON_AddStringToObject(p, "vault", vault);
	cJSON_AddStringToObject(p, "hash", "sha256");
	cJSON_AddStringToObject(p, "encoding", "length-prefixed-v1");
	cJSON_AddStringToObject(p, "signature", "ed25519");
	cJSON_AddStringToObject(p, "checkpoint_pubkey", pkhex);
	char *txt = cJSON_PrintUnformatted(p);
	cJSON_Delete(p);
	struct vault_entry e = {.kind = "ledger.genesis", .actors = "", .medium = "",
				.approval = "", .cites = "", .payload = txt,
				.payload_len = strlen(txt)};
	int r = vault_db_begin(db);
	if (r == 0)
		r = append(db, NULL, 0, &e);
	if (r == 0)
		r = vault_db_commit(db);
	else
		vault_db_rollback(db);
	free(txt);
	return r;
}

int vault_ledger_open(sqlite3 *db, struct vault_ledger **ret)
{
	struct vault_ledger *l = calloc(1, sizeof *l);
	if (!l)
		return -ENOMEM;
	int r = vault_ledger_genesis_info(db, l->vault, sizeof l->vault, l->pk);
	if (r < 0) {
		free(l);
		return r;
	}
	l->db = db;
	*ret = l;
	return 0;
}

void vault_ledger_free(struct vault_ledger *l)
{
	if (!l)
		return;
	sqlite3_finalize(l->st_insert);
	sodium_memzero(l->sk, sizeof l->sk);
	free(l);
}

const char *vault_ledger_vault_name(const struct vault_ledger *l)
{
	return l->vault;
}

int vault_ledger_set_signing_key(struct vault_ledger *l, const uint8_t sk[VAULT_SIGN_SK_LEN])
{
	uint8_t pk[VAULT_SIGN_PK_LEN];
	crypto_sign_ed25519_sk_to_pk(pk, sk);
	/* The key must be the one the genesis entry names, or every checkpoint
	 * it signs would fail verification. */
	if (memcmp(pk, l->pk, sizeof pk) != 0)
		return -EKEYREJECTED;
	memcpy(l->sk, sk, VAULT_SIGN_SK_LEN);
	l->have_sk = 1;
	return 0;
}

void vault_ledger_set_checkpoint_every(struct vault_ledger *l, unsigned n)
{
	l->every = n;
}

/* Inside the caller's transaction. */
static int write_checkpoint(struct vault_ledger *l, int64_t seq, const uint8_t hash[VAULT_HASH_LEN])
{
	uint8_t msg[512], sig[VAULT_SIG_LEN];
	int64_t ts = vault_now_utc_us();
	int n = vault_checkpoint_message(l->vault, seq, hash, ts, msg, sizeof msg);
	if (n < 0)
		return n;
	crypto_sign_ed25519_detached(sig, NULL, msg, (unsigned long long)n, l->sk);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(l->db, "INSERT INTO checkpoint(seq,hash,ts_utc,sig) VALUES(?,?,?,?)",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_blob(st, 2, hash, VAULT_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, ts);
	sqlite3_bind_blob(st, 4, sig, VAULT_SIG_LEN, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : (sqlite3_extended_errcode(l->db) ==
						SQLITE_CONSTRAINT_PRIMARYKEY
					    ? -ENODATA
					    : -EIO);
}

int vault_ledger_checkpoint(struct vault_ledger *l, int64_t *ret_seq)
{
	if (!l->have_sk)
		return -ENOKEY;
	int r = vault_db_begin(l->db);
	if (r < 0)
		return r;
	int64_t seq;
	uint8_t h[VAULT_HASH_LEN];
	r = vault_ledger_tip(l->db, &seq, h);
	if (r == 0)
		r = write_checkpoint(l, seq, h);
	if (r == 0)
		r = vault_db_commit(l->db);
	else
		vault_db_rollback(l->db);
	if (r == 0 && ret_seq)
		*ret_seq = seq;
	return r;
}

int vault_ledger_record(struct vault_ledger *l, const struct vault_record *rec, int64_t *ret_seq,
			uint8_t ret_hash[VAULT_HASH_LEN], const char **ret_err)
{
	static const char *none = "";
	if (ret_err)
		*ret_err = none;
	if (!rec->kind || !rec->kind[0])
		return -EINVAL;
	cJSON *payload = rec->payload ? cJSON_Duplicate(rec->payload, 1) : cJSON_CreateObject();
	if (!payload)
		return -ENOMEM;
	int r = vault_db_begin(l->db);
	if (r < 0) {
		cJSON_Delete(payload);
		if (ret_err)
			*ret_err = sqlite3_errmsg(l->db);
		return r;
	}
	int64_t tip;
	struct vault_entry e = {.kind = rec->kind,
				.actors = rec->actors ? rec->actors : "",
				.medium = rec->medium ? rec->medium : "",
				.approval = rec->approval ? rec->approval : "",
				.cites = rec->cites ? rec->cites : ""};
	r = vault_ledger_tip(l->db, &tip, e.prev_hash);
	if (r == 0 && !l->st_insert &&
	    sqlite3_prepare_v3(l->db, sql_insert, -1, SQLITE_PREPARE_PERSISTENT, &l->st_insert,
			       NULL) != SQLITE_OK)
		r = -EIO;
	/* Apply the registry changes at the seq this entry will get; secret rows
	 * are replaced by their digest in what the ledger stores. */
	cJSON *set = cJSON_GetObjectItemCaseSensitive(payload, "set");
	if (r == 0 && set && !cJSON_IsArray(set)) {
		r = -EINVAL;
		if (ret_err)
			*ret_err = "\"set\" is not a list";
	}
	/* What the cited sensor events say, as they are now, into the hashed
	 * payload: changing or deleting one later breaks vault_verify(). */
	char evidence[2 * VAULT_HASH_LEN + 1];
	if (r == 0 && e.cites[0]) {
		int er = vault_evidence_digest(l->db, e.cites, evidence);
		if (er == 0) {
			cJSON_DeleteItemFromObjectCaseSensitive(payload, "cites_digest");
			cJSON_AddStringToObject(payload, "cites_digest", evidence);
		} else if (er != -ENOENT) {
			r = er;
			if (ret_err)
				*ret_err = er == -EINVAL
					       ? "cites is not a list of sensor event ids"
					       : "the cited sensor events cannot be read";
		}
	}
	cJSON *c;
	cJSON_ArrayForEach(c, set)
	{
		if (r < 0)
			break;
		r = vault_registry_apply(l->db, tip + 1, c, ret_err);
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "t");
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(c, "k");
		if (r == 0 && vault_registry_is_secret(t->valuestring)) {
			char d[65];
			r = vault_registry_row_digest(l->db, t->valuestring, k->valuestring, d);
			cJSON_DeleteItemFromObjectCaseSensitive(c, "row");
			cJSON_AddStringToObject(c, "digest", d);
		}
	}
	char *txt = NULL;
	if (r == 0) {
		txt = cJSON_PrintUnformatted(payload);
		if (!txt)
			r = -ENOMEM;
	}
	if (r == 0) {
		e.payload = txt;
		e.payload_len = strlen(txt);
		r = append(l->db, l->st_insert, tip, &e);
		if (r < 0 && ret_err)
			*ret_err = sqlite3_errmsg(l->db);
	}
	if (r == 0 && l->have_sk && l->every && e.seq % l->every == 0)
		r = write_checkpoint(l, e.seq, e.hash);
	if (r == 0) {
		r = vault_db_commit(l->db);
		if (r < 0 && ret_err)
			*ret_err = "commit failed";
	} else {
		vault_db_rollback(l->db);
	}
	free(txt);
	cJSON_Delete(payload);
	if (r == 0) {
		if (ret_seq)
			*ret_seq = e.seq;
		if (ret_hash)
			memcpy(ret_hash, e.hash, VAULT_HASH_LEN);
	}
	return r;
}

int vault_checkpoint_format(const struct vault_checkpoint *c, char *buf, size_t size)
{
	char h[2 * VAULT_HASH_LEN + 1], pk[2 * VAULT_SIGN_PK_LEN + 1], sig[2 * VAULT_SIG_LEN + 1];
	vault_hex(c->hash, VAULT_HASH_LEN, h);
	vault_hex(c->pk, VAULT_SIGN_PK_LEN, pk);
	vault_hex(c->sig, VAULT_SIG_LEN, sig);
	int n = snprintf(buf, size,
			 "vault-checkpoint 1\nvault %s\nseq %" PRId64 "\nhash %s\ntime %" PRId64
			 "\npubkey %s\nsig %s\n",
			 c->vault, c->seq, h, c->ts_utc, pk, sig);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : n;
}

int vault_checkpoint_parse(const char *text, struct vault_checkpoint *ret, const char **ret_err)
{
	struct vault_checkpoint c = {0};
	unsigned seen = 0;
	const char *p = text;
	int line = 0;
	static char err[128];
	while (*p) {
		line++;
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char l[512];
		if (n >= sizeof l)
			goto bad;
		memcpy(l, p, n);
		l[n] = 0;
		char *sp = strchr(l, ' ');
		if (!sp)
			goto bad;
		*sp++ = 0;
		char *end;
		if (line == 1) {
			if (strcmp(l, "vault-checkpoint") || strcmp(sp, "1"))
				goto bad;
			seen |= 1;
		} else if (!strcmp(l, "vault")) {
			if (vault_strlcpy(c.vault, sp, sizeof c.vault) < 0)
				goto bad;
			seen |= 2;
		} else if (!strcmp(l, "seq")) {
			c.seq = strtoll(sp, &end, 10);
			if (*end || c.seq < 1)
				goto bad;
			seen |= 4;
		} else if (!strcmp(l, "hash")) {
			if (vault_unhex(sp, c.hash, VAULT_HASH_LEN) < 0)
				goto bad;
			seen |= 8;
		} else if (!strcmp(l, "time")) {
			c.ts_utc = strtoll(sp, &end, 10);
			if (*end)
				goto bad;
			seen |= 16;
		} else if (!strcmp(l, "pubkey")) {
			if (vault_unhex(sp, c.pk, VAULT_SIGN_PK_LEN) < 0)
				goto bad;
			seen |= 32;
		} else if (!strcmp(l, "sig")) {
			if (vault_unhex(sp, c.sig, VAULT_SIG_LEN) < 0)
				goto bad;
			seen |= 64;
		} else {
			goto bad;
		}
		p += n + (nl ? 1 : 0);
	}
	if (seen != 127) {
		if (ret_err)
			*ret_err = "checkpoint file lacks a field";
		return -EINVAL;
	}
	*ret = c;
	return 0;
bad:
	snprintf(err, sizeof err, "checkpoint file: bad line %d", line);
	if (ret_err)
		*ret_err = err;
	return -EINVAL;
}

int vault_checkpoint_check_sig(const struct vault_checkpoint *c)
{
	uint8_t msg[512];
	int n = vault_checkpoint_message(c->vault, c->seq, c->hash, c->ts_utc, msg, sizeof msg);
	if (n < 0)
		return -EBADMSG;
	return crypto_sign_ed25519_verify_detached(c->sig, msg, (unsigned long long)n, c->pk) == 0
		       ? 0
		       : -EBADMSG;
}

/* The first row of sql (seq, hash, ts_utc, sig; `a` bound to its parameter
 * if it has one) as a checkpoint, with the vault name and key from the
 * genesis. -ENODATA without a row. */
static int read_checkpoint(sqlite3 *db, const char *sql, int64_t a, struct vault_checkpoint *ret)
{
	struct vault_checkpoint c = {0};
	int r = vault_ledger_genesis_info(db, c.vault, sizeof c.vault, c.pk);
	if (r < 0)
		return r;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, a); /* SQLITE_RANGE (ignored) without a parameter */
	r = -ENODATA;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 1) == VAULT_HASH_LEN &&
	    sqlite3_column_bytes(st, 3) == VAULT_SIG_LEN) {
		c.seq = sqlite3_column_int64(st, 0);
		memcpy(c.hash, sqlite3_column_blob(st, 1), VAULT_HASH_LEN);
		c.ts_utc = sqlite3_column_int64(st, 2);
		memcpy(c.sig, sqlite3_column_blob(st, 3), VAULT_SIG_LEN);
		r = 0;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		r = -EIO;
	}
	sqlite3_finalize(st);
	if (r == 0)
		*ret = c;
	return r;
}

int vault_checkpoint_latest(sqlite3 *db, struct vault_checkpoint *ret)
{
	return read_checkpoint(db, "SELECT seq,hash,ts_utc,sig FROM checkpoint ORDER BY seq DESC "
				   "LIMIT 1",
			       0, ret);
}

int vault_checkpoint_next(sqlite3 *db, int64_t after, struct vault_checkpoint *ret)
{
	return read_checkpoint(db, "SELECT seq,hash,ts_utc,sig FROM checkpoint WHERE seq > ? "
				   "ORDER BY seq LIMIT 1",
			       after, ret);
}

int64_t vault_ledger_last_utc(sqlite3 *db, const char *kind1, const char *kind2)
{
	sqlite3_stmt *st;
	int64_t t = 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT ifnull((SELECT max(ts_utc) FROM ledger WHERE kind IN (?1, ?2)), "
			       "(SELECT ts_utc FROM ledger WHERE seq = 1))",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, kind1, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind2 ? kind2 : kind1, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		t = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return t;
}
