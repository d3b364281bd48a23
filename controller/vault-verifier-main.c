/* SPDX-License-Identifier: MIT */
/*
 * vault-verifier: the central ledger verifier (docs/verifier.md). The logic is
 * controller/verifier.c; this is its key, its command line and its MQTT client.
 *
 * Paho's threads only copy what arrives and post it to the event loop (at
 * most QUEUE_MAX messages waiting, each cut at VERIFIER_MSG_MAX + 1 bytes: the
 * rest is dropped and counted); the loop thread alone runs the verifier and
 * touches its database. The session is persistent (cleansession 0, a fixed
 * client id), so the broker queues the vaults' entries while the verifier is
 * down; whatever is lost anyway is a gap the verifier asks vaultd to
 * republish.
 */
#include <MQTTAsync.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vault/keys.h"
#include "vault/loop.h"
#include "vault/secrets.h"
#include "vault/util.h"
#include "verifier.h"

enum {
	EXIT_OK = 0,
	EXIT_USAGE = 2,  /* bad arguments */
	EXIT_ALARM = 3,  /* status --alarms-within: a vault had an alarm */
	EXIT_SYSTEM = 4, /* database, key file or broker */
};

#define KEY_NAME "verifier.key"
#define TOPIC_MAX 256
#define MAX_PINS 64
#define MAX_VAULTS 256
#define QUEUE_MAX 1024 /* messages waiting for the loop */
#define IGNORED_MAX 64 /* other levels named in the log */

static const char usage_text[] =
    "usage: vault-verifier VERB ...\n"
    "  keygen --keys-dir DIR   write DIR/" KEY_NAME " (Ed25519, 0600; never overwritten)\n"
    "                          and print its public key (each vault's [mqtt] verifier_key)\n"
    "  pubkey --keys-dir DIR   print the public key of DIR/" KEY_NAME "\n"
    "  run --broker URI [--root ROOT] --state FILE --keys-dir DIR [--client-id ID]\n"
    "      [--vault VAULT]... [--pin VAULT=HEX]...\n"
    "                          verify the ledgers of every vault under ROOT (default vault):\n"
    "                          ROOT/+/ledger, ROOT/+/checkpoint, ROOT/+/tip; --vault: only\n"
    "                          these topic levels (recommended); --pin fixes a vault's\n"
    "                          checkpoint key (recommended; else its genesis names it)\n"
    "  status --state FILE [--alarms-within SECONDS]\n"
    "                          one JSON line per vault; with --alarms-within, exit 3 if\n"
    "                          an alarm not yet acknowledged was raised in the last\n"
    "                          SECONDS (0: ever), for a monitoring check\n"
    "  alarms --state FILE [--all]\n"
    "                          one JSON line per alarm not yet acknowledged (--all: every\n"
    "                          alarm), with its id\n"
    "  ack --state FILE (--id N | --vault VAULT) --by NAME [--note TEXT]\n"
    "                          acknowledge an alarm, or every one of a vault: who and why\n"
    "                          are kept beside it; status no longer counts it\n"
    "The key is read from $CREDENTIALS_DIRECTORY/" KEY_NAME " when that is set.\n"
    "exit codes: 0 ok, 2 bad arguments (an unknown alarm too), 3 alarms\n"
    "            (status --alarms-within), 4 database/key file/broker error\n";

/* ---- the key ---- */

static int load_key(const char *dir, uint8_t sk[64])
{
	if (!dir && !getenv("CREDENTIALS_DIRECTORY"))
		return vault_die(EXIT_USAGE, "--keys-dir is missing");
	int r = vault_key_load(KEY_NAME, dir, sk, 64);
	if (r < 0)
		return vault_die(
		    EXIT_SYSTEM, "%s/%s: %s", getenv("CREDENTIALS_DIRECTORY") ?: dir, KEY_NAME,
		    r == -EPERM ? "readable by others or not a file" : strerror(-r));
	/* The public half must be the seed's: a damaged file would sign texts
	 * no vault accepts. */
	uint8_t pk[32], sk2[64];
	crypto_sign_ed25519_seed_keypair(pk, sk2, sk);
	int bad = sodium_memcmp(sk2, sk, 64) != 0;
	sodium_memzero(sk2, sizeof sk2);
	if (bad)
		return vault_die(EXIT_SYSTEM,
				 "%s: not an Ed25519 key (seed and public key disagree)",
				 KEY_NAME);
	return 0;
}

static void print_pubkey(const uint8_t sk[64])
{
	char hex[65];
	vault_hex(sk + 32, 32, hex);
	printf("%s\n", hex);
}

static int cmd_keygen(const char *dir)
{
	if (!dir)
		return vault_die(EXIT_USAGE, "keygen: --keys-dir is missing");
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return vault_die(EXIT_SYSTEM, "%s: %s", dir, strerror(errno));
	uint8_t pk[32], sk[64];
	crypto_sign_ed25519_keypair(pk, sk);
	int r = vault_secret_create(KEY_NAME, dir, sk, sizeof sk);
	if (r == 0)
		print_pubkey(sk);
	sodium_memzero(sk, sizeof sk);
	if (r == -EEXIST)
		return vault_die(EXIT_USAGE, "%s/%s already exists; nothing changed", dir,
				 KEY_NAME);
	return r < 0 ? vault_die(EXIT_SYSTEM, "%s/%s: %s", dir, KEY_NAME, strerror(-r))
		     : EXIT_OK;
}

/* ---- run: Paho's threads post and nothing else ---- */

enum ev_type { EV_CONNECT, EV_LOST, EV_SUBSCRIBE, EV_MESSAGE };

/* From a Paho thread to the loop, which frees it. code: 0 or Paho's failure. */
struct ev {
	struct app *a;
	enum ev_type type;
	int code;
	char *topic, *payload;
	size_t len;
};

struct app {
	struct vault_loop *loop; /* read by Paho's threads: set before the client exists */
	struct verifier *v;
	MQTTAsync client;
	const char *broker, *root, *client_id;
	int connected, connecting;
	unsigned failures; /* connects failed in a row */
	atomic_int queued;       /* messages posted to the loop, not yet handled */
	atomic_uint dropped;     /* messages dropped since the loop last said so */
	const char *const *only; /* --vault: the levels verified (NULL: all) */
	int nonly, nignored;
	char ignored[IGNORED_MAX][128]; /* other levels, said once each */
};

static volatile sig_atomic_t sig_quit;

static void on_signal(int sig)
{
	sig_quit = sig;
}

static void on_ev(struct vault_loop *l, void *p, int quitting);

static void post(struct app *a, enum ev_type type, int code)
{
	struct ev *x = calloc(1, sizeof *x);
	if (!x)
		return; /* the tick notices a dead connection */
	*x = (struct ev){.a = a, .type = type, .code = code};
	if (vault_loop_post(a->loop, on_ev, x) < 0)
		free(x);
}

static void on_connect_ok(void *ctx, MQTTAsync_successData *resp)
{
	post(ctx, EV_CONNECT, 0);
}

static void on_connect_fail(void *ctx, MQTTAsync_failureData *resp)
{
	post(ctx, EV_CONNECT, resp && resp->code ? resp->code : -1);
}

static void on_sub_ok(void *ctx, MQTTAsync_successData *resp)
{
	/* A broker that refuses one of the filters grants it 0x80. */
	int refused = 0;
	for (int i = 0; resp && resp->alt.qosList && i < 3; i++)
		refused |= resp->alt.qosList[i] >= 0x80;
	post(ctx, EV_SUBSCRIBE, refused ? 0x80 : 0);
}

static void on_sub_fail(void *ctx, MQTTAsync_failureData *resp)
{
	post(ctx, EV_SUBSCRIBE, resp && resp->code ? resp->code : -1);
}

static void on_lost(void *ctx, char *cause)
{
	post(ctx, EV_LOST, 0);
}

static int on_arrived(void *ctx, char *topic, int tlen, MQTTAsync_message *msg)
{
	struct app *a = ctx;
	if (atomic_fetch_add(&a->queued, 1) >= QUEUE_MAX) {
		/* The loop is behind: dropped (a gap that a backfill fills). */
		atomic_fetch_sub(&a->queued, 1);
		atomic_fetch_add(&a->dropped, 1);
		MQTTAsync_freeMessage(&msg);
		MQTTAsync_free(topic);
		return 1;
	}
	/* Longer than any message is MALFORMED all the same: no more copied. */
	size_t len = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;
	if (len > VERIFIER_MSG_MAX + 1)
		len = VERIFIER_MSG_MAX + 1;
	struct ev *x = calloc(1, sizeof *x);
	char *t = strndup(topic, tlen > 0 ? (size_t)tlen : strlen(topic));
	char *p = malloc(len + 1);
	if (x && t && p) {
		memcpy(p, msg->payload, len);
		p[len] = 0;
		*x = (struct ev){.a = a, .type = EV_MESSAGE, .topic = t, .payload = p, .len = len};
		if (vault_loop_post(a->loop, on_ev, x) == 0) {
			MQTTAsync_freeMessage(&msg);
			MQTTAsync_free(topic);
			return 1;
		}
	}
	atomic_fetch_sub(&a->queued, 1);
	free(x);
	free(t);
	free(p);
	return 0; /* not taken: Paho offers it again */
}

/* ---- run: the loop thread ---- */

static void publish(void *ud, const char *vault, const char *suffix, const char *text, size_t len,
		    int retained)
{
	struct app *a = ud;
	char topic[TOPIC_MAX];
	int n = snprintf(topic, sizeof topic, "%s/%s/%s", a->root, vault, suffix);
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	/* Paho copies the payload; while disconnected it buffers it. */
	int rc = n > 0 && n < (int)sizeof topic
			 ? MQTTAsync_send(a->client, topic, (int)len, text, 1, retained, &ro)
			 : MQTTASYNC_BAD_UTF8_STRING;
	if (rc != MQTTASYNC_SUCCESS)
		vault_log(LOG_WARNING, "mqtt", "publishing on %s failed (%d)", topic, rc);
}

static void do_connect(struct app *a)
{
	MQTTAsync_connectOptions o = MQTTAsync_connectOptions_initializer;
	o.keepAliveInterval = 30;
	o.cleansession = 0; /* the broker queues the ledgers while we are away */
	o.connectTimeout = 5;
	o.onSuccess = on_connect_ok;
	o.onFailure = on_connect_fail;
	o.context = a;
	int rc = MQTTAsync_connect(a->client, &o);
	if (rc == MQTTASYNC_SUCCESS)
		a->connecting = 1;
	else
		vault_log(LOG_WARNING, "mqtt", "connect to %s refused by Paho (%d)", a->broker, rc);
}

static void subscribe(struct app *a)
{
	char t[3][TOPIC_MAX];
	char *topics[3] = {t[0], t[1], t[2]};
	int qos[3] = {1, 1, 1};
	static const char *const leaves[] = {"ledger", "checkpoint", "tip"};
	for (int i = 0; i < 3; i++)
		snprintf(t[i], TOPIC_MAX, "%s/+/%s", a->root, leaves[i]);
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	ro.onSuccess = on_sub_ok;
	ro.onFailure = on_sub_fail;
	ro.context = a;
	/* Every connect, not only without a session: it also brings the retained
	 * tips and checkpoints, so a gap is seen even when no vault writes. */
	int rc = MQTTAsync_subscribeMany(a->client, 3, topics, qos, &ro);
	if (rc != MQTTASYNC_SUCCESS)
		post(a, EV_SUBSCRIBE, rc);
}

/* Whether vault is one of --vault (or there is none). */
static int listed(void *ud, const char *vault)
{
	struct app *a = ud;
	for (int i = 0; a->only && i < a->nonly; i++)
		if (!strcmp(a->only[i], vault))
			return 1;
	return !a->only;
}

/* listed(), and another is said once. */
static int verifying(struct app *a, const char *vault)
{
	if (listed(a, vault))
		return 1;
	for (int i = 0; i < a->nignored; i++)
		if (!strcmp(a->ignored[i], vault))
			return 0;
	if (a->nignored < IGNORED_MAX) {
		vault_log(LOG_WARNING, "mqtt", "messages for %s/%s ignored: not a --vault%s",
			  a->root, vault,
			  a->nignored == IGNORED_MAX - 1 ? " (other levels ignored silently)" : "");
		snprintf(a->ignored[a->nignored++], sizeof a->ignored[0], "%s", vault);
	}
	return 0;
}

/* <root>/<vault>/<leaf> with exactly one level for the vault. */
static void dispatch(struct app *a, char *topic, const char *msg, size_t len)
{
	size_t rl = strlen(a->root);
	char *vault = topic + rl + 1, *leaf;
	if (strncmp(topic, a->root, rl) || topic[rl] != '/' || !(leaf = strchr(vault, '/')) ||
	    strchr(leaf + 1, '/')) {
		vault_log(LOG_WARNING, "mqtt", "a message on %s ignored", topic);
		return;
	}
	*leaf++ = 0;
	if (a->only && !verifying(a, vault))
		return;
	if (!strcmp(leaf, "ledger"))
		verifier_on_ledger(a->v, vault, msg, len);
	else if (!strcmp(leaf, "checkpoint"))
		verifier_on_checkpoint(a->v, vault, msg, len);
	else if (!strcmp(leaf, "tip"))
		verifier_on_tip(a->v, vault, msg, len);
}

static void on_ev(struct vault_loop *l, void *p, int quitting)
{
	struct ev *x = p;
	struct app *a = x->a;
	if (x->type == EV_MESSAGE)
		atomic_fetch_sub(&a->queued, 1);
	if (quitting) {
		/* Dropped: what Paho acknowledged and we never checked is a gap
		 * the next run asks vaultd to fill. */
	} else if (x->type == EV_MESSAGE) {
		dispatch(a, x->topic, x->payload, x->len);
	} else if (x->type == EV_CONNECT) {
		a->connecting = 0;
		a->connected = !x->code;
		/* Said once a minute while the broker stays away (one try a second). */
		if (x->code && a->failures++ % 60 == 0)
			vault_log(LOG_WARNING, "mqtt", "connect to %s failed (%d): retrying",
				  a->broker, x->code);
		if (!x->code) {
			a->failures = 0;
			subscribe(a);
		}
	} else if (x->type == EV_LOST) {
		if (a->connected)
			vault_log(LOG_WARNING, "mqtt", "connection to %s lost", a->broker);
		a->connected = 0;
	} else if (x->code) { /* EV_SUBSCRIBE */
		vault_log(LOG_ERR, "mqtt", "subscribing to %s/+/... failed (%d): reconnecting",
			  a->root, x->code);
		MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;
		MQTTAsync_disconnect(a->client, &d);
		a->connected = 0;
	} else {
		vault_log(LOG_INFO, "mqtt", "connected to %s as %s: verifying %s/+/ledger, "
			  "checkpoint and tip", a->broker, a->client_id, a->root);
	}
	free(x->topic);
	free(x->payload);
	free(x);
}

/* Every second: reconnect, repeat the backfills that made no progress. */
static void tick(struct vault_loop *l, uint64_t id, void *ud)
{
	struct app *a = ud;
	if (a->connected && !MQTTAsync_isConnected(a->client))
		a->connected = 0; /* a lost-connection callback that did not arrive */
	if (!a->connected && !a->connecting)
		do_connect(a);
	unsigned dropped = atomic_exchange(&a->dropped, 0);
	if (dropped)
		vault_log(LOG_WARNING, "mqtt", "%u messages dropped in the last second: more than %d "
			  "waiting (the gaps are asked for again)", dropped, QUEUE_MAX);
	verifier_tick(a->v, listed, a);
	vault_loop_timer_in(l, 1000000, tick, a, NULL);
}

static void idle(struct vault_loop *l, void *ud)
{
	if (sig_quit)
		vault_loop_quit(l);
}

struct run_opts {
	const char *broker, *root, *state, *keys_dir, *client_id;
	const char *pins[MAX_PINS], *vaults[MAX_VAULTS];
	int npins, nvaults;
	long long alarms_within; /* status: seconds (0: ever; -1: not asked) */
	int all;		 /* alarms: acknowledged ones too */
	long long id;		 /* ack: the alarm (0: --vault's every one) */
	const char *by, *note;	 /* ack */
};

static int cmd_run(const struct run_opts *o)
{
	if (!o->broker || !o->state)
		return vault_die(EXIT_USAGE, "run: --broker and --state are needed (--help)");
	size_t rl = strlen(o->root);
	if (!rl || strpbrk(o->root, "+#") || o->root[rl - 1] == '/' || rl > TOPIC_MAX / 2)
		return vault_die(
		    EXIT_USAGE, "run: --root '%s': no wildcards (+ #), no trailing /", o->root);
	char vaults[MAX_PINS][128];
	uint8_t pks[MAX_PINS][32];
	for (int i = 0; i < o->npins; i++) {
		const char *eq = strrchr(o->pins[i], '=');
		size_t n = eq ? (size_t)(eq - o->pins[i]) : 0;
		if (!n || n >= sizeof vaults[i] || vault_unhex(eq + 1, pks[i], 32) < 0)
			return vault_die(EXIT_USAGE, "--pin %s: VAULT=64 hex digits",
					 o->pins[i]);
		memcpy(vaults[i], o->pins[i], n);
		vaults[i][n] = 0;
	}
	for (int i = 0; i < o->nvaults; i++)
		if (!o->vaults[i][0] || strpbrk(o->vaults[i], "/+#"))
			return vault_die(EXIT_USAGE,
					 "--vault '%s': one topic level, no wildcards",
					 o->vaults[i]);
	uint8_t sk[64];
	int r = load_key(o->keys_dir, sk);
	if (r)
		return r;
	struct app a = {.broker = o->broker, .root = o->root, .client_id = o->client_id,
			.only = o->nvaults ? o->vaults : NULL, .nonly = o->nvaults};
	struct verifier_ops ops = {.publish = publish, .ud = &a};
	const char *err;
	r = verifier_open(o->state, o->root, sk, &ops, &a.v, &err);
	sodium_memzero(sk, sizeof sk);
	if (r < 0)
		return vault_die(r == -EINVAL ? EXIT_USAGE : EXIT_SYSTEM, "%s", err);
	int code = EXIT_OK;
	for (int i = 0; i < o->npins && code == EXIT_OK; i++) {
		if ((r = verifier_pin(a.v, vaults[i], pks[i])) == -EKEYREJECTED)
			code = vault_die(EXIT_USAGE,
					 "--pin %s: another key is pinned for %s (it never "
					 "changes)",
					 o->pins[i], vaults[i]);
		else if (r < 0)
			code = vault_die(r == -EINVAL ? EXIT_USAGE : EXIT_SYSTEM,
					 "--pin %s: %s", o->pins[i], strerror(-r));
	}
	if (code != EXIT_OK || (r = vault_loop_new(&a.loop)) < 0) {
		verifier_close(a.v);
		return code != EXIT_OK ? code
				       : vault_die(EXIT_SYSTEM, "event loop: %s", strerror(-r));
	}
	/* Signals only inside epoll_pwait; Paho's threads, made after, inherit
	 * the mask. */
	sigset_t block, waitmask;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	vault_loop_set_idle(a.loop, idle, &a);
	MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer;
	co.sendWhileDisconnected = 1;
	co.maxBufferedMessages = 1000;
	co.deleteOldestMessages = 1;
	int rc = MQTTAsync_createWithOptions(&a.client, o->broker, o->client_id,
					     MQTTCLIENT_PERSISTENCE_NONE, NULL, &co);
	if (rc != MQTTASYNC_SUCCESS)
		code = vault_die(EXIT_USAGE, "--broker '%s': not usable by Paho (%d)",
				 o->broker, rc);
	else if ((rc = MQTTAsync_setCallbacks(a.client, &a, on_lost, on_arrived, NULL)) !=
		 MQTTASYNC_SUCCESS)
		code = vault_die(EXIT_SYSTEM, "mqtt: setting callbacks failed (%d)", rc);
	if (code == EXIT_OK) {
		vault_log(LOG_INFO, "verifier", "state %s; broker %s as %s; root %s; %s", o->state,
			  o->broker, o->client_id, o->root,
			  o->nvaults ? "only the --vault levels" : "every vault (no --vault)");
		tick(a.loop, 0, &a);
		if ((r = vault_loop_run(a.loop, &waitmask)) < 0)
			code = vault_die(EXIT_SYSTEM, "event loop: %s", strerror(-r));
		else
			vault_log(LOG_INFO, "verifier", "stopping (%s)", strsignal(sig_quit));
	}
	if (a.client) {
		MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;
		d.timeout = 1000;
		if (a.connected)
			MQTTAsync_disconnect(a.client, &d);
		MQTTAsync_destroy(&a.client);
	}
	vault_loop_free(a.loop); /* events still queued are dropped (quitting) */
	verifier_close(a.v);
	return code;
}

/* An officer acknowledges an alarm (--id) or every one of a vault (--vault):
 * who (--by) and why (--note) are kept beside it. */
static int cmd_ack(const struct run_opts *o)
{
	if (!o->state || !o->by || !*o->by)
		return vault_die(EXIT_USAGE, "ack: --state and --by NAME are needed (--help)");
	if (!o->id == (o->nvaults != 1))
		return vault_die(EXIT_USAGE,
				 "ack: name one alarm (--id N) or one vault (--vault V)");
	if (strlen(o->by) > 200 || (o->note && strlen(o->note) > 1000))
		return vault_die(EXIT_USAGE,
				 "ack: --by at most 200 bytes, --note at most 1000");
	const char *err = NULL;
	int64_t n = 0;
	int r = verifier_ack(o->state, o->id, o->id ? NULL : o->vaults[0], o->by, o->note, &n,
			     &err);
	if (r == -ENOENT)
		return vault_die(EXIT_USAGE, "ack: there is no alarm %lld", o->id);
	if (r == -EALREADY)
		return vault_die(EXIT_USAGE, "ack: alarm %lld was acknowledged before", o->id);
	if (r < 0)
		return vault_die(EXIT_SYSTEM, "%s", err ? err : strerror(-r));
	printf("%lld alarm%s acknowledged by %s\n", (long long)n, n == 1 ? "" : "s", o->by);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"broker", required_argument, NULL, 'b'},
	    {"root", required_argument, NULL, 'r'},
	    {"state", required_argument, NULL, 's'},
	    {"keys-dir", required_argument, NULL, 'k'},
	    {"client-id", required_argument, NULL, 'c'},
	    {"pin", required_argument, NULL, 'p'},
	    {"vault", required_argument, NULL, 'v'},
	    {"alarms-within", required_argument, NULL, 'a'},
	    {"all", no_argument, NULL, 'A'},
	    {"id", required_argument, NULL, 'i'},
	    {"by", required_argument, NULL, 'B'},
	    {"note", required_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	vault_log_set_ident("vault-verifier");
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	const char *verb = argv[1];
	struct run_opts o = {.root = "vault", .client_id = "vault-verifier", .alarms_within = -1};
	int c;
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'b':
			o.broker = optarg;
			break;
		case 'a': {
			char *end;
			errno = 0;
			o.alarms_within = strtoll(optarg, &end, 10);
			if (errno || end == optarg || *end || o.alarms_within < 0 ||
			    o.alarms_within > 100LL * 365 * 86400)
				return vault_die(EXIT_USAGE,
						 "--alarms-within '%s': seconds, 0 to 3153600000",
						 optarg);
			break;
		}
		case 'A':
			o.all = 1;
			break;
		case 'i': {
			char *end;
			errno = 0;
			o.id = strtoll(optarg, &end, 10);
			if (errno || end == optarg || *end || o.id < 1)
				return vault_die(EXIT_USAGE,
						 "--id '%s': an alarm id (vault-verifier "
						 "alarms)",
						 optarg);
			break;
		}
		case 'B':
			o.by = optarg;
			break;
		case 'n':
			o.note = optarg;
			break;
		case 'r':
			o.root = optarg;
			break;
		case 's':
			o.state = optarg;
			break;
		case 'k':
			o.keys_dir = optarg;
			break;
		case 'c':
			o.client_id = optarg;
			break;
		case 'p':
			if (o.npins == MAX_PINS)
				return vault_die(EXIT_USAGE, "at most %d --pin", MAX_PINS);
			o.pins[o.npins++] = optarg;
			break;
		case 'v':
			if (o.nvaults == MAX_VAULTS)
				return vault_die(EXIT_USAGE, "at most %d --vault", MAX_VAULTS);
			o.vaults[o.nvaults++] = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return vault_die(EXIT_USAGE, "%s: unexpected argument '%s'", verb,
				 argv[optind]);
	if (sodium_init() < 0)
		return vault_die(EXIT_SYSTEM, "libsodium failed to initialise");
	uint8_t sk[64];
	int r;
	if (!strcmp(verb, "keygen"))
		return cmd_keygen(o.keys_dir);
	if (!strcmp(verb, "pubkey")) {
		if ((r = load_key(o.keys_dir, sk)) == 0)
			print_pubkey(sk);
		sodium_memzero(sk, sizeof sk);
		return r;
	}
	if (!strcmp(verb, "run"))
		return cmd_run(&o);
	if (!strcmp(verb, "status")) {
		const char *err;
		if (!o.state)
			return vault_die(EXIT_USAGE, "status: --state is missing");
		int64_t since = o.alarms_within > 0
					? vault_now_utc_us() - o.alarms_within * 1000000LL
					: 0;
		int64_t alarms = 0;
		if (verifier_status(o.state, stdout, since, &alarms, &err) < 0)
			return vault_die(EXIT_SYSTEM, "%s", err);
		if (o.alarms_within >= 0 && alarms > 0)
			return vault_die(EXIT_ALARM, "%lld alarm%s %s", (long long)alarms,
					 alarms == 1 ? "" : "s",
					 o.alarms_within ? "within the window" : "in the state");
		return EXIT_OK;
	}
	if (!strcmp(verb, "alarms")) {
		const char *err;
		if (!o.state)
			return vault_die(EXIT_USAGE, "alarms: --state is missing");
		if (verifier_alarms(o.state, stdout, o.all, &err) < 0)
			return vault_die(EXIT_SYSTEM, "%s", err);
		return EXIT_OK;
	}
	if (!strcmp(verb, "ack"))
		return cmd_ack(&o);
	return vault_die(EXIT_USAGE, "unknown verb '%s' (--help)", verb);
}
