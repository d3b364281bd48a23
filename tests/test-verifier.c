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
	if (verifier_open(path, vsk, &ops, &v, &err) < 0)
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
	int r = verifier_status(path, f, NULL);
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
	ok(status("breaks.db", "verified") == 0 && ckpt(v, &ck5) == 0 &&
		   field(one("verified", "vault-verified"), "seq") == 5,
	   "none of them verified anything; the real checkpoint 5 does");
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
	verifier_tick(v);
	ok(nothing(), "a tip at 9 and a tick 3 s after: still none");
	fake_now = t0 + 5500000;
	verifier_tick(v);
	c = one("command", "vault-command");
	int64_t id2 = field(c, "id");
	ok(c && field(c, "from") == 4 && field(c, "to") == 9 && id2 > id1,
	   "5.5 s without progress: the command again, from 4 to 9, a larger id");
	fake_now = t0 + 6000000;
	feed(v, 4, 4);
	ok(status("gap.db", "received") == 4, "entry 4 arrives: received 4");
	fake_now = t0 + 10000000;
	verifier_tick(v);
	ok(nothing(), "entry 4 arrives (progress): no command 4 s later");
	fake_now = t0 + 11100000;
	verifier_tick(v);
	c = one("command", "vault-command");
	int64_t id3 = field(c, "id");
	ok(field(c, "from") == 5 && field(c, "to") == 9, "5.1 s after the progress: from 5 to 9");
	feed(v, 5, 5);
	ok(nothing() && status("gap.db", "received") == 7,
	   "entry 5: entries 6 and 7, kept beyond the gap, are linked in order (received 7)");
	feed(v, 8, 9);
	fake_now = t0 + 30000000;
	verifier_tick(v);
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
		verifier_tick(v);
		backoff_ok = backoff_ok && nothing();
		fake_now = at + wait + 100000;
		verifier_tick(v);
		backoff_ok = backoff_ok && one("command", "vault-command") != NULL;
		at = fake_now;
		if (wait < 640000000)
			wait *= 2;
	}
	ok(backoff_ok, "without progress the requests come after 5, 10, 20 ... s, then every "
		       "640 s (none 0.1 s early, one 0.1 s late)");
	feed(v, 4, 4);
	fake_now += 5100000;
	verifier_tick(v);
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
	   "... CHECKPOINT_SIGNATURE once the chain reaches it");
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

static char *edit(const char *m, const char *from, const char *to)
{
	const char *p = strstr(m, from);
	if (!p)
		return strdup("");
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

static void malformed(void)
{
	struct verifier *v = vopen("bad.db");
	feed(v, 1, 2);
	char *m3 = msg(3, NULL, 0, 0), hex[65];
	vault_hex(rows[3].e.hash, 32, hex);
	char hashfield[80];
	snprintf(hashfield, sizeof hashfield, ",\"hash\":\"%s\"", hex);
	char *half = strndup(m3, strlen(m3) / 2);
	char *big = malloc(600 * 1024 + 1);
	memset(big, ' ', 600 * 1024);
	big[600 * 1024] = 0;
	char junk[64];
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (char)(i * 37 + 5);
	junk[20] = 0;
	/* Consecutive cases differ in what is wrong: a repeat is no new alarm. */
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
		{"no hash", edit(m3, hashfield, "")},
		{"a key spelt with an escape", edit(m3, "\"seq\":", "\"\\u0073eq\":")},
		{"kind a number", edit(m3, "\"kind\":\"test.event\"", "\"kind\":7")},
		{"payload_omitted not true", edit(m3, "\"payload\":", "\"payload_omitted\":\"yes\",\"payload\":")},
		{"half a message", half},
		{"seq -3", edit(m3, "\"seq\":3", "\"seq\":-3")},
		{"600 KiB of spaces", big},
		{"no prev_hash", edit(m3, "\"prev_hash\"", "\"prev\"")},
		{"an empty object", strdup("{}")},
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
	static const char *const bad_tips[] = {"{\"seq\":-1,\"hash\":\"00\"}", "7", "{\"seq\":\"x\"}"};
	for (size_t i = 0; i < VAULT_ARRAY_SIZE(bad_tips); i++) {
		ok(verifier_on_tip(v, VAULT, bad_tips[i], strlen(bad_tips[i])) == 0 &&
			   (i ? nothing() : alarmed("MALFORMED", 0)),
		   "tip %s: MALFORMED%s", bad_tips[i], i ? " (the same alarm: not repeated)" : "");
	}
	ok(status("bad.db", "received") == 2 && feed_text(v, m3) == 0 && nothing() &&
		   status("bad.db", "received") == 3,
	   "none was accepted; the real entry 3 is");
	free(m3);
	verifier_close(v);
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
	for (int i = 1; i <= N; i++)
		for (int k = 0; k < 6; k++)
			free(rows[i].strs[k]);
	tv_rmrf(dir);
	free(dir);
	return tap_done();
}
