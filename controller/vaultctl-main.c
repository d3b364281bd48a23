/* SPDX-License-Identifier: MIT */
/*
 * vaultctl: the admin and supervisor CLI.
 * Offline verbs open the database themselves: init (creates it), verify, log,
 * checkpoint export (read-only). Every change goes to vaultd over its socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vault/badge.h"
#include "vault/config.h"
#include "vault/db.h"
#include "vault/destruction.h"
#include "vault/ledger.h"
#include "vault/regload.h"
#include "vault/reports.h"
#include "vault/schema.h"
#include "vault/keys.h"
#include "vault/secrets.h"
#include "vault/util.h"
#include "vault/verify.h"

enum {
	EXIT_OK = 0,
	EXIT_REFUSED = 1, /* vaultd refused (a named reason is printed) */
	EXIT_USAGE = 2,   /* bad arguments or input */
	EXIT_VERIFY = 3,  /* verification found problems */
	EXIT_SYSTEM = 4,  /* database, files or vaultd unreachable */
};

static struct vault_config cfg;
static const char *config_path;

static const char exit_codes[] =
	"exit codes: 0 ok, 1 refused by vaultd, 2 bad arguments, 3 verification failed,\n"
	"            4 database/file/socket error\n";

static void usage_main(FILE *f)
{
	fprintf(f,
		"usage: vaultctl [-c CONFIG] VERB ...\n"
		"  -c, --config FILE   configuration (default $VAULT_CONFIG or /etc/vault/vault.ini)\n"
		"offline verbs (open the database directly):\n"
		"  init               create the database, keys and the first admin\n"
		"  verify             check hashes, checkpoints and the registry replay\n"
		"  backup --out FILE  a consistent copy of the database (vaultd may run), verified\n"
		"  log                read the ledger (filters; table, csv or json)\n"
		"  checkpoint export  write the latest signed checkpoint to a file\n"
		"  mqtt status        how far the broker and the central verifier hold the ledger\n"
		"  ledger custody|checkout|copy|destruction   the regulation ledgers (CSV, JSON)\n"
		"  alerts             early warnings (certificates, training, returns, deadlines)\n"
		"  self-inspection    the self-inspection report, with the ledger verified\n"
		"  medium list|show   the media register, one medium with lineage and entries\n"
		"changes (sent to vaultd):\n"
		"  checkpoint now     sign a checkpoint of the ledger tip\n"
		"  ledger verify-now  vaultd verifies the ledger now and ledgers the result\n"
		"  whoami             who vaultd thinks you are\n"
		"  door stats         last 2048 decision and PIN KDF times, oldest first;\n"
		"                     decisions counted; occupants (JSON)\n"
		"  vault check [--note TEXT]  record that you checked the closed vault\n"
		"  occupancy clear --person P|--all yes --note TEXT   P (everyone) left\n"
		"                     without an exit read (REX, free egress): the correction\n"
		"  pin set --id PERSON      set a person's PIN (read from stdin)\n"
		"  copy --id NEW --parents M1,M2 ...   register a copy or scan\n"
		"  custody checkout|return|status ...  kiosk flows (see README)\n"
		"  destroy start|abort|handover|status ...   destruction at the shredder station\n"
		"  destroy certificate --order ORDER   a destruction certificate, from the ledger\n"
		"  inventory run|status|report      inventory reconciliation (signed report)\n"
		"  alert list|ack ...               early warnings ledgered by vaultd\n");
	for (const struct vault_entity *e = vault_entities; e->table; e++)
		fprintf(f, "  %-14s add|update ...   %s\n", e->noun, e->help);
	fprintf(f, "  badge issue --person P --reader CONNSTRING   personalise and register a card\n"
		   "  unit suspend --id U --reason TEXT | unit reinstate --id U\n"
		   "  badge revoke --id UID | project close --id P\n"
		   "  approval approve|verify-onsite|revoke --id A\n"
		   "  destroy-order approve --id D | destroy-order cancel --id D [--reason TEXT]\n"
		   "Every verb takes --help.\n%s",
		exit_codes);
}

/* Load the config if present; explicit options override it. */
static int load_config(int required)
{
	vault_config_defaults(&cfg);
	if (!config_path)
		config_path = getenv("VAULT_CONFIG");
	/* A configuration named by -c or $VAULT_CONFIG must be readable; only
	 * the default path may be absent (then the defaults apply). */
	if (config_path)
		required = 1;
	else
		config_path = "/etc/vault/vault.ini";
	char err[512];
	int r = vault_config_load(config_path, &cfg, err, sizeof err);
	if (r == -EINVAL || (r < 0 && (required || r != -ENOENT)))
		return vault_die(EXIT_USAGE, "%s", err);
	setenv("TZ", cfg.timezone, 1);
	tzset();
	return 0;
}

/* ---- talking to vaultd ------------------------------------------------ */

/* The longest reply read (bytes, with its newline): far above any list a vault
 * makes, low enough that a broken peer cannot make vaultctl take memory without
 * end. */
#define REPLY_MAX (64 << 20)

static int call_vaultd(cJSON *req, cJSON **ret_reply)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (vault_strlcpy(sa.sun_path, cfg.socket, sizeof sa.sun_path) < 0)
		return vault_die(EXIT_USAGE, "socket path too long");
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return vault_die(EXIT_SYSTEM, "cannot reach vaultd at %s: %s", cfg.socket,
				 strerror(e));
	}
	char *txt = cJSON_PrintUnformatted(req);
	size_t n = strlen(txt);
	txt[n] = '\n';
	int ok = write(fd, txt, n + 1) == (ssize_t)(n + 1);
	free(txt);
	if (!ok) {
		close(fd);
		return vault_die(EXIT_SYSTEM, "writing to vaultd: %s", strerror(errno));
	}
	/* The reply is one line of any length (a list verb's grows with its rows):
	 * the buffer grows until the newline, up to REPLY_MAX. A longer reply is an
	 * error, never parsed cut. */
	size_t cap = 0, len = 0;
	char *buf = NULL;
	for (;;) {
		if (len + 1 >= cap) {
			char *nb = NULL;
			size_t ncap = !cap ? 65536 : cap * 2 > REPLY_MAX ? REPLY_MAX + 1 : cap * 2;
			if (cap <= REPLY_MAX)
				nb = realloc(buf, ncap);
			if (!nb) {
				free(buf);
				close(fd);
				if (cap > REPLY_MAX)
					return vault_die(EXIT_SYSTEM,
							 "the reply from vaultd is longer than %d MiB",
							 REPLY_MAX >> 20);
				return vault_die(EXIT_SYSTEM, "no memory for the reply from vaultd");
			}
			buf = nb;
			cap = ncap;
		}
		ssize_t r = read(fd, buf + len, cap - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		/* only the new bytes: a long reply is not scanned again per read */
		if (memchr(buf + len - (size_t)r, '\n', (size_t)r))
			break;
	}
	close(fd);
	buf[len] = 0;
	cJSON *reply = cJSON_Parse(buf);
	free(buf);
	if (!reply)
		return vault_die(EXIT_SYSTEM, "no valid reply from vaultd");
	*ret_reply = reply;
	return 0;
}

/* vaultd's refusal: its code, text and detail on stderr. */
static void print_refusal(const cJSON *reply)
{
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(reply, "code");
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(reply, "error");
	const cJSON *det = cJSON_GetObjectItemCaseSensitive(reply, "detail");
	fprintf(stderr, "vaultctl: refused: %s: %s%s%s\n",
		cJSON_IsString(code) ? code->valuestring : "?", cJSON_IsString(e) ? e->valuestring : "",
		cJSON_IsString(det) ? " — " : "", cJSON_IsString(det) ? det->valuestring : "");
}

/* Send {action, args} (takes args); 0 and the reply, or the exit code. With
 * only_ok, a refusal is printed and is EXIT_REFUSED. */
static int call_action(const char *action, cJSON *args, int only_ok, cJSON **ret_reply)
{
	cJSON *req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "action", action);
	cJSON_AddItemToObject(req, "args", args);
	int r = call_vaultd(req, ret_reply);
	cJSON_Delete(req);
	if (r || !only_ok || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(*ret_reply, "ok")))
		return r;
	print_refusal(*ret_reply);
	cJSON_Delete(*ret_reply);
	*ret_reply = NULL;
	return EXIT_REFUSED;
}

/* Send an action; print the outcome. */
static int send_action(const char *action, cJSON *args)
{
	cJSON *reply = NULL;
	int r = call_action(action, args, 1, &reply);
	if (r)
		return r;
	cJSON_DeleteItemFromObjectCaseSensitive(reply, "ok");
	const cJSON *it;
	cJSON_ArrayForEach(it, reply)
	{
		if (cJSON_IsString(it))
			printf("%s: %s\n", it->string, it->valuestring);
		else if (cJSON_IsNumber(it))
			printf("%s: %.0f\n", it->string, it->valuedouble);
	}
	if (!reply->child)
		printf("ok\n");
	cJSON_Delete(reply);
	return EXIT_OK;
}

/* Send an action and print the whole JSON reply (for machine use). */
static int send_action_json(const char *action, cJSON *args)
{
	cJSON *reply = NULL;
	int r = call_action(action, args, 0, &reply);
	if (r)
		return r;
	char *t = cJSON_PrintUnformatted(reply);
	printf("%s\n", t);
	free(t);
	r = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reply, "ok")) ? EXIT_OK : EXIT_REFUSED;
	cJSON_Delete(reply);
	return r;
}

/* Parse "--name value" / "--name=value" pairs into a JSON object of strings;
 * dashes in names become underscores. */
static int parse_pairs(int argc, char **argv, cJSON *out, int *help)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			*help = 1;
			continue;
		}
		if (strncmp(a, "--", 2) != 0 || !a[2])
			return vault_die(EXIT_USAGE,
					 "unexpected argument '%s' (options are --name value)",
					 a);
		char name[64];
		const char *eq = strchr(a, '=');
		const char *val;
		size_t nl = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		if (nl >= sizeof name)
			return vault_die(EXIT_USAGE, "option name too long");
		memcpy(name, a + 2, nl);
		name[nl] = 0;
		for (char *p = name; *p; p++)
			if (*p == '-')
				*p = '_';
		if (eq) {
			val = eq + 1;
		} else {
			if (i + 1 >= argc)
				return vault_die(EXIT_USAGE, "option --%s needs a value",
						 a + 2);
			val = argv[++i];
		}
		if (cJSON_GetObjectItemCaseSensitive(out, name))
			return vault_die(EXIT_USAGE, "option --%s given twice", a + 2);
		cJSON_AddStringToObject(out, name, val);
	}
	return 0;
}

/* Parse a verb's --name value options; with --help print `usage` (and the
 * exit codes) instead. Returns the options, or NULL with *rc set: 0 after
 * --help, the exit code after a bad option. */
static cJSON *options_or_help(int argc, char **argv, const char *usage, int *rc)
{
	cJSON *args = cJSON_CreateObject();
	int help = 0;
	*rc = parse_pairs(argc, argv, args, &help);
	if (*rc || help) {
		cJSON_Delete(args);
		if (help)
			printf("%s%s", usage, exit_codes);
		return NULL;
	}
	return args;
}

static void entity_help(const struct vault_entity *e, const char *verb)
{
	printf("usage: vaultctl %s %s --id ID [--field value ...]\n%s\nfields:\n", e->noun, verb,
	       e->help);
	for (const struct vault_field *f = e->fields; f->name; f++) {
		if (!f->settable)
			continue;
		char opt[64];
		snprintf(opt, sizeof opt, "--%s", f->name);
		for (char *p = opt; *p; p++)
			if (*p == '_')
				*p = '-';
		printf("  %-22s %s%s%s%s%s\n", opt, f->help,
		       f->type == VAULT_F_ENUM ? " [" : "", f->type == VAULT_F_ENUM ? f->choices : "",
		       f->type == VAULT_F_ENUM ? "]" : "",
		       f->def ? "" : (strcmp(verb, "add") ? "" : " (required)"));
	}
	printf("%s", exit_codes);
}

/* Local validation before sending: the same schema vaultd checks. */
static int check_fields(const struct vault_entity *e, const cJSON *args)
{
	const cJSON *a;
	cJSON_ArrayForEach(a, args)
	{
		if (!strcmp(a->string, "id") || !strcmp(a->string, "reason"))
			continue;
		const struct vault_field *f = vault_entity_field(e, a->string);
		if (!f || !f->settable)
			return vault_die(EXIT_USAGE,
					 "%s has no settable field '%s' (see --help)", e->noun,
					 a->string);
		const char *err;
		cJSON *v = vault_field_value(f, a->valuestring, &err);
		if (!v)
			return vault_die(EXIT_USAGE, "--%s: %s", a->string, err);
		cJSON_Delete(v);
	}
	return 0;
}

static int cmd_badge_issue(int argc, char **argv);

static int cmd_entity(const struct vault_entity *e, int argc, char **argv)
{
	if (argc < 1)
		return vault_die(EXIT_USAGE, "%s: which verb? (add, update, ...; see --help)",
				 e->noun);
	const char *verb = argv[0];
	if (!strcmp(verb, "issue") && !strcmp(e->noun, "badge"))
		return cmd_badge_issue(argc - 1, argv + 1);
	if (!strcmp(verb, "register") && !strcmp(e->noun, "medium"))
		verb = "add";
	if (!strcmp(verb, "request") && !strcmp(e->noun, "approval"))
		verb = "add";
	if (!strcmp(verb, "inspect") && !strcmp(e->noun, "unit")) {
		/* unit inspect = record an inspection of the unit */
		static char add[] = "add";
		argv[0] = add;
		return cmd_entity(vault_entity_by_noun("inspection"), argc, argv);
	}
	cJSON *args = cJSON_CreateObject();
	int help = 0;
	int r = parse_pairs(argc - 1, argv + 1, args, &help);
	if (r) {
		cJSON_Delete(args);
		return r;
	}
	int put = !strcmp(verb, "add") || !strcmp(verb, "update");
	if (help) {
		cJSON_Delete(args);
		if (put)
			entity_help(e, verb);
		else if (!strcmp(e->noun, "destroy-order") && !strcmp(verb, "cancel"))
			printf("usage: vaultctl destroy-order cancel --id ID [--reason TEXT]\n"
			       "A requested or approved order becomes cancelled (supervisor, admin);\n"
			       "not while a destruction of it is under way at the shredder station.\n%s",
			       exit_codes);
		else
			printf("usage: vaultctl %s %s --id ID%s\n%s", e->noun, verb,
			       !strcmp(verb, "suspend") ? " --reason TEXT" : "", exit_codes);
		return EXIT_OK;
	}
	if (!cJSON_GetObjectItemCaseSensitive(args, "id")) {
		cJSON_Delete(args);
		return vault_die(EXIT_USAGE, "%s %s: --id is required", e->noun, verb);
	}
	if (put && (r = check_fields(e, args))) {
		cJSON_Delete(args);
		return r;
	}
	char action[96];
	snprintf(action, sizeof action, "%s.%s", e->noun, verb);
	return send_action(action, args);
}

static int read_pin(const char *prompt, char *buf, size_t size)
{
	if (isatty(0))
		fprintf(stderr, "%s: ", prompt);
	if (!fgets(buf, (int)size, stdin))
		return -1;
	buf[strcspn(buf, "\r\n")] = 0;
	return 0;
}

static int cmd_pin(int argc, char **argv)
{
	if (argc < 1 || strcmp(argv[0], "set") != 0)
		return vault_die(EXIT_USAGE,
				 "usage: vaultctl pin set --id PERSON [--with-duress]");
	cJSON *args = cJSON_CreateObject();
	int help = 0, duress = 0;
	/* --with-duress takes no value */
	int n = 0;
	char **rest = calloc((size_t)argc, sizeof *rest);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--with-duress"))
			duress = 1;
		else
			rest[n++] = argv[i];
	}
	int r = parse_pairs(n, rest, args, &help);
	free(rest);
	if (r || help) {
		cJSON_Delete(args);
		if (help)
			printf("usage: vaultctl pin set --id PERSON [--with-duress]\n"
			       "reads the PIN (4-12 digits), then with --with-duress the duress "
			       "PIN, one per line on stdin\n%s",
			       exit_codes);
		return r;
	}
	const cJSON *a;
	cJSON_ArrayForEach(a, args) if (strcmp(a->string, "id") != 0)
	{
		cJSON_Delete(args);
		return vault_die(EXIT_USAGE,
				 "pin set: unknown option --%s (PINs are read from stdin)",
				 a->string);
	}
	if (!cJSON_GetObjectItemCaseSensitive(args, "id")) {
		cJSON_Delete(args);
		return vault_die(EXIT_USAGE, "pin set: --id is required");
	}
	char pin[64], dpin[64];
	if (read_pin("PIN", pin, sizeof pin) < 0 ||
	    (duress && read_pin("duress PIN", dpin, sizeof dpin) < 0)) {
		cJSON_Delete(args);
		return vault_die(EXIT_USAGE, "pin set: no PIN on standard input");
	}
	cJSON_AddStringToObject(args, "pin", pin);
	if (duress)
		cJSON_AddStringToObject(args, "duress_pin", dpin);
	sodium_memzero(pin, sizeof pin);
	sodium_memzero(dpin, sizeof dpin);
	return send_action("pin.set", args);
}

/* Personalise a blank DESFire card on a reader (its application with the
 * diversified AES key), then register it through vaultd. Needs read access to
 * nfc-master.key. */
static int cmd_badge_issue(int argc, char **argv)
{
	int r;
	cJSON *args = options_or_help(argc, argv, "usage: vaultctl badge issue --person ID --reader CONNSTRING "
			       "[--key-version N]\n"
			       "Personalises the blank DESFire card on the enrolment reader (e.g. "
			       "pn532_uart:/dev/ttyUSB0)\nwith a key diversified from the site "
			       "master key, then registers it for the person.\n", &r);
	if (!args)
		return r;
	const cJSON *person = cJSON_GetObjectItemCaseSensitive(args, "person");
	const cJSON *reader = cJSON_GetObjectItemCaseSensitive(args, "reader");
	const cJSON *kv = cJSON_GetObjectItemCaseSensitive(args, "key_version");
	if (!cJSON_IsString(person) || !cJSON_IsString(reader)) {
		cJSON_Delete(args);
		return vault_die(EXIT_USAGE, "badge issue: --person and --reader are required");
	}
	long ver = 1;
	if (kv) {
		char *end;
		ver = strtol(kv->valuestring, &end, 10);
		if (*end || ver < 0 || ver > 255) {
			cJSON_Delete(args);
			return vault_die(EXIT_USAGE, "badge issue: --key-version: 0..255");
		}
	}
	uint8_t master[16];
	r = vault_key_load("nfc-master.key", cfg.keys_dir, master, sizeof master);
	if (r < 0) {
		cJSON_Delete(args);
		return vault_die(EXIT_SYSTEM, "badge issue: nfc-master.key: %s", strerror(-r));
	}
	const char *sysid = cfg.sysid[0] ? cfg.sysid : cfg.name;
	size_t sl = strlen(sysid) > VAULT_BADGE_SYSID_MAX ? VAULT_BADGE_SYSID_MAX : strlen(sysid);
	struct vault_badge_identity id;
	enum vault_reason why = VAULT_R_OK;
	r = vault_badge_enrol(reader->valuestring, master, (const uint8_t *)sysid, sl,
			      (uint8_t)ver, &id, &why);
	sodium_memzero(master, sizeof master);
	if (r < 0) {
		cJSON_Delete(args);
		return vault_die(EXIT_REFUSED, "badge issue: %s: %s", vault_reason_id(why),
				 vault_reason_text(why, cfg.lang));
	}
	char hex[2 * VAULT_BADGE_UID_MAX + 1], ver_s[8];
	vault_hex_upper(id.uid, id.uid_len, hex);
	snprintf(ver_s, sizeof ver_s, "%ld", ver);
	cJSON *add = cJSON_CreateObject();
	cJSON_AddStringToObject(add, "id", hex);
	cJSON_AddStringToObject(add, "person", person->valuestring);
	cJSON_AddStringToObject(add, "key_version", ver_s);
	cJSON_Delete(args);
	printf("card %s personalised (key version %ld)\n", hex, ver);
	return send_action("badge.add", add);
}

static int cmd_copy(int argc, char **argv)
{
	int r;
	cJSON *args = options_or_help(argc, argv, "usage: vaultctl copy --id NEW --parents M1[,M2...] --tag TAG --title T\n"
			       "       --approval A --home-shelf SHELF [--kind copy|scan] "
			       "[--classification C]\n"
			       "Registers a copy or scan: its classification is the highest of its "
			       "parents'\n(a higher one may be asked for, never a lower one); it "
			       "inherits dataset,\ncategory, project and destruction deadline.\n", &r);
	if (!args)
		return r;
	return send_action("copy.register", args);
}

/* ---- offline verbs ----------------------------------------------------- */

/* The offline verbs (log, ledgers, reports, exports, verify) read the database
 * directly and can keep a core busy for seconds. They are background work: at
 * the lowest CPU priority and the lowest best-effort I/O priority, so the door's
 * decision in vaultd is never preempted by an export (bench/door.sh measures
 * it). On an idle machine they run as fast as before. */
static int open_ro(sqlite3 **db)
{
	const char *err;
	vault_thread_background("vaultctl"); /* one thread: the whole process */
	int r = vault_db_open(cfg.database, VAULT_DB_READONLY, NULL, db, &err);
	if (r < 0)
		return vault_die(EXIT_SYSTEM, "%s: %s", cfg.database, err);
	return 0;
}

static int cmd_init(int argc, char **argv)
{
	static const struct option o[] = {
		{"admin-id", required_argument, NULL, 'i'},
		{"admin-name", required_argument, NULL, 'n'},
		{"admin-user", required_argument, NULL, 'u'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *id = "admin", *name = "Administrator", *user = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (c) {
		case 'i':
			id = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'h':
			printf("usage: vaultctl [-c CONFIG] init [--admin-id ID] [--admin-name NAME] "
			       "[--admin-user LOGIN]\n"
			       "Creates the database named by the configuration, the keys "
			       "(checkpoint.key,\npin-pepper.key, 0600) in keys_dir, the genesis "
			       "entry and the first admin\n(mapped to LOGIN, default: you).\n%s",
			       exit_codes);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return vault_die(EXIT_USAGE, "init: unexpected argument '%s'", argv[optind]);
	const struct vault_field idf = {"id", VAULT_F_TEXT, NULL, NULL, 1, ""};
	const char *err;
	cJSON *chk = vault_field_value(&idf, name, &err);
	if (!chk)
		return vault_die(EXIT_USAGE, "init: --admin-name: %s", err);
	cJSON_Delete(chk);
	if (!*id || strlen(id) > 64 || strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:") != strlen(id))
		return vault_die(EXIT_USAGE, "init: --admin-id: 1-64 letters, digits, - _ . :");
	if (!user) {
		struct passwd *pw = getpwuid(getuid());
		if (!pw)
			return vault_die(EXIT_USAGE,
					 "init: cannot name your user; give --admin-user");
		user = pw->pw_name;
	}
	if (sodium_init() < 0)
		return vault_die(EXIT_SYSTEM, "libsodium failed to initialise");
	if (access(cfg.database, F_OK) == 0)
		return vault_die(EXIT_USAGE, "init: %s already exists; nothing changed",
				 cfg.database);
	if (mkdir(cfg.keys_dir, 0700) < 0 && errno != EEXIST)
		return vault_die(EXIT_SYSTEM, "init: %s: %s", cfg.keys_dir, strerror(errno));
	uint8_t pk[VAULT_SIGN_PK_LEN], sk[VAULT_SIGN_SK_LEN], pepper[32];
	crypto_sign_ed25519_keypair(pk, sk);
	randombytes_buf(pepper, sizeof pepper);
	int r = vault_secret_create("checkpoint.key", cfg.keys_dir, sk, sizeof sk);
	if (r < 0)
		return vault_die(EXIT_SYSTEM, "init: %s/checkpoint.key: %s", cfg.keys_dir,
				 strerror(-r));
	r = vault_secret_create("pin-pepper.key", cfg.keys_dir, pepper, sizeof pepper);
	if (r == 0) {
		/* The site master key for badge key diversification (AES-128). An
		 * existing one (shared by several vaults of a site) is kept. */
		randombytes_buf(pepper, 16);
		int k = vault_secret_create("nfc-master.key", cfg.keys_dir, pepper, 16);
		if (k < 0 && k != -EEXIST)
			r = k;
	}
	sodium_memzero(pepper, sizeof pepper);
	if (r < 0) {
		char p[1024];
		snprintf(p, sizeof p, "%s/checkpoint.key", cfg.keys_dir);
		unlink(p);
		return vault_die(EXIT_SYSTEM, "init: %s/pin-pepper.key: %s", cfg.keys_dir,
				 strerror(-r));
	}
	sqlite3 *db;
	err = NULL;
	r = vault_db_open(cfg.database, VAULT_DB_CREATE, NULL, &db, &err);
	if (r < 0)
		return vault_die(EXIT_SYSTEM, "init: %s: %s", cfg.database, err);
	struct vault_ledger *l = NULL;
	r = vault_ledger_genesis(db, cfg.name, pk);
	if (r == 0)
		r = vault_ledger_open(db, &l);
	if (r == 0)
		r = vault_ledger_set_signing_key(l, sk);
	sodium_memzero(sk, sizeof sk);
	cJSON *p = cJSON_CreateObject(), *row = cJSON_CreateObject();
	cJSON_AddStringToObject(row, "name", name);
	cJSON_AddStringToObject(row, "role", "admin");
	cJSON_AddNullToObject(row, "unit");
	cJSON_AddStringToObject(row, "status", "active");
	cJSON_AddStringToObject(row, "unix_user", user);
	cJSON *set = cJSON_AddArrayToObject(p, "set"), *ch = cJSON_CreateObject();
	cJSON_AddStringToObject(ch, "t", "person");
	cJSON_AddStringToObject(ch, "k", id);
	cJSON_AddItemToObject(ch, "row", row);
	cJSON_AddItemToArray(set, ch);
	struct vault_record rec = {.kind = "registry.person.add", .actors = "vaultctl-init",
				   .payload = p};
	if (r == 0)
		r = vault_ledger_record(l, &rec, NULL, NULL, &err);
	char ebuf[256];
	snprintf(ebuf, sizeof ebuf, "%s", r < 0 && err ? err : "");
	int64_t cs;
	if (r == 0)
		r = vault_ledger_checkpoint(l, &cs);
	cJSON_Delete(p);
	vault_ledger_free(l);
	vault_db_close(db);
	if (r < 0) {
		/* Leave nothing half-made behind: init can simply be run again. */
		const char *sfx[] = {"", "-wal", "-shm"};
		char p2[1100];
		for (int k = 0; k < 3; k++) {
			snprintf(p2, sizeof p2, "%s%s", cfg.database, sfx[k]);
			unlink(p2);
		}
		snprintf(p2, sizeof p2, "%s/checkpoint.key", cfg.keys_dir);
		unlink(p2);
		snprintf(p2, sizeof p2, "%s/pin-pepper.key", cfg.keys_dir);
		unlink(p2);
		return vault_die(EXIT_SYSTEM, "init: writing the ledger failed: %s (%s)",
				 strerror(-r), ebuf);
	}
	printf("initialised vault '%s': database %s, keys in %s, admin '%s' (Unix user %s)\n",
	       cfg.name, cfg.database, cfg.keys_dir, id, user);
	return 0;
}

struct say_ctx {
	int n;
};

static void say_line(void *ud, const char *line)
{
	struct say_ctx *s = ud;
	s->n++;
	printf("FAIL %s\n", line);
}

/* Verify an open database (closed here) and print the outcome for `name`:
 * EXIT_OK, EXIT_VERIFY or EXIT_SYSTEM. */
static int verify_db(sqlite3 *db, const char *name, const struct vault_checkpoint *files,
		     size_t nfiles)
{
	struct vault_verify_result res;
	struct say_ctx s = {0};
	/* One snapshot: with vaultd writing, a chain read before and a registry
	 * read after one of its commits would disagree. */
	int r = vault_db_exec(db, "BEGIN");
	if (r == 0)
		r = vault_verify(db, files, nfiles, say_line, &s, &res);
	vault_db_exec(db, "ROLLBACK");
	vault_db_close(db);
	if (r < 0)
		return vault_die(EXIT_SYSTEM, "verify: could not read %s: %s", name,
				 strerror(-r));
	printf("%s: %" PRId64 " entries, %" PRId64 " checkpoints, %" PRId64
	       " registry rows checked: %s\n",
	       name, res.entries, res.checkpoints, res.rows,
	       res.problems ? "VERIFICATION FAILED" : "verified");
	return res.problems ? EXIT_VERIFY : EXIT_OK;
}

static int cmd_verify(int argc, char **argv)
{
	static const struct option o[] = {
		{"checkpoint", required_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct vault_checkpoint files[16];
	size_t nf = 0;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		if (c == 'h') {
			printf("usage: vaultctl verify [--checkpoint FILE]...\n"
			       "Checks every ledger hash, every stored and given checkpoint "
			       "(signature,\nhash, truncation), and replays the ledger against "
			       "the registry.\n%s",
			       exit_codes);
			return 0;
		}
		if (c != 'k')
			return EXIT_USAGE;
		if (nf == VAULT_ARRAY_SIZE(files))
			return vault_die(EXIT_USAGE, "verify: at most 16 checkpoint files");
		char *txt;
		int r = vault_read_file(optarg, 4096, &txt, NULL);
		if (r < 0)
			return vault_die(EXIT_USAGE, "verify: %s: %s", optarg, strerror(-r));
		const char *err;
		r = vault_checkpoint_parse(txt, &files[nf], &err);
		free(txt);
		if (r < 0)
			return vault_die(EXIT_USAGE, "verify: %s: %s", optarg, err);
		nf++;
	}
	if (optind != argc)
		return vault_die(EXIT_USAGE, "verify: unexpected argument '%s'", argv[optind]);
	sqlite3 *db;
	int r = open_ro(&db);
	return r ? r : verify_db(db, cfg.database, files, nf);
}

/* "[--out FILE] [--help]" of `verb`; help is its usage text. Returns -1 to go
 * on (*out set if given), else the exit code. */
static int out_option(int argc, char **argv, const char *verb, const char *help,
		      const char **out)
{
	static const struct option o[] = {
		{"out", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", o, NULL)) != -1) {
		if (c == 'h') {
			printf("%s%s", help, exit_codes);
			return 0;
		}
		if (c != 'o')
			return EXIT_USAGE;
		*out = optarg;
	}
	if (optind != argc)
		return vault_die(EXIT_USAGE, "%s: unexpected argument '%s'", verb,
				 argv[optind]);
	return -1;
}

static int cmd_checkpoint(int argc, char **argv)
{
	if (argc >= 1 && !strcmp(argv[0], "now")) {
		if (argc > 1 && strcmp(argv[1], "--help") == 0) {
			printf("usage: vaultctl checkpoint now\n%s", exit_codes);
			return 0;
		}
		if (argc > 1)
			return vault_die(EXIT_USAGE, "checkpoint now takes no arguments");
		return send_action("checkpoint.now", cJSON_CreateObject());
	}
	if (argc < 1 || strcmp(argv[0], "export") != 0)
		return vault_die(EXIT_USAGE, "usage: vaultctl checkpoint export|now");
	const char *out = NULL;
	int r = out_option(argc, argv, "checkpoint export",
			   "usage: vaultctl checkpoint export [--out FILE]\n"
			   "Writes the latest signed checkpoint (a few lines of text) to FILE or "
			   "stdout.\nKeep it off the box: verify --checkpoint FILE then detects "
			   "truncation.\n",
			   &out);
	if (r >= 0)
		return r;
	sqlite3 *db;
	if ((r = open_ro(&db)))
		return r;
	struct vault_checkpoint k;
	r = vault_checkpoint_latest(db, &k);
	vault_db_close(db);
	if (r < 0)
		return vault_die(EXIT_SYSTEM, "checkpoint export: %s",
				 r == -ENODATA ? "no checkpoint yet" : strerror(-r));
	char buf[1024];
	vault_checkpoint_format(&k, buf, sizeof buf);
	if (!out) {
		fputs(buf, stdout);
		return 0;
	}
	r = vault_write_file_atomic(out, buf, strlen(buf), 0644);
	if (r < 0)
		return vault_die(EXIT_SYSTEM, "checkpoint export: %s: %s", out, strerror(-r));
	printf("checkpoint seq %" PRId64 " written to %s\n", k.seq, out);
	return 0;
}

static double reply_num(const cJSON *reply, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(reply, name);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *reply_str(const cJSON *reply, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(reply, name);
	return cJSON_IsString(v) ? v->valuestring : "";
}

/* ledger verify-now: vaultd verifies its ledger now (controller/integrity.c),
 * ledgers the result and answers when it is done. */
static int cmd_ledger_verify_now(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--help")) {
		printf("usage: vaultctl ledger verify-now\n"
		       "vaultd verifies the ledger now, as `vaultctl verify` does, in a background "
		       "thread\non its own read-only connection, and ledgers ledger.verified or the "
		       "alarm\nledger.verify_failed. Exit 3 if the ledger does not verify.\n%s",
		       exit_codes);
		return 0;
	}
	if (argc > 1)
		return vault_die(EXIT_USAGE, "ledger verify-now takes no arguments");
	cJSON *reply = NULL;
	int r = call_action("ledger.verify", cJSON_CreateObject(), 1, &reply);
	if (r)
		return r;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reply, "verified"))) {
		printf("verified: %.0f entries, tip seq %.0f (%s), %.0f checkpoints, %.0f registry "
		       "rows, %.0f ms; ledger.verified at seq %.0f\n",
		       reply_num(reply, "entries"), reply_num(reply, "tip"),
		       reply_str(reply, "tip_hash"), reply_num(reply, "checkpoints"),
		       reply_num(reply, "rows"), reply_num(reply, "ms"), reply_num(reply, "seq"));
		cJSON_Delete(reply);
		return EXIT_OK;
	}
	const char *code = reply_str(reply, "code");
	printf("VERIFICATION FAILED: %s: %s; ledger.verify_failed at seq %.0f\n", code,
	       reply_str(reply, "text"), reply_num(reply, "seq"));
	const cJSON *line;
	cJSON_ArrayForEach(line, cJSON_GetObjectItemCaseSensitive(reply, "said"))
	{
		if (cJSON_IsString(line))
			printf("FAIL %s\n", line->valuestring);
	}
	r = !strcmp(code, "LEDGER_VERIFY_FAILED") ? EXIT_VERIFY : EXIT_SYSTEM;
	cJSON_Delete(reply);
	return r;
}

/* Copy the database `src` into the new, empty file `path` with SQLite's
 * backup API. Returns 0 or -EIO with *err (the destination's message). */
static int backup_copy(sqlite3 *src, const char *path, char *err, size_t errlen)
{
	sqlite3 *dst = NULL;
	int rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
		if (!b) {
			rc = sqlite3_errcode(dst);
		} else {
			/* Every page in one step: one read transaction on the
			 * source, so the copy is one snapshot however vaultd
			 * commits meanwhile (steps of N pages would start over
			 * after each of its commits). */
			rc = sqlite3_backup_step(b, -1);
			int fin = sqlite3_backup_finish(b);
			rc = rc == SQLITE_DONE ? fin : rc;
		}
	}
	/* Page 1 brought the source's WAL flag along; a copy in rollback mode
	 * is one self-contained file that opens read-only from any medium. */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		snprintf(err, errlen, "%s", dst ? sqlite3_errmsg(dst) : "out of memory");
	if (sqlite3_close(dst) != SQLITE_OK && rc == SQLITE_OK) {
		snprintf(err, errlen, "closing the copy failed");
		rc = SQLITE_IOERR;
	}
	return rc == SQLITE_OK ? 0 : -EIO;
}

static int fsync_path(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return r;
}

/* backup --out FILE: an online, consistent copy of the live database (vaultd
 * may run), written as FILE.tmp, synced and renamed, then verified. */
static int cmd_backup(int argc, char **argv)
{
	const char *out = NULL;
	int r = out_option(argc, argv, "backup",
			   "usage: vaultctl backup --out FILE\n"
			   "Copies the database into FILE (a new file; never overwritten) from "
			   "one read\ntransaction, so while vaultd runs too, then verifies the "
			   "copy as `vaultctl verify`\ndoes and prints its tip. Exit 3 if the "
			   "copy does not verify (nor does the\ndatabase it was taken from), 4 "
			   "on I/O errors.\n",
			   &out);
	if (r >= 0)
		return r;
	if (!out || !*out)
		return vault_die(EXIT_USAGE, "backup: --out FILE is required");
	struct stat sb;
	if (lstat(out, &sb) == 0)
		return vault_die(EXIT_USAGE, "backup: %s already exists; nothing written", out);
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s.tmp", out) >= (int)sizeof tmp)
		return vault_die(EXIT_USAGE, "backup: --out: name too long");
	sqlite3 *src;
	if ((r = open_ro(&src)))
		return r;
	/* O_EXCL: a FILE.tmp left by an interrupted backup (or anyone's file)
	 * is never written over. 0600: the copy holds the PIN hashes. */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		vault_db_close(src);
		return vault_die(EXIT_SYSTEM, "backup: %s: %s%s", tmp, strerror(e),
				 e == EEXIST ? " (left by an interrupted backup? remove it)"
					     : "");
	}
	close(fd);
	char err[256] = "";
	r = backup_copy(src, tmp, err, sizeof err);
	vault_db_close(src);
	if (r == 0 && (r = fsync_path(tmp, O_RDONLY)) < 0)
		snprintf(err, sizeof err, "fsync: %s", strerror(-r));
	if (r == 0 && renameat2(AT_FDCWD, tmp, AT_FDCWD, out, RENAME_NOREPLACE) < 0) {
		r = -errno;
		/* A file system without RENAME_NOREPLACE (vfat, some FUSE): check,
		 * then rename; only a file appearing in between is overwritten. */
		if ((r == -EINVAL || r == -ENOSYS) && lstat(out, &sb) < 0)
			r = rename(tmp, out) < 0 ? -errno : 0;
		if (r == -EEXIST || r == -EINVAL || r == -ENOSYS) {
			unlink(tmp);
			return vault_die(EXIT_USAGE,
					 "backup: %s already exists; nothing written", out);
		}
		if (r < 0)
			snprintf(err, sizeof err, "rename to %s: %s", out, strerror(-r));
	}
	if (r < 0) {
		unlink(tmp);
		return vault_die(EXIT_SYSTEM, "backup: %s: %s", tmp, err);
	}
	char dir[4096];
	vault_strlcpy(dir, out, sizeof dir);
	if ((r = fsync_path(dirname(dir), O_RDONLY | O_DIRECTORY)) < 0)
		return vault_die(EXIT_SYSTEM, "backup: fsync of the directory of %s: %s", out,
				 strerror(-r));

	/* The copy is what gets verified: it is what will be restored. */
	sqlite3 *db;
	const char *oerr;
	r = vault_db_open(out, VAULT_DB_READONLY, NULL, &db, &oerr);
	if (r < 0)
		return vault_die(EXIT_SYSTEM, "backup: opening the copy %s: %s", out, oerr);
	int64_t tip = 0;
	uint8_t h[VAULT_HASH_LEN] = {0};
	char hex[2 * VAULT_HASH_LEN + 1];
	int tr = vault_ledger_tip(db, &tip, h);
	vault_hex(h, sizeof h, hex);
	printf("%s: copy of %s at tip seq %" PRId64 ", hash %s\n", out, cfg.database, tip,
	       tr == 0 ? hex : "(not a hash)");
	fflush(stdout);
	return verify_db(db, out, NULL, 0);
}

/* vaultctl mqtt status: the ledger tip, what the broker has acknowledged and
 * what the central verifier has (docs/verifier.md), as one JSON object. */
static int cmd_mqtt(int argc, char **argv)
{
	if (argc != 1 || strcmp(argv[0], "status")) {
		int help = argc == 2 && !strcmp(argv[1], "--help");
		fprintf(help ? stdout : stderr,
			"usage: vaultctl mqtt status\nPrints the ledger tip, the entries and "
			"checkpoints the broker has acknowledged, and how far the central "
			"verifier holds the ledger (verified_seq, verified_at).\n%s",
			exit_codes);
		return help ? 0 : EXIT_USAGE;
	}
	sqlite3 *db;
	int r = open_ro(&db);
	if (r)
		return r;
	struct vault_outbox o;
	if (vault_outbox_read(db, &o) < 0) {
		r = vault_die(EXIT_SYSTEM, "mqtt status: %s", sqlite3_errmsg(db));
	} else {
		char at[64] = "null";
		if (o.verified_utc) {
			time_t t = (time_t)(o.verified_utc / 1000000);
			struct tm tm;
			gmtime_r(&t, &tm);
			strftime(at, sizeof at, "\"%Y-%m-%dT%H:%M:%SZ\"", &tm);
		}
		printf("{\"tip\":%" PRId64 ",\"published_seq\":%" PRId64 ",\"checkpoint_seq\":%" PRId64
		       ",\"verified_seq\":%" PRId64 ",\"verified_at\":%s,\"unverified\":%" PRId64
		       ",\"command_id\":%" PRId64 "}\n",
		       o.tip, o.published, o.checkpoint, o.verified, at, o.tip - o.verified,
		       o.command_id);
	}
	vault_db_close(db);
	return r;
}

/* Local midnight of a YYYY-MM-DD date, in UTC microseconds. */
static int date_to_us(const char *s, int64_t *ret)
{
	if (vault_date_check(s) < 0)
		return -EINVAL;
	struct tm tm = {0};
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_isdst = -1;
	time_t t = mktime(&tm);
	*ret = (int64_t)t * 1000000;
	return 0;
}

static void csv_field(const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

static int cmd_log(int argc, char **argv)
{
	static const struct option o[] = {
		{"person", required_argument, NULL, 'p'}, {"medium", required_argument, NULL, 'm'},
		{"kind", required_argument, NULL, 'k'},	  {"since", required_argument, NULL, 's'},
		{"until", required_argument, NULL, 'u'},  {"format", required_argument, NULL, 'f'},
		{"limit", required_argument, NULL, 'l'},  {"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *person = NULL, *medium = NULL, *kind = NULL, *fmt = "table";
	int64_t since = INT64_MIN, until = INT64_MAX;
	long limit = -1;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'p':
			person = optarg;
			break;
		case 'm':
			medium = optarg;
			break;
		case 'k':
			kind = optarg;
			break;
		case 's':
			if (date_to_us(optarg, &since) < 0)
				return vault_die(EXIT_USAGE,
						 "log: --since: not a valid date YYYY-MM-DD");
			break;
		case 'u':
			if (date_to_us(optarg, &until) < 0)
				return vault_die(EXIT_USAGE,
						 "log: --until: not a valid date YYYY-MM-DD");
			until += 86400LL * 1000000; /* through the end of that local day */
			break;
		case 'f':
			fmt = optarg;
			if (strcmp(fmt, "table") && strcmp(fmt, "csv") && strcmp(fmt, "json"))
				return vault_die(EXIT_USAGE,
						 "log: --format: table, csv or json");
			break;
		case 'l':
			limit = strtol(optarg, &end, 10);
			if (*end || limit < 0)
				return vault_die(EXIT_USAGE,
						 "log: --limit: a non-negative integer");
			break;
		case 'h':
			printf("usage: vaultctl log [--person ID] [--medium ID] [--kind PREFIX]\n"
			       "       [--since YYYY-MM-DD] [--until YYYY-MM-DD] "
			       "[--format table|csv|json] [--limit N]\n"
			       "Dates are local calendar days in the site time zone (%s).\n%s",
			       cfg.timezone, exit_codes);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return vault_die(EXIT_USAGE, "log: unexpected argument '%s'", argv[optind]);
	sqlite3 *db;
	int r = open_ro(&db);
	if (r)
		return r;
	sqlite3_stmt *st;
	/* --person: entries the person acted in (actors is a comma list: match a
	 * whole element) or that changed the person's own rows. */
	const char *sql =
		"SELECT seq, ts_utc, kind, actors, medium, approval, cites, payload, hash "
		"FROM ledger WHERE (?1 IS NULL OR ','||actors||',' LIKE '%,'||?1||',%' "
		"OR instr(payload, '\"k\":\"'||?1||'\"') > 0 "
		"OR instr(payload, '\"person\":\"'||?1||'\"') > 0) "
		"AND (?2 IS NULL OR medium = ?2) AND (?3 IS NULL OR kind = ?3 OR kind LIKE ?3||'.%') "
		"AND ts_utc >= ?4 AND ts_utc < ?5 ORDER BY seq LIMIT ?6";
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		vault_db_close(db);
		return vault_die(EXIT_SYSTEM, "log: %s", sqlite3_errmsg(db));
	}
	if (person)
		sqlite3_bind_text(st, 1, person, -1, SQLITE_STATIC);
	if (medium)
		sqlite3_bind_text(st, 2, medium, -1, SQLITE_STATIC);
	if (kind)
		sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, since);
	sqlite3_bind_int64(st, 5, until);
	sqlite3_bind_int64(st, 6, limit);
	int json = !strcmp(fmt, "json"), csv = !strcmp(fmt, "csv");
	cJSON *arr = json ? cJSON_CreateArray() : NULL;
	if (csv)
		printf("seq,time,kind,actors,medium,approval,cites,payload,hash\n");
	else if (!json)
		printf("%6s  %-19s  %-28s  %-12s  %-10s  %s\n", "SEQ", "TIME", "KIND", "ACTORS",
		       "MEDIUM", "DETAIL");
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(st, 0);
		time_t t = (time_t)(sqlite3_column_int64(st, 1) / 1000000);
		struct tm tm;
		localtime_r(&t, &tm);
		char ts[32], hash[65] = "";
		strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
		if (sqlite3_column_bytes(st, 8) == 32)
			vault_hex(sqlite3_column_blob(st, 8), 32, hash);
		const char *cols[7];
		for (int i = 2; i <= 7; i++) {
			const char *v = (const char *)sqlite3_column_text(st, i);
			cols[i - 2] = v ? v : "";
		}
		if (json) {
			cJSON *e = cJSON_CreateObject();
			cJSON_AddNumberToObject(e, "seq", (double)seq);
			cJSON_AddStringToObject(e, "time", ts);
			cJSON_AddStringToObject(e, "kind", cols[0]);
			cJSON_AddStringToObject(e, "actors", cols[1]);
			cJSON_AddStringToObject(e, "medium", cols[2]);
			cJSON_AddStringToObject(e, "approval", cols[3]);
			cJSON_AddStringToObject(e, "cites", cols[4]);
			cJSON *pl = cJSON_Parse(cols[5]);
			cJSON_AddItemToObject(e, "payload", pl ? pl : cJSON_CreateString(cols[5]));
			cJSON_AddStringToObject(e, "hash", hash);
			cJSON_AddItemToArray(arr, e);
		} else if (csv) {
			printf("%" PRId64 ",%s,", seq, ts);
			for (int i = 0; i < 6; i++) {
				csv_field(cols[i]);
				putchar(',');
			}
			printf("%s\n", hash);
		} else {
			char detail[61];
			snprintf(detail, sizeof detail, "%s", cols[5]);
			printf("%6" PRId64 "  %-19s  %-28s  %-12s  %-10s  %s\n", seq, ts, cols[0],
			       cols[1], cols[2], detail);
		}
	}
	sqlite3_finalize(st);
	vault_db_close(db);
	if (json) {
		char *t = cJSON_Print(arr);
		printf("%s\n", t);
		free(t);
		cJSON_Delete(arr);
	}
	return 0;
}

/* ---- supervisor reports (read-only; vault/reports.h) -------------------- */

struct report_env {
	sqlite3 *db;
	struct vault_tz *tz;
	struct vault_policy_config pc;
	struct vault_report_ctx ctx;
};

/* Open the database read-only and load the site zone; `today` may be NULL.
 * A report reads one snapshot (a read transaction until report_close): with
 * vaultd writing, queries on either side of one of its commits would disagree
 * (the self-inspection's verification would replay the chain up to one entry
 * and compare it with a registry that has the next). */
static int report_open(struct report_env *e, const char *today)
{
	memset(e, 0, sizeof *e);
	if (today && vault_date_parse(today, &e->ctx.today) < 0)
		return vault_die(EXIT_USAGE, "--today: not a valid date YYYY-MM-DD");
	int r = vault_tz_load(NULL, cfg.timezone, &e->tz);
	if (r < 0)
		return vault_die(EXIT_USAGE, "time zone %s: %s", cfg.timezone, strerror(-r));
	r = open_ro(&e->db);
	if (r) {
		vault_tz_free(e->tz);
		return r;
	}
	if (vault_db_exec(e->db, "BEGIN") < 0) {
		r = vault_die(EXIT_SYSTEM, "database: %s", sqlite3_errmsg(e->db));
		vault_db_close(e->db);
		vault_tz_free(e->tz);
		return r;
	}
	vault_policy_config_from(&e->pc, cfg.training_max_days, cfg.cert_years,
				 cfg.onsite_threshold, cfg.destruction_months);
	e->ctx.db = e->db;
	e->ctx.tz = e->tz;
	e->ctx.now_utc_us = vault_now_utc_us();
	e->ctx.policy = &e->pc;
	e->ctx.lang = cfg.lang;
	e->ctx.vault_name = cfg.name;
	return 0;
}

static int report_close(struct report_env *e, int r, const char *what)
{
	vault_db_exec(e->db, "ROLLBACK");
	vault_db_close(e->db);
	vault_tz_free(e->tz);
	if (r == -ENOENT)
		return vault_die(EXIT_USAGE, "%s: no such record", what);
	if (r < 0)
		return vault_die(EXIT_SYSTEM, "%s: %s", what, strerror(-r));
	return EXIT_OK;
}

/* --format NAME limited to the formats a verb offers ("csv json"). */
static int report_format(const char *verb, const char *name, const char *allowed,
			 enum vault_report_format *ret)
{
	size_t n = strlen(name);
	const char *p = strstr(allowed, name);
	if (!n || !p || (p != allowed && p[-1] != ' ') || (p[n] && p[n] != ' ') ||
	    vault_report_format_from_name(name, ret) < 0)
		return vault_die(EXIT_USAGE, "%s: --format: one of %s", verb, allowed);
	return 0;
}

static int cmd_ledger(int argc, char **argv)
{
	static const struct option o[] = {
		{"format", required_argument, NULL, 'f'},
		{"bom", no_argument, NULL, 'b'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *fmt = "csv";
	int bom = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		if (c == 'h') {
			printf("usage: vaultctl ledger custody|checkout|copy|destruction "
			       "[--format csv|json|table|text] [--bom]\n"
			       "The regulation ledgers, read-only: custody (the media register), "
			       "checkout/return,\ncopy/scan (with lineage) and destruction (with "
			       "the orders). CSV is RFC 4180;\n--bom starts it with a UTF-8 "
			       "byte-order mark for spreadsheet programs. text prints\npages of 40 "
			       "rows, each with a chained page hash and signature lines.\n%s",
			       exit_codes);
			return 0;
		}
		if (c == 'f')
			fmt = optarg;
		else if (c == 'b')
			bom = 1;
		else
			return EXIT_USAGE;
	}
	enum vault_ledger_view view;
	if (optind + 1 != argc || vault_ledger_view_from_name(argv[optind], &view) < 0)
		return vault_die(EXIT_USAGE,
				 "ledger: which one? custody, checkout, copy or destruction");
	enum vault_report_format f;
	int r = report_format("ledger", fmt, "csv json table text", &f);
	if (r)
		return r;
	struct report_env e;
	if ((r = report_open(&e, NULL)))
		return r;
	r = vault_report_ledger(&e.ctx, view, f, bom, stdout);
	return report_close(&e, r, "ledger");
}

static int cmd_alerts(int argc, char **argv)
{
	static const struct option o[] = {
		{"format", required_argument, NULL, 'f'},
		{"today", required_argument, NULL, 't'},
		{"bom", no_argument, NULL, 'b'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *fmt = "table", *today = NULL;
	int bom = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		if (c == 'h') {
			printf("usage: vaultctl alerts [--format table|csv|json] [--bom] "
			       "[--today YYYY-MM-DD]\n"
			       "Early warnings as of today (site time zone %s): certificates "
			       "and training\n(missing, due within 90/30/7 days, expired), returns "
			       "due or overdue, destruction\ndeadlines near or past, suspended "
			       "units, approvals waiting for on-site\nverification or active past "
			       "their validity. --today pretends another date.\n%s",
			       cfg.timezone, exit_codes);
			return 0;
		}
		if (c == 'f')
			fmt = optarg;
		else if (c == 't')
			today = optarg;
		else if (c == 'b')
			bom = 1;
		else
			return EXIT_USAGE;
	}
	if (optind != argc)
		return vault_die(EXIT_USAGE, "alerts: unexpected argument '%s'", argv[optind]);
	enum vault_report_format f;
	int r = report_format("alerts", fmt, "table csv json", &f);
	struct report_env e;
	if (r || (r = report_open(&e, today)))
		return r;
	r = vault_report_alerts(&e.ctx, f, bom, stdout);
	return report_close(&e, r, "alerts");
}

static int cmd_self_inspection(int argc, char **argv)
{
	static const struct option o[] = {
		{"format", required_argument, NULL, 'f'},
		{"today", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *fmt = "text", *today = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		if (c == 'h') {
			printf("usage: vaultctl self-inspection [--format text|json] "
			       "[--today YYYY-MM-DD]\n"
			       "Personnel, approvals, custody, destruction and the ledger's "
			       "verification, with\nsignature lines for printing (text is "
			       "Markdown). Exit 3 if the ledger does not verify.\n%s",
			       exit_codes);
			return 0;
		}
		if (c == 'f')
			fmt = optarg;
		else if (c == 't')
			today = optarg;
		else
			return EXIT_USAGE;
	}
	if (optind != argc)
		return vault_die(EXIT_USAGE, "self-inspection: unexpected argument '%s'",
				 argv[optind]);
	enum vault_report_format f;
	int r = report_format("self-inspection", fmt, "text json", &f);
	struct report_env e;
	if (r || (r = report_open(&e, today)))
		return r;
	int problems = 0;
	r = vault_report_self_inspection(&e.ctx, f, stdout, &problems);
	r = report_close(&e, r, "self-inspection");
	return r ? r : problems ? EXIT_VERIFY : EXIT_OK;
}

/* vaultctl medium list|show (the other medium verbs go to vaultd). */
static int cmd_medium_report(int argc, char **argv)
{
	static const struct option o[] = {
		{"status", required_argument, NULL, 's'},
		{"classification", required_argument, NULL, 'c'},
		{"shelf", required_argument, NULL, 'l'},
		{"dataset", required_argument, NULL, 'd'},
		{"project", required_argument, NULL, 'p'},
		{"format", required_argument, NULL, 'f'},
		{"bom", no_argument, NULL, 'b'},
		{"id", required_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int show = !strcmp(argv[0], "show"), bom = 0, c;
	struct vault_media_filter flt = {0};
	const char *fmt = show ? "text" : "table", *id = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (c) {
		case 'h':
			if (show)
				printf("usage: vaultctl medium show --id ID [--format text|json]\n"
				       "Every field, lineage parents and children, and the ledger "
				       "entries about it.\n%s",
				       exit_codes);
			else
				printf("usage: vaultctl medium list [--status S] [--classification "
				       "C] [--shelf SHELF]\n       [--dataset NAME] [--project P] "
				       "[--format table|csv|json] [--bom]\n%s",
				       exit_codes);
			return 0;
		case 's':
			flt.status = optarg;
			break;
		case 'c':
			flt.classification = optarg;
			break;
		case 'l':
			flt.shelf = optarg;
			break;
		case 'd':
			flt.dataset = optarg;
			break;
		case 'p':
			flt.project = optarg;
			break;
		case 'f':
			fmt = optarg;
			break;
		case 'b':
			bom = 1;
			break;
		case 'i':
			id = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return vault_die(EXIT_USAGE, "medium %s: unexpected argument '%s'", argv[0],
				 argv[optind]);
	if (show && (!id || flt.status || flt.classification || flt.shelf || flt.dataset ||
		     flt.project || bom))
		return vault_die(EXIT_USAGE, "medium show: takes --id ID and --format only");
	if (!show && id)
		return vault_die(EXIT_USAGE, "medium list: no --id (use medium show --id ID)");
	/* Filter values are checked against the schema's allowed values, so a
	 * typo is an error rather than an empty list. */
	const struct vault_entity *me = vault_entity_by_noun("medium");
	const char *fv[] = {flt.status, flt.classification};
	const char *fn[] = {"status", "classification"};
	for (int i = 0; i < 2; i++) {
		const char *err;
		cJSON *v = fv[i] ? vault_field_value(vault_entity_field(me, fn[i]), fv[i], &err) : NULL;
		if (fv[i] && !v)
			return vault_die(EXIT_USAGE, "medium list: --%s: %s", fn[i], err);
		cJSON_Delete(v);
	}
	enum vault_report_format f;
	int r = report_format(show ? "medium show" : "medium list", fmt,
			      show ? "text json" : "table csv json", &f);
	struct report_env e;
	if (r || (r = report_open(&e, NULL)))
		return r;
	if (show)
		r = vault_report_medium_show(&e.ctx, id, f, stdout);
	else
		r = vault_report_media(&e.ctx, &flt, f, bom, stdout);
	char what[96];
	snprintf(what, sizeof what, "medium %s%s%.64s", argv[0], id ? " " : "", id ? id : "");
	return report_close(&e, r, what);
}

/* destroy certificate --order ORDER [--format text|json]: the certificate read
 * back from the ledger (offline, read-only; docs/destruction.md). */
static int cmd_destroy_certificate(int argc, char **argv)
{
	static const struct option o[] = {
		{"order", required_argument, NULL, 'o'},
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *order = NULL, *fmt = "text";
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("usage: vaultctl destroy certificate --order ORDER [--format text|json]\n"
			       "The destruction (or handover) certificate of an order, from its "
			       "ledger entry,\nwith the entry's seq and hash.\n%s",
			       exit_codes);
			return 0;
		case 'o':
			order = optarg;
			break;
		case 'f':
			fmt = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc || !order || (strcmp(fmt, "text") && strcmp(fmt, "json")))
		return vault_die(EXIT_USAGE,
				 "usage: vaultctl destroy certificate --order ORDER "
				 "[--format text|json]");
	sqlite3 *db;
	int r = open_ro(&db);
	if (r)
		return r;
	cJSON *cert;
	r = vault_destruction_certificate(db, order, &cert);
	vault_db_close(db);
	if (r == -ENOENT)
		return vault_die(EXIT_REFUSED,
				 "no confirmed destruction or handover of order %s", order);
	if (r < 0)
		return vault_die(EXIT_SYSTEM, "reading the ledger: %s", strerror(-r));
	char *t = !strcmp(fmt, "json") ? cJSON_Print(cert) : vault_destruction_certificate_text(cert);
	cJSON_Delete(cert);
	if (!t)
		return vault_die(EXIT_SYSTEM, "out of memory");
	fputs(t, stdout);
	if (!strcmp(fmt, "json"))
		putchar('\n');
	free(t);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	int i = 1;
	vault_log_set_ident("vaultctl");
	while (i < argc && argv[i][0] == '-') {
		if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc) {
			config_path = argv[i + 1];
			i += 2;
		} else if (!strncmp(argv[i], "--config=", 9)) {
			config_path = argv[i] + 9;
			i++;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage_main(stdout);
			return 0;
		} else {
			usage_main(stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage_main(stderr);
		return EXIT_USAGE;
	}
	const char *verb = argv[i];
	int vargc = argc - i;
	char **vargv = argv + i;
	int need_cfg = strcmp(verb, "help") != 0;
	if (need_cfg) {
		int r = load_config(!strcmp(verb, "init"));
		if (r)
			return r;
	}
	if (!strcmp(verb, "help")) {
		usage_main(stdout);
		return 0;
	}
	if (!strcmp(verb, "init"))
		return cmd_init(vargc, vargv);
	if (!strcmp(verb, "verify"))
		return cmd_verify(vargc, vargv);
	if (!strcmp(verb, "backup"))
		return cmd_backup(vargc, vargv);
	if (!strcmp(verb, "log"))
		return cmd_log(vargc, vargv);
	if (!strcmp(verb, "checkpoint"))
		return cmd_checkpoint(vargc - 1, vargv + 1);
	if (!strcmp(verb, "mqtt"))
		return cmd_mqtt(vargc - 1, vargv + 1);
	if (!strcmp(verb, "whoami"))
		return send_action("whoami", cJSON_CreateObject());
	if (!strcmp(verb, "vault") && vargc >= 2 && !strcmp(vargv[1], "check")) {
		int r;
		cJSON *args = options_or_help(vargc - 2, vargv + 2, "usage: vaultctl vault check [--note TEXT]\nRecords that you "
				       "checked the closed vault (the open/close sheet).\n", &r);
		if (!args)
			return r;
		return send_action("vault.check", args);
	}
	if (!strcmp(verb, "occupancy") && vargc >= 2 && !strcmp(vargv[1], "clear")) {
		int r;
		cJSON *args = options_or_help(vargc - 2, vargv + 2,
					      "usage: vaultctl occupancy clear --person P --note TEXT\n"
					      "       vaultctl occupancy clear --all yes --note TEXT\n"
					      "Records that P (or everyone) left the vault without an exit "
					      "read.\n",
					      &r);
		if (!args)
			return r;
		return send_action("occupancy.clear", args);
	}
	if (!strcmp(verb, "door") && vargc == 2 && !strcmp(vargv[1], "stats"))
		return send_action_json("door.stats", cJSON_CreateObject());
	if (!strcmp(verb, "pin"))
		return cmd_pin(vargc - 1, vargv + 1);
	if (!strcmp(verb, "copy"))
		return cmd_copy(vargc - 1, vargv + 1);
	if (!strcmp(verb, "ledger") && vargc > 1 && !strcmp(vargv[1], "verify-now"))
		return cmd_ledger_verify_now(vargc - 1, vargv + 1);
	if (!strcmp(verb, "ledger"))
		return cmd_ledger(vargc, vargv);
	if (!strcmp(verb, "alerts"))
		return cmd_alerts(vargc, vargv);
	if (!strcmp(verb, "self-inspection"))
		return cmd_self_inspection(vargc, vargv);
	if (!strcmp(verb, "medium") && vargc > 1 &&
	    (!strcmp(vargv[1], "list") || !strcmp(vargv[1], "show")))
		return cmd_medium_report(vargc - 1, vargv + 1);
	if (!strcmp(verb, "destroy") && vargc > 1 && !strcmp(vargv[1], "certificate"))
		return cmd_destroy_certificate(vargc - 1, vargv + 1);
	/* The workflow modules' verbs: NOUN VERB [--key value ...] -> "NOUN.VERB"
	 * sent to vaultd as is (values are strings; lists are comma-separated);
	 * the reply is printed as JSON. */
	static const char *const module_nouns[] = {"custody", "destroy", "inventory", "alert"};
	for (size_t k = 0; k < sizeof module_nouns / sizeof module_nouns[0]; k++) {
		if (strcmp(verb, module_nouns[k]) != 0)
			continue;
		if (vargc < 2 || vargv[1][0] == '-')
			return vault_die(EXIT_USAGE, "%s: which verb? (vaultctl --help)", verb);
		char action[96];
		snprintf(action, sizeof action, "%s.%.64s", verb, vargv[1]);
		int r;
		char usage[160];
		snprintf(usage, sizeof usage, "usage: vaultctl %s %.64s [--key value ...]\n", verb,
			 vargv[1]);
		cJSON *args = options_or_help(vargc - 2, vargv + 2, usage, &r);
		if (!args)
			return r;
		return send_action_json(action, args);
	}
	const struct vault_entity *e = vault_entity_by_noun(verb);
	if (e)
		return cmd_entity(e, vargc - 1, vargv + 1);
	return vault_die(EXIT_USAGE, "unknown verb '%s' (vaultctl --help lists them)", verb);
}
