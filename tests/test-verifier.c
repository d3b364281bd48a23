/* SPDX-License-Identifier: MIT */
/*
 * The central verifier's logic (controller/verifier.c) on a real ledger: its
 * rows are turned into P/ledger messages exactly as controller/mqtt.c's
 * entry_json makes them, fed in, and what the verifier publishes is captured
 * and checked against its key. Every break of docs/verifier.md is made once
 * and must be its alarm; the backfill throttle runs on a fake clock.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../controller/verifier.h"
#include "lib-vault.h"
#include "tap.h"
#include "vault/db.h"
#include "vault/signedtext.h"
#include "vault/util.h"

#define VAULT "test-vault"
#define N 12 /* entries in the ledger; checkpoints at 5 and 10 */

struct row {
	struct vault_entry e;
	char *strs[6]; /* kind actors medium approval cites payload, owned */
};

static struct row rows[N + 1];
static struct vault_checkpoint ck5, ck10;
static uint8_t ck_sk[64];         /* the vault's checkpoint key */
static uint8_t vsk[64], vpk[32];  /* the verifier's */
static uint8_t osk[64], opk[32];  /* someone else's */
static char *dir;
static int64_t fake_now = 1795000000000000LL;

/* ---- what the verifier publishes ---- */

struct cap {
	char vault[64], suffix[32];
	char text[VAULT_SIGNED_MAX + 1];
	size_t len;
	int retained;
};
static struct cap caps[64];
static int ncaps;

static void capture(void *ud, const char *vault, const char *suffix, const char *text, size_t len,
		    int retained)
{
	if (ncaps == (int)VAULT_ARRAY_SIZE(caps) || len > VAULT_SIGNED_MAX)
		return;
	struct cap *c = &caps[ncaps++];
	snprintf(c->vault, sizeof c->vault, "%s", vault);
	snprintf(c->suffix, sizeof c->suffix, "%s", suffix);
	memcpy(c->text, text, len);
	c->text[len] = 0;
	c->len = len;
	c->retained = retained;
}

static int64_t clock_fake(void *ud)
{
	return fake_now;
}

/* The only capture since the last call, if it has this suffix and is a
 * signed text of `type` under the verifier's key; NULL otherwise. */
static const struct cap *one(const char *suffix, const char *type)
{
	const struct cap *c = ncaps == 1 ? &caps[0] : NULL;
	ncaps = 0;
	if (!c || strcmp(c->suffix, suffix) ||
	    vault_signed_check(c->text, c->len, type, vpk, NULL) != 0)
		return NULL;
	return c;
}

static int64_t field(const struct cap *c, const char *key)
{
	int64_t v = -1;
	if (c)
		vault_signed_get_i64(c->text, c->len, key, &v);
	return v;
}

static int has(const struct cap *c, const char *key, const char *want)
{
	char v[512];
	return c && vault_signed_get(c->text, c->len, key, v, sizeof v) == 0 && !strcmp(v, want);
}

/* The alarm just published: code and seq as expected, retained, signed. */
static int alarmed(const char *code, int64_t seq)
{
	const struct cap *c = one("verifier-alarm", "vault-verifier-alarm");
	return c && c->retained && has(c, "code", code) && field(c, "seq") == seq;
}

static int nothing(void)
{
	int n = ncaps;
	ncaps = 0;
	return n == 0;
}

/* Among the captures since the last call (the last of its suffix), without
 * clearing them: for a message that publishes more than one text. */
static const struct cap *among(const char *suffix, const char *type)
{
	for (int i = ncaps - 1; i >= 0; i--)
		if (!strcmp(caps[i].suffix, suffix))
			return vault_signed_check(caps[i].text, caps[i].len, type, vpk, NULL) == 0
				       ? &caps[i]
				       : NULL;
	return NULL;
}

/* The text field of c holds `part`. */
static int says(const struct cap *c, const char *part)
{
	char v[512];
	return c && vault_signed_get(c->text, c->len, "text", v, sizeof v) == 0 && strstr(v, part);
}

/* ---- messages as vaultd publishes them ---- */

static void add_int(cJSON *o, const char *name, int64_t v)
{
	char buf[24];
	snprintf(buf, sizeof buf, "%lld", (long long)v);
	cJSON_AddRawToObject(o, name, buf);
}

/* controller/mqtt.c entry_json, from an entry instead of a row. */
static char *entry_json(const struct vault_entry *e, int omit)
{
	char tbuf[64], hex[65];
	time_t s = (time_t)(e->ts_utc / 1000000);
	struct tm tm;
	gmtime_r(&s, &tm);
	snprintf(tbuf, sizeof tbuf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(e->ts_utc % 1000000));
	cJSON *o = cJSON_CreateObject();
	add_int(o, "seq", e->seq);
	cJSON_AddStringToObject(o, "time", tbuf);
	add_int(o, "ts_utc", e->ts_utc);
	add_int(o, "ts_mono", e->ts_mono);
	cJSON_AddStringToObject(o, "kind", e->kind);
	cJSON_AddStringToObject(o, "actors", e->actors);
	cJSON_AddStringToObject(o, "medium", e->medium);
	cJSON_AddStringToObject(o, "approval", e->approval);
	cJSON_AddStringToObject(o, "cites", e->cites);
	if (omit) {
		cJSON_AddBoolToObject(o, "payload_omitted", 1);
		cJSON_AddItemToObject(o, "payload", cJSON_CreateObject());
	} else {
		char *raw = strndup(e->payload, e->payload_len);
		cJSON_AddItemToObject(o, "payload", cJSON_CreateRaw(raw));
		free(raw);
	}
	vault_hex(e->prev_hash, 32, hex);
	cJSON_AddStringToObject(o, "prev_hash", hex);
	vault_hex(e->hash, 32, hex);
	cJSON_AddStringToObject(o, "hash", hex);
	char *txt = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return txt;
}

/* Entry seq's message; with `payload`, `flip_prev` or `omit` changed and its
 * hash recomputed as a forger would (the real hash kept when omitted). */
static char *msg(int64_t seq, const char *payload, int flip_prev, int omit)
{
	struct vault_entry e = rows[seq].e;
	if (payload) {
		e.payload = payload;
		e.payload_len = strlen(payload);
	}
	e.prev_hash[0] ^= (uint8_t)flip_prev;
	if (payload || flip_prev)
		vault_entry_hash(&e, e.hash);
	return entry_json(&e, omit);
}

static uint8_t forged_hash[32]; /* of the last message forge() made */

/* A message for any seq (after N: entry N's fields) of another kind and
 * payload, with a self-consistent hash: what anyone who can publish can make.
 * prev: the hash it links to (NULL: the real one's). */
static char *forge(int64_t seq, const char *kind, const char *payload, const uint8_t *prev)
{
	struct vault_entry e = rows[seq < N ? seq : N].e;
	e.seq = seq;
	e.kind = kind;
	e.payload = payload;
	e.payload_len = strlen(payload);
	if (prev)
		memcpy(e.prev_hash, prev, 32);
	vault_entry_hash(&e, e.hash);
	memcpy(forged_hash, e.hash, 32);
	return entry_json(&e, 0);
}

/* vaultd's record of the verifier's backfill command `id` at seq (controller/mqtt.c
 * on_command); republish_to a number or "null"; linked to the real entry before
 * it or (prev) another. */
static char *command_entry(int64_t seq, int64_t id, const char *republish_to, const uint8_t *prev)
{
	char p[256];
	snprintf(p, sizeof p, "{\"verb\":\"backfill\",\"id\":%lld,\"from\":%lld,\"to\":%lld,"
		 "\"republish_to\":%s,\"signed\":\"vault-command 1\\n\"}", (long long)id,
		 (long long)seq, (long long)seq + 9, republish_to);
	return forge(seq, "mqtt.command", p, prev);
}

static char *checkpoint_text(const struct vault_checkpoint *c)
{
	static char buf[1024];
	vault_checkpoint_format(c, buf, sizeof buf);
	return buf;
}

static void sign_checkpoint(struct vault_checkpoint *c, const uint8_t sk[64])
{
	uint8_t m[512];
	int n = vault_checkpoint_message(c->vault, c->seq, c->hash, c->ts_utc, m, sizeof m);
	crypto_sign_ed25519_detached(c->sig, NULL, m, (unsigned long long)n, sk);
	memcpy(c->pk, sk + 32, 32);
}

/* ---- the ledger ---- */

static int build(void)
{
	char path[600];
	snprintf(path, sizeof path, "%s/vault.db", dir);
	sqlite3 *db;
	struct vault_ledger *l;
	int r = tv_new_vault(path, NULL, &db, &l, ck_sk);
	for (int64_t seq = 2; r == 0 && seq <= N; seq++) {
		/* Payload bytes a naive scanner would trip on: braces and
		 * brackets in strings, escapes, nesting, UTF-8. */
		cJSON *p = cJSON_CreateObject();
		cJSON_AddNumberToObject(p, "n", (double)seq);
		cJSON_AddStringToObject(p, "note", "brace } bracket ] quote \" backslash \\ ,:");
		cJSON *a = cJSON_AddArrayToObject(p, "nested");
		cJSON *inner = cJSON_CreateObject();
		cJSON_AddStringToObject(inner, "k", "v}\"]");
		cJSON_AddItemToArray(a, cJSON_CreateNumber(1));
		cJSON_AddItemToArray(a, inner);
		cJSON_AddStringToObject(p, "text", "密级 été\ttab\nline");
		struct vault_record rec = {.kind = "test.event", .actors = "P1,P2 密\t",
					   .medium = "M\"1", .cites = "1,2", .payload = p};
		const char *err;
		r = vault_ledger_record(l, &rec, NULL, NULL, &err);
		cJSON_Delete(p);
		if (r == 0 && (seq == 5 || seq == 10))
			r = vault_ledger_checkpoint(l, NULL);
	}
	if (r == 0)
		r = vault_checkpoint_next(db, 0, &ck5);
	if (r == 0)
		r = vault_checkpoint_next(db, 5, &ck10);
	sqlite3_stmt *st;
	if (r == 0 && sqlite3_prepare_v2(db, "SELECT seq, ts_utc, ts_mono, kind, actors, medium, "
				      "approval, cites, payload, prev_hash, hash FROM ledger "
				      "ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
		r = -EIO;
	while (r == 0 && sqlite3_step(st) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(st, 0);
		struct row *w = &rows[seq];
		w->e.seq = seq;
		w->e.ts_utc = sqlite3_column_int64(st, 1);
		w->e.ts_mono = sqlite3_column_int64(st, 2);
		for (int i = 0; i < 5; i++)
			w->strs[i] = strdup((const char *)sqlite3_column_text(st, 3 + i));
		w->strs[5] = strndup(sqlite3_column_blob(st, 8), (size_t)sqlite3_column_bytes(st, 8));
		w->e.kind = w->strs[0];
		w->e.actors = w->strs[1];
		w->e.medium = w->strs[2];
		w->e.approval = w->strs[3];
		w->e.cites = w->strs[4];
		w->e.payload = w->strs[5];
		w->e.payload_len = strlen(w->strs[5]);
		memcpy(w->e.prev_hash, sqlite3_column_blob(st, 9), 32);
		memcpy(w->e.hash, sqlite3_column_blob(st, 10), 32);
	}
	if (r == 0)
		sqlite3_finalize(st);
	vault_ledger_free(l);
	vault_db_close(db);
	return r == 0 && rows[N].e.seq == N && ck5.seq == 5 && ck10.seq == 10 ? 0 : -EIO;
}

/* ---- driving the verifier ---- */

static struct verifier *vopen(const char *name)
{
	char path[600];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	struct verifier_ops ops = {.publish = capture, .now_us = clock_fake};
	struct verifier *v = NULL;
	const char *err;
	if (verifier_open(path, "vault", vsk, &ops, &v, &err) < 0)
		fprintf(stderr, "verifier_open: %s\n", err);
	ncaps = 0;
	return v;
}

static int feed_text(struct verifier *v, const char *text)
{
	return verifier_on_ledger(v, VAULT, text, strlen(text));
}

static int feed_msg(struct verifier *v, char *m)
{
	int r = feed_text(v, m);
	free(m);
	return r;
}

/* The same, for the vault at another topic level. */
static int feed_at(struct verifier *v, const char *vault, char *m)
{
	int r = verifier_on_ledger(v, vault, m, strlen(m));
	free(m);
	return r;
}

static int feed(struct verifier *v, int64_t from, int64_t to)
{
	int r = 0;
	for (int64_t s = from; s <= to && r == 0; s++)
		r = feed_msg(v, msg(s, NULL, 0, 0));
	return r;
}

static int ckpt(struct verifier *v, const struct vault_checkpoint *c)
{
	const char *t = checkpoint_text(c);
	return verifier_on_checkpoint(v, VAULT, t, strlen(t));
}

static int tip(struct verifier *v, int64_t seq)
{
	char t[160], hex[65];
	vault_hex(rows[seq].e.hash, 32, hex);
	snprintf(t, sizeof t, "{\"seq\":%lld,\"hash\":\"%s\"}", (long long)seq, hex);
	return verifier_on_tip(v, VAULT, t, strlen(t));
}

/* A number from `vault status` of the state file, -1 if absent. */
static int64_t status(const char *name, const char *key)
{
	char path[600], *buf = NULL;
	size_t n = 0;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = open_memstream(&buf, &n);
	int r = verifier_status(path, f, 0, NULL, NULL);
	fclose(f);
	int64_t v = -1;
	for (char *line = strtok(buf, "\n"); r == 0 && line; line = strtok(NULL, "\n")) {
		cJSON *o = cJSON_Parse(line);
		const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
		if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(o, "vault")) ?: "", VAULT) &&
		    cJSON_IsNumber(x))
			v = (int64_t)x->valuedouble;
		cJSON_Delete(o);
	}
	free(buf);
	return v;
}

/* ---- the cases ---- */

static void chain(void)
{
	struct verifier *v = vopen("chain.db");
	ok(feed(v, 1, N) == 0 && nothing(), "%d entries accepted, nothing published before a "
	   "checkpoint", N);
	ok(status("chain.db", "received") == N && status("chain.db", "verified") == 0,
	   "status: received %d, verified 0", N);
	ok(ckpt(v, &ck5) == 0, "checkpoint 5 handled");
	const struct cap *c = one("verified", "vault-verified");
	char hex[65];
	vault_hex(rows[5].e.hash, 32, hex);
	ok(c && c->retained && field(c, "seq") == 5 && field(c, "received") == N &&
		   has(c, "hash", hex) && has(c, "vault", VAULT) &&
		   !strcmp(c->vault, VAULT),
	   "checkpoint 5: verified 5 published, retained, signed by the verifier, with the hash "
	   "of entry 5 and received %d", N);
	ok(c && vault_signed_check(c->text, c->len, "vault-verified", opk, NULL) == -EKEYREJECTED,
	   "... and refused under another key");
	char genesis_hex[65];
	vault_hex(rows[1].e.hash, 32, genesis_hex);
	static const char head[] = "vault-verified 1\nvault " VAULT "\nprefix vault/" VAULT
				   "\ngenesis ";
	ok(has(c, "prefix", "vault/" VAULT) && has(c, "genesis", genesis_hex) && c &&
		   !strncmp(c->text, head, strlen(head)),
	   "... naming its topic prefix (after the vault line) and the hash of its genesis");
	ckpt(v, &ck10);
	c = one("verified", "vault-verified");
	ok(field(c, "seq") == 10, "checkpoint 10: verified 10");
	ok(feed(v, 3, 3) == 0 && feed(v, N, N) == 0 && ckpt(v, &ck5) == 0 && ckpt(v, &ck10) == 0 &&
		   nothing() && status("chain.db", "alarms") == 0 &&
		   status("chain.db", "verified") == 10,
	   "entries and checkpoints again (at least once): no alarm, nothing published");
	/* Another topic level is another vault with its own state. */
	for (int64_t s = 1; s <= 5; s++) {
		char *m = msg(s, NULL, 0, 0);
		verifier_on_ledger(v, "mirror", m, strlen(m));
		free(m);
	}
	const char *t = checkpoint_text(&ck5);
	verifier_on_checkpoint(v, "mirror", t, strlen(t));
	c = one("verified", "vault-verified");
	ok(c && !strcmp(c->vault, "mirror") && has(c, "vault", VAULT) && field(c, "received") == 5,
	   "another topic level: its own chain, published under it, naming the genesis's vault");
	ok(has(c, "prefix", "vault/mirror") && has(c, "genesis", genesis_hex),
	   "... and its own prefix, so that the vault named refuses it");
	verifier_close(v);
}

/* Item: every text is bound to the topics it is about. A copy of the vault's
 * genesis published under vault/evil made commands naming the vault. */
static void binding(void)
{
	struct verifier *v = vopen("binding.db");
	for (int64_t s = 1; s <= 3; s++)
		feed_at(v, "evil", msg(s, NULL, 0, 0));
	feed_at(v, "evil", msg(6, NULL, 0, 0));
	const struct cap *c = one("command", "vault-command");
	ok(has(c, "vault", VAULT) && has(c, "prefix", "vault/evil") &&
		   c && strstr(c->text, "\nvault " VAULT "\nprefix vault/evil\nid "),
	   "a copy of the vault's ledger under vault/evil: the command names prefix vault/evil");
	feed_at(v, "evil", msg(4, NULL, 1, 0));
	c = one("verifier-alarm", "vault-verifier-alarm");
	ok(has(c, "code", "BROKEN_LINK") && has(c, "prefix", "vault/evil"),
	   "... and so does an alarm");
	static const char *const bad[] = {"", "vault/", "a/+/b", "#", "new\nline", "caf\xc3\xa9"};
	int refused = 1;
	struct verifier_ops ops = {.publish = capture};
	for (size_t i = 0; i < VAULT_ARRAY_SIZE(bad); i++) {
		struct verifier *w = NULL;
		refused = verifier_open(":memory:", bad[i], vsk, &ops, &w, NULL) == -EINVAL && refused;
		verifier_close(w);
	}
	ok(refused, "a topic root that is empty, ends in /, has a wildcard or is not printable "
		    "ASCII: -EINVAL");
	verifier_close(v);
}

static void breaks(void)
{
	struct verifier *v = vopen("breaks.db");
	feed(v, 1, 3);
	char *m = msg(4, NULL, 0, 0);
	char *p = strstr(m, "\"n\":4");
	if (p)
		p[4] = '5'; /* one payload byte */
	ok(p && feed_text(v, m) == 0 && alarmed("HASH_MISMATCH", 4),
	   "one payload byte changed: HASH_MISMATCH for seq 4, retained and signed");
	free(m);
	ok(status("breaks.db", "received") == 3 && status("breaks.db", "alarms") == 1,
	   "... not accepted (received 3), the alarm stored");
	ok(feed_msg(v, msg(4, NULL, 1, 0)) == 0 && alarmed("BROKEN_LINK", 4) &&
		   status("breaks.db", "received") == 3,
	   "a wrong prev_hash with a consistent hash: BROKEN_LINK, not accepted");
	ok(feed(v, 4, 5) == 0 && nothing() && status("breaks.db", "received") == 5,
	   "the real entries 4 and 5 are accepted after that");
	ok(feed_msg(v, msg(3, "{\"forged\":true}", 0, 0)) == 0 && alarmed("FORK", 3) &&
		   status("breaks.db", "received") == 5,
	   "entry 3 changed with a self-consistent hash: FORK");
	ok(feed_msg(v, msg(3, "{\"forged\":true}", 0, 0)) == 0 && nothing() &&
		   status("breaks.db", "alarms") == 3,
	   "the same break again is not a new alarm");
	ok(tip(v, 5) == 0 && nothing(), "a tip naming the accepted hash of entry 5: nothing");
	{
		char t[160], hex[65];
		vault_hex(rows[4].e.hash, 32, hex);
		snprintf(t, sizeof t, "{\"seq\":5,\"hash\":\"%s\"}", hex);
		ok(verifier_on_tip(v, VAULT, t, strlen(t)) == 0 && alarmed("FORK", 5) &&
			   status("breaks.db", "alarms") == 4,
		   "a tip naming another hash for accepted entry 5: FORK");
	}

	struct vault_checkpoint c = ck5;
	sign_checkpoint(&c, osk);
	ok(ckpt(v, &c) == 0 && alarmed("CHECKPOINT_SIGNATURE", 5),
	   "a checkpoint signed by another key: CHECKPOINT_SIGNATURE");
	c = ck5;
	c.sig[10] ^= 1;
	ok(ckpt(v, &c) == 0 && alarmed("CHECKPOINT_SIGNATURE", 5),
	   "a checkpoint whose signature is wrong: CHECKPOINT_SIGNATURE");
	ok(status("breaks.db", "verified") == 0 && ckpt(v, &ck5) == 0 &&
		   field(one("verified", "vault-verified"), "seq") == 5,
	   "neither verified anything; the real checkpoint 5 does");
	/* (Above verified, one under the vault's key also discards the
	 * tentative entries: tentative() below.) */
	c = ck5;
	c.hash[0] ^= 1;
	sign_checkpoint(&c, ck_sk);
	ok(ckpt(v, &c) == 0 && alarmed("CHECKPOINT_MISMATCH", 5),
	   "a checkpoint with the vault's key and another hash: CHECKPOINT_MISMATCH");
	c = ck5;
	snprintf(c.vault, sizeof c.vault, "other-vault");
	sign_checkpoint(&c, ck_sk);
	ok(ckpt(v, &c) == 0 && alarmed("CHECKPOINT_MISMATCH", 5),
	   "a checkpoint of another vault under the same key: CHECKPOINT_MISMATCH");
	ok(status("breaks.db", "verified") == 5 && status("breaks.db", "received") == 5,
	   "... neither changes what was verified");
	verifier_close(v);

	v = vopen("genesis.db");
	ok(verifier_pin(v, VAULT, opk) == 0 && feed(v, 1, 1) == 0 && alarmed("GENESIS_KEY", 1) &&
		   status("genesis.db", "received") == 0,
	   "a pinned key other than the genesis's: GENESIS_KEY, the genesis not accepted");
	ok(verifier_pin(v, VAULT, ck_sk + 32) == -EKEYREJECTED, "a pinned key never changes");
	char *g = msg(1, NULL, 0, 0);
	ok(verifier_pin(v, "pinned-right", ck_sk + 32) == 0 &&
		   verifier_on_ledger(v, "pinned-right", g, strlen(g)) == 0 && nothing(),
	   "the genesis under the right pinned key is accepted");
	free(g);
	verifier_close(v);
}

/* A tick's filter: every vault but the one under test. */
static int other_vaults(void *ud, const char *vault)
{
	(void)ud;
	return strcmp(vault, VAULT) != 0;
}

static void gaps(void)
{
	struct verifier *v = vopen("gap.db");
	int64_t t0 = fake_now;
	feed(v, 1, 3);
	feed(v, 6, 6);
	const struct cap *c = one("command", "vault-command");
	int64_t id1 = field(c, "id");
	ok(c && !c->retained && has(c, "verb", "backfill") && field(c, "from") == 4 &&
		   field(c, "to") == 6 && id1 == t0 && has(c, "vault", VAULT),
	   "entry 6 after 3: one signed backfill command, from 4 to 6, id = now in us");
	ok(status("gap.db", "received") == 3, "... entry 6 is not accepted out of order");
	fake_now = t0 + 500000;
	feed(v, 6, 6);
	ok(nothing(), "entry 6 again: no second command");
	fake_now = t0 + 1000000;
	feed(v, 7, 7);
	ok(nothing(), "entry 7 a second later: no second command");
	fake_now = t0 + 3000000;
	tip(v, 9);
	verifier_tick(v, NULL, NULL);
	ok(nothing(), "a tip at 9 and a tick 3 s after: still none");
	fake_now = t0 + 5500000;
	verifier_tick(v, other_vaults, NULL);
	ok(nothing(), "5.5 s without progress, a tick told to leave this vault (a --vault list "
		      "without it): no command");
	verifier_tick(v, NULL, NULL);
	c = one("command", "vault-command");
	int64_t id2 = field(c, "id");
	ok(c && field(c, "from") == 4 && field(c, "to") == 9 && id2 > id1,
	   "5.5 s without progress: the command again, from 4 to 9, a larger id");
	fake_now = t0 + 6000000;
	feed(v, 4, 4);
	ok(status("gap.db", "received") == 4, "entry 4 arrives: received 4");
	fake_now = t0 + 10000000;
	verifier_tick(v, NULL, NULL);
	ok(nothing(), "entry 4 arrives (progress): no command 4 s later");
	fake_now = t0 + 11100000;
	verifier_tick(v, NULL, NULL);
	c = one("command", "vault-command");
	int64_t id3 = field(c, "id");
	ok(field(c, "from") == 5 && field(c, "to") == 9, "5.1 s after the progress: from 5 to 9");
	feed(v, 5, 5);
	ok(nothing() && status("gap.db", "received") == 7,
	   "entry 5: entries 6 and 7, kept beyond the gap, are linked in order (received 7)");
	feed(v, 8, 9);
	fake_now = t0 + 30000000;
	verifier_tick(v, NULL, NULL);
	ok(nothing() && status("gap.db", "received") == 9, "the gap closed: received 9, no command");
	/* The clock going back: ids still increase. */
	fake_now = t0;
	tip(v, 11);
	c = one("command", "vault-command");
	ok(field(c, "from") == 10 && field(c, "to") == 11 && field(c, "id") == id3 + 1,
	   "a tip at 11 with the clock set back: from 10 to 11, id = the last + 1");
	verifier_close(v);

	/* A stored payload with white space around the value: the hash covers
	 * every byte vaultd wrote between "payload": and the next member. */
	v = vopen("ws.db");
	feed(v, 1, 3);
	ok(feed_msg(v, msg(4, " \n{\"a\":[1, 2]}\t ", 0, 0)) == 0 && nothing() &&
		   status("ws.db", "received") == 4,
	   "a payload with white space around it is hashed as written: accepted");
	verifier_close(v);

	/* No progress at all: each request waits twice as long as the last. */
	v = vopen("backoff.db");
	fake_now = t0 + 100000000;
	int64_t t1 = fake_now, at = t1, wait = 5000000;
	feed(v, 1, 3);
	feed(v, 6, 6);
	int backoff_ok = one("command", "vault-command") != NULL;
	for (int k = 0; k < 10; k++) {
		fake_now = at + wait - 100000;
		verifier_tick(v, NULL, NULL);
		backoff_ok = backoff_ok && nothing();
		fake_now = at + wait + 100000;
		verifier_tick(v, NULL, NULL);
		backoff_ok = backoff_ok && one("command", "vault-command") != NULL;
		at = fake_now;
		if (wait < 640000000)
			wait *= 2;
	}
	ok(backoff_ok, "without progress the requests come after 5, 10, 20 ... s, then every "
		       "640 s (none 0.1 s early, one 0.1 s late)");
	feed(v, 4, 4);
	fake_now += 5100000;
	verifier_tick(v, NULL, NULL);
	ok(field(one("command", "vault-command"), "from") == 5,
	   "progress: the next request 5 s after it again");
	verifier_close(v);
	fake_now = t0 + 60000000 + 2000000000;

	v = vopen("ahead.db");
	ok(ckpt(v, &ck10) == 0 && nothing(), "checkpoint 10 before any entry: nothing yet");
	feed(v, 1, 5);
	ok(ckpt(v, &ck5) == 0 && field(one("verified", "vault-verified"), "seq") == 5,
	   "checkpoint 5 once 5 are in: verified 5");
	feed(v, 6, 9);
	ok(nothing(), "entries 6..9: nothing");
	feed(v, 10, 10);
	ok(field(one("verified", "vault-verified"), "seq") == 10,
	   "entry 10 reaches the waiting checkpoint 10: verified 10");
	verifier_close(v);

	v = vopen("kept-broken.db");
	feed(v, 1, 3);
	feed_msg(v, msg(5, NULL, 1, 0));
	ncaps = 0;
	feed(v, 4, 4);
	ok(alarmed("BROKEN_LINK", 5) && status("kept-broken.db", "received") == 4,
	   "an entry kept beyond a gap is linked when it is reached: a wrong prev_hash is "
	   "BROKEN_LINK then");
	ok(feed(v, 5, 5) == 0 && nothing() && status("kept-broken.db", "received") == 5,
	   "... and is dropped: the real entry 5 is accepted");
	verifier_close(v);

	v = vopen("ahead-forged.db");
	struct vault_checkpoint f = ck5;
	sign_checkpoint(&f, osk);
	ok(ckpt(v, &f) == 0 && nothing(), "a forged checkpoint before the genesis: kept");
	feed(v, 1, 5);
	ok(alarmed("CHECKPOINT_SIGNATURE", 5) && status("ahead-forged.db", "verified") == 0,
	   "... CHECKPOINT_SIGNATURE once the genesis pins the key");
	verifier_close(v);
}

static void persistence(void)
{
	struct verifier *v = vopen("persist.db");
	feed(v, 1, 7);
	ckpt(v, &ck5);
	ckpt(v, &ck10);
	ncaps = 0;
	feed(v, 9, 9);
	int64_t id = field(one("command", "vault-command"), "id");
	verifier_close(v);
	v = vopen("persist.db");
	ok(status("persist.db", "received") == 7 && status("persist.db", "verified") == 5,
	   "reopened: received 7, verified 5");
	ok(feed_msg(v, msg(3, "{\"n\":0}", 0, 0)) == 0 && alarmed("FORK", 3),
	   "the accepted hashes survived (a changed entry 3 is a FORK)");
	fake_now -= 1000000000;
	feed(v, 11, 11);
	const struct cap *c = one("command", "vault-command");
	ok(id > 0 && field(c, "id") == id + 1 && field(c, "from") == 8 && field(c, "to") == 11,
	   "the last command id survived (the clock set back: the last id + 1)");
	fake_now += 1000000000;
	feed(v, 8, 10);
	ok(field(one("verified", "vault-verified"), "seq") == 10,
	   "the waiting checkpoint 10 survived: entry 10 verifies it");
	verifier_close(v);

	/* A database made before the columns doubt and quiet. */
	char path[600];
	snprintf(path, sizeof path, "%s/old.db", dir);
	sqlite3 *db;
	int made = sqlite3_open(path, &db) == SQLITE_OK &&
		   sqlite3_exec(db, "CREATE TABLE vault(vault TEXT PRIMARY KEY, name TEXT NOT NULL,"
				" pubkey BLOB, received INTEGER NOT NULL, received_hash BLOB,"
				" verified INTEGER NOT NULL, verified_hash BLOB, pending TEXT NOT NULL,"
				" pending_seq INTEGER NOT NULL, last_id INTEGER NOT NULL,"
				" horizon INTEGER NOT NULL, backfill_us INTEGER NOT NULL,"
				" backfill_n INTEGER NOT NULL);"
				"INSERT INTO vault VALUES('other','',NULL,0,NULL,0,NULL,'',0,7,0,0,0)",
				NULL, NULL, NULL) == SQLITE_OK;
	sqlite3_close(db);
	v = vopen("old.db");
	feed(v, 1, 5);
	ok(made && v && ckpt(v, &ck5) == 0 && field(one("verified", "vault-verified"), "seq") == 5,
	   "a database from before the columns doubt and quiet: opened, they are added");
	verifier_close(v);
}

static void omitted(void)
{
	struct verifier *v = vopen("omitted.db");
	feed(v, 1, 3);
	ok(feed_msg(v, msg(4, NULL, 0, 1)) == 0 && nothing() &&
		   status("omitted.db", "received") == 4 && status("omitted.db", "unseen") == 1,
	   "an entry without its payload: linked by its hash, counted unseen");
	ok(feed(v, 5, 5) == 0 && nothing() && ckpt(v, &ck5) == 0 &&
		   field(one("verified", "vault-verified"), "seq") == 5,
	   "the next entry links to it; checkpoint 5 verifies");
	ok(feed_msg(v, msg(6, NULL, 1, 1)) == 0 && alarmed("BROKEN_LINK", 6),
	   "one without its payload and a wrong prev_hash: BROKEN_LINK");
	verifier_close(v);
}

/* m with the first `from` replaced by `to`; a `from` not in m is the test's
 * own mistake: it stops here rather than test something else. */
static char *edit(const char *m, const char *from, const char *to)
{
	const char *p = strstr(m, from);
	if (!p) {
		printf("Bail out! edit: '%s' is not in %.80s...\n", from, m);
		exit(1);
	}
	char *r = malloc(strlen(m) + strlen(to) + 1);
	sprintf(r, "%.*s%s%s", (int)(p - m), m, to, p + strlen(from));
	return r;
}

static char *cat(const char *a, const char *b)
{
	char *r = malloc(strlen(a) + strlen(b) + 1);
	sprintf(r, "%s%s", a, b);
	return r;
}

/* Item: the genesis's vault name goes into signed texts: printable ASCII. */
static void names(void)
{
	struct verifier *v = vopen("names.db");
	static const char *const bad[][2] = {
		{"a newline", "bad\\nname"},
		{"UTF-8", "t\\u00e9st"},
		{"a control byte", "x\\u0001y"},
		{"\\u0000 (cJSON reads test-vault)", VAULT "\\u0000x"},
	};
	for (size_t i = 0; i < VAULT_ARRAY_SIZE(bad); i++) {
		char level[32], to[160];
		snprintf(level, sizeof level, "names-%zu", i);
		snprintf(to, sizeof to, "\"vault\":\"%s\"", bad[i][1]);
		char *p = edit(rows[1].e.payload, "\"vault\":\"" VAULT "\"", to);
		ok(feed_at(v, level, msg(1, p, 0, 0)) == 0 && alarmed("MALFORMED", 1),
		   "a genesis whose vault name holds %s: MALFORMED", bad[i][0]);
		free(p);
	}
	ok(feed_at(v, "names-ok", msg(1, NULL, 0, 0)) == 0 && nothing(),
	   "the real genesis is accepted");
	verifier_close(v);
}

/* Item: the horizon (how far a backfill asks) is unauthenticated. */
static void horizon(void)
{
	struct verifier *v = vopen("horizon.db");
	feed(v, 1, 3);
	char t[160], hex[65];
	vault_hex(rows[3].e.hash, 32, hex);
	snprintf(t, sizeof t, "{\"seq\":9223372036854775807,\"hash\":\"%s\"}", hex);
	verifier_on_tip(v, VAULT, t, strlen(t));
	const struct cap *c = one("command", "vault-command");
	int64_t id = field(c, "id");
	ok(field(c, "from") == 4 && field(c, "to") == 3 + 1000000,
	   "a forged tip at INT64_MAX: the backfill asks up to received + 1000000, no further");
	fake_now += 4000000;
	ok(feed_msg(v, command_entry(4, id - 1, "null", NULL)) == 0 && nothing() &&
		   status("horizon.db", "received") == 4,
	   "4 s later vaultd's record of an older command (seq 4) is linked");
	fake_now += 1100000;
	verifier_tick(v, NULL, NULL);
	c = one("command", "vault-command");
	id = field(c, "id");
	ok(field(c, "from") == 5, "... but is no progress: the request is repeated 5 s after the "
	   "first");
	ok(feed_msg(v, command_entry(5, id, "null", forged_hash)) == 0 && nothing(),
	   "vaultd's record of the last command, with nothing to republish (null)");
	int quiet = 1;
	for (int k = 0; k < 10; k++) {
		fake_now += 700000000;
		verifier_tick(v, NULL, NULL);
		quiet = quiet && nothing();
	}
	ok(quiet && status("horizon.db", "received") == 5,
	   "... brings the horizon down to it: no more requests (tried for 2 hours)");
	verifier_close(v);

	/* republish_to: what vaultd republishes; the rest comes as published. */
	v = vopen("horizon2.db");
	feed(v, 1, 3);
	feed(v, 9, 9);
	id = field(one("command", "vault-command"), "id");
	ok(feed_msg(v, command_entry(4, id, "7", NULL)) == 0 && nothing(),
	   "a gap 4..9; vaultd answers at seq 4 that it republishes up to 7");
	fake_now += 5100000;
	verifier_tick(v, NULL, NULL);
	ok(field(one("command", "vault-command"), "to") == 7,
	   "... the repeated request (no progress) asks only up to 7");
	verifier_close(v);
}

/* Item: entries above verified are tentative; a signed checkpoint settles
 * a forgery that came first. */
static void tentative(void)
{
	struct verifier *v = vopen("tentative.db");
	feed(v, 1, 5);
	ckpt(v, &ck5);
	ncaps = 0;
	feed(v, 6, 9);
	ok(feed_msg(v, msg(10, "{\"forged\":1}", 0, 0)) == 0 && nothing() &&
		   status("tentative.db", "received") == 10,
	   "a forged self-consistent entry 10, first: accepted (only hash-linked)");
	ok(feed(v, 10, 10) == 0 && alarmed("FORK", 10), "the real entry 10: FORK");
	ok(ckpt(v, &ck10) == 0 && ncaps == 2, "the real checkpoint 10: two texts");
	const struct cap *a = among("verifier-alarm", "vault-verifier-alarm");
	const struct cap *c = among("command", "vault-command");
	ncaps = 0;
	ok(has(a, "code", "CHECKPOINT_MISMATCH") && field(a, "seq") == 10,
	   "... CHECKPOINT_MISMATCH");
	ok(field(c, "from") == 6 && field(c, "to") == 10 &&
		   status("tentative.db", "received") == 5 && status("tentative.db", "verified") == 5,
	   "... entries 6..10 discarded (received 5 = verified), a backfill from 6 to 10");
	feed(v, 6, 10);
	c = one("verified", "vault-verified");
	ok(field(c, "seq") == 10 && field(c, "received") == 10,
	   "the genuine entries republished: the waiting checkpoint 10 verifies them");
	verifier_close(v);

	/* The forgery stops the chain: the checkpoint is ahead of received. */
	v = vopen("tentative-stuck.db");
	feed(v, 1, 5);
	ckpt(v, &ck5);
	feed(v, 6, 8);
	feed_msg(v, msg(9, "{\"forged\":1}", 0, 0));
	feed(v, 9, 10);
	ncaps = 0;
	ok(ckpt(v, &ck10) == 0 && field(one("command", "vault-command"), "from") == 6 &&
		   status("tentative-stuck.db", "received") == 5,
	   "forged 9 first, the real 9 (FORK) and 10 (BROKEN_LINK): checkpoint 10 ahead rolls "
	   "back to 5 and asks from 6");
	feed(v, 6, 10);
	ok(field(one("verified", "vault-verified"), "seq") == 10, "... then verified 10");
	verifier_close(v);

	/* The chain reaches a waiting checkpoint through a forgery: an alarm,
	 * not a rollback (it would come back the same way); the next one
	 * settles it. */
	v = vopen("tentative-reached.db");
	feed(v, 1, 5);
	ckpt(v, &ck5);
	ckpt(v, &ck10);
	feed(v, 6, 9);
	ncaps = 0;
	ok(feed_msg(v, msg(10, "{\"forged\":1}", 0, 0)) == 0 &&
		   alarmed("CHECKPOINT_MISMATCH", 10),
	   "a forged 10 reaches the waiting checkpoint 10: CHECKPOINT_MISMATCH, nothing more");
	feed(v, 10, 10);
	ncaps = 0;
	ok(ckpt(v, &ck10) == 0 && field(among("command", "vault-command"), "from") == 6,
	   "the checkpoint again: rollback, from 6");
	ncaps = 0;
	feed(v, 6, 10);
	ok(field(one("verified", "vault-verified"), "seq") == 10, "... then verified 10");
	verifier_close(v);

	/* Even the genesis is tentative until a checkpoint: a forged one
	 * naming the pinned key and another vault. */
	v = vopen("tentative-genesis.db");
	verifier_pin(v, VAULT, ck_sk + 32);
	char *p = edit(rows[1].e.payload, "\"vault\":\"" VAULT "\"", "\"vault\":\"evil\"");
	ok(feed_msg(v, msg(1, p, 0, 0)) == 0 && nothing(), "a forged genesis (vault evil, the "
	   "pinned key) first: accepted");
	free(p);
	ok(feed(v, 1, 1) == 0 && alarmed("FORK", 1), "the real one: FORK");
	ok(ckpt(v, &ck5) == 0 && field(among("command", "vault-command"), "from") == 1 &&
		   has(among("verifier-alarm", "vault-verifier-alarm"), "code",
		       "CHECKPOINT_MISMATCH"),
	   "checkpoint 5 names vault " VAULT ": CHECKPOINT_MISMATCH, everything discarded, from 1");
	ncaps = 0;
	feed(v, 1, 5);
	ok(field(one("verified", "vault-verified"), "seq") == 5, "... then verified 5");
	verifier_close(v);
}

/* Item: a checkpoint that came before the genesis. */
static void early(void)
{
	struct verifier *v = vopen("early.db");
	struct vault_checkpoint f = ck5;
	f.seq = INT64_MAX;
	sign_checkpoint(&f, osk);
	ok(ckpt(v, &f) == 0 && alarmed("MALFORMED", INT64_MAX),
	   "a checkpoint at INT64_MAX before the genesis: MALFORMED (over 1000000 ahead)");
	ok(ckpt(v, &ck5) == 0 && nothing(), "the real checkpoint 5 then: kept");
	feed(v, 1, 5);
	ok(field(one("verified", "vault-verified"), "seq") == 5, "... and verified once 5 are in");
	verifier_close(v);

	v = vopen("early-sig.db");
	f = ck10;
	sign_checkpoint(&f, osk);
	ok(ckpt(v, &f) == 0 && nothing(), "a forged checkpoint 10 before the genesis: kept");
	ok(feed(v, 1, 1) == 0 && alarmed("CHECKPOINT_SIGNATURE", 10),
	   "... CHECKPOINT_SIGNATURE as soon as the genesis pins the key");
	ok(ckpt(v, &ck5) == 0 && nothing(), "the real checkpoint 5: no longer shut out, kept");
	feed(v, 2, 5);
	ok(field(one("verified", "vault-verified"), "seq") == 5, "... and verified once 5 are in");
	verifier_close(v);
}

static int64_t sql_i64(const char *name, const char *sql)
{
	char path[600];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	int64_t x = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		x = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return x;
}

/* Item: what one vault's messages may make the verifier keep. */
static void bounds(void)
{
	struct verifier *v = vopen("bounds.db");
	feed(v, 1, 2);
	int published = 0;
	for (int k = 0; k < 150; k++) {
		const char *m = k % 2 ? "[1,2]" : "not json";
		verifier_on_ledger(v, VAULT, m, strlen(m));
		published += one("verifier-alarm", "vault-verifier-alarm") != NULL;
	}
	ok(published == 100 && status("bounds.db", "alarms") == 100,
	   "two bad messages in turn, 150 times: 100 alarms stored and published in the hour");
	fake_now += 3601000000LL;
	verifier_on_ledger(v, VAULT, "nope", 4);
	/* Of the 50 over, the 25 like the last one stored are repeats: logged only. */
	ok(says(one("verifier-alarm", "vault-verifier-alarm"),
		"and 25 alarms before it not stored"),
	   "an hour later: the next one is stored, and says how many were not");
	verifier_close(v);

	v = vopen("ahead-bytes.db");
	size_t n = 400 * 1024;
	char *p = malloc(n + 16);
	snprintf(p, n + 16, "{\"x\":\"%0*d\"}", (int)n, 0);
	feed(v, 1, 3);
	for (int64_t s = 5; s < 105; s++)
		feed_msg(v, forge(s, "test.event", p, NULL));
	free(p);
	verifier_close(v);
	int64_t bytes = sql_i64("ahead-bytes.db", "SELECT sum(length(msg)) FROM ahead");
	ok(bytes > 30 * 1024 * 1024 && bytes <= 32 * 1024 * 1024,
	   "100 entries of 400 KiB beyond a gap: 32 MiB of them kept, no more (%lld)",
	   (long long)bytes);
}

static void malformed(void)
{
	struct verifier *v = vopen("bad.db");
	feed(v, 1, 2);
	char *m3 = msg(3, NULL, 0, 0), hex[65];
	vault_hex(rows[3].e.hash, 32, hex);
	char hashfield[80], hash_twice[160], prev_twice[160], prev[65];
	snprintf(hashfield, sizeof hashfield, ",\"hash\":\"%s\"", hex);
	snprintf(hash_twice, sizeof hash_twice, "\"hash\":\"%s\",\"prev_hash\"", hex);
	vault_hex(rows[3].e.prev_hash, 32, prev);
	snprintf(prev_twice, sizeof prev_twice, "\"prev_hash\":\"%s\",\"prev_hash\"", prev);
	char *half = strndup(m3, strlen(m3) / 2);
	char *big = malloc(600 * 1024 + 1);
	memset(big, ' ', 600 * 1024);
	big[600 * 1024] = 0;
	char junk[64];
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (char)(i * 37 + 5);
	junk[20] = 0;
	/* Consecutive cases differ in what is wrong: a repeat is no new alarm.
	 * A field twice (the real value first) or a string cut by \u0000
	 * hides a value from the hash: cJSON reads the real one. */
	struct {
		const char *what;
		char *text;
	} cases[] = {
		{"an empty message", strdup("")},
		{"an array", strdup("[1,2]")},
		{"not JSON", strdup("not json")},
		{"payload twice", edit(m3, "{", "{\"payload\":{},")},
		{"a string seq", edit(m3, "\"seq\":3", "\"seq\":\"3\"")},
		{"trailing bytes", cat(m3, "x")},
		{"seq 3.0", edit(m3, "\"seq\":3", "\"seq\":3.0")},
		{"kind twice", edit(m3, "\"kind\":\"test.event\"", "\"kind\":\"test.event\",\"kind\":\"x\"")},
		{"no hash", edit(m3, hashfield, "")},
		{"a key spelt with an escape", edit(m3, "\"seq\":", "\"\\u0073eq\":")},
		{"kind a number", edit(m3, "\"kind\":\"test.event\"", "\"kind\":7")},
		{"hash twice", edit(m3, "\"prev_hash\"", hash_twice)},
		{"payload_omitted not true", edit(m3, "\"payload\":", "\"payload_omitted\":\"yes\",\"payload\":")},
		{"half a message", half},
		{"actors ending in \\u0000 and more", edit(m3, "\\t\",\"medium\"", "\\t\\u0000hidden\",\"medium\"")},
		{"seq -3", edit(m3, "\"seq\":3", "\"seq\":-3")},
		{"prev_hash twice", edit(m3, "\"prev_hash\"", prev_twice)},
		{"600 KiB of spaces", big},
		{"time twice", edit(m3, "\"time\"", "\"time\":\"x\",\"time\"")},
		{"no prev_hash", edit(m3, "\"prev_hash\"", "\"prev\"")},
		{"an empty object", strdup("{}")},
		{"kind ending in \\u0000", edit(m3, "\"kind\":\"test.event\"", "\"kind\":\"test.event\\u0000\"")},
	};
	for (size_t i = 0; i < VAULT_ARRAY_SIZE(cases); i++) {
		int r = verifier_on_ledger(v, VAULT, cases[i].text, strlen(cases[i].text));
		const struct cap *c = one("verifier-alarm", "vault-verifier-alarm");
		ok(r == 0 && has(c, "code", "MALFORMED"), "ledger: %s: MALFORMED", cases[i].what);
		free(cases[i].text);
	}
	ok(verifier_on_ledger(v, VAULT, junk, sizeof junk) == 0 &&
		   alarmed("MALFORMED", 0), "ledger: bytes with a NUL: MALFORMED");
	ok(verifier_on_ledger(v, VAULT, junk, sizeof junk) == 0 && nothing(),
	   "the same malformed message again: no new alarm");
	static const char *const bad_ckpts[] = {"", "garbage\n", "vault-checkpoint 1\nseq x\n"};
	for (size_t i = 0; i < VAULT_ARRAY_SIZE(bad_ckpts); i++)
		ok(verifier_on_checkpoint(v, VAULT, bad_ckpts[i], strlen(bad_ckpts[i])) == 0 &&
			   alarmed("MALFORMED", 0),
		   "checkpoint '%.12s': MALFORMED", bad_ckpts[i]);
	/* Each a new alarm (consecutive ones differ in what is wrong), and the
	 * only text published: no backfill for a seq that is not one. */
	char overflow[160], seq_twice[160];
	snprintf(overflow, sizeof overflow, "{\"seq\":99999999999999999999,\"hash\":\"%s\"}", hex);
	snprintf(seq_twice, sizeof seq_twice, "{\"seq\":1,\"seq\":900,\"hash\":\"%s\"}", hex);
	const char *const bad_tips[] = {"{\"seq\":-1,\"hash\":\"00\"}", "7", "{\"seq\":\"x\"}",
					"{\"seq\":1,\"hash\":\"00\"}", overflow, seq_twice};
	for (size_t i = 0; i < VAULT_ARRAY_SIZE(bad_tips); i++) {
		ok(verifier_on_tip(v, VAULT, bad_tips[i], strlen(bad_tips[i])) == 0 &&
			   alarmed("MALFORMED", 0),
		   "tip %.40s: MALFORMED, and no backfill", bad_tips[i]);
	}
	ok(status("bad.db", "received") == 2 && feed_text(v, m3) == 0 && nothing() &&
		   status("bad.db", "received") == 3,
	   "none was accepted; the real entry 3 is");
	free(m3);
	verifier_close(v);
}

/* A state database from before alarms could be acknowledged (and before
 * vault.doubt/quiet): ack adds the columns and works; alarms lists it. */
static void old_state(void)
{
	char path[600];
	snprintf(path, sizeof path, "%s/old-state.db", dir);
	sqlite3 *db;
	int rc = sqlite3_open(path, &db);
	rc = rc
		 ?: sqlite3_exec(
			db,
			"PRAGMA journal_mode=WAL;"
			"CREATE TABLE vault(vault TEXT PRIMARY KEY, name TEXT NOT NULL, pubkey "
			"BLOB, "
			"received INTEGER NOT NULL, received_hash BLOB, verified INTEGER NOT "
			"NULL, "
			"verified_hash BLOB, pending TEXT NOT NULL, pending_seq INTEGER NOT "
			"NULL, "
			"last_id INTEGER NOT NULL, horizon INTEGER NOT NULL, backfill_us "
			"INTEGER NOT NULL, "
			"backfill_n INTEGER NOT NULL);"
			"CREATE TABLE entry(vault TEXT NOT NULL, seq INTEGER NOT NULL, hash "
			"BLOB NOT "
			"NULL, unseen INTEGER NOT NULL, PRIMARY KEY(vault, seq)) WITHOUT ROWID;"
			"CREATE TABLE ahead(vault TEXT NOT NULL, seq INTEGER NOT NULL, msg "
			"BLOB NOT NULL, "
			"PRIMARY KEY(vault, seq)) WITHOUT ROWID;"
			"CREATE TABLE alarm(id INTEGER PRIMARY KEY, vault TEXT NOT NULL, ts "
			"INTEGER NOT "
			"NULL, code TEXT NOT NULL, seq INTEGER NOT NULL, text TEXT NOT NULL);"
			"INSERT INTO alarm VALUES(7, 'v-old', 1000000, 'FORK', 12, 'FORK at "
			"seq 12');",
			NULL, NULL, NULL);
	sqlite3_close(db);
	ok(rc == SQLITE_OK, "an old state database with one alarm (id 7)");
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	const char *err = "";
	int r = verifier_alarms(path, f, 0, &err);
	fclose(f);
	ok(r == -EIO && strstr(err, "older vault-verifier"),
	   "alarms on it before any write: refused, saying why (%s)", err);
	free(buf);
	int64_t k = -1;
	r = verifier_ack(path, 7, NULL, "officer", "seen", &k, NULL);
	ok(r == 0 && k == 1, "ack --id 7 adds the columns and acknowledges it");
	ok(verifier_ack(path, 7, NULL, "officer", NULL, &k, NULL) == -EALREADY,
	   "a second ack of it: -EALREADY");
	ok(verifier_ack(path, 8, NULL, "officer", NULL, &k, NULL) == -ENOENT,
	   "an unknown id: -ENOENT");
	ok(verifier_ack(path, 0, "v-old", "officer", NULL, &k, NULL) == 0 && k == 0,
	   "ack --vault with none left: 0 acknowledged");
	buf = NULL;
	f = open_memstream(&buf, &n);
	r = verifier_alarms(path, f, 1, NULL);
	fclose(f);
	ok(r == 0 && buf && strstr(buf, "\"id\":7,") && strstr(buf, "\"by\":\"officer\"") &&
	       strstr(buf, "\"note\":\"seen\""),
	   "alarms --all: id 7, acknowledged by officer, 'seen'");
	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &n);
	r = verifier_alarms(path, f, 0, NULL);
	fclose(f);
	ok(r == 0 && n == 0, "alarms: none unacknowledged");
	free(buf);
	int64_t unacked = -1;
	f = fopen("/dev/null", "w");
	r = verifier_status(path, f, 0, &unacked, &err);
	fclose(f);
	ok(r == 0 && unacked == 0, "status counts no unacknowledged alarm (%s)", err);
}

int main(void)
{
	if (sodium_init() < 0)
		tap_skip_all("libsodium");
	vault_log_set_level(LOG_CRIT); /* the alarms' log lines are expected */
	crypto_sign_ed25519_keypair(vpk, vsk);
	crypto_sign_ed25519_keypair(opk, osk);
	dir = tv_tmpdir();
	if (!ok(dir && build() == 0, "a %d-entry ledger with checkpoints at 5 and 10", N))
		return tap_done();
	chain();
	breaks();
	gaps();
	persistence();
	omitted();
	malformed();
	binding();
	names();
	horizon();
	tentative();
	early();
	bounds();
	old_state();
	for (int i = 1; i <= N; i++)
		for (int k = 0; k < 6; k++)
			free(rows[i].strs[k]);
	tv_rmrf(dir);
	free(dir);
	return tap_done();
}
