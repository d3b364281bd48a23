/* SPDX-License-Identifier: MIT */
/*
 * The MQTT publisher (controller/mqtt.h). Paho C's asynchronous client runs its
 * own threads. Its callbacks never read or write publisher or vaultd state:
 * each one fills in a message it was handed (or allocates one) and posts it
 * to the loop with vault_loop_post(). The loop thread owns everything else.
 *
 * Connections are clean sessions without Paho persistence: after a lost
 * connection nothing Paho held matters, because the loop republishes from
 * the durable cursor. A generation number, bumped on every reset, makes late
 * acknowledgements from an earlier connection harmless.
 *
 * Signed checkpoints (table checkpoint) go out on <prefix>/checkpoint,
 * retained, as the exported checkpoint text (vault_checkpoint_format), in seq
 * order, one in flight, and only once the entry a checkpoint covers is
 * acknowledged (its seq <= the cursor): a consumer never holds a checkpoint
 * for an entry it cannot have. Their durable position is a second column of
 * the cursor row (mqtt_cursor.checkpoint_seq, migration 0005): every
 * checkpoint with seq <= it has been acknowledged. It advances only on the
 * broker's acknowledgement of that checkpoint, is written in the same UPDATE
 * (and the same MQTT_SAVE_US batch) as the cursor, and is never past it.
 * After an outage or a restart (SIGKILL too) the next checkpoint published is
 * the first one after it, so none is skipped; one may be published twice.
 * Checkpoints are made in increasing seq order (always at the ledger tip), so
 * none can appear behind the position. Each new connection first republishes
 * the latest acknowledged checkpoint, as the tip is, in case the broker lost
 * its retained messages.
 *
 * The central verifier (docs/verifier.md; [mqtt] verifier_key set): vaultd
 * subscribes to <prefix>/verified and <prefix>/command and accepts only
 * signed texts (vault/signedtext.h) from the pinned key. A verified text whose
 * hash is this ledger's hash at its seq moves mqtt_cursor.verified_seq (saved
 * with the cursor); another hash is the alarm mqtt.verifier_mismatch. A
 * backfill command republishes entries on <prefix>/ledger beside the normal
 * publishing (rp_*), never moving the cursor, and is ledgered; its id is
 * saved before anything else, so that a replay is refused even after a crash.
 * A refused command changes nothing; it is logged each time and ledgered at
 * most once a minute.
 */
#include "mqtt.h"

#include <MQTTAsync.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vault/db.h"
#include "vault/reports.h"
#include "vault/signedtext.h"
#include "vault/util.h"
#include "vaultd.h"

#define MQTT_BATCH 32
/* Largest message we publish; a bigger entry goes out without its payload
 * (the entry stays in the ledger, consumers can fetch it another way). */
#define MQTT_MAX_MSG (256 * 1024)
#define MQTT_TOPIC_MAX 256
/* Acknowledgements are folded into one durable cursor write (and one tip
 * publish) per this interval: a commit per PUBACK would cost an fsync each on
 * an SD card while draining a backlog. A crash loses at most this much
 * progress, which is only republished. */
#define MQTT_SAVE_US 100000

enum msg_type {
	M_CONNECTED,
	M_CONNECT_FAILED,
	M_LOST,
	M_ACK,
	M_NACK,
	M_ARRIVED,    /* a message on <prefix>/command or /verified */
	M_SUBSCRIBED, /* to those two */
	M_SUB_FAILED,
	M_DROPPED, /* inbound messages were dropped (the first since the last report) */
};

enum { IN_COMMAND = 1, IN_VERIFIED };

/* A message from a Paho thread to the loop. Allocated by the loop thread
 * (for publishes and connects, filled before Paho sees it) or by the
 * connection-lost callback; freed by the loop. `m` is only dereferenced on
 * the loop thread. */
struct mqtt_msg {
	struct vault_loop *loop;
	struct mqtt *m;
	enum msg_type type;
	unsigned gen;
	int64_t seq;
	int ckpt; /* a checkpoint's publish; seq is the checkpoint's */
	int replay; /* a backfill's publish */
	int code;
	int in;	    /* M_ARRIVED: IN_COMMAND or IN_VERIFIED */
	size_t len; /* M_ARRIVED: bytes in data (VAULT_SIGNED_MAX + 1: too long) */
	char data[];
};

struct slot {
	int64_t seq;
	int pending; /* publishes not yet acknowledged (2 for alarms) */
	uint8_t hash[VAULT_HASH_LEN];
};

/* Inbound messages (the verifier's topics) posted to the loop: at most
 * MQTT_IN_PER_S a second, the rest dropped on Paho's thread and counted, so
 * that a flood on the broker cannot queue work without bound on the loop
 * that decides at the door (each text costs an Ed25519 check there). The
 * verifier sends a few a minute. */
#define MQTT_IN_PER_S 20
/* A command's `time` must be within this of vaultd's clock: an old signed
 * command replayed into a database restored from before it (its id then
 * new again) is refused. */
#define MQTT_COMMAND_AGE_S 600

/* The context of the connection-lost and message-arrived callbacks: immutable
 * after mqtt_start but for the atomic inbound counters. */
struct link {
	struct vault_loop *loop;
	struct mqtt *m;
	char t_cmd[MQTT_TOPIC_MAX], t_verified[MQTT_TOPIC_MAX];
	atomic_llong in_second; /* the second in_used counts (monotonic) */
	atomic_int in_used, in_dropped;
	/* The connect request in progress, numbered by the loop before it asks
	 * Paho (see on_connect_ok). */
	atomic_uint attempt;
};

/* At most once per `every_us`: the first event of a window is acted on, the
 * others counted (quiet) and reported with the next one acted on. */
struct ratelimit {
	int64_t at;
	int quiet;
};

static int ratelimit_take(struct ratelimit *r, int64_t every_us)
{
	int64_t now = vault_now_mono_us();
	if (r->at && now - r->at < every_us) {
		r->quiet++;
		return 0;
	}
	r->at = now;
	return 1;
}

struct mqtt {
	struct vaultd *d;
	struct link link;
	MQTTAsync client;
	int created;
	char client_id[160];
	char t_ledger[MQTT_TOPIC_MAX], t_alarm[MQTT_TOPIC_MAX];
	char t_state[MQTT_TOPIC_MAX], t_tip[MQTT_TOPIC_MAX], t_ckpt[MQTT_TOPIC_MAX];
	int qos;
	int connected, connecting;
	unsigned gen;
	int64_t cursor; /* every entry <= cursor is acknowledged (durable) */
	uint8_t cursor_hash[VAULT_HASH_LEN];
	int64_t next; /* next seq to publish */
	struct slot fl[MQTT_BATCH];
	int nfl;
	uint64_t pump_timer, retry_timer, stall_timer, save_timer;
	int64_t saved; /* the cursor as last written to the database */
	int64_t stall_cursor; /* the cursor at the previous stall check */
	unsigned stall_attempt; /* link.attempt at the previous stall check */
	/* Every checkpoint with seq <= ckpt is acknowledged (durable as
	 * mqtt_cursor.checkpoint_seq); ckpt <= cursor. */
	int64_t ckpt, ckpt_saved, stall_ckpt;
	int64_t ckpt_fl; /* the checkpoint in flight (seq), 0 if none */
	int ckpt_resend; /* a new connection: republish checkpoint `ckpt` first */
	/* The seq of the checkpoint after the one to publish next as last looked
	 * up (INT64_MAX: none), so that an acknowledgement costs no query; 0:
	 * look it up again (a new entry or checkpoint, a new position). */
	int64_t ckpt_due;
	sqlite3_stmt *read, *save;
	/* The central verifier: none unless vkey_set. */
	int vkey_set, subscribed, subscribing;
	uint8_t vkey[VAULT_SIGN_PK_LEN];
	int64_t verified, verified_utc, verified_saved; /* mqtt_cursor.verified_* */
	int64_t command_id;   /* the last accepted command's id (durable) */
	char prefix[MQTT_TOPIC_MAX]; /* named in every text the verifier signs */
	unsigned sub_gen;	      /* connections: a subscription's outcome is for one */
	struct ratelimit mismatch, refused, dropped;
	/* A backfill in progress: rp_next..rp_end still to publish, rp_fl in
	 * flight. A reset abandons it (the verifier asks again). */
	int64_t rp_next, rp_end;
	int rp_fl;
	int64_t rp_stall; /* rp_next at the previous stall check */
};

static void on_msg(struct vault_loop *l, void *p, int quitting);

/* ---- Paho threads: post and nothing else ---- */

static void post(struct mqtt_msg *x)
{
	if (vault_loop_post(x->loop, on_msg, x) < 0)
		free(x); /* the stall check republishes whatever this was */
}

/* A request's outcome: ctx is the message the loop allocated for it. */
static void post_as(void *ctx, enum msg_type type, const MQTTAsync_failureData *fail)
{
	struct mqtt_msg *x = ctx;
	x->type = type;
	x->code = fail ? fail->code : 0;
	post(x);
}

/* A message of the link's own (a connect's outcome, a lost connection,
 * dropped inbound messages), allocated here: stamped with the connect attempt
 * in progress. A failed allocation loses it; the stall check notices what it
 * would have said. */
static void post_link(const struct link *k, enum msg_type type, int code)
{
	struct mqtt_msg *x = calloc(1, sizeof *x);
	if (!x)
		return;
	x->loop = k->loop;
	x->m = k->m;
	x->type = type;
	x->gen = atomic_load(&k->attempt);
	x->code = code;
	post(x);
}

/* A connect's outcome. Paho 1.3.12 (Debian 12) can call a connect's
 * onFailure twice with the same context (once from the command that failed,
 * again from the connect it kept for its retry: eclipse-paho/paho.mqtt.c
 * #1341), so a connect's context is the link, which outlives the client,
 * never memory the loop frees: each call posts a message of its own, and the
 * loop ignores a failure that comes when no attempt is in progress or after
 * another began. */
static void on_connect_ok(void *ctx, MQTTAsync_successData *r)
{
	(void)r;
	post_link(ctx, M_CONNECTED, 0);
}

static void on_connect_fail(void *ctx, MQTTAsync_failureData *r)
{
	post_link(ctx, M_CONNECT_FAILED, r ? r->code : 0);
}

static void on_pub_ok(void *ctx, MQTTAsync_successData *r)
{
	(void)r;
	post_as(ctx, M_ACK, NULL);
}

static void on_pub_fail(void *ctx, MQTTAsync_failureData *r)
{
	post_as(ctx, M_NACK, r);
}

static void on_sub_ok(void *ctx, MQTTAsync_successData *r)
{
	(void)r;
	post_as(ctx, M_SUBSCRIBED, NULL);
}

static void on_sub_fail(void *ctx, MQTTAsync_failureData *r)
{
	post_as(ctx, M_SUB_FAILED, r);
}

static void on_lost(void *ctx, char *cause)
{
	(void)cause;
	post_link(ctx, M_LOST, 0);
}

/* Only the verifier's two topics are subscribed to. The payload is copied
 * (at most VAULT_SIGNED_MAX + 1 bytes: anything longer is refused anyway). */
static int on_arrived(void *ctx, char *topic, int len, MQTTAsync_message *msg)
{
	(void)len;
	const struct link *k = ctx;
	int in = !strcmp(topic, k->t_cmd) ? IN_COMMAND : !strcmp(topic, k->t_verified) ? IN_VERIFIED : 0;
	size_t n = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;
	if (n > VAULT_SIGNED_MAX)
		n = VAULT_SIGNED_MAX + 1;
	if (in) {
		struct link *w = ctx; /* only the atomics are written */
		long long sec = vault_now_mono_us() / 1000000;
		if (atomic_exchange(&w->in_second, sec) != sec)
			atomic_store(&w->in_used, 0);
		if (atomic_fetch_add(&w->in_used, 1) >= MQTT_IN_PER_S) {
			in = 0;
			/* The first drop since the loop last reported them tells the
			 * loop (one message, not one per drop). */
			if (atomic_fetch_add(&w->in_dropped, 1) == 0)
				post_link(k, M_DROPPED, 0);
		}
	}
	struct mqtt_msg *x = in ? calloc(1, sizeof *x + n + 1) : NULL;
	if (x) {
		x->loop = k->loop;
		x->m = k->m;
		x->type = M_ARRIVED;
		x->in = in;
		x->len = n;
		if (n)
			memcpy(x->data, msg->payload, n);
		post(x);
	}
	MQTTAsync_freeMessage(&msg);
	MQTTAsync_free(topic);
	return 1;
}

/* ---- loop thread ---- */

static struct mqtt_msg *new_msg(struct mqtt *m, int64_t seq)
{
	struct mqtt_msg *x = calloc(1, sizeof *x);
	if (x) {
		x->loop = m->d->loop;
		x->m = m;
		x->gen = m->gen;
		x->seq = seq;
	}
	return x;
}

static int publish(struct mqtt *m, const char *topic, const char *buf, size_t len, int retained,
		   struct mqtt_msg *ctx)
{
	if (len > MQTT_MAX_MSG)
		return -EMSGSIZE;
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	if (ctx) {
		ro.onSuccess = on_pub_ok;
		ro.onFailure = on_pub_fail;
		ro.context = ctx;
	}
	/* Paho copies the payload. */
	int rc = MQTTAsync_send(m->client, topic, (int)len, buf, m->qos, retained, &ro);
	if (rc != MQTTASYNC_SUCCESS) {
		vault_log(LOG_DEBUG, "mqtt", "publish on %s refused by Paho (%d)", topic, rc);
		return -EIO;
	}
	return 0;
}

static int is_alarm(const char *kind)
{
	return vault_alarm_kind(kind) != NULL; /* the one list, in reports.c */
}

static void iso_time(int64_t us, char *buf, size_t size)
{
	time_t s = (time_t)(us / 1000000);
	struct tm tm;
	gmtime_r(&s, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(us % 1000000));
}

static const char *col(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	return t ? t : "";
}

/* cJSON prints large doubles in exponent form: print 64-bit integers exactly. */
static void add_int(cJSON *o, const char *name, int64_t v)
{
	char buf[24];
	snprintf(buf, sizeof buf, "%lld", (long long)v);
	cJSON_AddRawToObject(o, name, buf);
}

/* The JSON of the current row of m->read. Returns a malloc'd string or NULL. */
static char *entry_json(sqlite3_stmt *st, int64_t seq, int omit_payload)
{
	char tbuf[64], hex[2 * VAULT_HASH_LEN + 1];
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	add_int(o, "seq", seq);
	iso_time(sqlite3_column_int64(st, 1), tbuf, sizeof tbuf);
	cJSON_AddStringToObject(o, "time", tbuf);
	/* The exact integers the entry hash covers. */
	add_int(o, "ts_utc", sqlite3_column_int64(st, 1));
	add_int(o, "ts_mono", sqlite3_column_int64(st, 2));
	cJSON_AddStringToObject(o, "kind", col(st, 3));
	cJSON_AddStringToObject(o, "actors", col(st, 4));
	cJSON_AddStringToObject(o, "medium", col(st, 5));
	cJSON_AddStringToObject(o, "approval", col(st, 6));
	cJSON_AddStringToObject(o, "cites", col(st, 7));
	const char *pl = sqlite3_column_blob(st, 8);
	int pln = sqlite3_column_bytes(st, 8);
	cJSON *p = NULL;
	if (omit_payload) {
		cJSON_AddBoolToObject(o, "payload_omitted", 1);
	} else if (pl && pln > 0) {
		/* The stored bytes verbatim (the entry hash covers them, so a
		 * consumer can re-check it); parsed first only to be sure they
		 * are one JSON value and cannot break the message. */
		cJSON *check = cJSON_ParseWithLength(pl, (size_t)pln);
		char *raw = check ? malloc((size_t)pln + 1) : NULL;
		if (raw) {
			memcpy(raw, pl, (size_t)pln);
			raw[pln] = 0;
			p = cJSON_CreateRaw(raw);
			free(raw);
		}
		cJSON_Delete(check);
	}
	cJSON_AddItemToObject(o, "payload", p ? p : cJSON_CreateObject());
	const void *h;
	h = sqlite3_column_blob(st, 9);
	if (h && sqlite3_column_bytes(st, 9) == VAULT_HASH_LEN) {
		vault_hex(h, VAULT_HASH_LEN, hex);
		cJSON_AddStringToObject(o, "prev_hash", hex);
	}
	h = sqlite3_column_blob(st, 10);
	if (h && sqlite3_column_bytes(st, 10) == VAULT_HASH_LEN) {
		vault_hex(h, VAULT_HASH_LEN, hex);
		cJSON_AddStringToObject(o, "hash", hex);
	}
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static void arm_retry(struct mqtt *m, int64_t delay_us);
static void subscribe(struct mqtt *m);
static void report_drops(struct mqtt *m);

/* Forget what is in flight and republish from the cursor. */
static void reset(struct mqtt *m)
{
	m->gen++;
	m->nfl = 0;
	m->next = m->cursor + 1;
	m->ckpt_fl = 0;
	m->rp_fl = 0;
	m->rp_next = m->rp_end + 1;
}

static void publish_tip(struct mqtt *m)
{
	char hex[2 * VAULT_HASH_LEN + 1], buf[160];
	vault_hex(m->cursor_hash, VAULT_HASH_LEN, hex);
	int n = snprintf(buf, sizeof buf, "{\"seq\":%lld,\"hash\":\"%s\"}", (long long)m->cursor,
			 hex);
	/* Fire and forget: the next advance or reconnect republishes it. */
	publish(m, m->t_tip, buf, (size_t)n, 1, NULL);
}

/* The JSON of the current row, without its payload if too large. */
static char *row_json(sqlite3_stmt *st, int64_t seq)
{
	char *js = entry_json(st, seq, 0);
	if (js && strlen(js) > MQTT_MAX_MSG) {
		vault_log(LOG_WARNING, "mqtt", "entry %lld (%s) is too large for MQTT: published "
			  "without its payload", (long long)seq, col(st, 3));
		free(js);
		js = entry_json(st, seq, 1);
	}
	return js;
}

/* Publish one entry (the current row). Returns 0 or -errno. */
static int publish_row(struct mqtt *m, sqlite3_stmt *st)
{
	int64_t seq = sqlite3_column_int64(st, 0);
	int alarm = is_alarm(col(st, 3));
	char *js = row_json(st, seq);
	if (!js)
		return -ENOMEM;
	struct slot *s = &m->fl[m->nfl];
	s->seq = seq;
	s->pending = 0;
	const void *h = sqlite3_column_blob(st, 10);
	memset(s->hash, 0, sizeof s->hash);
	if (h && sqlite3_column_bytes(st, 10) == VAULT_HASH_LEN)
		memcpy(s->hash, h, VAULT_HASH_LEN);
	int r = 0;
	for (int i = 0; i < 1 + alarm && r == 0; i++) {
		struct mqtt_msg *x = new_msg(m, seq);
		if (!x) {
			r = -ENOMEM;
			break;
		}
		r = publish(m, i ? m->t_alarm : m->t_ledger, js, strlen(js), 0, x);
		if (r < 0)
			free(x);
		else
			s->pending++;
	}
	free(js);
	/* The slot counts even if half-published: a failure resets everything. */
	m->nfl++;
	m->next = seq + 1;
	return r;
}

/* Publish the checkpoint after m->ckpt if its entry is acknowledged and no
 * checkpoint is in flight (one at a time keeps them in order across a reset).
 * Returns 0 or -errno. */
static int pump_ckpt(struct mqtt *m)
{
	if (m->ckpt_fl || (m->ckpt_due && m->ckpt_due > m->cursor))
		return 0;
	struct vault_checkpoint c;
	int64_t after = m->ckpt_resend && m->ckpt > 0 ? m->ckpt - 1 : m->ckpt;
	int r = vault_checkpoint_next(m->d->db, after, &c);
	m->ckpt_due = r == -ENODATA ? INT64_MAX : r == 0 ? c.seq : 0;
	if (r == -ENODATA || (r == 0 && c.seq > m->cursor))
		return 0; /* none, or its entry is not acknowledged yet */
	char buf[640];
	int n = r < 0 ? r : vault_checkpoint_format(&c, buf, sizeof buf);
	if (n < 0)
		return n;
	struct mqtt_msg *x = new_msg(m, c.seq);
	if (!x)
		return -ENOMEM;
	x->ckpt = 1;
	r = publish(m, m->t_ckpt, buf, (size_t)n, 1, x);
	if (r < 0) {
		free(x);
		return r;
	}
	m->ckpt_fl = c.seq;
	m->ckpt_resend = 0;
	m->ckpt_due = 0;
	return 0;
}

/* Republish the backfill's next entries, up to MQTT_BATCH in flight (on the
 * ledger topic only: alarm consumers had them). Returns 0 or -errno. */
static int pump_replay(struct mqtt *m)
{
	if (m->rp_next > m->rp_end || m->rp_fl >= MQTT_BATCH)
		return 0;
	int64_t want = m->rp_end - m->rp_next + 1;
	if (want > MQTT_BATCH - m->rp_fl)
		want = MQTT_BATCH - m->rp_fl;
	sqlite3_stmt *st = m->read;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, m->rp_next);
	sqlite3_bind_int64(st, 2, want);
	int r = 0;
	while (r == 0 && sqlite3_step(st) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(st, 0);
		char *js = row_json(st, seq);
		struct mqtt_msg *x = js ? new_msg(m, seq) : NULL;
		if (x) {
			x->replay = 1;
			r = publish(m, m->t_ledger, js, strlen(js), 0, x);
			if (r < 0)
				free(x);
			else
				m->rp_fl++;
		} else {
			r = -ENOMEM;
		}
		free(js);
		m->rp_next = seq + 1;
	}
	sqlite3_reset(st);
	if (r == 0 && m->rp_next > m->rp_end)
		vault_log(LOG_INFO, "mqtt", "backfill: republished up to seq %lld",
			  (long long)m->rp_end);
	return r;
}

/* Publish entries after m->next until MQTT_BATCH are in flight, then the
 * next checkpoint, then a backfill's entries. */
static void pump(struct mqtt *m)
{
	if (!m->connected || m->nfl >= MQTT_BATCH)
		return;
	sqlite3_stmt *st = m->read;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, m->next);
	sqlite3_bind_int(st, 2, MQTT_BATCH - m->nfl);
	int rc, r = 0;
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		r = publish_row(m, st);
	sqlite3_reset(st);
	if (r == 0)
		r = pump_ckpt(m);
	if (r == 0)
		r = pump_replay(m);
	if (r < 0) {
		vault_log(LOG_WARNING, "mqtt", "publishing failed (%s): retrying from seq %lld",
			  strerror(-r), (long long)m->cursor + 1);
		reset(m);
		arm_retry(m, 0);
	}
}

static void pump_cb(struct vault_loop *l, uint64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct mqtt *m = ud;
	m->pump_timer = 0;
	pump(m);
}

void mqtt_notify(struct mqtt *m)
{
	if (m)
		m->ckpt_due = 0; /* perhaps a new checkpoint */
	if (!m || !m->connected || m->pump_timer || m->nfl >= MQTT_BATCH)
		return;
	vault_loop_timer_in(m->d->loop, 0, pump_cb, m, &m->pump_timer);
}

static void do_connect(struct mqtt *m)
{
	if (m->connected || m->connecting)
		return;
	MQTTAsync_willOptions w = MQTTAsync_willOptions_initializer;
	w.topicName = m->t_state;
	w.message = "offline";
	w.retained = 1;
	w.qos = 1;
	MQTTAsync_connectOptions o = MQTTAsync_connectOptions_initializer;
	o.keepAliveInterval = m->d->cfg.mqtt_keepalive_s;
	o.cleansession = 1;
	o.connectTimeout = 5;
	o.automaticReconnect = 0; /* checked only every ~3 s in 1.3.12: we retry ourselves */
	/* 3.1.1 only: with the default, a refused connect is tried again as
	 * 3.1 inside Paho, a path that reports one failure twice. */
	o.MQTTVersion = MQTTVERSION_3_1_1;
	o.will = &w;
	o.onSuccess = on_connect_ok;
	o.onFailure = on_connect_fail;
	o.context = &m->link;
	atomic_fetch_add(&m->link.attempt, 1);
	int rc = MQTTAsync_connect(m->client, &o);
	if (rc != MQTTASYNC_SUCCESS) {
		vault_log(LOG_WARNING, "mqtt", "connect to %s refused by Paho (%d)",
			  m->d->cfg.mqtt_broker, rc);
		arm_retry(m, 0);
		return;
	}
	m->connecting = 1;
}

/* The retry timer: reconnect when disconnected; when connected, check that
 * the oldest entry in flight is not stuck (a lost callback) and pump. */
static void retry_cb(struct vault_loop *l, uint64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct mqtt *m = ud;
	m->retry_timer = 0;
	if (!m->connected)
		do_connect(m);
	else
		pump(m);
}

static void arm_retry(struct mqtt *m, int64_t delay_us)
{
	if (m->retry_timer)
		return;
	if (!delay_us)
		delay_us = (int64_t)m->d->cfg.mqtt_reconnect_ms * 1000;
	vault_loop_timer_in(m->d->loop, delay_us, retry_cb, m, &m->retry_timer);
}

/* Every 2 x keepalive: entries in flight with no acknowledgement since the
 * last check (a callback lost to memory pressure, a stuck session), or a
 * connection Paho has dropped without telling us, restart from the cursor. */
static void stall_cb(struct vault_loop *l, uint64_t id, void *ud)
{
	(void)id;
	struct mqtt *m = ud;
	m->stall_timer = 0;
	unsigned attempt = atomic_load(&m->link.attempt);
	if (m->connecting && attempt == m->stall_attempt) {
		/* Connecting for a whole interval (at least 10 s; Paho gives up
		 * after connectTimeout, 5 s): its outcome was lost. */
		vault_log(LOG_WARNING, "mqtt", "connect to %s: no outcome: trying again",
			  m->d->cfg.mqtt_broker);
		m->connecting = 0;
		arm_retry(m, 0);
	}
	m->stall_attempt = attempt;
	if (m->connected && !MQTTAsync_isConnected(m->client)) {
		m->connected = 0;
		reset(m);
		arm_retry(m, 0);
	} else if (m->connected && ((m->nfl > 0 && m->cursor == m->stall_cursor) ||
				    (m->ckpt_fl && m->ckpt == m->stall_ckpt))) {
		vault_log(LOG_WARNING, "mqtt", "no acknowledgement for seq %lld or checkpoint %lld: "
			  "republishing", (long long)m->cursor + 1, (long long)m->ckpt_fl);
		reset(m);
		pump(m);
	}
	if (m->rp_fl > 0 && m->rp_next == m->rp_stall) {
		/* A backfill with acknowledgements lost: abandoned (the verifier
		 * asks again), so that it cannot block the next one. */
		vault_log(LOG_WARNING, "mqtt", "backfill stalled at seq %lld: abandoned",
			  (long long)m->rp_next);
		m->rp_fl = 0;
		m->rp_next = m->rp_end + 1;
	}
	m->rp_stall = m->rp_next;
	report_drops(m);
	subscribe(m);
	m->stall_cursor = m->cursor;
	m->stall_ckpt = m->ckpt;
	vault_loop_timer_in(l, (int64_t)m->d->cfg.mqtt_keepalive_s * 2000000, stall_cb, m,
			    &m->stall_timer);
}

static void save_cursor(struct mqtt *m)
{
	if (m->cursor == m->saved && m->ckpt == m->ckpt_saved && m->verified == m->verified_saved)
		return;
	sqlite3_reset(m->save);
	sqlite3_bind_int64(m->save, 1, m->cursor);
	sqlite3_bind_int64(m->save, 2, m->ckpt);
	sqlite3_bind_int64(m->save, 3, m->verified);
	sqlite3_bind_int64(m->save, 4, m->verified_utc);
	int rc = sqlite3_step(m->save);
	sqlite3_reset(m->save);
	/* Not fatal: the cursor only saves republishing after a restart. */
	if (rc != SQLITE_DONE) {
		vault_log(LOG_ERR, "mqtt", "saving the cursor (seq %lld) failed: %s",
			  (long long)m->cursor, sqlite3_errmsg(m->d->db));
	} else {
		m->saved = m->cursor;
		m->ckpt_saved = m->ckpt;
		m->verified_saved = m->verified;
	}
}

static void save_cb(struct vault_loop *l, uint64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct mqtt *m = ud;
	m->save_timer = 0;
	save_cursor(m);
	if (m->connected)
		publish_tip(m);
}

static void schedule_save(struct mqtt *m)
{
	if (!m->save_timer)
		vault_loop_timer_in(m->d->loop, MQTT_SAVE_US, save_cb, m, &m->save_timer);
}

static void ckpt_acked(struct mqtt *m, int64_t seq)
{
	if (seq != m->ckpt_fl)
		return;
	m->ckpt_fl = 0;
	m->ckpt = seq;
	schedule_save(m);
	pump(m);
}

static void acked(struct mqtt *m, int64_t seq)
{
	for (int i = 0; i < m->nfl; i++)
		if (m->fl[i].seq == seq && m->fl[i].pending > 0)
			m->fl[i].pending--;
	int k = 0;
	while (k < m->nfl && m->fl[k].pending == 0)
		k++;
	if (!k)
		return;
	m->cursor = m->fl[k - 1].seq;
	memcpy(m->cursor_hash, m->fl[k - 1].hash, VAULT_HASH_LEN);
	memmove(m->fl, m->fl + k, (size_t)(m->nfl - k) * sizeof m->fl[0]);
	m->nfl -= k;
	schedule_save(m);
	pump(m);
}

/* ---- the central verifier (docs/verifier.md) ---- */

/* Subscribe to the verifier's topics on this connection (a clean session
 * holds no subscription across connections). */
static void subscribe(struct mqtt *m)
{
	if (!m->vkey_set || !m->connected || m->subscribed || m->subscribing)
		return;
	struct mqtt_msg *x = new_msg(m, 0);
	if (!x)
		return; /* the stall check tries again */
	x->gen = m->sub_gen; /* a reset of the publishing does not void it */
	char *topics[2] = {m->link.t_cmd, m->link.t_verified};
	int qos[2] = {1, 1};
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	ro.onSuccess = on_sub_ok;
	ro.onFailure = on_sub_fail;
	ro.context = x;
	int rc = MQTTAsync_subscribeMany(m->client, 2, topics, qos, &ro);
	if (rc != MQTTASYNC_SUCCESS) {
		free(x);
		vault_log(LOG_WARNING, "mqtt", "subscribing to %s refused by Paho (%d)",
			  m->link.t_cmd, rc);
		return;
	}
	m->subscribing = 1;
}

/* This ledger's hash at seq: 1, 0 if there is no such entry, -EIO. */
static int hash_at(struct mqtt *m, int64_t seq, uint8_t out[VAULT_HASH_LEN])
{
	sqlite3_stmt *st;
	if (vault_db_cached(m->d->db, "SELECT hash FROM ledger WHERE seq=?", &st) < 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, seq);
	int rc = sqlite3_step(st), r = 0;
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == VAULT_HASH_LEN) {
		memcpy(out, sqlite3_column_blob(st, 0), VAULT_HASH_LEN);
		r = 1;
	} else if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		r = -EIO;
	}
	vault_db_done(st);
	return r;
}

/* The text names this vault and its topic prefix (the verifier signs the
 * prefix it read the ledger from: a text made for another topic, even about
 * a copy of this vault's genesis published there, is refused). */
static const char *addressed(struct mqtt *m, const char *t, size_t n)
{
	char vault[128], prefix[MQTT_TOPIC_MAX];
	if (vault_signed_get(t, n, "vault", vault, sizeof vault) < 0 ||
	    vault_signed_get(t, n, "prefix", prefix, sizeof prefix) < 0)
		return "vault or prefix is missing";
	if (strcmp(vault, vault_ledger_vault_name(m->d->ledger)) || strcmp(prefix, m->prefix))
		return "it is about another vault or topic";
	return NULL;
}

static void on_verified(struct mqtt *m, const char *t, size_t n)
{
	const char *err = NULL;
	char hex[2 * VAULT_HASH_LEN + 1], ghex[2 * VAULT_HASH_LEN + 1];
	int64_t seq = 0;
	uint8_t h[VAULT_HASH_LEN], mine[VAULT_HASH_LEN], g[VAULT_HASH_LEN], g1[VAULT_HASH_LEN];
	int r = vault_signed_check(t, n, "vault-verified", m->vkey, &err);
	if (r == 0 && (vault_signed_get_i64(t, n, "seq", &seq) < 0 || seq < 1 ||
		       vault_signed_get(t, n, "hash", hex, sizeof hex) < 0 ||
		       vault_unhex(hex, h, sizeof h) < 0 ||
		       vault_signed_get(t, n, "genesis", ghex, sizeof ghex) < 0 ||
		       vault_unhex(ghex, g, sizeof g) < 0)) {
		r = -EBADMSG;
		err = "a field is missing or malformed";
	}
	if (r == 0 && (err = addressed(m, t, n)))
		r = -EBADMSG;
	if (r < 0) {
		vault_log(LOG_WARNING, "mqtt", "a message on %s was ignored: %s", m->link.t_verified,
			  err);
		return;
	}
	if (seq < m->verified)
		return; /* older news */
	int have = hash_at(m, seq, mine);
	if (have >= 0 && hash_at(m, 1, g1) == 1 && memcmp(g, g1, sizeof g))
		have = 0; /* another ledger at this prefix (its genesis): nothing matches */
	if (have < 0) {
		vault_log(LOG_ERR, "mqtt", "verified seq %lld: the ledger could not be read: %s",
			  (long long)seq, sqlite3_errmsg(m->d->db));
		return;
	}
	if (have && !memcmp(h, mine, sizeof h)) {
		if (seq > m->verified) {
			vault_log(LOG_INFO, "mqtt", "the verifier holds the ledger up to seq %lld",
				  (long long)seq);
			m->verified = seq;
			m->verified_utc = vault_now_utc_us();
			schedule_save(m);
		}
		return;
	}
	char mh[2 * VAULT_HASH_LEN + 1];
	vault_hex(mine, sizeof mine, mh);
	vault_log(LOG_ERR, "mqtt", "%s: seq %lld, the verifier's hash %s, this ledger's %s",
		  vault_reason_text(VAULT_R_VERIFIER_MISMATCH, "en"), (long long)seq, hex,
		  have ? mh : "(no such entry, or another genesis)");
	/* Ledgered at most once a minute: the same signed texts replayed in turn
	 * must not grow the ledger. */
	int quiet = m->mismatch.quiet;
	if (!ratelimit_take(&m->mismatch, 60 * 1000000LL))
		return;
	m->mismatch.quiet = 0;
	cJSON *p = cJSON_CreateObject();
	cJSON_AddNumberToObject(p, "not_ledgered_before", quiet);
	cJSON_AddStringToObject(p, "code", vault_reason_id(VAULT_R_VERIFIER_MISMATCH));
	cJSON_AddStringToObject(p, "text", vault_reason_text(VAULT_R_VERIFIER_MISMATCH, "en"));
	add_int(p, "seq", seq);
	cJSON_AddStringToObject(p, "verifier_hash", hex);
	if (have)
		cJSON_AddStringToObject(p, "ledger_hash", mh);
	else
		cJSON_AddNullToObject(p, "ledger_hash");
	cJSON_AddStringToObject(p, "signed", t);
	struct vault_record rec = {.kind = "mqtt.verifier_mismatch", .payload = p};
	vaultd_record(m->d, &rec, NULL);
	cJSON_Delete(p);
}

static void refuse_command(struct mqtt *m, enum vault_reason why, const char *err)
{
	vault_log(LOG_WARNING, "mqtt", "command on %s refused: %s (%s)", m->link.t_cmd,
		  vault_reason_id(why), err ? err : vault_reason_text(why, "en"));
	int quiet = m->refused.quiet;
	if (!ratelimit_take(&m->refused, 60 * 1000000LL))
		return; /* counted in the next entry */
	m->refused.quiet = 0;
	char detail[256];
	snprintf(detail, sizeof detail, "%s; %d more refused since the last such entry",
		 err ? err : vault_reason_text(why, "en"), quiet);
	vaultd_record_refusal(m->d, "mqtt.command", "", "command", why, detail, NULL);
}

static void on_command(struct mqtt *m, const char *t, size_t n)
{
	const char *err = NULL;
	enum vault_reason why = VAULT_R_OK;
	char verb[32];
	int64_t id = 0, from = 0, to = 0, when = 0;
	int64_t now_s = vault_now_utc_us() / 1000000;
	int r = vault_signed_check(t, n, "vault-command", m->vkey, &err);
	if (r == -EKEYREJECTED)
		why = VAULT_R_COMMAND_WRONG_KEY;
	else if (r == -EPERM)
		why = VAULT_R_COMMAND_BAD_SIGNATURE;
	else if (r < 0)
		why = VAULT_R_COMMAND_MALFORMED;
	else if (vault_signed_get_i64(t, n, "id", &id) < 0 ||
		 vault_signed_get_i64(t, n, "time", &when) < 0 ||
		 vault_signed_get(t, n, "verb", verb, sizeof verb) < 0)
		why = VAULT_R_COMMAND_MALFORMED, err = "id, time or verb is missing or malformed";
	else if ((err = addressed(m, t, n)))
		why = VAULT_R_COMMAND_WRONG_VAULT;
	else if (when < now_s - MQTT_COMMAND_AGE_S || when > now_s + MQTT_COMMAND_AGE_S)
		why = VAULT_R_COMMAND_STALE, err = NULL;
	else if (id <= m->command_id)
		why = VAULT_R_COMMAND_REPLAYED, err = NULL;
	else if (strcmp(verb, "backfill"))
		why = VAULT_R_COMMAND_UNKNOWN_VERB, err = NULL;
	else if (vault_signed_get_i64(t, n, "from", &from) < 0 ||
		 vault_signed_get_i64(t, n, "to", &to) < 0 || from < 1 || to < from)
		why = VAULT_R_COMMAND_MALFORMED, err = "backfill needs 1 <= from <= to";
	if (why != VAULT_R_OK) {
		refuse_command(m, why, err);
		return;
	}
	/* The id first: once a command has had an effect, its replay is refused,
	 * even after a crash. */
	sqlite3_stmt *st;
	int rc = SQLITE_ERROR;
	if (vault_db_cached(m->d->db, "UPDATE mqtt_cursor SET command_id=? WHERE id=1", &st) == 0) {
		sqlite3_bind_int64(st, 1, id);
		rc = sqlite3_step(st);
		vault_db_done(st);
	}
	if (rc != SQLITE_DONE) {
		vault_log(LOG_ERR, "mqtt", "command %lld not carried out: saving its id failed: %s",
			  (long long)id, sqlite3_errmsg(m->d->db));
		return;
	}
	m->command_id = id;
	int64_t end = to < m->cursor ? to : m->cursor;
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "verb", verb);
	add_int(p, "id", id);
	add_int(p, "from", from);
	add_int(p, "to", to);
	if (from <= end)
		add_int(p, "republish_to", end);
	else
		cJSON_AddNullToObject(p, "republish_to");
	cJSON_AddStringToObject(p, "signed", t);
	struct vault_record rec = {.kind = "mqtt.command", .payload = p};
	vaultd_record(m->d, &rec, NULL);
	cJSON_Delete(p);
	vault_log(LOG_INFO, "mqtt", "backfill %lld..%lld asked by the verifier (command %lld)",
		  (long long)from, (long long)to, (long long)id);
	if (from <= end) {
		m->rp_next = from;
		m->rp_end = end;
		pump(m);
	}
}

/* Inbound messages dropped by on_arrived: logged at most every 10 s. The
 * count is reset only when logged, so that on_arrived tells the loop again
 * only after a report. */
static void report_drops(struct mqtt *m)
{
	if (!atomic_load(&m->link.in_dropped) || !ratelimit_take(&m->dropped, 10 * 1000000LL))
		return;
	int dropped = atomic_exchange(&m->link.in_dropped, 0);
	vault_log(LOG_WARNING, "mqtt", "%d messages on %s or %s dropped: more than %d a second",
		  dropped, m->link.t_cmd, m->link.t_verified, MQTT_IN_PER_S);
}

static void on_arrival(struct mqtt *m, struct mqtt_msg *x)
{
	report_drops(m);
	/* Signed texts hold no NUL; one in the copy makes the check refuse it. */
	x->data[x->len] = 0;
	if (x->in == IN_VERIFIED)
		on_verified(m, x->data, x->len);
	else
		on_command(m, x->data, x->len);
}

static void on_msg(struct vault_loop *l, void *p, int quitting)
{
	(void)l;
	struct mqtt_msg *x = p;
	struct mqtt *m = x->m;
	if (quitting) {
		free(x);
		return;
	}
	switch (x->type) {
	case M_CONNECTED:
		/* Paho says connected, whichever attempt it was for (a late
		 * success after a failure reported early is still a connection:
		 * a loss of it is reported by on_lost). */
		if (m->connected)
			break;
		m->connecting = 0;
		m->connected = 1;
		reset(m);
		m->ckpt_resend = 1;
		m->ckpt_due = 0;
		vault_log(LOG_INFO, "mqtt", "connected to %s; publishing from seq %lld "
			  "(checkpoints after %lld)", m->d->cfg.mqtt_broker, (long long)m->next,
			  (long long)m->ckpt);
		publish(m, m->t_state, "online", 6, 1, NULL);
		if (m->cursor > 0)
			publish_tip(m);
		m->subscribed = m->subscribing = 0;
		m->sub_gen++;
		subscribe(m);
		pump(m);
		break;
	case M_CONNECT_FAILED:
		if (!m->connecting || x->gen != atomic_load(&m->link.attempt)) {
			vault_log(LOG_INFO, "mqtt",
				  "a connect failure reported again (%d): ignored", x->code);
			break;
		}
		m->connecting = 0;
		vault_log(LOG_DEBUG, "mqtt", "connect to %s failed (%d)", m->d->cfg.mqtt_broker,
			  x->code);
		arm_retry(m, 0);
		break;
	case M_LOST:
		if (m->connected)
			vault_log(LOG_WARNING, "mqtt", "connection to %s lost; entries after seq "
				  "%lld will be republished", m->d->cfg.mqtt_broker,
				  (long long)m->cursor);
		m->connected = 0;
		m->connecting = 0;
		m->subscribed = m->subscribing = 0;
		m->sub_gen++;
		reset(m);
		arm_retry(m, 0);
		break;
	case M_ACK:
		if (x->gen == m->gen && x->replay) {
			if (m->rp_fl > 0) /* 0 after an abandoned backfill */
				m->rp_fl--;
			pump(m);
		} else if (x->gen == m->gen && x->ckpt)
			ckpt_acked(m, x->seq);
		else if (x->gen == m->gen)
			acked(m, x->seq);
		break;
	case M_NACK:
		if (x->gen == m->gen) {
			vault_log(LOG_WARNING, "mqtt", "publishing %s %lld failed (%d)",
				  x->ckpt ? "checkpoint" : "seq", (long long)x->seq, x->code);
			reset(m);
			arm_retry(m, 0);
		}
		break;
	case M_ARRIVED:
		on_arrival(m, x);
		break;
	case M_DROPPED:
		report_drops(m);
		break;
	case M_SUBSCRIBED:
		if (x->gen == m->sub_gen && m->subscribing) {
			m->subscribing = 0;
			m->subscribed = 1;
			vault_log(LOG_INFO, "mqtt", "listening to the verifier on %s and %s",
				  m->link.t_verified, m->link.t_cmd);
		}
		break;
	case M_SUB_FAILED:
		if (x->gen == m->sub_gen && m->subscribing) {
			m->subscribing = 0; /* the stall check tries again */
			vault_log(LOG_WARNING, "mqtt", "subscribing to %s failed (%d)",
				  m->link.t_cmd, x->code);
		}
		break;
	}
	free(x);
}

static int read_cursor(struct mqtt *m)
{
	sqlite3 *db = m->d->db;
	sqlite3_stmt *st;
	struct vault_outbox o;
	if (vault_outbox_read(db, &o) < 0)
		return -EIO;
	int64_t tip = o.tip;
	m->cursor = o.published;
	m->ckpt = o.checkpoint;
	m->verified = o.verified;
	m->verified_utc = o.verified_utc;
	m->command_id = o.command_id;
	if (m->cursor > tip) {
		/* A database restored from an older copy: its new entries reuse seqs
		 * the broker has seen, so republish from its tip on. */
		vault_log(LOG_WARNING, "mqtt", "cursor %lld is past the ledger tip %lld",
			  (long long)m->cursor, (long long)tip);
		m->cursor = tip;
	}
	if (m->ckpt > m->cursor)
		m->ckpt = m->cursor; /* the same restore; a checkpoint follows its entry */
	if (m->cursor > 0) {
		if (sqlite3_prepare_v2(db, "SELECT hash FROM ledger WHERE seq=?", -1, &st, NULL) !=
		    SQLITE_OK)
			return -EIO;
		sqlite3_bind_int64(st, 1, m->cursor);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == VAULT_HASH_LEN)
			memcpy(m->cursor_hash, sqlite3_column_blob(st, 0), VAULT_HASH_LEN);
		sqlite3_finalize(st);
	}
	m->next = m->cursor + 1;
	m->saved = m->cursor;
	m->ckpt_saved = m->ckpt;
	m->verified_saved = m->verified;
	return 0;
}

static int topic(char *dst, const char *prefix, const char *leaf)
{
	int n = snprintf(dst, MQTT_TOPIC_MAX, "%s/%s", prefix, leaf);
	return n < 0 || n >= MQTT_TOPIC_MAX ? -ENAMETOOLONG : 0;
}

int mqtt_start(struct vaultd *d, struct mqtt **ret, char *err, size_t errlen)
{
	const struct vault_config *c = &d->cfg;
	*ret = NULL;
	if (!c->mqtt_enabled)
		return 0;
	char prefix[MQTT_TOPIC_MAX];
	if (c->mqtt_topic_prefix[0])
		snprintf(prefix, sizeof prefix, "%s", c->mqtt_topic_prefix);
	else
		snprintf(prefix, sizeof prefix, "vault/%s", c->name);
	if (strpbrk(prefix, "+#") || !prefix[0] || prefix[strlen(prefix) - 1] == '/') {
		snprintf(err, errlen, "[mqtt] topic_prefix '%s': no wildcards (+ #), no trailing /",
			 prefix);
		return -EINVAL;
	}
	struct mqtt *m = calloc(1, sizeof *m);
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	m->d = d;
	snprintf(m->prefix, sizeof m->prefix, "%s", prefix);
	m->rp_next = 1; /* no backfill: rp_next > rp_end */
	m->link.loop = d->loop;
	m->link.m = m;
	m->qos = c->mqtt_qos;
	snprintf(m->client_id, sizeof m->client_id, "%s",
		 c->mqtt_client_id[0] ? c->mqtt_client_id : c->name);
	int r = -EINVAL;
	if (c->mqtt_verifier_key[0]) {
		if (strlen(c->mqtt_verifier_key) != 2 * VAULT_SIGN_PK_LEN ||
		    vault_unhex(c->mqtt_verifier_key, m->vkey, sizeof m->vkey) < 0) {
			snprintf(err, errlen, "[mqtt] verifier_key: not an Ed25519 public key "
				 "(64 hex digits, from vault-verifier pubkey)");
			goto fail;
		}
		m->vkey_set = 1;
	}
	r = -ENAMETOOLONG;
	if (topic(m->t_ledger, prefix, "ledger") < 0 || topic(m->t_alarm, prefix, "alarm") < 0 ||
	    topic(m->t_state, prefix, "state") < 0 || topic(m->t_tip, prefix, "tip") < 0 ||
	    topic(m->t_ckpt, prefix, "checkpoint") < 0 || topic(m->link.t_cmd, prefix, "command") < 0 ||
	    topic(m->link.t_verified, prefix, "verified") < 0) {
		snprintf(err, errlen, "[mqtt] topic_prefix too long");
		goto fail;
	}
	r = -EIO;
	if (sqlite3_prepare_v2(d->db,
			       "SELECT seq, ts_utc, ts_mono, kind, actors, medium, approval, cites, "
			       "payload, prev_hash, hash FROM ledger WHERE seq >= ? ORDER BY seq "
			       "LIMIT ?",
			       -1, &m->read, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(d->db,
			       "UPDATE mqtt_cursor SET seq=?, checkpoint_seq=?, verified_seq=?, "
			       "verified_utc=? WHERE id=1",
			       -1, &m->save, NULL) != SQLITE_OK ||
	    read_cursor(m) < 0) {
		snprintf(err, errlen, "mqtt cursor: %s", sqlite3_errmsg(d->db));
		goto fail;
	}
	/* No Paho persistence: the ledger is the outbox. */
	int rc = MQTTAsync_create(&m->client, c->mqtt_broker, m->client_id,
				  MQTTCLIENT_PERSISTENCE_NONE, NULL);
	if (rc != MQTTASYNC_SUCCESS) {
		snprintf(err, errlen, "[mqtt] broker '%s': not usable by Paho (%d)", c->mqtt_broker,
			 rc);
		r = -EINVAL;
		goto fail;
	}
	m->created = 1;
	rc = MQTTAsync_setCallbacks(m->client, &m->link, on_lost, on_arrived, NULL);
	if (rc != MQTTASYNC_SUCCESS) {
		snprintf(err, errlen, "mqtt: setting callbacks failed (%d)", rc);
		goto fail;
	}
	vault_log(LOG_INFO, "mqtt", "publishing the ledger to %s as %s on %s (from seq %lld)",
		  c->mqtt_broker, m->client_id, m->t_ledger, (long long)m->next);
	m->stall_cursor = m->cursor;
	m->stall_ckpt = m->ckpt;
	m->stall_attempt = ~0u;
	vault_loop_timer_in(d->loop, (int64_t)c->mqtt_keepalive_s * 2000000, stall_cb, m,
			    &m->stall_timer);
	do_connect(m);
	*ret = m;
	return 0;
fail:
	mqtt_free(m);
	return r;
}

void mqtt_free(struct mqtt *m)
{
	if (!m)
		return;
	if (m->save_timer) {
		vault_loop_timer_cancel(m->d->loop, m->save_timer);
		save_cursor(m);
	}
	if (m->created) {
		if (m->connected) {
			/* A clean disconnect sends no will: say offline ourselves. */
			MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
			if (MQTTAsync_send(m->client, m->t_state, 7, "offline", 1, 1, &ro) ==
			    MQTTASYNC_SUCCESS)
				MQTTAsync_waitForCompletion(m->client, ro.token, 1000);
			MQTTAsync_disconnectOptions dopt = MQTTAsync_disconnectOptions_initializer;
			dopt.timeout = 200;
			MQTTAsync_disconnect(m->client, &dopt);
		}
		/* Callbacks still due are failed by Paho and posted to the loop, which
		 * frees them (quitting) without touching m. */
		MQTTAsync_destroy(&m->client);
	}
	if (m->pump_timer)
		vault_loop_timer_cancel(m->d->loop, m->pump_timer);
	if (m->retry_timer)
		vault_loop_timer_cancel(m->d->loop, m->retry_timer);
	if (m->stall_timer)
		vault_loop_timer_cancel(m->d->loop, m->stall_timer);
	sqlite3_finalize(m->read);
	sqlite3_finalize(m->save);
	free(m);
}
