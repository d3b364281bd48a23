/* SPDX-License-Identifier: MIT */
/*
 * Early warnings as ledger entries. The alerts `vaultctl alerts` computes
 * (certificates, training, returns, destruction deadlines, units, approvals;
 * controller/reports.c) are computed here on vaultd's connection at start, on
 * every site-date change (VEV_DAY) and right after a registry change that can
 * change one (not a PIN's or a badge's), and each
 * NEW one (code + subject + band not already raised and not cleared since) is
 * ledgered as `alert.raised`; one that is no longer present becomes
 * `alert.cleared` citing the raised entry ("entry": seq). The open set is read
 * back from the ledger at start, so a restart raises nothing twice.
 *
 * Actions: `alert.ack {id: seq}` acknowledges an open raised alert or a
 * ledgered alarm (vault_alarm_kind: door.forced, inventory.missing, ...) with
 * an `alert.acked` entry; `alert.list` lists what is open and unacknowledged.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events.h"
#include "vault/db.h"
#include "vault/reports.h"
#include "vault/util.h"
#include "vaultd.h"

#define KEY_MAX 256

struct open_alert {
	int64_t seq;
	char key[KEY_MAX];
};

struct warnings {
	struct vaultd *d;
	struct open_alert *v;
	size_t n, cap;
	uint64_t timer;
};

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

/* code|subject|band: one alert. */
static void key_of(const cJSON *a, char key[KEY_MAX])
{
	const cJSON *band = cJSON_GetObjectItemCaseSensitive(a, "band");
	snprintf(key, KEY_MAX, "%s|%s|%d", jstr(a, "code"), jstr(a, "subject"),
		 cJSON_IsNumber(band) ? band->valueint : 0);
}

static int add_open(struct warnings *w, int64_t seq, const char *key)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 64;
		struct open_alert *v = realloc(w->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		w->v = v;
		w->cap = cap;
	}
	w->v[w->n].seq = seq;
	snprintf(w->v[w->n].key, KEY_MAX, "%s", key);
	w->n++;
	return 0;
}

static struct open_alert *find_open(struct warnings *w, const char *key)
{
	for (size_t i = 0; i < w->n; i++)
		if (!strcmp(w->v[i].key, key))
			return &w->v[i];
	return NULL;
}

/* The raised alerts no alert.cleared names. */
static int load_open(struct warnings *w)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(w->d->db,
			       "SELECT seq, payload FROM ledger WHERE kind = 'alert.raised' AND "
			       "seq NOT IN (SELECT json_extract(payload,'$.entry') FROM ledger "
			       "WHERE kind = 'alert.cleared') ORDER BY seq",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	int rc, r = 0;
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *p = cJSON_ParseWithLength(sqlite3_column_blob(st, 1),
						 (size_t)sqlite3_column_bytes(st, 1));
		char key[KEY_MAX];
		key_of(p, key);
		r = add_open(w, sqlite3_column_int64(st, 0), key);
		cJSON_Delete(p);
	}
	sqlite3_finalize(st);
	return r;
}

/* The current alerts, as `vaultctl alerts --format json` gives them, without
 * the ledgered alarms. */
static cJSON *current_alerts(struct vaultd *d)
{
	struct vault_report_ctx c = {.db = d->db,
				     .tz = d->tz,
				     .now_utc_us = vault_now_utc_us(),
				     .policy = &d->pc,
				     .lang = "en",
				     .vault_name = d->cfg.name,
				     .computed_only = true};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	int r = vault_report_alerts(&c, VAULT_REPORT_JSON, false, f);
	fclose(f);
	cJSON *a = r >= 0 ? cJSON_ParseWithLength(buf, len) : NULL;
	free(buf);
	return a;
}

static void compute(struct warnings *w)
{
	struct vaultd *d = w->d;
	int64_t t0 = vault_now_mono_us();
	cJSON *cur = current_alerts(d);
	if (!cJSON_IsArray(cur)) {
		vault_log(LOG_ERR, "warnings", "the alerts could not be computed");
		cJSON_Delete(cur);
		return;
	}
	size_t n = (size_t)cJSON_GetArraySize(cur);
	char(*keys)[KEY_MAX] = calloc(n ? n : 1, KEY_MAX);
	if (!keys) {
		cJSON_Delete(cur);
		return;
	}
	int raised = 0, cleared = 0;
	size_t i = 0;
	const cJSON *a;
	cJSON_ArrayForEach(a, cur)
	{
		key_of(a, keys[i]);
		if (!find_open(w, keys[i])) {
			cJSON *p = cJSON_CreateObject();
			cJSON_AddStringToObject(p, "code", jstr(a, "code"));
			cJSON_AddStringToObject(p, "text", jstr(a, "detail"));
			cJSON_AddStringToObject(p, "subject", jstr(a, "subject"));
			cJSON_AddStringToObject(p, "severity", jstr(a, "severity"));
			cJSON_AddStringToObject(p, "date", jstr(a, "date"));
			const cJSON *band = cJSON_GetObjectItemCaseSensitive(a, "band");
			cJSON_AddItemToObject(p, "band", cJSON_Duplicate(band, 1));
			struct vault_record r = {.kind = "alert.raised", .payload = p};
			int64_t seq;
			if (vaultd_record(d, &r, &seq) == 0 && add_open(w, seq, keys[i]) == 0)
				raised++;
			cJSON_Delete(p);
		}
		i++;
	}
	for (size_t k = 0; k < w->n;) {
		int present = 0;
		for (size_t j = 0; j < n && !present; j++)
			present = !strcmp(keys[j], w->v[k].key);
		if (present) {
			k++;
			continue;
		}
		char code[KEY_MAX], *subject = "", *band = "";
		snprintf(code, sizeof code, "%s", w->v[k].key);
		char *bar = strchr(code, '|');
		if (bar) {
			*bar = 0;
			subject = bar + 1;
			if ((bar = strrchr(subject, '|'))) {
				*bar = 0;
				band = bar + 1;
			}
		}
		cJSON *p = cJSON_CreateObject();
		cJSON_AddNumberToObject(p, "entry", (double)w->v[k].seq);
		cJSON_AddStringToObject(p, "code", code);
		cJSON_AddStringToObject(p, "subject", subject);
		if (strcmp(band, "0") != 0)
			cJSON_AddNumberToObject(p, "band", atoi(band));
		struct vault_record r = {.kind = "alert.cleared", .payload = p};
		int ok = vaultd_record(d, &r, NULL) == 0;
		cJSON_Delete(p);
		if (!ok) {
			k++;
			continue; /* still open; tried again next time */
		}
		cleared++;
		w->v[k] = w->v[--w->n];
	}
	free(keys);
	cJSON_Delete(cur);
	int64_t us = vault_now_mono_us() - t0;
	vault_log(us > 50000 ? LOG_WARNING : LOG_DEBUG, "warnings",
		  "%zu alerts computed in %" PRId64 " ms: %d raised, %d cleared", n, us / 1000,
		  raised, cleared);
}

static void on_timer(struct vault_loop *l, uint64_t id, void *ud)
{
	struct warnings *w = ud;
	w->timer = 0;
	compute(w);
}

/* Registry changes no alert reads (reports.c: persons, certificates, training,
 * units, approvals, media, checkouts, destruction orders): a PIN or a badge.
 * PIN changes come in bursts (a site re-issuing PINs), and each computation
 * runs on the loop. */
static int may_change_alerts(const char *kind)
{
	return strncmp(kind, "registry.pin.", 13) != 0 && strncmp(kind, "registry.badge.", 15) != 0;
}

void warnings_notify(struct warnings *w, const struct vault_record *r)
{
	if (!w || w->timer || !r->kind || !strncmp(r->kind, "alert.", 6) ||
	    !may_change_alerts(r->kind) || !vaultd_has_set(r->payload))
		return;
	vault_loop_timer_in(w->d->loop, 0, on_timer, w, &w->timer);
}

static void on_event(struct vaultd *d, const struct vaultd_event *ev, void *ud)
{
	if (ev->kind == VEV_DAY)
		compute(ud);
}

int warnings_start(struct vaultd *d, struct warnings **ret)
{
	*ret = NULL;
	struct warnings *w = calloc(1, sizeof *w);
	if (!w)
		return -ENOMEM;
	w->d = d;
	int r = load_open(w);
	if (r == 0)
		r = vaultd_listen(d, on_event, w);
	if (r < 0) {
		free(w->v);
		free(w);
		return r;
	}
	*ret = w;
	return 0;
}

void warnings_free(struct warnings *w)
{
	if (!w)
		return;
	vaultd_unlisten(w->d, on_event, w);
	if (w->d->loop)
		vault_loop_timer_cancel(w->d->loop, w->timer);
	free(w->v);
	free(w);
}

int warnings_action_known(const char *action)
{
	return !strcmp(action, "alert.ack") || !strcmp(action, "alert.list");
}

static int is_acked(struct vaultd *d, int64_t seq)
{
	sqlite3_stmt *st;
	int acked = 0;
	if (sqlite3_prepare_v2(d->db,
			       "SELECT 1 FROM ledger WHERE kind = 'alert.acked' AND "
			       "json_extract(payload,'$.entry') = ? LIMIT 1",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, seq);
		acked = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
	}
	return acked;
}

static int is_open_raised(struct warnings *w, int64_t seq)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].seq == seq)
			return 1;
	return 0;
}

static void ack(struct vaultd *d, const struct vault_caller *who, const cJSON *args,
		struct action_result *res)
{
	struct warnings *w = d->warnings;
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(args, "id");
	const cJSON *note = cJSON_GetObjectItemCaseSensitive(args, "note");
	long long seq = 0;
	if (cJSON_IsString(id)) {
		char *end;
		seq = strtoll(id->valuestring, &end, 10);
		if (*end)
			seq = 0;
	} else if (cJSON_IsNumber(id)) {
		seq = (long long)id->valuedouble;
	}
	if (seq <= 0 || (note && (!cJSON_IsString(note) || strlen(note->valuestring) > 512))) {
		res->reason = VAULT_R_INVALID_VALUE;
		snprintf(res->detail, sizeof res->detail,
			 "--id SEQ (a ledger seq) and an optional --note (at most 512 characters)");
		return;
	}
	sqlite3_stmt *st;
	char kind[64] = "";
	cJSON *p = NULL;
	if (sqlite3_prepare_v2(d->db, "SELECT kind, payload, medium FROM ledger WHERE seq = ?",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, seq);
		if (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(kind, sizeof kind, "%s", sqlite3_column_text(st, 0));
			p = cJSON_ParseWithLength(sqlite3_column_blob(st, 1),
						  (size_t)sqlite3_column_bytes(st, 1));
		}
		sqlite3_finalize(st);
	}
	int ackable = !strcmp(kind, "alert.raised") ? is_open_raised(w, seq)
						    : vault_alarm_kind(kind) != NULL;
	if (!ackable || is_acked(d, seq)) {
		cJSON_Delete(p);
		res->reason = VAULT_R_ALERT_NOT_OPEN;
		snprintf(res->detail, sizeof res->detail, "%lld%s%s", seq, kind[0] ? " is " : "",
			 kind);
		return;
	}
	cJSON *a = cJSON_CreateObject();
	cJSON_AddNumberToObject(a, "entry", (double)seq);
	cJSON_AddStringToObject(a, "entry_kind", kind);
	cJSON_AddStringToObject(a, "code", *jstr(p, "code") ? jstr(p, "code") : kind);
	if (*jstr(p, "subject"))
		cJSON_AddStringToObject(a, "subject", jstr(p, "subject"));
	cJSON_AddStringToObject(a, "note", cJSON_IsString(note) ? note->valuestring : "");
	struct vault_record r = {.kind = "alert.acked", .actors = who->person, .payload = a};
	if (vaultd_record(d, &r, &res->seq) < 0) {
		res->reason = VAULT_R_DB_ERROR;
		snprintf(res->detail, sizeof res->detail, "the acknowledgement was not recorded");
	}
	cJSON_Delete(a);
	cJSON_Delete(p);
}

int warnings_open(struct vaultd *d, long long limit, cJSON *arr, char *err, size_t errlen)
{
	/* static: the statement is cached (the console asks every few seconds) */
	static char sql[2048];
	if (!sql[0])
		snprintf(sql, sizeof sql,
			 "SELECT * FROM (SELECT seq, ts_utc, kind, medium, payload, actors FROM ledger WHERE "
			 "((kind = 'alert.raised' AND seq NOT IN (SELECT json_extract(payload,'$.entry') "
			 "FROM ledger WHERE kind = 'alert.cleared')) OR %s) AND seq NOT IN (SELECT "
			 "json_extract(payload,'$.entry') FROM ledger WHERE kind = 'alert.acked') "
			 "ORDER BY seq DESC LIMIT ?) ORDER BY seq",
			 vault_alarm_kinds_sql());
	sqlite3_stmt *st;
	if (vault_db_cached(d->db, sql, &st) < 0) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(d->db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, limit > 0 ? limit : -1);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 2);
		const char *medium = (const char *)sqlite3_column_text(st, 3);
		cJSON *p = cJSON_ParseWithLength(sqlite3_column_blob(st, 4),
						 (size_t)sqlite3_column_bytes(st, 4));
		int raised = !strcmp(kind, "alert.raised");
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "seq", (double)sqlite3_column_int64(st, 0));
		int64_t us = sqlite3_column_int64(st, 1);
		time_t s = (time_t)(us / 1000000);
		struct tm tm;
		char t[32];
		gmtime_r(&s, &tm);
		strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm);
		cJSON_AddStringToObject(o, "time", t);
		cJSON_AddStringToObject(o, "kind", kind);
		cJSON_AddStringToObject(o, "severity",
					raised ? jstr(p, "severity") : vault_alarm_kind(kind));
		cJSON_AddStringToObject(o, "code", *jstr(p, "code") ? jstr(p, "code") : kind);
		cJSON_AddStringToObject(o, "subject",
					raised	  ? jstr(p, "subject")
					: *medium ? medium
						  : jstr(p, "tag"));
		cJSON_AddStringToObject(o, "text", jstr(p, "text"));
		/* who: the person under duress, at a forced door nobody */
		const char *actors = (const char *)sqlite3_column_text(st, 5);
		cJSON_AddStringToObject(o, "actors", actors ? actors : "");
		if (raised) {
			cJSON_AddStringToObject(o, "date", jstr(p, "date"));
			const cJSON *band = cJSON_GetObjectItemCaseSensitive(p, "band");
			cJSON_AddItemToObject(o, "band", band ? cJSON_Duplicate(band, 1)
							      : cJSON_CreateNull());
		}
		cJSON_AddNumberToObject(o, "ts_us", (double)us);
		cJSON_AddItemToArray(arr, o);
		cJSON_Delete(p);
	}
	vault_db_done(st);
	return 0;
}

static void list(struct vaultd *d, struct action_result *res)
{
	res->data = cJSON_CreateObject();
	if (warnings_open(d, 0, cJSON_AddArrayToObject(res->data, "alerts"), res->detail,
			  sizeof res->detail) < 0) {
		cJSON_Delete(res->data);
		res->data = NULL;
		res->reason = VAULT_R_DB_ERROR;
	}
}

void warnings_action(struct vaultd *d, const struct vault_caller *who, const char *action,
		     const cJSON *args, struct action_result *res, uint64_t client_id)
{
	if (!d->warnings)
		res->reason = VAULT_R_UNKNOWN_ACTION;
	else if (!strcmp(action, "alert.ack"))
		ack(d, who, args, res);
	else if (!strcmp(action, "alert.list"))
		list(d, res);
	else
		res->reason = VAULT_R_UNKNOWN_ACTION;
}
