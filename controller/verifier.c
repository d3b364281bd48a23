/* SPDX-License-Identifier: MIT */
/*
 * The central ledger verifier (controller/verifier.h, docs/verifier.md).
 *
 * Every message is one transaction over its vault's row: load the row, decide,
 * write back the row, the accepted entry hashes and the alarms, commit, and
 * only then publish what the decision produced (an alarm, a new `verified`, a
 * backfill command). Nothing is said that a crash could take back, and a
 * database failure changes and says nothing.
 */
#include "verifier.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vault/ledger.h"
#include "vault/signedtext.h"
#include "vault/util.h"

#define NAME_LEN 128
#define ROOT_LEN 128
#define CKPT_TEXT_MAX 1024
#define OUT_MAX 8
#define AHEAD_MAX 4096                 /* entries kept beyond a gap, per vault */
#define AHEAD_BYTES (32 * 1024 * 1024) /* ... and their bytes */
#define FAR_MAX 1000000                /* the farthest beyond received a tip or checkpoint reaches */
#define ALARMS_PER_HOUR 100            /* stored (and published) per vault; the rest counted */

static const char schema[] =
    /* vault: the topic level; name: the genesis's vault name; pending: a
     * checkpoint ahead of received; horizon: the highest seq known to exist
     * beyond a gap; backfill_us: the last backfill request or progress while
     * one is outstanding (0: none); backfill_n: requests since the last
     * progress (each waits twice as long as the one before); doubt: the
     * highest seq where a message conflicted with an entry above verified;
     * quiet: alarms not stored since the last stored one (over the hour's
     * share). doubt and quiet are added to older databases by verifier_open. */
    "CREATE TABLE IF NOT EXISTS vault(vault TEXT PRIMARY KEY, name TEXT NOT NULL,"
    " pubkey BLOB, received INTEGER NOT NULL, received_hash BLOB,"
    " verified INTEGER NOT NULL, verified_hash BLOB, pending TEXT NOT NULL,"
    " pending_seq INTEGER NOT NULL, last_id INTEGER NOT NULL, horizon INTEGER NOT NULL,"
    " backfill_us INTEGER NOT NULL, backfill_n INTEGER NOT NULL,"
    " doubt INTEGER NOT NULL DEFAULT 0, quiet INTEGER NOT NULL DEFAULT 0);"
    /* unseen: published without its payload, linked by the hash it names */
    "CREATE TABLE IF NOT EXISTS entry(vault TEXT NOT NULL, seq INTEGER NOT NULL,"
    " hash BLOB NOT NULL, unseen INTEGER NOT NULL, PRIMARY KEY(vault, seq)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS entry_unseen ON entry(vault) WHERE unseen;"
    /* messages of entries beyond a gap, hash-checked, to link once it is filled */
    "CREATE TABLE IF NOT EXISTS ahead(vault TEXT NOT NULL, seq INTEGER NOT NULL,"
    " msg BLOB NOT NULL, PRIMARY KEY(vault, seq)) WITHOUT ROWID;"
    /* acked_*: an officer's acknowledgement (vault-verifier ack), NULL until
     * then; added to older databases by verifier_open. */
    "CREATE TABLE IF NOT EXISTS alarm(id INTEGER PRIMARY KEY, vault TEXT NOT NULL,"
    " ts INTEGER NOT NULL, code TEXT NOT NULL, seq INTEGER NOT NULL, text TEXT NOT NULL,"
    " acked_ts INTEGER, acked_by TEXT, ack_note TEXT);"
    "CREATE INDEX IF NOT EXISTS alarm_vault ON alarm(vault, id);";

struct verifier {
	sqlite3 *db;
	char root[ROOT_LEN];
	uint8_t sk[64];
	struct verifier_ops ops;
};

/* One vault's row. Zeroed before loading, so that memcmp tells a change. */
struct vstate {
	char vault[NAME_LEN], name[NAME_LEN];
	int pinned;
	uint8_t pk[32], rhash[32], vhash[32];
	int64_t received, verified, pending_seq, last_id, horizon, backfill_us, backfill_n, doubt,
		quiet;
	char pending[CKPT_TEXT_MAX];
};

struct out {
	const char *suffix;
	int retained, len;
	char text[VAULT_SIGNED_MAX + 1];
};

/* One message's transaction. */
struct tx {
	struct verifier *v;
	struct vstate s, orig;
	int64_t now;
	int failed; /* a statement failed: roll back */
	int nout;
	struct out out[OUT_MAX];
};

static const uint8_t zero_hash[32];

static const char *hex32(const uint8_t *h, char buf[65])
{
	vault_hex(h, 32, buf);
	return buf;
}

static int exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

/* Prepare sql with its parameters bound from fmt ('i' int64, 't' text, 'b'
 * 32-byte blob or NULL, 'B' pointer and size_t length); NULL (and the
 * transaction marked failed) on error. */
static sqlite3_stmt *stmt(struct tx *t, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(t->v->db, sql, -1, &st, NULL) != SQLITE_OK) {
		t->failed = 1;
		return NULL;
	}
	va_list ap;
	va_start(ap, fmt);
	for (int i = 0; fmt[i]; i++) {
		if (fmt[i] == 'i') {
			sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
		} else if (fmt[i] == 't') {
			sqlite3_bind_text(st, i + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
		} else if (fmt[i] == 'B') {
			const void *p = va_arg(ap, const void *);
			sqlite3_bind_blob(st, i + 1, p, (int)va_arg(ap, size_t), SQLITE_TRANSIENT);
		} else {
			const uint8_t *b = va_arg(ap, const uint8_t *);
			if (b)
				sqlite3_bind_blob(st, i + 1, b, 32, SQLITE_TRANSIENT);
		}
	}
	va_end(ap);
	return st;
}

/* Step a statement that returns no row, and finalize it. */
static void run(struct tx *t, sqlite3_stmt *st)
{
	if (st && sqlite3_step(st) != SQLITE_DONE)
		t->failed = 1;
	sqlite3_finalize(st);
}

static void blob32(sqlite3_stmt *st, int col, uint8_t out[32])
{
	if (sqlite3_column_bytes(st, col) == 32)
		memcpy(out, sqlite3_column_blob(st, col), 32);
}

static void text_col(sqlite3_stmt *st, int col, char *out, size_t size)
{
	const char *s = (const char *)sqlite3_column_text(st, col);
	if (!s || vault_strlcpy(out, s, size) < 0)
		out[0] = 0;
}

static int load(struct tx *t, const char *vault)
{
	struct vstate *s = &t->s;
	memset(s, 0, sizeof *s);
	vault_strlcpy(s->vault, vault, sizeof s->vault);
	sqlite3_stmt *st = stmt(t, "SELECT name, pubkey, received, received_hash, verified, "
				"verified_hash, pending, pending_seq, last_id, horizon, backfill_us, "
				"backfill_n, doubt, quiet "
				"FROM vault WHERE vault=?", "t", vault);
	int rc = st ? sqlite3_step(st) : SQLITE_ERROR;
	if (rc == SQLITE_ROW) {
		text_col(st, 0, s->name, sizeof s->name);
		s->pinned = sqlite3_column_bytes(st, 1) == 32;
		blob32(st, 1, s->pk);
		s->received = sqlite3_column_int64(st, 2);
		blob32(st, 3, s->rhash);
		s->verified = sqlite3_column_int64(st, 4);
		blob32(st, 5, s->vhash);
		text_col(st, 6, s->pending, sizeof s->pending);
		s->pending_seq = sqlite3_column_int64(st, 7);
		s->last_id = sqlite3_column_int64(st, 8);
		s->horizon = sqlite3_column_int64(st, 9);
		s->backfill_us = sqlite3_column_int64(st, 10);
		s->backfill_n = sqlite3_column_int64(st, 11);
		s->doubt = sqlite3_column_int64(st, 12);
		s->quiet = sqlite3_column_int64(st, 13);
	}
	sqlite3_finalize(st);
	memcpy(&t->orig, s, sizeof *s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

static void save(struct tx *t)
{
	const struct vstate *s = &t->s;
	run(t, stmt(t, "INSERT OR REPLACE INTO vault VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
		    "ttbibibtiiiiiii", s->vault, s->name, s->pinned ? s->pk : NULL, s->received,
		    s->received ? s->rhash : NULL, s->verified, s->verified ? s->vhash : NULL,
		    s->pending, s->pending_seq, s->last_id, s->horizon, s->backfill_us,
		    s->backfill_n, s->doubt, s->quiet));
}

/* The hash held for seq: 0, -ENOENT, or -EIO (the transaction failed). */
static int held(struct tx *t, int64_t seq, uint8_t out[32])
{
	sqlite3_stmt *st = stmt(t, "SELECT hash FROM entry WHERE vault=? AND seq=?", "ti",
				t->s.vault, seq);
	int rc = st ? sqlite3_step(st) : SQLITE_ERROR;
	int r = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
	if (r == 0)
		blob32(st, 0, out);
	sqlite3_finalize(st);
	if (r == -EIO)
		t->failed = 1;
	return r;
}

static int64_t clock_us(const struct verifier *v)
{
	return v->ops.now_us ? v->ops.now_us(v->ops.ud) : vault_now_utc_us();
}

/* Queue a signed text of `type` for <vault>/<suffix>, published after the
 * commit. fmt gives the fields between the prefix line and the time line. */
__attribute__((format(printf, 5, 6))) static int emit(struct tx *t, const char *suffix,
						      int retained, const char *type,
						      const char *fmt, ...)
{
	if (t->nout == OUT_MAX)
		return -ENOSPC;
	struct out *o = &t->out[t->nout];
	size_t size = sizeof o->text;
	/* A vault is named as vaultd names itself (the genesis), once known,
	 * and the text is bound to the topics it is about: vaultd refuses a
	 * text whose prefix is not its own, so one about a copy of its ledger
	 * published elsewhere is not taken for one about it. */
	int n = snprintf(o->text, size, "%s 1\nvault %s\nprefix %s/%s\n", type,
			 t->s.name[0] ? t->s.name : t->s.vault, t->v->root, t->s.vault);
	va_list ap;
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < size)
		n += vsnprintf(o->text + n, size - (size_t)n, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < size)
		n += snprintf(o->text + n, size - (size_t)n, "time %lld\n",
			      (long long)(t->now / 1000000));
	n = n > 0 && (size_t)n < size ? vault_signed_finish(o->text, size, (size_t)n, t->v->sk)
				      : -ENAMETOOLONG;
	if (n < 0) {
		vault_log(LOG_ERR, "verifier", "%s: a %s text could not be made (%s)", t->s.vault,
			  type, strerror(-n));
		return n;
	}
	o->suffix = suffix;
	o->retained = retained;
	o->len = n;
	t->nout++;
	return 0;
}

/* A break: logged, stored, published retained, and the message that caused it
 * is not accepted (the caller returns). The same break found again (a
 * backfill re-delivering a bad entry every few seconds) is only logged, and so
 * is any beyond ALARMS_PER_HOUR in an hour (counted in the next one stored):
 * breaks taking turns are not a row each. */
__attribute__((format(printf, 4, 5))) static void alarm(struct tx *t, const char *code,
							int64_t seq, const char *fmt, ...)
{
	char text[480];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, 400, fmt, ap);
	va_end(ap);
	for (char *p = text; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?'; /* a signed text is printable ASCII */
	sqlite3_stmt *st = stmt(t, "SELECT code = ? AND seq = ? AND text = ? FROM alarm "
			       "WHERE vault=? ORDER BY id DESC LIMIT 1", "titt", code, seq, text,
			       t->s.vault);
	int again = st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = again ? NULL : stmt(t, "SELECT ts > ? FROM alarm WHERE vault=? ORDER BY id DESC "
				 "LIMIT 1 OFFSET ?", "iti", t->now - 3600 * 1000000LL, t->s.vault,
				 (int64_t)ALARMS_PER_HOUR - 1);
	int full = st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	char note[64] = "";
	if (full && !again)
		snprintf(note, sizeof note, " (not stored: %d in the last hour)", ALARMS_PER_HOUR);
	vault_log(strcmp(code, "MALFORMED") ? LOG_ERR : LOG_WARNING, "verifier",
		  "%s: %s at seq %lld: %s%s", t->s.vault, code, (long long)seq, text, note);
	if (again)
		return;
	if (full) {
		t->s.quiet++;
		return;
	}
	if (t->s.quiet) {
		size_t n = strlen(text);
		snprintf(text + n, sizeof text - n, " (and %lld alarms before it not stored: over "
			 "%d an hour)", (long long)t->s.quiet, ALARMS_PER_HOUR);
		t->s.quiet = 0;
	}
	run(t, stmt(t, "INSERT INTO alarm(vault, ts, code, seq, text) VALUES(?,?,?,?,?)",
		    "titit", t->s.vault, t->now, code, seq, text));
	emit(t, "verifier-alarm", 1, "vault-verifier-alarm",
	     "code %s\nseq %lld\ntext %s\n", code, (long long)seq, text);
}

/* ---- messages ---- */

/* Printable ASCII (what a signed text's values may hold), none of `not`. */
static int printable(const char *s, const char *not)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e || strchr(not, *s))
			return 0;
	return 1;
}

/* Whether JSON text holds the escape \u0000: cJSON ends the string there, so
 * what it reads is not what was written (nor what vaultd hashed). */
static int nul_escape(const char *s, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (s[i] == '\\' && s[++i] == 'u' && n - i > 4 && !memcmp(s + i + 1, "0000", 4))
			return 1;
	return 0;
}

static size_t skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* Where the JSON value starting at s[i] ends (one past its last byte), or 0
 * if it does not end. Strings are skipped with their escapes, objects and
 * arrays by depth, scalars up to the next delimiter. The message has been
 * parsed by cJSON first, so this only finds ends, it does not validate. */
static size_t value_end(const char *s, size_t n, size_t i)
{
	size_t start = i;
	int depth = 0, str = 0;
	for (; i < n; i++) {
		char c = s[i];
		if (str) {
			if (c == '\\')
				i++;
			else if (c == '"' && !(str = 0) && !depth)
				return i + 1; /* a string at the top */
		} else if (c == '"') {
			str = 1;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if ((c == '}' || c == ']') && depth) {
			if (!--depth)
				return i + 1;
		} else if (!depth && memchr(",}] \t\r\n", c, 7)) {
			return i > start ? i : 0;
		}
	}
	return 0;
}

struct span {
	size_t off, len; /* len 0: absent */
};

/* The value spans of the top-level members of the object in s named in
 * keys[] (NULL-terminated). Keys are compared as written, so a key spelt
 * with an escape, a member named twice, or anything after the object is
 * refused: what this finds is then what cJSON reads. 0 or -EBADMSG. */
static int members(const char *s, size_t n, const char *const *keys, struct span *sp)
{
	size_t i = skip_ws(s, n, 0);
	if (i >= n || s[i] != '{')
		return -EBADMSG;
	i = skip_ws(s, n, i + 1);
	while (i < n && s[i] != '}') {
		size_t k = i + 1, ke = value_end(s, n, i);
		if (s[i] != '"' || !ke || memchr(s + k, '\\', ke - 1 - k))
			return -EBADMSG;
		i = skip_ws(s, n, ke);
		if (i >= n || s[i] != ':')
			return -EBADMSG;
		/* The span is every byte between the ':' and the next member's ','
		 * (or the '}'), white space included: vaultd writes the stored
		 * payload there verbatim, so those are the bytes it hashed. */
		size_t vs = i + 1;
		i = skip_ws(s, n, vs);
		size_t ve = value_end(s, n, i);
		if (!ve)
			return -EBADMSG;
		size_t after = skip_ws(s, n, ve);
		for (int f = 0; keys[f]; f++) {
			if (strlen(keys[f]) != ke - 1 - k || memcmp(keys[f], s + k, ke - 1 - k))
				continue;
			if (sp[f].len)
				return -EBADMSG;
			sp[f] = (struct span){vs, after - vs};
		}
		i = after;
		if (i < n && s[i] == ',')
			i = skip_ws(s, n, i + 1);
		else if (i >= n || s[i] != '}')
			return -EBADMSG;
	}
	return i < n && skip_ws(s, n, i + 1) == n ? 0 : -EBADMSG;
}

/* A JSON integer exactly as written (no fraction, no exponent). */
static int span_i64(const char *s, struct span sp, int64_t *v)
{
	char b[24], *end;
	if (!sp.len || sp.len >= sizeof b)
		return -EINVAL;
	memcpy(b, s + sp.off, sp.len);
	b[sp.len] = 0;
	const char *d = b + (b[0] == '-');
	if (!*d || strspn(d, "0123456789") != strlen(d))
		return -EINVAL;
	errno = 0;
	long long x = strtoll(b, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*v = x;
	return 0;
}

static int hash_item(const cJSON *o, const char *name, uint8_t out[32])
{
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(h) && vault_unhex(h->valuestring, out, 32) == 0 ? 0 : -EINVAL;
}

/* Parse a P/ledger message (controller/mqtt.c entry_json). *root holds the
 * strings e points to (free it even on failure); e->payload points into msg.
 * 0, or -EBADMSG with *why. */
static int parse_entry(const char *msg, size_t len, cJSON **root, struct vault_entry *e,
		       int *omitted, const char **why)
{
	/* Every member vaultd writes: none may come twice, cJSON would read
	 * only one of them. The strings are keys[4..8]. */
	static const char *const keys[] = {"seq", "ts_utc", "ts_mono", "payload", "kind", "actors",
					   "medium", "approval", "cites", "prev_hash", "hash",
					   "payload_omitted", "time", NULL};
	const char **dst[] = {&e->kind, &e->actors, &e->medium, &e->approval, &e->cites};
	struct span sp[VAULT_ARRAY_SIZE(keys) - 1] = {{0}};
	memset(e, 0, sizeof *e);
	*why = "longer than vaultd sends";
	if (len > VERIFIER_MSG_MAX)
		return -EBADMSG;
	*why = "not JSON";
	if (!(*root = cJSON_ParseWithLength(msg, len)))
		return -EBADMSG;
	*why = "not a JSON object";
	if (!cJSON_IsObject(*root))
		return -EBADMSG;
	*why = "a field named twice or with an escape, or bytes after the object";
	if (members(msg, len, keys, sp) < 0)
		return -EBADMSG;
	*why = "seq, ts_utc or ts_mono is not an integer (seq >= 1)";
	if (span_i64(msg, sp[0], &e->seq) < 0 || e->seq < 1 ||
	    span_i64(msg, sp[1], &e->ts_utc) < 0 || span_i64(msg, sp[2], &e->ts_mono) < 0)
		return -EBADMSG;
	for (size_t i = 0; i < VAULT_ARRAY_SIZE(dst); i++) {
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(*root, keys[4 + i]);
		*why = "kind, actors, medium, approval or cites is not a string";
		if (!cJSON_IsString(f))
			return -EBADMSG;
		*why = "kind, actors, medium, approval or cites holds \\u0000";
		if (nul_escape(msg + sp[4 + i].off, sp[4 + i].len))
			return -EBADMSG;
		*dst[i] = f->valuestring;
	}
	const cJSON *om = cJSON_GetObjectItemCaseSensitive(*root, "payload_omitted");
	*why = "payload is missing or payload_omitted is not true";
	if (!sp[3].len || (om && !cJSON_IsTrue(om)))
		return -EBADMSG;
	*omitted = om != NULL;
	e->payload = msg + sp[3].off;
	e->payload_len = sp[3].len;
	*why = "prev_hash or hash is not 64 hex digits";
	if (hash_item(*root, "prev_hash", e->prev_hash) < 0 || hash_item(*root, "hash", e->hash) < 0)
		return -EBADMSG;
	return 0;
}

/* ---- decisions (inside the transaction) ---- */

static void publish_verified(struct tx *t)
{
	char h[65], g[65];
	uint8_t genesis_hash[32];
	if (held(t, 1, genesis_hash) < 0)
		return; /* verified >= 1: only a failed read */
	vault_log(LOG_INFO, "verifier", "%s: verified up to seq %lld (received %lld)", t->s.vault,
		  (long long)t->s.verified, (long long)t->s.received);
	/* The genesis's hash: vaultd refuses a text about another ledger. */
	emit(t, "verified", 1, "vault-verified", "genesis %s\nseq %lld\nhash %s\nreceived %lld\n",
	     hex32(genesis_hash, g), (long long)t->s.verified, hex32(t->s.vhash, h),
	     (long long)t->s.received);
}

/* Ask for received+1..horizon unless a request is outstanding and has made
 * progress (or was sent) within VERIFIER_BACKFILL_US, doubled for each
 * request since the last progress (up to 128 times: a break that every
 * republication brings back, such as an entry rewritten on the box, costs
 * the vault one ledgered command every ~11 minutes, not every 5 s). */
static void backfill(struct tx *t)
{
	struct vstate *s = &t->s;
	if (s->horizon <= s->received) {
		s->backfill_us = 0;
		s->backfill_n = 0;
		return;
	}
	int64_t wait = (int64_t)VERIFIER_BACKFILL_US
		       << (s->backfill_n > 1 ? (s->backfill_n > 8 ? 7 : s->backfill_n - 1) : 0);
	/* now < backfill_us: the clock went back; do not wait for it. */
	if (s->backfill_us && t->now >= s->backfill_us && t->now - s->backfill_us < wait)
		return;
	/* vaultd refuses an id it has passed: strictly increasing, durable. */
	int64_t id = t->now > s->last_id ? t->now : s->last_id + 1;
	if (emit(t, "command", 0, "vault-command", "id %lld\nverb backfill\nfrom %lld\nto %lld\n",
		 (long long)id, (long long)s->received + 1, (long long)s->horizon) < 0)
		return;
	vault_log(LOG_INFO, "verifier", "%s: asking for entries %lld..%lld (command %lld)",
		  s->vault, (long long)s->received + 1, (long long)s->horizon, (long long)id);
	s->last_id = id;
	s->backfill_us = t->now > 0 ? t->now : 1;
	s->backfill_n++;
}

/* A seq seen beyond a gap (a tip, an entry): unauthenticated, so it raises
 * the horizon at most FAR_MAX beyond received. */
static void beyond(struct tx *t, int64_t seq)
{
	struct vstate *s = &t->s;
	if (seq > s->received + FAR_MAX)
		seq = s->received + FAR_MAX;
	if (seq > s->horizon)
		s->horizon = seq;
	backfill(t);
}

/* The checkpoint c waits for the chain to reach it, if it is the newest such. */
static void keep(struct vstate *s, const struct vault_checkpoint *c, const char *text)
{
	if (c->seq > s->pending_seq && vault_strlcpy(s->pending, text, sizeof s->pending) == 0)
		s->pending_seq = c->seq;
}

/* Entries above verified are tentative: hash-linked, but anyone who can
 * publish could have sent a self-consistent one first. A checkpoint under the
 * pinned key (seq) has found them wrong: discard them (and those kept beyond a
 * gap) and ask for them again; the genuine ones then link. */
static void rollback(struct tx *t, int64_t seq)
{
	struct vstate *s = &t->s;
	vault_log(LOG_WARNING, "verifier", "%s: checkpoint %lld: entries %lld..%lld were "
		  "tentative (after the last checkpoint matched): discarded, asking for them again",
		  s->vault, (long long)seq, (long long)s->verified + 1, (long long)s->received);
	run(t, stmt(t, "DELETE FROM entry WHERE vault=? AND seq>?", "ti", s->vault, s->verified));
	run(t, stmt(t, "DELETE FROM ahead WHERE vault=?", "t", s->vault));
	if (s->horizon < s->received)
		s->horizon = s->received;
	if (s->horizon < seq)
		s->horizon = seq;
	s->received = s->verified;
	memcpy(s->rhash, s->vhash, 32);
	s->doubt = 0;
	if (!s->verified)
		s->name[0] = 0; /* it came from a tentative genesis */
	s->backfill_n = 0;  /* at most one request every VERIFIER_BACKFILL_US */
	backfill(t);
}

/* A checkpoint whose text parsed, from its topic or (reached) waiting until
 * the chain reached it. One ahead of received waits (the newest such one);
 * one at or below it must name the hash held. One under the pinned key that
 * contradicts the entries above verified, or that comes while a conflict
 * among them stops the chain, settles it: rollback. One reached through them
 * and contradicting them does not (the same one would again after the
 * rollback): the next checkpoint does. */
static void checkpoint(struct tx *t, const struct vault_checkpoint *c, const char *text,
		       int reached)
{
	struct vstate *s = &t->s;
	char a[65], b[65];
	if (s->pinned && memcmp(c->pk, s->pk, 32)) {
		alarm(t, "CHECKPOINT_SIGNATURE", c->seq, "checkpoint %lld is signed by key %s, not "
		      "the pinned key %s", (long long)c->seq, hex32(c->pk, a), hex32(s->pk, b));
		return;
	}
	if (s->pinned && vault_checkpoint_check_sig(c) < 0) {
		alarm(t, "CHECKPOINT_SIGNATURE", c->seq, "checkpoint %lld: the signature does not "
		      "verify under the pinned key", (long long)c->seq);
		return;
	}
	if (c->seq > s->received + FAR_MAX) {
		alarm(t, "MALFORMED", c->seq, "checkpoint %lld is more than %d entries ahead of "
		      "entry %lld", (long long)c->seq, FAR_MAX, (long long)s->received);
		return;
	}
	uint8_t h[32] = {0};
	int r = c->seq <= s->received ? held(t, c->seq, h) : 0;
	if (r == -EIO)
		return;
	if (s->name[0] && strcmp(c->vault, s->name)) {
		alarm(t, "CHECKPOINT_MISMATCH", c->seq, "checkpoint %lld names vault '%s', not '%s'",
		      (long long)c->seq, c->vault, s->name);
		if (s->verified)
			return; /* the name is checkpointed, nothing tentative to settle */
	} else if (c->seq <= s->received && (r < 0 || memcmp(h, c->hash, 32))) {
		alarm(t, "CHECKPOINT_MISMATCH", c->seq, "checkpoint %lld names hash %s, the entry "
		      "held has %s", (long long)c->seq, hex32(c->hash, a), hex32(h, b));
	} else if (c->seq <= s->received) {
		if (c->seq > s->verified) {
			s->verified = c->seq;
			memcpy(s->vhash, c->hash, 32);
			publish_verified(t);
		}
		return;
	} else if (s->doubt <= s->verified || s->received <= s->verified) {
		/* Unpinned (no genesis yet), its signature is checked when the
		 * genesis pins the key. */
		keep(s, c, text);
		return;
	}
	if (!s->pinned || c->seq <= s->verified || s->received <= s->verified)
		return;
	if (reached) {
		if (c->seq > s->doubt)
			s->doubt = c->seq;
		return;
	}
	rollback(t, c->seq);
	keep(s, c, text);
}

/* The waiting checkpoint, again: the chain has reached it, or the genesis
 * pinned the key it is to be checked under. */
static void recheck(struct tx *t, int reached)
{
	struct vstate *s = &t->s;
	struct vault_checkpoint c;
	char text[CKPT_TEXT_MAX];
	memcpy(text, s->pending, sizeof text);
	s->pending[0] = 0;
	s->pending_seq = 0;
	if (text[0] && vault_checkpoint_parse(text, &c, NULL) == 0)
		checkpoint(t, &c, text, reached);
}

/* The genesis (seq 1, linked): pins the key it names unless another one is
 * pinned. 0 to accept it. */
static int genesis(struct tx *t, const struct vault_entry *e, int omitted)
{
	struct vstate *s = &t->s;
	cJSON *p = omitted ? NULL : cJSON_ParseWithLength(e->payload, e->payload_len);
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(p, "vault");
	uint8_t pk[32];
	char a[65], b[65];
	int r = -EINVAL;
	if (strcmp(e->kind, "ledger.genesis") || !cJSON_IsString(name) ||
	    hash_item(p, "checkpoint_pubkey", pk) < 0 || strlen(name->valuestring) >= NAME_LEN)
		alarm(t, "MALFORMED", 1, "entry 1 is not a genesis naming the vault and its "
		      "checkpoint_pubkey");
	else if (!name->valuestring[0] || !printable(name->valuestring, "") ||
		 nul_escape(e->payload, e->payload_len))
		alarm(t, "MALFORMED", 1, "the genesis's vault name is empty or not printable ASCII "
		      "(it goes into signed texts)");
	else if (s->pinned && memcmp(pk, s->pk, 32))
		alarm(t, "GENESIS_KEY", 1, "the genesis names the key %s, the pinned key is %s",
		      hex32(pk, a), hex32(s->pk, b));
	else
		r = 0;
	if (r == 0) {
		memcpy(s->pk, pk, 32);
		s->pinned = 1;
		vault_strlcpy(s->name, name->valuestring, sizeof s->name);
		vault_log(LOG_INFO, "verifier", "%s: vault '%s', checkpoint key %s", s->vault,
			  s->name, hex32(pk, a));
		recheck(t, 0); /* one that came before: its signature and vault, now */
	}
	cJSON_Delete(p);
	return r;
}

/* A linked mqtt.command entry: the vault's record of a backfill command. The
 * one answering the last command sent says how far the vault republishes;
 * what comes after comes by its normal publishing, so the horizon comes down
 * to that (a forged tip or entry far ahead costs the vault one command). */
static void answered(struct tx *t, const struct vault_entry *e)
{
	static const char *const keys[] = {"id", "republish_to", NULL};
	struct vstate *s = &t->s;
	struct span sp[2] = {{0}};
	int64_t id, to;
	if (members(e->payload, e->payload_len, keys, sp) < 0 ||
	    span_i64(e->payload, sp[0], &id) < 0 || !s->last_id || id != s->last_id)
		return;
	if (span_i64(e->payload, sp[1], &to) < 0 || to < s->received)
		to = s->received; /* null: nothing to republish */
	if (to < s->horizon) {
		vault_log(LOG_INFO, "verifier", "%s: command %lld answered (entry %lld): entries "
			  "after %lld come as published", s->vault, (long long)id,
			  (long long)e->seq, (long long)to);
		s->horizon = to;
	}
}

/* An entry message that parsed: accepted, an alarm, or (1) ahead of a gap. */
static int entry(struct tx *t, const struct vault_entry *e, int omitted)
{
	struct vstate *s = &t->s;
	uint8_t h[32];
	char a[65], b[65];
	if (!omitted) {
		vault_entry_hash(e, h);
		if (memcmp(h, e->hash, 32)) {
			alarm(t, "HASH_MISMATCH", e->seq, "entry %lld: the hash recomputed from the "
			      "message is not the hash it names", (long long)e->seq);
			return 0;
		}
	}
	if (e->seq <= s->received) {
		/* At least once: a repeat is normal, another hash is a fork (one
		 * of the two is forged: above verified, the next checkpoint says
		 * which). */
		if (held(t, e->seq, h) == 0 && memcmp(h, e->hash, 32)) {
			alarm(t, "FORK", e->seq, "entry %lld arrives again with hash %s, the one "
			      "accepted has %s", (long long)e->seq, hex32(e->hash, a), hex32(h, b));
			if (e->seq > s->verified && e->seq > s->doubt)
				s->doubt = e->seq;
		}
		return 0;
	}
	if (e->seq > s->received + 1) {
		beyond(t, e->seq);
		return 1;
	}
	if (memcmp(e->prev_hash, s->received ? s->rhash : zero_hash, 32)) {
		alarm(t, "BROKEN_LINK", e->seq, "entry %lld: prev_hash %s is not the hash of entry "
		      "%lld (%s)", (long long)e->seq, hex32(e->prev_hash, a),
		      (long long)s->received, hex32(s->received ? s->rhash : zero_hash, b));
		if (s->received > s->verified && e->seq > s->doubt)
			s->doubt = e->seq; /* the entry held may be the forged one */
		return 0;
	}
	if (e->seq == 1 && genesis(t, e, omitted) < 0)
		return 0;
	run(t, stmt(t, "INSERT INTO entry VALUES(?,?,?,?)", "tibi", s->vault, e->seq, e->hash,
		    (int64_t)omitted));
	if (omitted)
		vault_log(LOG_WARNING, "verifier", "%s: entry %lld came without its payload: "
			  "linked by its hash, not checked", s->vault, (long long)e->seq);
	s->received = e->seq;
	memcpy(s->rhash, e->hash, 32);
	/* The vault's record of a command is no progress: a request that
	 * brings only that must not be repeated every 5 s. */
	int command = !strcmp(e->kind, "mqtt.command");
	if (command && !omitted)
		answered(t, e);
	if (s->backfill_us && !command) {
		s->backfill_us = t->now > 0 ? t->now : 1; /* progress */
		s->backfill_n = 0;
	}
	if (s->backfill_us && s->horizon <= s->received)
		s->backfill_us = s->backfill_n = 0;
	if (s->pending_seq && s->pending_seq <= s->received)
		recheck(t, 1);
	return 0;
}

/* ---- transactions ---- */

static int valid_vault(const char *vault)
{
	size_t n = strlen(vault);
	return n && n < NAME_LEN && printable(vault, "/+#");
}

/* The decision for one message, inside its transaction; < 0 rolls it back. */
typedef int (*decide_fn)(struct tx *t, const char *msg, size_t len);

/* Run decide for vault in one transaction: load the row, decide, commit (the
 * row if it changed), then publish what the decision queued. */
static int handle(struct verifier *v, const char *vault, decide_fn decide, const char *msg,
		  size_t len)
{
	if (!valid_vault(vault)) {
		vault_log(LOG_WARNING, "verifier", "a message for an unusable vault name ignored");
		return -EINVAL;
	}
	struct tx *t = malloc(sizeof *t); /* a few KiB of texts: not on the stack */
	if (!t)
		return -ENOMEM;
	t->v = v;
	t->failed = 0;
	t->nout = 0;
	t->now = clock_us(v);
	int r = exec(v->db, "BEGIN IMMEDIATE");
	if (r == 0 && load(t, vault) < 0)
		t->failed = 1;
	if (r == 0 && !t->failed)
		r = decide(t, msg, len);
	if (r == 0 && !t->failed && memcmp(&t->s, &t->orig, sizeof t->s))
		save(t);
	if (r == 0 && (t->failed || exec(v->db, "COMMIT") < 0))
		r = -EIO;
	if (r < 0) {
		if (r == -EIO)
			vault_log(LOG_ERR, "verifier", "%s: the state database failed (%s): the "
				  "message changed nothing", vault, sqlite3_errmsg(v->db));
		exec(v->db, "ROLLBACK");
	}
	for (int i = 0; r == 0 && i < t->nout; i++)
		v->ops.publish(v->ops.ud, vault, t->out[i].suffix, t->out[i].text,
			       (size_t)t->out[i].len, t->out[i].retained);
	free(t);
	return r;
}

/* Whether len more bytes fit in the vault's entries kept beyond a gap. */
static int ahead_room(struct tx *t, size_t len)
{
	sqlite3_stmt *st = stmt(t, "SELECT ifnull(sum(length(msg)), 0) FROM ahead WHERE vault=?",
				"t", t->s.vault);
	int room = st && sqlite3_step(st) == SQLITE_ROW &&
		   sqlite3_column_int64(st, 0) + (int64_t)len <= AHEAD_BYTES;
	sqlite3_finalize(st);
	return room;
}

/* One ledger message: accepted, an alarm, or kept ahead of a gap (within
 * AHEAD_MAX seqs and AHEAD_BYTES; beyond that it comes again by backfill). */
static void ledger_one(struct tx *t, const char *msg, size_t len)
{
	cJSON *root = NULL;
	struct vault_entry e;
	int omitted = 0;
	const char *why;
	if (parse_entry(msg, len, &root, &e, &omitted, &why) < 0)
		alarm(t, "MALFORMED", e.seq, "a ledger message: %s", why);
	else if (entry(t, &e, omitted) == 1 && e.seq <= t->s.received + AHEAD_MAX &&
		 ahead_room(t, len))
		run(t, stmt(t, "INSERT OR IGNORE INTO ahead VALUES(?,?,?)", "tiB", t->s.vault,
			    e.seq, msg, len));
	cJSON_Delete(root);
}

static int ledger_msg(struct tx *t, const char *msg, size_t len)
{
	ledger_one(t, msg, len);
	/* vaultd publishes its new entries (its record of a backfill command
	 * among them) before those it republishes: entries kept ahead of a gap
	 * are linked, in order, once it is filled. */
	for (int64_t at = -1; !t->failed && at != t->s.received;) {
		at = t->s.received;
		sqlite3_stmt *st = stmt(t, "SELECT msg FROM ahead WHERE vault=? AND seq=?", "ti",
					t->s.vault, at + 1);
		size_t n = st && sqlite3_step(st) == SQLITE_ROW ? (size_t)sqlite3_column_bytes(st, 0) : 0;
		char *m = n ? malloc(n) : NULL;
		if (m)
			memcpy(m, sqlite3_column_blob(st, 0), n);
		sqlite3_finalize(st);
		run(t, stmt(t, "DELETE FROM ahead WHERE vault=? AND seq<=?", "ti", t->s.vault, at + 1));
		if (m)
			ledger_one(t, m, n);
		free(m);
	}
	return 0;
}

static int checkpoint_msg(struct tx *t, const char *msg, size_t len)
{
	char text[CKPT_TEXT_MAX];
	struct vault_checkpoint c;
	const char *why = "too long or holds a NUL";
	if (len < sizeof text && !memchr(msg, 0, len)) {
		memcpy(text, msg, len);
		text[len] = 0;
		why = NULL;
	}
	if (why || vault_checkpoint_parse(text, &c, &why) < 0)
		alarm(t, "MALFORMED", 0, "a checkpoint message: %s", why);
	else
		checkpoint(t, &c, text, 0);
	return 0;
}

static int tip_msg(struct tx *t, const char *msg, size_t len)
{
	static const char *const keys[] = {"seq", "hash", NULL};
	struct span sp[2] = {{0}};
	cJSON *o = len <= 1024 ? cJSON_ParseWithLength(msg, len) : NULL;
	int64_t seq = -1;
	uint8_t h[32];
	const char *why = NULL;
	if (!cJSON_IsObject(o) || members(msg, len, keys, sp) < 0)
		why = "not one JSON object of at most 1 KiB, each member once";
	else if (span_i64(msg, sp[0], &seq) < 0 || seq < 0)
		why = "seq is not an integer >= 0";
	else if (hash_item(o, "hash", h) < 0)
		why = "hash is not 64 hex digits";
	if (why) {
		alarm(t, "MALFORMED", 0, "a tip message is not {\"seq\":N,\"hash\":HEX}: %s", why);
	} else if (seq > t->s.received) {
		beyond(t, seq);
	} else if (seq > 0) {
		uint8_t mine[32];
		char a[65], b[65];
		if (held(t, seq, mine) == 0 && memcmp(mine, h, 32))
			alarm(t, "FORK", seq, "the tip names hash %s for entry %lld, the one "
			      "accepted has %s", hex32(h, a), (long long)seq, hex32(mine, b));
	}
	cJSON_Delete(o);
	return 0;
}

int verifier_on_ledger(struct verifier *v, const char *vault, const char *msg, size_t len)
{
	return handle(v, vault, ledger_msg, msg, len);
}

int verifier_on_checkpoint(struct verifier *v, const char *vault, const char *msg, size_t len)
{
	return handle(v, vault, checkpoint_msg, msg, len);
}

int verifier_on_tip(struct verifier *v, const char *vault, const char *msg, size_t len)
{
	return handle(v, vault, tip_msg, msg, len);
}

static int tick(struct tx *t, const char *msg, size_t len)
{
	backfill(t);
	return 0;
}

int verifier_tick(struct verifier *v, int (*want)(void *ud, const char *vault), void *ud)
{
	/* One vault at a time, by name, each in its own transaction. */
	char name[NAME_LEN] = "";
	int r = 0;
	for (;;) {
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(v->db, "SELECT vault FROM vault WHERE horizon > received AND "
				       "vault > ? ORDER BY vault LIMIT 1", -1, &st, NULL) != SQLITE_OK)
			return -EIO;
		sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			text_col(st, 0, name, sizeof name);
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW || !name[0])
			return rc == SQLITE_DONE ? r : -EIO;
		if (want && !want(ud, name))
			continue;
		int e = handle(v, name, tick, NULL, 0);
		r = r ? r : e;
	}
}

static int pin(struct tx *t, const char *pk, size_t len)
{
	if (t->s.pinned)
		return memcmp(t->s.pk, pk, 32) ? -EKEYREJECTED : 0;
	memcpy(t->s.pk, pk, 32);
	t->s.pinned = 1;
	return 0;
}

int verifier_pin(struct verifier *v, const char *vault, const uint8_t pk[32])
{
	return handle(v, vault, pin, (const char *)pk, 32);
}

/* Columns added since the first schema. */
/* Columns added since the first state databases: SQL that reads them, and
 * the ALTERs that add them to a database without. */
static const struct {
	const char *probe, *add;
} added[] = {
    {"SELECT doubt, quiet FROM vault",
     "ALTER TABLE vault ADD COLUMN doubt INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE vault ADD COLUMN quiet INTEGER NOT NULL DEFAULT 0"},
    {"SELECT acked_ts, acked_by, ack_note FROM alarm",
     "ALTER TABLE alarm ADD COLUMN acked_ts INTEGER;"
     "ALTER TABLE alarm ADD COLUMN acked_by TEXT;"
     "ALTER TABLE alarm ADD COLUMN ack_note TEXT"},
};

static int migrate(sqlite3 *db)
{
	for (size_t i = 0; i < sizeof added / sizeof added[0]; i++) {
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(db, added[i].probe, -1, &st, NULL) == SQLITE_OK)
			sqlite3_finalize(st);
		else if (exec(db, added[i].add) < 0)
			return -EIO;
	}
	return 0;
}

int verifier_open(const char *path, const char *root, const uint8_t sk[64],
		  const struct verifier_ops *ops, struct verifier **ret, const char **err)
{
	static char why[256];
	const char *e = NULL;
	if (!err)
		err = &e;
	size_t rl = strlen(root);
	if (!rl || rl >= ROOT_LEN || root[rl - 1] == '/' || !printable(root, "+#")) {
		*err = "the topic root: printable ASCII, no wildcards (+ #), no trailing /, "
		       "shorter than 128";
		return -EINVAL;
	}
	struct verifier *v = calloc(1, sizeof *v);
	if (!v || sodium_init() < 0) {
		free(v);
		*err = "out of memory or libsodium failed";
		return -ENOMEM;
	}
	memcpy(v->sk, sk, 64);
	memcpy(v->root, root, rl + 1);
	v->ops = *ops;
	int rc = sqlite3_open_v2(path, &v->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				 SQLITE_OPEN_NOMUTEX, NULL);
	/* Every accepted entry survives a crash: WAL with a sync per commit. */
	if (rc != SQLITE_OK || exec(v->db, "PRAGMA journal_mode=WAL") < 0 ||
	    exec(v->db, "PRAGMA synchronous=FULL") < 0 || sqlite3_busy_timeout(v->db, 5000) ||
	    exec(v->db, schema) < 0 || migrate(v->db) < 0) {
		snprintf(why, sizeof why, "%s: %s", path, v->db ? sqlite3_errmsg(v->db) : "no memory");
		*err = why;
		verifier_close(v);
		return -EIO;
	}
	*ret = v;
	return 0;
}

void verifier_close(struct verifier *v)
{
	if (!v)
		return;
	sqlite3_close_v2(v->db);
	sodium_memzero(v->sk, sizeof v->sk);
	free(v);
}

/* The reason a read of the state database failed, in why. */
static void read_failed(sqlite3 *db, const char *path, char *why, size_t n)
{
	const char *m = db ? sqlite3_errmsg(db) : "no memory";
	if (!strncmp(m, "no such column: ack", 19))
		snprintf(why, n,
			 "%s: the state database is from an older vault-verifier: "
			 "`vault-verifier run` adds what it lacks when it starts",
			 path);
	else
		snprintf(why, n, "%s: %s", path, m);
}

/* Open the state database at path read-only into *db and print each row of
 * SQL (one text column; ARG bound to its parameter, if it has one) as a line.
 * SQLITE_DONE, or the error. */
static int print_lines(const char *path, const char *sql, int arg, FILE *out, sqlite3 **db)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(*db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_bind_parameter_count(st))
		sqlite3_bind_int(st, 1, arg);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		fprintf(out, "%s\n", sqlite3_column_text(st, 0));
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* The end of a read: the reason in *err (if not NULL) when rc is not
 * SQLITE_DONE; closes db. 0 or -EIO. */
static int read_done(sqlite3 *db, int rc, const char *path, const char **err)
{
	static char why[256];
	if (rc != SQLITE_DONE) {
		read_failed(db, path, why, sizeof why);
		if (err)
			*err = why;
	}
	sqlite3_close(db);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int verifier_status(const char *path, FILE *out, int64_t since_us, int64_t *ret_alarms,
		    const char **err)
{
	sqlite3 *db = NULL;
	int rc = print_lines(
	    path,
	    "WITH n(vault) AS (SELECT vault FROM vault UNION SELECT vault FROM alarm) "
	    "SELECT json_object('vault', n.vault, 'name', v.name, 'received', "
	    "ifnull(v.received, 0), 'verified', ifnull(v.verified, 0), 'pubkey', "
	    "nullif(lower(hex(v.pubkey)), ''), 'unseen', (SELECT count(*) FROM entry e "
	    "WHERE e.vault=n.vault AND e.unseen), 'alarms', (SELECT count(*) FROM alarm a "
	    "WHERE a.vault=n.vault), 'unacknowledged', (SELECT count(*) FROM alarm a "
	    "WHERE a.vault=n.vault AND acked_ts IS NULL), 'last_alarm', "
	    "json((SELECT json_object('id', id, 'time', ts / 1000000, 'code', code, "
	    "'seq', seq, 'text', text, 'acknowledged', acked_ts IS NOT NULL) FROM "
	    "alarm a WHERE a.vault=n.vault ORDER BY id DESC LIMIT 1))) "
	    "FROM n LEFT JOIN vault v ON v.vault=n.vault ORDER BY n.vault",
	    0, out, &db);
	if (rc == SQLITE_DONE && ret_alarms) { /* unacknowledged, raised since since_us */
		sqlite3_stmt *st = NULL;
		rc = sqlite3_prepare_v2(
		    db, "SELECT count(*) FROM alarm WHERE ts >= ? AND acked_ts IS NULL", -1,
		    &st, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, since_us);
			rc = sqlite3_step(st);
		}
		if (rc == SQLITE_ROW) {
			*ret_alarms = sqlite3_column_int64(st, 0);
			rc = SQLITE_DONE;
		}
		sqlite3_finalize(st);
	}
	return read_done(db, rc, path, err);
}

int verifier_alarms(const char *path, FILE *out, int all, const char **err)
{
	sqlite3 *db = NULL;
	int rc =
	    print_lines(path,
			"SELECT json_object('id', id, 'vault', vault, 'time', ts / 1000000, "
			"'code', code, 'seq', seq, 'text', text, 'acknowledged', "
			"acked_ts / 1000000, 'by', acked_by, 'note', ack_note) FROM alarm "
			"WHERE ? OR acked_ts IS NULL ORDER BY id",
			all, out, &db);
	return read_done(db, rc, path, err);
}

int verifier_ack(const char *path, int64_t id, const char *vault, const char *by,
		 const char *note, int64_t *ret_n, const char **err)
{
	static char why[256];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int r = -EIO;
	*ret_n = 0;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
	/* `run` may hold the database: wait for its write lock. */
	if (rc != SQLITE_OK || sqlite3_busy_timeout(db, 5000) ||
	    exec(db, "PRAGMA synchronous=FULL") < 0 || migrate(db) < 0 ||
	    sqlite3_prepare_v2(db,
			       "UPDATE alarm SET acked_ts=?1, acked_by=?2, ack_note=?3 WHERE "
			       "acked_ts IS NULL AND (id=?4 OR (?4=0 AND vault=?5))",
			       -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, vault_now_utc_us());
	sqlite3_bind_text(st, 2, by, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, note ? note : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, id);
	sqlite3_bind_text(st, 5, vault ? vault : "", -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto out;
	*ret_n = sqlite3_changes(db);
	r = 0;
	if (*ret_n || !id)
		goto out;
	/* One alarm asked for and none changed: unknown, or acknowledged before. */
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM alarm WHERE id=?", -1, &st, NULL) !=
	    SQLITE_OK)
		r = -EIO;
	else {
		sqlite3_bind_int64(st, 1, id);
		rc = sqlite3_step(st);
		r = rc == SQLITE_ROW ? -EALREADY : rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
out:
	if (r == -EIO) {
		snprintf(why, sizeof why, "%s: %s", path,
			 db ? sqlite3_errmsg(db) : "no memory");
		if (err)
			*err = why;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return r;
}
