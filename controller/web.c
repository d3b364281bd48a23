/* SPDX-License-Identifier: MIT */
/*
 * The HTTP service: the kiosk page and the supervisor console, served by the
 * HTTP layer (vault/http.h) inside vaultd's loop. This file is the daemon's
 * side of that layer: who signs in, what a session may do, and the ledger.
 *
 * Sign-in at both stations is badge + PIN: the badge is the one the station's
 * reader ("kiosk" or "console", controller/stations.c) authenticated last, the
 * PIN is typed on the page and verified on the KDF thread. A duress PIN signs
 * in as usual and ledgers a silent alarm.duress. Roles: the kiosk takes staff,
 * custodians, supervisors and admins; the console supervisors and admins.
 *
 * Actions map route names onto vaultd_dispatch() (the admin socket's path) with
 * the session's person and role, checked against the same role table as the
 * CLI. Queries are read-only and bounded. Every refusal is ledgered:
 * <station>.login.refused, <station>.action.refused, <station>.query.refused,
 * and http.refused for the layer's own (within a refusal budget of
 * [http] refusal_limit per refusal_window_s, flood.h: beyond it
 * alarm.http_flood and batches counted by reason and client address, which
 * behind a [http] trusted_proxy is the one it forwarded; static 404s are
 * logged only).
 * Sessions are ledgered as session.start / session.end.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "flood.h"
#include "kdf.h"
#include "vault/caldate.h"
#include "vault/db.h"
#include "vault/http.h"
#include "vault/pin.h"
#include "vault/regload.h"
#include "vault/util.h"
#include "vaultd.h"

#define LIMIT_MAX 500
#define NOTFOUND_LOG 60	  /* missing static files logged a minute */
#define MEDIA_MAX 64	  /* media ids in one checkout or return */

enum { ST_KIOSK, ST_CONSOLE, ST__COUNT };
static const char *const station_name[ST__COUNT] = {"kiosk", "console"};
/* Who may sign in where: rows of the role table (controller/actions.c). */
static const char *const station_right[ST__COUNT] = {"web.kiosk", "web.console"};

struct budget {
	int64_t window_us;
	unsigned used, suppressed;
};

struct web {
	struct vaultd *d;
	struct vault_http *h;
	/* The badge (and its person) of the last sign-in at each station: its
	 * sessions end when another badge is presented there. */
	char badge[ST__COUNT][32];
	char person[ST__COUNT][VAULT_HTTP_PERSON_MAX];
	struct flood *refusals; /* the layer's and badge-less logins' (flood.h) */
	struct budget notfound; /* missing static files: logged a few a minute */
	int listening;
};

/* ---- spec table ------------------------------------------------------------ */

static const char *const f_checkout[] = {"approval", "media", NULL};
static const char *const f_return[] = {"media", NULL};
static const char *const f_id[] = {"id", NULL};
static const char *const f_none[] = {NULL};
static const char *const f_limit[] = {"limit", NULL};
static const char *const f_ledger[] = {"since", "limit", "kind", NULL};
static const char *const f_media[] = {"status", "after", "limit", NULL};

static const struct vault_http_spec specs[] = {
	{"checkout", 0, VAULT_HTTP_KIOSK, f_checkout},
	{"return", 0, VAULT_HTTP_KIOSK, f_return},
	{"ack_alert", 0, VAULT_HTTP_CONSOLE, f_id},
	{"inventory", 0, VAULT_HTTP_CONSOLE, f_none},
	{"checkpoint", 0, VAULT_HTTP_CONSOLE, f_none},
	{"approvals", 1, VAULT_HTTP_KIOSK, f_limit},
	{"pad", 1, VAULT_HTTP_KIOSK, f_none},
	{"ledger", 1, VAULT_HTTP_CONSOLE, f_ledger},
	{"alerts", 1, VAULT_HTTP_CONSOLE, f_limit},
	{"media", 1, VAULT_HTTP_CONSOLE, f_media},
	{NULL, 0, 0, NULL},
};

/* Route name -> vaultd action. */
static const struct {
	const char *route, *action;
} routes[] = {
	{"checkout", "custody.checkout"}, {"return", "custody.return"},
	{"ack_alert", "alert.ack"},	  {"inventory", "inventory.run"},
	{"checkpoint", "checkpoint.now"},
};

/* ---- helpers --------------------------------------------------------------- */

static int station_of(const char *kind)
{
	for (int i = 0; i < ST__COUNT; i++)
		if (kind && !strcmp(kind, station_name[i]))
			return i;
	return -1;
}

__attribute__((format(printf, 4, 5))) static void set_res(struct vault_http_result *res,
							   enum vault_reason r, unsigned status,
							   const char *fmt, ...)
{
	res->reason = r;
	res->http_status = status;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof res->detail, fmt, ap);
	va_end(ap);
}

/* A log budget: 1 while there is room this minute, else 0 (counted). */
static int budget_take(struct budget *b)
{
	int64_t now = vault_now_mono_us();
	if (now - b->window_us >= 60 * 1000000LL) {
		b->window_us = now;
		b->used = 0;
	}
	if (b->used >= NOTFOUND_LOG) {
		b->suppressed++;
		return 0;
	}
	b->used++;
	return 1;
}

/* Ledger a refusal "<kind>.refused", unless budget f (if not NULL) counts it
 * into a batch instead (KEY: the remote address, may be NULL). */
static void ledger_refusal(struct web *w, const char *kind, const char *actors,
			   const char *action, enum vault_reason reason, const char *detail,
			   struct flood *f, const char *key)
{
	if (f && !flood_take(f, reason, key))
		return;
	const char *d = detail ? detail : "";
	vaultd_record_refusal(w->d, kind, actors, action, reason, d, NULL);
	vault_log(LOG_NOTICE, "http", "%s.refused %s by %s: %s%s%s", kind, action,
		  *actors ? actors : "-", vault_reason_id(reason), *d ? ": " : "", d);
}

/* A calendar date in the site zone as YYYY-MM-DD. */
static void date_str(struct vault_date dt, char buf[16])
{
	if (vault_date_format(dt, buf, 16) < 0)
		buf[0] = 0;
}

/* A ledger time as site-local "YYYY-MM-DD HH:MM:SS+HH:MM". */
static void time_str(const struct vaultd *d, int64_t utc_us, char *buf, size_t n)
{
	struct vault_localtime lt;
	char day[16];
	if (vault_tz_localtime(d->tz, utc_us, &lt) < 0) {
		snprintf(buf, n, "%lld", (long long)utc_us);
		return;
	}
	date_str(lt.date, day);
	int off = lt.utc_offset_s < 0 ? -lt.utc_offset_s : lt.utc_offset_s;
	snprintf(buf, n, "%s %02d:%02d:%02d%c%02d:%02d", day, lt.minute_of_day / 60,
		 lt.minute_of_day % 60, lt.second, lt.utc_offset_s < 0 ? '-' : '+', off / 3600,
		 off / 60 % 60);
}

static void add_col(cJSON *o, const char *name, sqlite3_stmt *st, int col)
{
	const unsigned char *v = sqlite3_column_text(st, col);
	cJSON_AddStringToObject(o, name, v ? (const char *)v : "");
}

/* ---- sign-in ----------------------------------------------------------------- */

struct login_job {
	struct web *w;		 /* touched only on the loop thread */
	struct vault_loop *loop; /* the KDF thread posts here (w may be gone) */
	uint64_t call;
	int st;
	char badge[32], person[VAULT_HTTP_PERSON_MAX];
	int64_t sensor_id;
	char pin[16];
	char hash[VAULT_PIN_HASH_MAX], dhash[VAULT_PIN_HASH_MAX];
	uint8_t pepper[VAULT_PIN_PEPPER_LEN];
	int result; /* 0 ok, 1 duress, -1 wrong */
};

static void login_refuse(struct web *w, int st, const char *person, const char *badge,
			 enum vault_reason r, unsigned status, const char *detail,
			 struct vault_http_result *res)
{
	char kind[32], d[VAULT_HTTP_DETAIL_MAX];
	snprintf(kind, sizeof kind, "%s.login", station_name[st]);
	if (badge && *badge)
		snprintf(d, sizeof d, "badge %s%s%.180s", badge, *detail ? ": " : "", detail);
	else
		snprintf(d, sizeof d, "%.200s", detail);
	/* Without a badge nobody is accountable: those share the refusal budget. */
	ledger_refusal(w, kind, person ? person : "", "login", r, d,
		       badge && *badge ? NULL : w->refusals, NULL);
	set_res(res, r, status, "%s", detail);
}

static void login_finish(struct login_job *j)
{
	struct web *w = j->w;
	struct vaultd *d = w->d;
	struct vault_http_result res = {0};
	const char *station = station_name[j->st];
	pinlock_of(&d->pinlock, j->badge, 1)->verifying_us = 0;
	int locked = pinlock_result(&d->pinlock, j->badge, j->result >= 0, d->cfg.pin_lockout_after,
				    d->cfg.pin_lockout_seconds);
	if (j->result < 0) {
		login_refuse(w, j->st, j->person, j->badge,
			     locked ? VAULT_R_PIN_LOCKED : VAULT_R_PIN_WRONG, 401, "", &res);
		goto done;
	}
	if (j->result == 1) {
		/* Silent: the sign-in goes on as usual; the alarm goes everywhere else. */
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "code", "DURESS");
		char text[64];
		snprintf(text, sizeof text, "duress PIN entered at the %s", station);
		cJSON_AddStringToObject(p, "text", text);
		cJSON_AddBoolToObject(p, "silent", 1);
		cJSON_AddStringToObject(p, "reader", station);
		cJSON_AddStringToObject(p, "badge", j->badge);
		struct vault_record r = {.kind = "alarm.duress", .actors = j->person, .payload = p};
		vaultd_record(d, &r, NULL);
		cJSON_Delete(p);
		vault_log(LOG_ALERT, "http", "DURESS PIN by %s at the %s", j->person, station);
	}
	/* The badge must still be the one that was at the reader. */
	const struct vaultd_station_badge *b =
		vaultd_station_badge(d, station, d->cfg.station_window_s);
	if (!b || strcmp(b->badge, j->badge) || b->sensor_id != j->sensor_id) {
		login_refuse(w, j->st, j->person, j->badge, VAULT_R_WEB_BADGE_CHANGED, 401,
			     "another presentation at the reader", &res);
		goto done;
	}
	struct vault_actor_rec a;
	int e = vault_load_actor(d->db, j->person, &a);
	if (e < 0) {
		login_refuse(w, j->st, j->person, j->badge,
			     e == -ENOENT ? VAULT_R_PERSON_UNKNOWN : VAULT_R_DB_ERROR, 0, "", &res);
		goto done;
	}
	const char *role = vault_role_name(a.person.role);
	if (!vaultd_role_allows(station_right[j->st], role)) {
		char det[96];
		snprintf(det, sizeof det, "a %s may not sign in at the %s", role, station);
		login_refuse(w, j->st, j->person, j->badge, VAULT_R_ROLE_NOT_ALLOWED, 403, det,
			     &res);
		goto done;
	}
	enum vault_reason pr = vault_policy_check_person(&a.actor, &d->pc, vaultd_today(d));
	if (pr != VAULT_R_OK) {
		login_refuse(w, j->st, j->person, j->badge, pr, 403, "", &res);
		goto done;
	}
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "kind", station);
	cJSON_AddStringToObject(p, "person", j->person);
	cJSON_AddStringToObject(p, "role", role);
	cJSON_AddStringToObject(p, "badge", j->badge);
	char cites[24];
	snprintf(cites, sizeof cites, "%lld", (long long)j->sensor_id);
	struct vault_record r = {.kind = "session.start", .actors = j->person,
				 .cites = j->sensor_id ? cites : NULL, .payload = p};
	e = vaultd_record(d, &r, NULL);
	cJSON_Delete(p);
	if (e < 0) {
		set_res(&res, VAULT_R_DB_ERROR, 500, "the sign-in was not recorded");
		goto done;
	}
	snprintf(res.person, sizeof res.person, "%s", j->person);
	snprintf(res.role, sizeof res.role, "%s", role);
	snprintf(w->badge[j->st], sizeof w->badge[j->st], "%s", j->badge);
	snprintf(w->person[j->st], sizeof w->person[j->st], "%s", j->person);
	vault_log(LOG_INFO, "http", "%s signed in at the %s (badge %s)", j->person, station,
		  j->badge);
	if (vault_http_complete(w->h, j->call, &res) == -ENOENT) {
		/* The browser went away while the PIN was checked. */
		cJSON *q = cJSON_CreateObject();
		cJSON_AddStringToObject(q, "kind", station);
		cJSON_AddStringToObject(q, "person", j->person);
		cJSON_AddStringToObject(q, "why", "not_delivered");
		struct vault_record rr = {.kind = "session.end", .actors = j->person, .payload = q};
		vaultd_record(d, &rr, NULL);
		cJSON_Delete(q);
	}
	return;
done:
	vault_http_complete(w->h, j->call, &res);
}

static void login_checked(struct vault_loop *l, void *msg, int quitting)
{
	struct login_job *j = msg;
	if (!quitting) /* when quitting, the web service is already gone */
		login_finish(j);
	sodium_memzero(j, sizeof *j);
	free(j);
}

static void login_drop(void *arg);

static void login_work(void *arg)
{
	struct login_job *j = arg;
	if (vault_pin_verify(j->pepper, j->pin, j->hash) == 0)
		j->result = 0;
	else if (j->dhash[0] && vault_pin_verify(j->pepper, j->pin, j->dhash) == 0)
		j->result = 1;
	else
		j->result = -1;
	sodium_memzero(j->pin, sizeof j->pin);
	sodium_memzero(j->pepper, sizeof j->pepper);
	if (vault_loop_post(j->loop, login_checked, j) < 0)
		login_drop(j); /* the browser gets no answer; its request times out */
}

static void login_drop(void *arg)
{
	sodium_memzero(arg, sizeof(struct login_job));
	free(arg);
}

static int op_login(void *ud, uint64_t call, const char *kind, const cJSON *cred,
		    struct vault_http_result *res)
{
	struct web *w = ud;
	struct vaultd *d = w->d;
	int st = station_of(kind);
	if (st < 0) {
		set_res(res, VAULT_R_HTTP_BAD_FIELD, 400, "kind");
		return VAULT_HTTP_DONE;
	}
	const char *pin = NULL;
	for (const cJSON *c = cred ? cred->child : NULL; c; c = c->next) {
		if (!strcmp(c->string, "pin") && cJSON_IsString(c)) {
			pin = c->valuestring;
		} else {
			char det[80];
			snprintf(det, sizeof det, "credentials.%.60s", c->string);
			login_refuse(w, st, "", "", VAULT_R_HTTP_BAD_FIELD, 400, det, res);
			return VAULT_HTTP_DONE;
		}
	}
	if (!pin) {
		login_refuse(w, st, "", "", VAULT_R_HTTP_BAD_FIELD, 400, "credentials.pin", res);
		return VAULT_HTTP_DONE;
	}
	const struct vaultd_station_badge *b =
		vaultd_station_badge(d, station_name[st], d->cfg.station_window_s);
	if (!b) {
		char det[64];
		snprintf(det, sizeof det, "no badge at the %s reader", station_name[st]);
		login_refuse(w, st, "", "", VAULT_R_WEB_NO_BADGE, 401, det, res);
		return VAULT_HTTP_DONE;
	}
	if (b->reason != VAULT_R_OK || !b->person[0]) {
		/* stations.c has ledgered the presentation's own refusal. */
		login_refuse(w, st, b->person, b->badge,
			     b->reason != VAULT_R_OK ? b->reason : VAULT_R_BADGE_UNKNOWN, 401, "",
			     res);
		return VAULT_HTTP_DONE;
	}
	if (pinlock_locked(&w->d->pinlock, b->badge)) {
		login_refuse(w, st, b->person, b->badge, VAULT_R_PIN_LOCKED, 401, "", res);
		return VAULT_HTTP_DONE;
	}
	/* (a check lost on the way back, e.g. no memory to post it, stops
	 * blocking the badge after a while) */
	struct pinlock_entry *lo = pinlock_of(&d->pinlock, b->badge, 1);
	int64_t now = vault_now_mono_us();
	if (lo->verifying_us && now - lo->verifying_us < 30 * 1000000LL) {
		set_res(res, VAULT_R_HTTP_BUSY, 503, "a PIN check for this badge is in progress");
		return VAULT_HTTP_DONE;
	}
	struct login_job *j = calloc(1, sizeof *j);
	if (!j)
		return -ENOMEM;
	j->w = w;
	j->loop = d->loop;
	j->call = call;
	j->st = st;
	snprintf(j->badge, sizeof j->badge, "%s", b->badge);
	snprintf(j->person, sizeof j->person, "%s", b->person);
	j->sensor_id = b->sensor_id;
	/* A PIN of the wrong shape is verified like any other (and fails). */
	snprintf(j->pin, sizeof j->pin, "%.15s", vault_pin_valid(pin) ? pin : "");
	memcpy(j->pepper, d->pepper, sizeof j->pepper);
	/* A PIN that cannot be read is not a wrong one: DB_ERROR, not counted
	 * toward the lockout (a database fault must not lock people out). A
	 * person without a PIN row has no PIN: that fails as a wrong PIN. */
	if (vault_load_pin(d->db, j->person, j->hash, j->dhash) < 0) {
		vault_log(LOG_ERR, "web", "the PIN of %s could not be read", j->person);
		login_drop(j);
		login_refuse(w, st, b->person, b->badge, VAULT_R_DB_ERROR, 503,
			     "the PIN could not be read", res);
		return VAULT_HTTP_DONE;
	}
	if (!j->pin[0])
		j->hash[0] = j->dhash[0] = 0; /* never matches */
	/* argon2id takes tens of milliseconds: never on the loop. */
	if (kdf_submit(d->kdf, KDF_URGENT, login_work, login_drop, j) < 0) {
		login_drop(j);
		set_res(res, VAULT_R_HTTP_BUSY, 503, "cannot queue the PIN check");
		return VAULT_HTTP_DONE;
	}
	lo->verifying_us = now;
	return VAULT_HTTP_PENDING;
}

/* ---- the session's person, checked on every request ------------------------ */

/* Is the session's person still active with the same role, and (for the
 * station's last sign-in) the badge still active? If not, the person's
 * sessions end and the request is refused. */
static int still_valid(struct web *w, const struct vault_http_principal *who,
		       struct vault_http_result *res)
{
	struct vaultd *d = w->d;
	const char *why = NULL;
	sqlite3_stmt *q;
	if (vault_db_cached(d->db, "SELECT role, status FROM person WHERE id=?", &q) < 0) {
		set_res(res, VAULT_R_DB_ERROR, 500, "person lookup");
		return 0;
	}
	sqlite3_bind_text(q, 1, who->person, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_ROW)
		why = "deactivated";
	else if (strcmp((const char *)sqlite3_column_text(q, 1), "active"))
		why = "deactivated";
	else if (strcmp((const char *)sqlite3_column_text(q, 0), who->role))
		why = "role_changed";
	vault_db_done(q);
	int st = station_of(who->kind);
	if (!why && st >= 0 && w->badge[st][0] && !strcmp(w->person[st], who->person) &&
	    vault_db_cached(d->db, "SELECT status FROM badge WHERE upper(id)=?", &q) == 0) {
		sqlite3_bind_text(q, 1, w->badge[st], -1, SQLITE_STATIC);
		if (sqlite3_step(q) != SQLITE_ROW ||
		    strcmp((const char *)sqlite3_column_text(q, 0), "active"))
			why = "badge_revoked";
		vault_db_done(q);
	}
	if (!why)
		return 1;
	char person[VAULT_HTTP_PERSON_MAX];
	snprintf(person, sizeof person, "%s", who->person); /* who dies with the session */
	set_res(res, VAULT_R_HTTP_SESSION_EXPIRED, 401, "%s", why);
	vault_http_end_sessions(w->h, NULL, person, why);
	return 0;
}

/* ---- actions ----------------------------------------------------------------- */

static int valid_id(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n >= VAULT_ID_SIZE)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == ':'))
			return 0;
	}
	return 1;
}

/* The page's JSON arguments -> the action's (ids as strings, media as an
 * array of ids). Returns NULL and fills res on a bad value. */
static cJSON *convert_args(const cJSON *args, struct vault_http_result *res)
{
	cJSON *out = cJSON_CreateObject();
	for (const cJSON *a = args ? args->child : NULL; a; a = a->next) {
		if (!strcmp(a->string, "media")) {
			cJSON *m = cJSON_AddArrayToObject(out, "media");
			if (cJSON_IsString(a)) {
				/* "M1,M2" as the CLI sends it */
				char buf[MEDIA_MAX * 66];
				if (vault_strlcpy(buf, a->valuestring, sizeof buf) < 0)
					goto bad;
				for (char *sv, *t = strtok_r(buf, ",", &sv); t;
				     t = strtok_r(NULL, ",", &sv)) {
					if (!valid_id(t) || cJSON_GetArraySize(m) >= MEDIA_MAX)
						goto bad;
					cJSON_AddItemToArray(m, cJSON_CreateString(t));
				}
			} else if (cJSON_IsArray(a)) {
				if (cJSON_GetArraySize(a) > MEDIA_MAX)
					goto bad;
				const cJSON *x;
				cJSON_ArrayForEach(x, a)
				{
					if (!cJSON_IsString(x) || !valid_id(x->valuestring))
						goto bad;
					cJSON_AddItemToArray(m, cJSON_CreateString(x->valuestring));
				}
			} else {
				goto bad;
			}
		} else if (cJSON_IsString(a) && valid_id(a->valuestring)) {
			cJSON_AddStringToObject(out, a->string, a->valuestring);
		} else if (cJSON_IsNumber(a) && a->valuedouble >= 1 && a->valuedouble < 1e15 &&
			   a->valuedouble == (double)(int64_t)a->valuedouble) {
			char n[24];
			snprintf(n, sizeof n, "%lld", (long long)a->valuedouble);
			cJSON_AddStringToObject(out, a->string, n);
		} else {
			goto bad;
		}
		continue;
	bad:
		set_res(res, VAULT_R_INVALID_VALUE, 400, "field '%.60s'", a->string);
		cJSON_Delete(out);
		return NULL;
	}
	return out;
}

static const char *route_action(const char *name)
{
	for (size_t i = 0; i < VAULT_ARRAY_SIZE(routes); i++)
		if (!strcmp(routes[i].route, name))
			return routes[i].action;
	return NULL;
}

static const char *route_of(const char *action)
{
	for (size_t i = 0; i < VAULT_ARRAY_SIZE(routes); i++)
		if (!strcmp(routes[i].action, action))
			return routes[i].route;
	return action;
}

/* Per-medium results {medium, ok, code, ...}: the reason text in the
 * session's language (error) and in English (error_en), from the code. */
static void localise_results(cJSON *data, const char *lang)
{
	cJSON *x, *results = cJSON_GetObjectItemCaseSensitive(data, "results");
	if (!cJSON_IsArray(results))
		return;
	cJSON_ArrayForEach(x, results)
	{
		const char *code =
			cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "code"));
		enum vault_reason r;
		if (!code || vault_reason_from_id(code, &r) < 0)
			continue;
		cJSON_DeleteItemFromObjectCaseSensitive(x, "error");
		cJSON_DeleteItemFromObjectCaseSensitive(x, "error_en");
		cJSON_AddStringToObject(x, "error", vault_reason_text(r, lang));
		cJSON_AddStringToObject(x, "error_en", vault_reason_text(r, "en"));
	}
}

/* An action's outcome -> the HTTP result (takes ar->data); ledgers refusals. */
static void action_done(struct web *w, const struct vault_caller *c, const char *action,
			const char *lang, struct action_result *ar, struct vault_http_result *res)
{
	const char *kind = !strcmp(c->user, "web:kiosk") ? "kiosk" : "console";
	res->reason = ar->reason;
	snprintf(res->detail, sizeof res->detail, "%s", ar->detail);
	res->data = ar->data;
	ar->data = NULL;
	if (res->data)
		localise_results(res->data, lang);
	if (ar->reason == VAULT_R_OK) {
		if (ar->seq) {
			if (!res->data)
				res->data = cJSON_CreateObject();
			cJSON_AddNumberToObject(res->data, "seq", (double)ar->seq);
		}
		vault_log(LOG_INFO, "http", "%s by %s at the %s: OK", action, c->person, kind);
		return;
	}
	char k[32];
	snprintf(k, sizeof k, "%s.action", kind);
	ledger_refusal(w, k, c->person, route_of(action), ar->reason, ar->detail, NULL, NULL);
}

static void caller_of(const struct vault_http_principal *who, struct vault_caller *c)
{
	memset(c, 0, sizeof *c);
	c->uid = (uid_t)-1;
	snprintf(c->user, sizeof c->user, "web:%s", who->kind);
	snprintf(c->person, sizeof c->person, "%s", who->person);
	snprintf(c->role, sizeof c->role, "%s", who->role);
	snprintf(c->status, sizeof c->status, "active");
	snprintf(c->lang, sizeof c->lang, "%s", who->lang ? who->lang : "");
}

static int op_action(void *ud, uint64_t call, const struct vault_http_principal *who,
		     const char *name, const cJSON *args, struct vault_http_result *res)
{
	struct web *w = ud;
	struct vault_caller c;
	caller_of(who, &c);
	if (!still_valid(w, who, res))
		return VAULT_HTTP_DONE;
	const char *action = route_action(name);
	struct action_result ar = {.reason = VAULT_R_OK};
	cJSON *a = NULL;
	if (!action) {
		ar.reason = VAULT_R_UNKNOWN_ACTION;
		snprintf(ar.detail, sizeof ar.detail, "%s", name);
	} else if (!(a = convert_args(args, res))) {
		ar.reason = res->reason;
		snprintf(ar.detail, sizeof ar.detail, "%s", res->detail);
	} else if (!vaultd_action_known(action)) {
		ar.reason = VAULT_R_UNKNOWN_ACTION;
		snprintf(ar.detail, sizeof ar.detail, "%s", action);
	} else if (!vaultd_role_allows(action, c.role)) {
		ar.reason = VAULT_R_ROLE_NOT_ALLOWED;
		snprintf(ar.detail, sizeof ar.detail, "%s may not %s", c.role, action);
	} else {
		vaultd_dispatch(w->d, &c, action, a, &ar, VAULTD_WEB_CLIENT | call);
	}
	cJSON_Delete(a);
	if (ar.pending)
		return VAULT_HTTP_PENDING; /* web_complete() answers */
	action_done(w, &c, action ? action : name, who->lang, &ar, res);
	return VAULT_HTTP_DONE;
}

void web_complete(struct vaultd *d, uint64_t client_id, const char *action,
		  const struct vault_caller *who, struct action_result *res)
{
	struct web *w = d->web;
	if (!w) {
		cJSON_Delete(res->data);
		res->data = NULL;
		return;
	}
	struct vault_http_result hr = {0};
	action_done(w, who, action, *who->lang ? who->lang : d->cfg.lang, res, &hr);
	vault_http_complete(w->h, client_id & ~VAULTD_WEB_CLIENT, &hr);
}

/* ---- queries ----------------------------------------------------------------- */

/* An integer parameter in [min, max]; def when absent. Returns 0 or refuses. */
static int param_int(const cJSON *params, const char *name, long long def, long long min,
		     long long max, long long *ret, struct vault_http_result *res)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, name);
	*ret = def;
	if (!v)
		return 0;
	const char *s = cJSON_IsString(v) ? v->valuestring : "";
	char *end;
	errno = 0;
	long long n = strtoll(s, &end, 10);
	if (!*s || *end || errno || n < min || n > max) {
		set_res(res, VAULT_R_INVALID_VALUE, 400, "%s must be an integer from %lld to %lld",
			name, min, max);
		return -1;
	}
	*ret = n;
	return 0;
}

/* A cached statement for a query, or NULL with res filled. */
static sqlite3_stmt *query_stmt(struct web *w, const char *sql, const char *what,
				struct vault_http_result *res)
{
	sqlite3_stmt *q;
	if (vault_db_cached(w->d->db, sql, &q) == 0)
		return q;
	set_res(res, VAULT_R_DB_ERROR, 500, "%s query", what);
	return NULL;
}

static const char *param_str(const cJSON *params, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void q_approvals(struct web *w, const struct vault_http_principal *who, long long limit,
			cJSON *out)
{
	char today[16];
	date_str(vaultd_today(w->d), today);
	cJSON *arr = cJSON_AddArrayToObject(out, "approvals");
	sqlite3_stmt *q;
	if (vault_db_cached(w->d->db,
			    "SELECT id, purpose, valid_from, valid_to, coalesce(project,''), state "
			    "FROM approval WHERE person=? AND state IN ('active','approved') "
			    "AND valid_from<=? AND valid_to>=? ORDER BY valid_to, id LIMIT ?",
			    &q) < 0)
		return;
	sqlite3_bind_text(q, 1, who->person, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, today, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, today, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, limit);
	while (sqlite3_step(q) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();
		add_col(o, "id", q, 0);
		add_col(o, "purpose", q, 1);
		add_col(o, "valid_from", q, 2);
		add_col(o, "valid_to", q, 3);
		add_col(o, "project", q, 4);
		add_col(o, "state", q, 5);
		cJSON_AddItemToArray(arr, o);
	}
	vault_db_done(q);
}

struct pad_ctx {
	struct web *w;
	cJSON *media, *unknown;
	int n;
};

static void pad_tag(const struct vaultd_tag_place *p, void *ud)
{
	struct pad_ctx *c = ud;
	if (c->n++ >= LIMIT_MAX)
		return;
	sqlite3_stmt *q;
	if (vault_db_cached(c->w->d->db,
			    "SELECT id, title, classification, status FROM medium "
			    "WHERE upper(tag)=?",
			    &q) < 0)
		return;
	sqlite3_bind_text(q, 1, p->tag, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();
		add_col(o, "id", q, 0);
		cJSON_AddStringToObject(o, "tag", p->tag);
		add_col(o, "title", q, 1);
		add_col(o, "classification", q, 2);
		add_col(o, "status", q, 3);
		cJSON_AddItemToArray(c->media, o);
	} else {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "tag", p->tag);
		cJSON_AddStringToObject(o, "code", vault_reason_id(VAULT_R_MEDIUM_UNKNOWN));
		cJSON_AddItemToArray(c->unknown, o);
	}
	vault_db_done(q);
}

static void q_pad(struct web *w, cJSON *out)
{
	const char *pad = w->d->cfg.custody_pad;
	const struct vaultd_shelf *sh;
	size_t n = vaultd_shelves(w->d, &sh);
	const char *state = "none"; /* no such shelf configured */
	for (size_t i = 0; i < n; i++)
		if (!strcmp(sh[i].name, pad))
			state = sh[i].state == VSHELF_OK ? "ok" :
				sh[i].state == VSHELF_FAULT ? "fault" : "unknown";
	cJSON_AddStringToObject(out, "pad", pad);
	cJSON_AddStringToObject(out, "pad_state", state);
	/* A pad that is not answering keeps its last known contents, which count
	 * for nothing: they are listed apart ("stale"), never as on the pad. */
	char why[160] = "";
	enum vault_reason r = *pad && w->d->custody
				  ? custody_pad_answering(w->d->custody, why, sizeof why)
				  : VAULT_R_OK;
	cJSON_AddBoolToObject(out, "answering", r == VAULT_R_OK);
	if (r != VAULT_R_OK) {
		cJSON_AddStringToObject(out, "code", vault_reason_id(r));
		cJSON_AddStringToObject(out, "detail", why);
	}
	cJSON *media = cJSON_AddArrayToObject(out, "media");
	cJSON *unknown = cJSON_AddArrayToObject(out, "unknown");
	cJSON *stale = cJSON_AddArrayToObject(out, "stale");
	struct pad_ctx c = {.w = w, .media = r == VAULT_R_OK ? media : stale,
			    .unknown = r == VAULT_R_OK ? unknown : stale};
	vaultd_tags_each(w->d, pad, pad_tag, &c);
}

static void entry_row(struct web *w, sqlite3_stmt *q, cJSON *arr)
{
	cJSON *o = cJSON_CreateObject();
	char t[48];
	cJSON_AddNumberToObject(o, "seq", (double)sqlite3_column_int64(q, 0));
	time_str(w->d, sqlite3_column_int64(q, 1), t, sizeof t);
	cJSON_AddStringToObject(o, "time", t);
	add_col(o, "kind", q, 2);
	add_col(o, "actors", q, 3);
	add_col(o, "medium", q, 4);
	add_col(o, "approval", q, 5);
	cJSON *p = cJSON_ParseWithLength(sqlite3_column_blob(q, 6),
					 (size_t)sqlite3_column_bytes(q, 6));
	cJSON_AddItemToObject(o, "payload", p ? p : cJSON_CreateObject());
	cJSON_AddItemToArray(arr, o);
}

static int q_ledger(struct web *w, const cJSON *params, cJSON *out, struct vault_http_result *res)
{
	long long since, limit;
	if (param_int(params, "since", -1, 0, INT64_MAX, &since, res) < 0 ||
	    param_int(params, "limit", 100, 1, LIMIT_MAX, &limit, res) < 0)
		return -1;
	const char *kind = param_str(params, "kind");
	if (kind) {
		for (const char *k = kind; *k; k++)
			if (!((*k >= 'a' && *k <= 'z') || *k == '.' || *k == '_' || *k == '-'))
				kind = NULL;
		if (!kind || strlen(kind) > 48) {
			set_res(res, VAULT_R_INVALID_VALUE, 400,
				"kind: a kind or a prefix like 'entry.'");
			return -1;
		}
	}
	char pat[64];
	snprintf(pat, sizeof pat, "%s%%", kind ? kind : "");
	/* since: entries after it, oldest first; without: the newest `limit`. */
	const char *sql = since >= 0 ?
		"SELECT seq, ts_utc, kind, actors, medium, approval, payload FROM ledger "
		"WHERE seq>? AND kind LIKE ? ESCAPE '\\' ORDER BY seq LIMIT ?" :
		"SELECT * FROM (SELECT seq, ts_utc, kind, actors, medium, approval, payload "
		"FROM ledger WHERE seq>? AND kind LIKE ? ESCAPE '\\' ORDER BY seq DESC LIMIT ?) "
		"ORDER BY seq";
	/* '_' is a LIKE wildcard: escape it. */
	char esc[128];
	size_t o = 0;
	for (const char *p = pat; *p && o < sizeof esc - 2; p++) {
		if (*p == '_')
			esc[o++] = '\\';
		esc[o++] = *p;
	}
	esc[o] = 0;
	sqlite3_stmt *q = query_stmt(w, sql, "ledger", res);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, since < 0 ? 0 : since);
	sqlite3_bind_text(q, 2, esc, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, limit);
	cJSON *arr = cJSON_AddArrayToObject(out, "entries");
	while (sqlite3_step(q) == SQLITE_ROW)
		entry_row(w, q, arr);
	vault_db_done(q);
	int64_t tip = 0;
	uint8_t h[VAULT_HASH_LEN];
	if (vault_ledger_tip(w->d->db, &tip, h) == 0)
		cJSON_AddNumberToObject(out, "tip", (double)tip);
	/* How far the ledger has left the box: the broker, the central verifier. */
	struct vault_outbox box;
	const struct vault_config *c = &w->d->cfg;
	if (vault_outbox_read(w->d->db, &box) == 0) {
		cJSON *ob = cJSON_AddObjectToObject(out, "offbox");
		cJSON_AddBoolToObject(ob, "mqtt", c->mqtt_enabled);
		cJSON_AddBoolToObject(ob, "verifier", c->mqtt_enabled && c->mqtt_verifier_key[0]);
		cJSON_AddNumberToObject(ob, "published", (double)box.published);
		cJSON_AddNumberToObject(ob, "verified", (double)box.verified);
		char t[48] = "";
		if (box.verified_utc)
			time_str(w->d, box.verified_utc, t, sizeof t);
		cJSON_AddStringToObject(ob, "verified_at", t);
	}
	return 0;
}

/* The same open-alert list as `vaultctl alert list` (warnings.c), with the
 * site's local time and `id`, the seq the page acknowledges. */
static int q_alerts(struct web *w, const cJSON *params, cJSON *out, struct vault_http_result *res)
{
	long long limit;
	if (param_int(params, "limit", 100, 1, LIMIT_MAX, &limit, res) < 0)
		return -1;
	char err[256];
	cJSON *arr = cJSON_AddArrayToObject(out, "alerts"), *o;
	if (warnings_open(w->d, limit, arr, err, sizeof err) < 0) {
		vault_log(LOG_ERR, "web", "alert query: %s", err);
		set_res(res, VAULT_R_DB_ERROR, 500, "alert query");
		return -1;
	}
	cJSON_ArrayForEach(o, arr)
	{
		char t[48];
		time_str(w->d, (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "ts_us")), t,
			 sizeof t);
		cJSON_ReplaceItemInObject(o, "time", cJSON_CreateString(t));
		cJSON_AddNumberToObject(o, "id", cJSON_GetNumberValue(cJSON_GetObjectItem(o, "seq")));
	}
	return 0;
}

static int q_media(struct web *w, const cJSON *params, cJSON *out, struct vault_http_result *res)
{
	long long limit;
	if (param_int(params, "limit", 100, 1, LIMIT_MAX, &limit, res) < 0)
		return -1;
	const char *status = param_str(params, "status");
	const char *after = param_str(params, "after");
	enum vault_medium_status ms;
	if (status && vault_medium_status_from_name(status, &ms) < 0) {
		set_res(res, VAULT_R_INVALID_VALUE, 400, "status: a medium status (e.g. in-vault)");
		return -1;
	}
	if (after && !valid_id(after)) {
		set_res(res, VAULT_R_INVALID_VALUE, 400, "after: a medium id");
		return -1;
	}
	sqlite3_stmt *q = query_stmt(
		w,
		"SELECT id, tag, title, classification, status, borrower, due, home_shelf, "
		"coalesce(project,''), deadline, seq FROM medium "
		"WHERE (?1 IS NULL OR status=?1) AND id>?2 ORDER BY id LIMIT ?3",
		"media", res);
	if (!q)
		return -1;
	if (status)
		sqlite3_bind_text(q, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, after ? after : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, limit);
	static const char *const cols[] = {"id",     "tag", "title",	  "classification",
					   "status", "borrower", "due", "home_shelf",
					   "project", "deadline"};
	cJSON *arr = cJSON_AddArrayToObject(out, "media");
	while (sqlite3_step(q) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();
		for (int i = 0; i < (int)VAULT_ARRAY_SIZE(cols); i++)
			add_col(o, cols[i], q, i);
		cJSON_AddNumberToObject(o, "seq", (double)sqlite3_column_int64(q, 10));
		cJSON_AddItemToArray(arr, o);
	}
	vault_db_done(q);
	return 0;
}

static int op_query(void *ud, uint64_t call, const struct vault_http_principal *who,
		    const char *name, const cJSON *params, struct vault_http_result *res)
{
	struct web *w = ud;
	if (!still_valid(w, who, res))
		return VAULT_HTTP_DONE;
	cJSON *out = cJSON_CreateObject();
	int r = 0;
	long long limit;
	if (!strcmp(name, "approvals")) {
		if ((r = param_int(params, "limit", 100, 1, LIMIT_MAX, &limit, res)) == 0)
			q_approvals(w, who, limit, out);
	} else if (!strcmp(name, "pad")) {
		q_pad(w, out);
	} else if (!strcmp(name, "ledger")) {
		r = q_ledger(w, params, out, res);
	} else if (!strcmp(name, "alerts")) {
		r = q_alerts(w, params, out, res);
	} else if (!strcmp(name, "media")) {
		r = q_media(w, params, out, res);
	} else {
		set_res(res, VAULT_R_HTTP_NOT_FOUND, 404, "%s", name);
		r = -1;
	}
	if (r < 0) {
		cJSON_Delete(out);
		char k[32];
		snprintf(k, sizeof k, "%s.query", who->kind);
		ledger_refusal(w, k, who->person, name, res->reason, res->detail, NULL, NULL);
		return VAULT_HTTP_DONE;
	}
	res->data = out;
	return VAULT_HTTP_DONE;
}

/* ---- the layer's refusals and session ends --------------------------------- */

static void op_refused(void *ud, const struct vault_http_refusal *r)
{
	struct web *w = ud;
	if (r->reason == VAULT_R_HTTP_NOT_FOUND && strncmp(r->path, "/api", 4)) {
		/* A missing page is no security decision: logged, a few a minute. */
		if (budget_take(&w->notfound))
			vault_log(LOG_INFO, "http", "%s %s from %s: 404", r->method, r->path,
				  r->remote);
		return;
	}
	char action[300], detail[VAULT_HTTP_DETAIL_MAX];
	snprintf(action, sizeof action, "%s %.280s", r->method, r->path);
	snprintf(detail, sizeof detail, "HTTP %u from %s%s%.160s", r->status, r->remote,
		 *r->detail ? ": " : "", r->detail);
	ledger_refusal(w, "http", r->who ? r->who->person : "", action, r->reason, detail,
		       w->refusals, r->client);
}

static void op_session_end(void *ud, const struct vault_http_principal *who, const char *why)
{
	struct web *w = ud;
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "kind", who->kind);
	cJSON_AddStringToObject(p, "person", who->person);
	cJSON_AddStringToObject(p, "why", why);
	struct vault_record r = {.kind = "session.end", .actors = who->person, .payload = p};
	vaultd_record(w->d, &r, NULL);
	cJSON_Delete(p);
	vault_log(LOG_INFO, "http", "%s session of %s ended: %s", who->kind, who->person, why);
}

/* A badge presented at a station ends the sessions signed in there with
 * another badge (the next person at the kiosk), or with this one if it is now
 * refused (revoked). */
static void on_event(struct vaultd *d, const struct vaultd_event *ev, void *ud)
{
	struct web *w = ud;
	if (ev->kind != VEV_BADGE)
		return;
	int st = station_of(ev->source);
	if (st < 0 || !w->badge[st][0])
		return;
	if (ev->reason == VAULT_R_OK && ev->badge && !strcmp(ev->badge, w->badge[st]))
		return;
	w->badge[st][0] = 0;
	w->person[st][0] = 0;
	vault_http_end_sessions(w->h, station_name[st], NULL,
				ev->reason == VAULT_R_OK ? "badge_changed" : "badge_refused");
}

/* ---- start and stop ---------------------------------------------------------- */

int web_start(struct vaultd *d, struct web **ret, char *err, size_t errlen)
{
	*ret = NULL;
	if (!d->cfg.http_enabled)
		return 0;
	const struct vault_config *cfg = &d->cfg;
	struct web *w = calloc(1, sizeof *w);
	if (!w) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	w->d = d;
	const struct flood_spec fs = {.source = "http",
				      .kind = "http.refused",
				      .what = "http",
				      .keys = "remotes",
				      .limit = cfg->http_refusal_limit,
				      .window_s = cfg->http_refusal_window_s};
	const char *bad;
	if (vault_http_proxies_check(cfg->http_trusted_proxy, &bad) < 0) {
		snprintf(err, errlen,
			 "[http] trusted_proxy = %s: \"%.*s\" is not an IPv4 or IPv6 address "
			 "(or more than 8 are listed)",
			 cfg->http_trusted_proxy, (int)strcspn(bad, ", \t"), bad);
		free(w);
		return -EINVAL;
	}
	if (flood_new(d, &fs, &w->refusals) < 0) {
		free(w);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	struct vault_http_config hc = {
		.bind_address = cfg->http_bind[0] ? cfg->http_bind : NULL,
		.allow_non_loopback = cfg->http_allow_non_loopback,
		.port = (unsigned)cfg->http_port,
		.max_body = (size_t)cfg->http_max_body,
		.max_connections = (unsigned)cfg->http_max_connections,
		.max_sessions = (unsigned)cfg->http_max_sessions,
		.idle_timeout_s = (unsigned)cfg->http_idle_timeout_s,
		.kiosk_idle_timeout_s = (unsigned)cfg->http_kiosk_idle_timeout_s,
		.lifetime_s = (unsigned)cfg->http_lifetime_s,
		.static_root = cfg->http_static_root[0] ? cfg->http_static_root : NULL,
		.index_file = "kiosk.html",
		.cookie_secure = cfg->http_cookie_secure,
		.allowed_host = cfg->http_allowed_host[0] ? cfg->http_allowed_host : NULL,
		.trusted_proxies = cfg->http_trusted_proxy,
		.default_lang = cfg->lang,
	};
	const struct vault_http_service svc = {
		.specs = specs,
		.login = op_login,
		.action = op_action,
		.query = op_query,
		.refused = op_refused,
		.session_end = op_session_end,
	};
	int r = vault_http_new(&hc, d->loop, &svc, w, &w->h);
	if (r < 0) {
		if (r == -EPERM)
			snprintf(err, errlen,
				 "[http] bind = %s is not a loopback address: refused (set "
				 "allow_non_loopback = 1, with TLS in front, cookie_secure and "
				 "allowed_host, to serve other hosts)",
				 cfg->http_bind);
		else if (r == -ENOENT || r == -ENOTDIR)
			snprintf(err, errlen, "[http] static_root = %s: %s", cfg->http_static_root,
				 strerror(-r));
		else
			snprintf(err, errlen, "[http] cannot listen on %s port %d: %s",
				 cfg->http_bind, cfg->http_port, strerror(-r));
		flood_free(w->refusals);
		free(w);
		return r;
	}
	if ((r = vaultd_listen(d, on_event, w)) < 0) {
		snprintf(err, errlen, "cannot listen to badge events: %s", strerror(-r));
		vault_http_free(w->h);
		flood_free(w->refusals);
		free(w);
		return r;
	}
	w->listening = 1;
	for (int i = 0; i < ST__COUNT; i++) {
		const char *rd = i == ST_KIOSK ? cfg->reader_kiosk : cfg->reader_console;
		if (!rd[0])
			vault_log(LOG_WARNING, "http",
				  "[reader] %s is not set: nobody can sign in at the %s",
				  station_name[i], station_name[i]);
	}
	int v6 = strchr(cfg->http_bind, ':') != NULL;
	vault_log(LOG_INFO, "http", "http listening on %s%s%s:%u", v6 ? "[" : "", cfg->http_bind,
		  v6 ? "]" : "", vault_http_port(w->h));
	d->web = w;
	*ret = w;
	return 0;
}

void web_free(struct web *w)
{
	if (!w)
		return;
	if (w->listening)
		vaultd_unlisten(w->d, on_event, w);
	vault_http_free(w->h);
	flood_free(w->refusals);
	if (w->d->web == w)
		w->d->web = NULL;
	free(w);
}
