/* SPDX-License-Identifier: MIT */
/*
 * Destruction at the shredder station, confirmed by the sensors, and handover
 * to an outside destruction facility (docs/destruction.md).
 *
 *   destroy.start (operator) -> destruction.started, medium at-destruction
 *   two witnesses badge at the shredder reader -> destruction.witnessed
 *   the throat reader reads the tag while the motor runs -> destruction.shredded
 *   no read of the tag anywhere for quiet_window_s -> destruction.confirmed
 *
 * Where the site has a bin-door sensor (GPIO line shredder_bin, 1 = open),
 * the bin must be closed at destroy.start and at the throat read, and stay
 * closed until destruction.confirmed: a medium that falls into an open bin
 * may be taken out intact.
 *
 * Any break is an alarm entry with a reason code; the medium then keeps a
 * status that says where the sensors last saw it (never `destroyed`). One
 * destruction at a time. Everything runs on the loop thread. After a restart
 * the ledger tells which destruction was under way: it ends as
 * destruction.aborted or destruction.interrupted (nothing is left hanging).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "events.h"
#include "vault/db.h"
#include "vault/destruction.h"
#include "vault/registry.h"
#include "vault/regload.h"
#include "vault/util.h"
#include "vaultd.h"

enum stage { ST_IDLE, ST_ARMED, ST_WITNESSED, ST_THROAT, ST_QUIET };
static const char *const stage_names[] = {"idle", "armed", "witnessed", "throat", "quiet"};

struct witness {
	struct vault_person p;
	char badge[32];
	int64_t sensor_id, mono_us;
};

struct destruction {
	struct vaultd *d;
	uint64_t recover_timer;
	/* the shredder motor, whatever the stage (edges only) */
	int motor;
	int64_t motor_on_id, motor_on_mono, motor_off_id, motor_off_mono;
	/* the bin door's latest edges, whatever the stage */
	int64_t bin_open_id, bin_shut_id, bin_shut_mono;
	/* the destruction under way */
	enum stage st;
	uint64_t timer;
	int64_t deadline_mono;
	char order[VAULT_ID_SIZE], medium[VAULT_ID_SIZE], tag[VAULT_ID_SIZE];
	char title[VAULT_NAME_SIZE], cls[32];
	char orderer[VAULT_ID_SIZE], approver[VAULT_ID_SIZE], op[VAULT_ID_SIZE];
	int64_t started_utc, witnessed_utc, quiet_from_utc;
	struct witness w[2];
	int nw;
	int64_t throat_id, throat_mono, run_id, stop_id, gone_id;
	char blind[VAULTD_PLACE_MAX]; /* a tag reader that faulted in the quiet window */
};

static const char *const reading_kinds = "('destruction.started','destruction.witnessed',"
					 "'destruction.shredded')";

/* ---- helpers --------------------------------------------------------------- */

static const char *arg_str(const cJSON *args, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *row_str(const cJSON *row, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, name);
	return cJSON_IsString(v) ? v->valuestring : "";
}

__attribute__((format(printf, 3, 4))) static void
refuse(struct action_result *res, enum vault_reason r, const char *fmt, ...)
{
	res->reason = r;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof res->detail, fmt, ap);
	va_end(ap);
}

/* The row of table/id with one text field changed, onto the set list.
 * Nothing if the row is missing or already has that value. */
static void set_field(struct vaultd *d, cJSON *payload, const char *table, const char *id,
		      const char *field, const char *value)
{
	cJSON *row = vault_registry_get(d->db, table, id);
	if (!row)
		return;
	if (!strcmp(row_str(row, field), value)) {
		cJSON_Delete(row);
		return;
	}
	cJSON_ReplaceItemInObjectCaseSensitive(row, field, cJSON_CreateString(value));
	vaultd_set_add(payload, table, id, row);
}

/* Record an entry (takes payload). */
static int rec(struct destruction *x, const char *kind, const char *actors, const char *medium,
	       const char *cites, cJSON *payload, int64_t *ret_seq)
{
	struct vault_record r = {.kind = kind,
				 .actors = actors,
				 .medium = medium,
				 .cites = cites,
				 .payload = payload};
	int e = vaultd_record(x->d, &r, ret_seq);
	cJSON_Delete(payload);
	return e;
}

static void cites_add(char *cites, size_t size, int64_t id)
{
	if (id <= 0)
		return;
	size_t n = strlen(cites);
	snprintf(cites + n, size - n, "%s%lld", n ? "," : "", (long long)id);
}

static void add_code(cJSON *p, enum vault_reason r)
{
	cJSON_AddStringToObject(p, "code", vault_reason_id(r));
	cJSON_AddStringToObject(p, "text", vault_reason_text(r, "en"));
}

static void add_time(cJSON *o, const char *name, int64_t utc_us)
{
	char t[32];
	if (utc_us <= 0)
		return;
	vault_destruction_iso_utc(utc_us, t);
	cJSON_AddStringToObject(o, name, t);
}

/* One piece of evidence: the stored sensor event and what it proves. Returns
 * the event's UTC time (0 if it is not stored). */
static int64_t evidence(struct vaultd *d, cJSON *arr, int64_t id, const char *proves)
{
	sqlite3_stmt *st;
	int64_t utc = 0;
	if (id <= 0 || vault_db_cached(d->db,
				       "SELECT ts_utc, source, kind, data FROM sensor_event "
				       "WHERE id=?",
				       &st) < 0)
		return 0;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		cJSON *e = cJSON_CreateObject();
		utc = sqlite3_column_int64(st, 0);
		cJSON_AddNumberToObject(e, "sensor_event", (double)id);
		cJSON_AddStringToObject(e, "source", (const char *)sqlite3_column_text(st, 1));
		cJSON_AddStringToObject(e, "kind", (const char *)sqlite3_column_text(st, 2));
		cJSON_AddStringToObject(e, "data", (const char *)sqlite3_column_text(st, 3));
		add_time(e, "time", utc);
		cJSON_AddStringToObject(e, "proves", proves);
		cJSON_AddItemToArray(arr, e);
	}
	vault_db_done(st);
	return utc;
}

static int same_tag(const char *a, const char *b)
{
	return a && b && *a && !strcasecmp(a, b);
}

/* The shredder's bin door: -ENODEV when the site has no shredder_bin line
 * ([gpio] shredder_bin = none), else 1 open, 0 closed. A line that cannot be
 * read counts as open: an unknown bin is not the safe state. */
static int bin_open(const struct destruction *x)
{
	int level = 1;
	int r =
	    x->d->gpio ? vault_gpio_get(x->d->gpio, VAULT_GPIO_SHREDDER_BIN, &level) : -ENODEV;
	if (r == -ENODEV)
		return r;
	return r < 0 || level;
}

static const char *bin_name(int open)
{
	return open < 0 ? "not watched" : open ? "open" : "closed";
}

static const char *bin_state(const struct destruction *x)
{
	return bin_name(bin_open(x));
}

/* What the sensors last said about the tag: read in the throat ->
 * at-destruction (still at the shredder); on a storage shelf -> in-vault;
 * anywhere else or nowhere -> missing. */
static const char *tag_status_by_sensors(struct vaultd *d, const char *tag,
					 char where[VAULTD_PLACE_MAX])
{
	const struct vaultd_tag_place *p = vaultd_tag_where(d, tag);
	snprintf(where, VAULTD_PLACE_MAX, "%s", p ? p->where : "");
	if (p && !strcmp(p->where, d->cfg.custody_throat))
		return "at-destruction";
	if (p && vaultd_is_storage(d, p->where))
		return "in-vault";
	return "missing";
}

static const char *status_by_sensors(const struct destruction *x, char where[VAULTD_PLACE_MAX])
{
	return tag_status_by_sensors(x->d, x->tag, where);
}

static void witnesses_json(const struct destruction *x, cJSON *p)
{
	cJSON *a = cJSON_AddArrayToObject(p, "witnesses");
	for (int i = 0; i < x->nw; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(x->w[i].p.id));
}

static void witness_actors(const struct destruction *x, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", x->nw > 0 ? x->w[0].p.id : "", x->nw > 1 ? "," : "",
		 x->nw > 1 ? x->w[1].p.id : "");
}

/* The common fields of every entry about the destruction under way. */
static cJSON *base_payload(const struct destruction *x)
{
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "order", x->order);
	cJSON_AddStringToObject(p, "operator", x->op);
	cJSON_AddStringToObject(p, "tag", x->tag);
	return p;
}

static void disarm(struct destruction *x)
{
	vault_loop_timer_cancel(x->d->loop, x->timer);
	x->timer = 0;
	x->st = ST_IDLE;
	x->nw = 0;
	x->order[0] = x->medium[0] = x->tag[0] = x->op[0] = x->blind[0] = 0;
	x->throat_id = x->run_id = x->stop_id = x->gone_id = 0;
	x->started_utc = x->witnessed_utc = x->quiet_from_utc = 0;
}

static void on_timer(struct vault_loop *l, uint64_t id, void *ud);

static void arm_timer(struct destruction *x, int64_t delay_us)
{
	vault_loop_timer_cancel(x->d->loop, x->timer);
	x->timer = 0;
	x->deadline_mono = vault_now_mono_us() + delay_us;
	if (vault_loop_timer_at(x->d->loop, x->deadline_mono, on_timer, x, &x->timer) < 0)
		vault_log(LOG_ERR, "destruction", "cannot arm the station timer");
}

/* End the destruction under way with an alarm: the medium keeps the status the
 * sensors support, the order stays approved (a retry is a new destroy.start). */
static void alarm(struct destruction *x, const char *kind, enum vault_reason r,
		  const char *detail, int64_t cite_id)
{
	char cites[128] = "", actors[2 * VAULT_ID_SIZE + 2], where[VAULTD_PLACE_MAX];
	for (int i = 0; i < x->nw; i++)
		cites_add(cites, sizeof cites, x->w[i].sensor_id);
	cites_add(cites, sizeof cites, x->throat_id);
	cites_add(cites, sizeof cites, x->run_id);
	if (cite_id != x->throat_id)
		cites_add(cites, sizeof cites, cite_id);
	witness_actors(x, actors, sizeof actors);
	cJSON *p = base_payload(x);
	add_code(p, r);
	if (detail && *detail)
		cJSON_AddStringToObject(p, "detail", detail);
	witnesses_json(x, p);
	const char *status = status_by_sensors(x, where);
	cJSON_AddStringToObject(p, "last_read", where);
	cJSON_AddStringToObject(p, "medium_status", status);
	set_field(x->d, p, "medium", x->medium, "status", status);
	vault_log(LOG_ALERT, "destruction", "%s: order %s medium %s: %s%s%s (medium now %s)",
		  kind, x->order, x->medium, vault_reason_id(r), detail && *detail ? ": " : "",
		  detail ? detail : "", status);
	rec(x, kind, actors, x->medium, cites, p, NULL);
	disarm(x);
}

/* End a destruction that never reached the throat: the medium takes the
 * status the sensors support, as after an alarm. Back on a storage shelf it is
 * in-vault; still in the throat, at-destruction (a new attempt may start from
 * there); anywhere else or nowhere, missing until a shelf reads it again
 * (medium.found), never in-vault on trust: custody watches only the
 * departures of media in the vault, and this one already left its shelf. */
static void aborted(struct destruction *x, enum vault_reason r, const char *why)
{
	char actors[2 * VAULT_ID_SIZE + 2], where[VAULTD_PLACE_MAX];
	witness_actors(x, actors, sizeof actors);
	cJSON *p = base_payload(x);
	add_code(p, r);
	cJSON_AddStringToObject(p, "why", why);
	witnesses_json(x, p);
	const char *status = status_by_sensors(x, where);
	cJSON_AddStringToObject(p, "last_read", where);
	cJSON_AddStringToObject(p, "medium_status", status);
	set_field(x->d, p, "medium", x->medium, "status", status);
	vault_log(LOG_WARNING, "destruction", "order %s aborted (%s): medium %s now %s",
		  x->order, why, x->medium, status);
	rec(x, "destruction.aborted", actors, x->medium, "", p, NULL);
	disarm(x);
}

/* ---- the sensor-confirmed flow ------------------------------------------- */

static void shredded(struct destruction *x)
{
	char cites[128] = "", actors[2 * VAULT_ID_SIZE + 2];
	cites_add(cites, sizeof cites, x->throat_id);
	cites_add(cites, sizeof cites, x->run_id);
	cites_add(cites, sizeof cites, x->stop_id);
	witness_actors(x, actors, sizeof actors);
	cJSON *p = base_payload(x);
	witnesses_json(x, p);
	cJSON_AddNumberToObject(p, "throat_read", (double)x->throat_id);
	cJSON_AddNumberToObject(p, "motor", (double)x->run_id);
	cJSON_AddStringToObject(p, "bin", bin_state(x));
	cJSON_AddNumberToObject(p, "quiet_window_s", x->d->cfg.quiet_window_s);
	if (rec(x, "destruction.shredded", actors, x->medium, cites, p, NULL) < 0) {
		/* Not recorded: nothing may be confirmed on top of it. */
		alarm(x, "destruction.failed", VAULT_R_DB_ERROR,
		      "destruction.shredded not recorded", 0);
		return;
	}
	x->st = ST_QUIET;
	x->quiet_from_utc = vault_now_utc_us();
	x->blind[0] = 0;
	/* A reader already down cannot prove the tag's absence. */
	const struct vaultd_shelf *sh;
	size_t n = vaultd_shelves(x->d, &sh);
	for (size_t i = 0; i < n; i++)
		if (sh[i].state == VSHELF_FAULT)
			snprintf(x->blind, sizeof x->blind, "%s", sh[i].name);
	arm_timer(x, (int64_t)x->d->cfg.quiet_window_s * 1000000);
}

static void confirmed(struct destruction *x)
{
	struct vaultd *d = x->d;
	char cites[160] = "", actors[2 * VAULT_ID_SIZE + 2], cert[96], text[256];
	int bin = bin_open(x); /* closed (on_timer checked) or unwatched (-ENODEV) */
	snprintf(cert, sizeof cert, "DC-%s", x->order);
	cJSON *p = base_payload(x);
	cJSON_AddStringToObject(p, "certificate", cert);
	witnesses_json(x, p);
	cJSON_AddStringToObject(p, "medium", x->medium);
	cJSON_AddStringToObject(p, "title", x->title);
	cJSON_AddStringToObject(p, "classification", x->cls);
	cJSON_AddStringToObject(p, "ordered_by", x->orderer);
	cJSON_AddStringToObject(p, "approved_by", x->approver);
	cJSON *ev = cJSON_AddArrayToObject(p, "evidence");
	int64_t tw[2] = {0, 0}, tt, tm, tb = 0;
	for (int i = 0; i < x->nw; i++) {
		snprintf(text, sizeof text,
			 "witness %s presented badge %s (key proved, active, certified and "
			 "trained) at the shredder station",
			 x->w[i].p.id, x->w[i].badge);
		tw[i] = evidence(d, ev, x->w[i].sensor_id, text);
		cites_add(cites, sizeof cites, x->w[i].sensor_id);
	}
	snprintf(text, sizeof text,
		 "tag %s of medium %s was read by the shredder throat reader", x->tag,
		 x->medium);
	tt = evidence(d, ev, x->throat_id, text);
	snprintf(text, sizeof text,
		 "the shredder motor reported running within %d ms of the throat read",
		 d->cfg.motor_grace_ms);
	tm = evidence(d, ev, x->run_id, text);
	cites_add(cites, sizeof cites, x->throat_id);
	cites_add(cites, sizeof cites, x->run_id);
	if (x->stop_id) {
		snprintf(text, sizeof text,
			 "the motor's stop: it ran until at most %d ms before the throat read",
			 d->cfg.motor_grace_ms);
		evidence(d, ev, x->stop_id, text);
		cites_add(cites, sizeof cites, x->stop_id);
	}
	if (x->gone_id) {
		evidence(d, ev, x->gone_id, "the tag left the throat reader's field");
		cites_add(cites, sizeof cites, x->gone_id);
	}
	if (bin == 0 && x->bin_shut_id) {
		tb = evidence(
		    d, ev, x->bin_shut_id,
		    "the shredder's bin door closed and did not open again before this "
		    "confirmation");
		cites_add(cites, sizeof cites, x->bin_shut_id);
	}
	int64_t now = vault_now_utc_us();
	cJSON *t = cJSON_AddObjectToObject(p, "times");
	add_time(t, "started", x->started_utc);
	add_time(t, "witness_1", tw[0]);
	add_time(t, "witness_2", tw[1]);
	add_time(t, "witnessed", x->witnessed_utc);
	add_time(t, "throat_read", tt);
	add_time(t, "motor_running", tm);
	add_time(t, "bin_closed", tb);
	add_time(t, "quiet_from", x->quiet_from_utc);
	add_time(t, "confirmed", now);
	cJSON_AddNumberToObject(p, "quiet_window_s", d->cfg.quiet_window_s);
	cJSON_AddStringToObject(p, "bin", bin_name(bin));
	char proves[768], bin_proves[256] = "";
	if (bin == 0)
		snprintf(bin_proves, sizeof bin_proves,
			 "; the shredder's bin door was closed when the destruction started, "
			 "from at least %d ms before the throat read, and until this "
			 "confirmation (%s)",
			 d->cfg.motor_grace_ms,
			 x->bin_shut_id
			     ? "closed since the bin-door event cited"
			     : "closed since vaultd started: no bin-door edge since");
	snprintf(
	    proves, sizeof proves,
	    "two distinct certified witnesses badged at the shredder station; the medium's "
	    "tag was read in the shredder throat while the motor reported running; no "
	    "reader (shelves, kiosk pad, throat) read the tag again for %d s after the "
	    "throat read, and every reader was up meanwhile%s",
	    d->cfg.quiet_window_s, bin_proves);
	cJSON_AddStringToObject(p, "proves", proves);
	snprintf(proves, sizeof proves,
		 "the particle size of the remains, or that nothing but the tag's carrier "
		 "passed the throat: that is the witnesses' statement%s",
		 bin >= 0
		     ? ""
		     : "; nor that the shredder's bin stayed closed: no bin-door sensor "
		       "is configured ([gpio] shredder_bin = none), the bin was not watched");
	cJSON_AddStringToObject(p, "does_not_prove", proves);
	set_field(d, p, "medium", x->medium, "status", "destroyed");
	set_field(d, p, "destruction_order", x->order, "state", "done");
	witness_actors(x, actors, sizeof actors);
	int64_t seq = 0;
	if (rec(x, "destruction.confirmed", actors, x->medium, cites, p, &seq) < 0) {
		alarm(x, "destruction.failed", VAULT_R_DB_ERROR,
		      "destruction.confirmed not recorded", 0);
		return;
	}
	vault_log(LOG_NOTICE, "destruction",
		  "order %s: medium %s destroyed, certificate %s (seq %lld)", x->order,
		  x->medium, cert, (long long)seq);
	disarm(x);
}

/* Whether the motor ran within motor_grace_ms of the throat read; sets the
 * evidence (the running edge, and the stop edge if it has stopped since). */
static int motor_ran(struct destruction *x)
{
	int64_t grace = (int64_t)x->d->cfg.motor_grace_ms * 1000;
	if (!x->motor_on_id)
		return 0;
	if (x->motor) {
		x->run_id = x->motor_on_id;
		return 1;
	}
	if (x->motor_off_mono >= x->throat_mono - grace &&
	    x->motor_off_mono >= x->motor_on_mono) {
		x->run_id = x->motor_on_id;
		x->stop_id = x->motor_off_id;
		return 1;
	}
	return 0;
}

/* Why the bin door was not in its safe state at the throat read ("" if it
 * was, or is not watched): open, or closed less than motor_grace_ms before
 * the read (the read's time is approximate by as much). */
static const char *bin_unsafe_at_read(const struct destruction *x)
{
	int open = bin_open(x);
	if (open < 0)
		return "";
	if (open)
		return "the bin door was open at the throat read";
	if (x->bin_shut_id &&
	    x->bin_shut_mono > x->throat_mono - (int64_t)x->d->cfg.motor_grace_ms * 1000)
		return "the bin door closed within motor_grace_ms of the throat read";
	return "";
}

static void on_throat(struct destruction *x, const struct vaultd_event *ev)
{
	struct vaultd *d = x->d;
	if (x->st != ST_IDLE && same_tag(ev->tag, x->tag)) {
		switch (x->st) {
		case ST_ARMED:
			x->throat_id = ev->sensor_id;
			alarm(x, "destruction.one_witness", VAULT_R_DESTRUCTION_ONE_WITNESS,
			      x->nw ? "one witness" : "no witness", 0);
			return;
		case ST_WITNESSED: {
			x->throat_id = ev->sensor_id;
			x->throat_mono = ev->mono_us;
			const char *bin_why = bin_unsafe_at_read(x);
			if (*bin_why) {
				alarm(x, "destruction.failed", VAULT_R_DESTRUCTION_BIN_OPEN,
				      bin_why, x->bin_open_id);
			} else if (motor_ran(x)) {
				shredded(x);
			} else {
				x->st = ST_THROAT;
				arm_timer(x, (int64_t)d->cfg.motor_grace_ms * 1000);
			}
			return;
		}
		case ST_QUIET:
			alarm(x, "destruction.failed", VAULT_R_DESTRUCTION_READ_AGAIN,
			      "read again at the throat", ev->sensor_id);
			return;
		default:
			return;
		}
	}
	/* A tag nobody started a destruction for. */
	struct vault_medium m;
	int known = vault_load_medium_by_tag(d->db, ev->tag, &m) == 0;
	cJSON *p = cJSON_CreateObject();
	add_code(p, VAULT_R_DESTRUCTION_UNEXPECTED);
	cJSON_AddStringToObject(p, "tag", ev->tag);
	if (known)
		cJSON_AddStringToObject(p, "medium_status", vault_medium_status_name(m.status));
	cJSON_AddBoolToObject(p, "motor_running", x->motor);
	if (x->st != ST_IDLE)
		cJSON_AddStringToObject(p, "order_under_way", x->order);
	char cites[32] = "";
	cites_add(cites, sizeof cites, ev->sensor_id);
	vault_log(LOG_ALERT, "destruction", "unexpected tag %s (%s) at the shredder throat",
		  ev->tag, known ? m.id : "not registered");
	rec(x, "destruction.unexpected", "", known ? m.id : "", cites, p, NULL);
}

static void on_read(struct destruction *x, const struct vaultd_event *ev)
{
	if (!strcmp(ev->source, x->d->cfg.custody_throat)) {
		on_throat(x, ev);
		return;
	}
	if (x->st == ST_QUIET && same_tag(ev->tag, x->tag)) {
		char detail[96];
		snprintf(detail, sizeof detail, "read again at %s", ev->source);
		alarm(x, "destruction.failed", VAULT_R_DESTRUCTION_READ_AGAIN, detail,
		      ev->sensor_id);
	}
}

static void on_witness(struct destruction *x, const struct vaultd_event *ev)
{
	if (ev->counted) /* refused, and counted in the reader's flood batch */
		return;
	struct vaultd *d = x->d;
	enum vault_reason r = ev->reason;
	struct vault_actor_rec a;
	const char *person = ev->person && *ev->person ? ev->person : "";
	/* A first witness too long ago no longer counts. */
	if (x->nw == 1 &&
	    ev->mono_us - x->w[0].mono_us > (int64_t)d->cfg.witness_window_s * 1000000)
		x->nw = 0;
	if (r == VAULT_R_OK) {
		struct vault_destruction_order o = {0};
		snprintf(o.id, sizeof o.id, "%s", x->order);
		snprintf(o.medium_id, sizeof o.medium_id, "%s", x->medium);
		snprintf(o.requester_id, sizeof o.requester_id, "%s", x->orderer);
		snprintf(o.orderer_id, sizeof o.orderer_id, "%s", x->approver);
		struct vault_localtime now;
		if (vault_load_actor(d->db, person, &a) < 0)
			r = VAULT_R_PERSON_UNKNOWN;
		else if (vaultd_localtime(d, &now) < 0)
			r = VAULT_R_DB_ERROR;
		else
			r = vault_policy_may_witness(&a.actor, &o, x->nw ? &x->w[0].p : NULL,
						     &d->pc, &now);
	}
	char cites[32] = "";
	cites_add(cites, sizeof cites, ev->sensor_id);
	if (r != VAULT_R_OK) {
		cJSON *p = base_payload(x);
		add_code(p, r);
		cJSON_AddStringToObject(p, "person", person);
		cJSON_AddStringToObject(p, "badge", ev->badge ? ev->badge : "");
		vault_log(LOG_WARNING, "destruction", "witness %s refused for order %s: %s",
			  *person     ? person
			  : ev->badge ? ev->badge
				      : "?",
			  x->order, vault_reason_id(r));
		rec(x, "destruction.witness_refused", person, x->medium, cites, p, NULL);
		return;
	}
	struct witness *w = &x->w[x->nw++];
	w->p = a.person;
	snprintf(w->badge, sizeof w->badge, "%s", ev->badge ? ev->badge : "");
	w->sensor_id = ev->sensor_id;
	w->mono_us = ev->mono_us;
	if (x->nw < 2)
		return;
	char actors[2 * VAULT_ID_SIZE + 2];
	cites[0] = 0;
	cites_add(cites, sizeof cites, x->w[0].sensor_id);
	cites_add(cites, sizeof cites, x->w[1].sensor_id);
	witness_actors(x, actors, sizeof actors);
	cJSON *p = base_payload(x);
	witnesses_json(x, p);
	if (rec(x, "destruction.witnessed", actors, x->medium, cites, p, NULL) < 0) {
		x->nw = 1; /* not recorded: the second witness badges again */
		return;
	}
	x->witnessed_utc = vault_now_utc_us();
	x->st = ST_WITNESSED;
	arm_timer(x, (int64_t)d->cfg.witness_window_s * 1000000);
}

/* The bin door opening after the throat read ends the destruction: the medium
 * may have been taken out of the bin intact. Opened at any other time it is
 * only a sensor event (the bin is emptied between destructions); the bin's
 * state is checked at destroy.start and at the throat read. */
static void on_bin(struct destruction *x, const struct vaultd_event *ev)
{
	if (!ev->level) {
		x->bin_shut_id = ev->sensor_id;
		x->bin_shut_mono = ev->mono_us;
		return;
	}
	x->bin_open_id = ev->sensor_id;
	if (x->st == ST_THROAT || x->st == ST_QUIET)
		alarm(x, "destruction.failed", VAULT_R_DESTRUCTION_BIN_OPENED,
		      "the bin door opened after the throat read", ev->sensor_id);
}

static void on_event(struct vaultd *d, const struct vaultd_event *ev, void *ud)
{
	struct destruction *x = ud;
	switch (ev->kind) {
	case VEV_GPIO:
		if (ev->line == VAULT_GPIO_SHREDDER_BIN)
			on_bin(x, ev);
		if (ev->line != VAULT_GPIO_SHREDDER_MOTOR)
			return;
		x->motor = ev->level;
		if (ev->level) {
			x->motor_on_id = ev->sensor_id;
			x->motor_on_mono = ev->mono_us;
			if (x->st == ST_THROAT && motor_ran(x))
				shredded(x);
		} else {
			x->motor_off_id = ev->sensor_id;
			x->motor_off_mono = ev->mono_us;
		}
		return;
	case VEV_TAG_ARRIVED:
		on_read(x, ev);
		return;
	case VEV_TAG_DEPARTED:
		if (x->st == ST_QUIET && same_tag(ev->tag, x->tag) &&
		    !strcmp(ev->source, d->cfg.custody_throat))
			x->gone_id = ev->sensor_id;
		return;
	case VEV_SHELF_FAULT:
		if (x->st == ST_QUIET)
			snprintf(x->blind, sizeof x->blind, "%s", ev->source);
		return;
	case VEV_BADGE:
		if (x->st == ST_ARMED && !strcmp(ev->source, "shredder"))
			on_witness(x, ev);
		return;
	default:
		return;
	}
}

static void on_timer(struct vault_loop *l, uint64_t id, void *ud)
{
	struct destruction *x = ud;
	if (id != x->timer)
		return;
	x->timer = 0;
	char detail[96], where[VAULTD_PLACE_MAX];
	switch (x->st) {
	case ST_ARMED:
	case ST_WITNESSED:
		aborted(x, VAULT_R_DESTRUCTION_TIMEOUT, "timeout");
		break;
	case ST_THROAT:
		alarm(x, "destruction.no_motor", VAULT_R_DESTRUCTION_NO_MOTOR, "", 0);
		break;
	case ST_QUIET:
		if (x->blind[0]) {
			snprintf(detail, sizeof detail, "reader %s was down", x->blind);
			alarm(x, "destruction.failed", VAULT_R_DESTRUCTION_READER_DOWN, detail,
			      0);
		} else if (!strcmp(status_by_sensors(x, where), "at-destruction")) {
			alarm(x, "destruction.failed", VAULT_R_DESTRUCTION_STILL_READ,
			      "the throat reader still reads the tag", 0);
		} else if (bin_open(x) > 0) {
			/* on_bin alarms at the opening; this only keeps the invariant */
			alarm(x, "destruction.failed", VAULT_R_DESTRUCTION_BIN_OPENED,
			      "the bin door is open at the end of the quiet window",
			      x->bin_open_id);
		} else {
			confirmed(x);
		}
		break;
	default:
		break;
	}
}

/* ---- after a restart ------------------------------------------------------ */

/* A destruction under way when vaultd stopped (its last entry is started,
 * witnessed or shredded) cannot go on: the witnesses' presence and the quiet
 * window are not known across the outage. Before the throat read it is
 * aborted (medium in-vault); after it (shredded, or a throat read stored as a
 * sensor event) it is destruction.interrupted (medium missing: a supervisor
 * must find out what happened to it). */
static void recover(struct vault_loop *l, uint64_t id, void *ud)
{
	struct destruction *x = ud;
	struct vaultd *d = x->d;
	x->recover_timer = 0;
	char sql[768];
	snprintf(
	    sql, sizeof sql,
	    "SELECT ord, kind, medium, seq, ts_utc FROM (SELECT json_extract(CAST(payload AS "
	    "TEXT),'$.order') AS ord, kind, medium, seq, ts_utc, row_number() OVER "
	    "(PARTITION BY json_extract(CAST(payload AS TEXT),'$.order') ORDER BY seq DESC) AS "
	    "rn FROM ledger WHERE kind GLOB 'destruction.*' AND kind NOT IN "
	    "('destruction.witness_refused','destruction.unexpected','destruction.refused',"
	    "'destruction.order_cancelled')"
	    " AND json_valid(CAST(payload AS TEXT))) WHERE rn=1 AND kind IN %s ORDER BY seq",
	    reading_kinds);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK) {
		vault_log(LOG_ERR, "destruction", "recovery query: %s", sqlite3_errmsg(d->db));
		return;
	}
	struct {
		char order[VAULT_ID_SIZE], medium[VAULT_ID_SIZE], kind[32];
		int64_t ts;
	} open[8];
	int n = 0;
	while (n < 8 && sqlite3_step(st) == SQLITE_ROW) {
		snprintf(open[n].order, sizeof open[n].order, "%s", sqlite3_column_text(st, 0));
		snprintf(open[n].kind, sizeof open[n].kind, "%s", sqlite3_column_text(st, 1));
		snprintf(open[n].medium, sizeof open[n].medium, "%s",
			 sqlite3_column_text(st, 2));
		open[n].ts = sqlite3_column_int64(st, 4);
		n++;
	}
	sqlite3_finalize(st);
	for (int i = 0; i < n; i++) {
		/* The started entry: who operated, since when. */
		char op[VAULT_ID_SIZE] = "", tag[VAULT_ID_SIZE] = "";
		int64_t since = 0, throat = 0;
		if (vault_db_cached(
			d->db,
			"SELECT ts_utc, json_extract(CAST(payload AS TEXT),'$.operator'), "
			"json_extract(CAST(payload AS TEXT),'$.tag') FROM ledger WHERE "
			"kind='destruction.started' AND medium=? AND json_extract(CAST("
			"payload AS TEXT),'$.order')=? ORDER BY seq DESC LIMIT 1",
			&st) == 0) {
			sqlite3_bind_text(st, 1, open[i].medium, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, open[i].order, -1, SQLITE_STATIC);
			if (sqlite3_step(st) == SQLITE_ROW) {
				since = sqlite3_column_int64(st, 0);
				snprintf(op, sizeof op, "%s",
					 sqlite3_column_text(st, 1)
					     ? (const char *)sqlite3_column_text(st, 1)
					     : "");
				snprintf(tag, sizeof tag, "%s",
					 sqlite3_column_text(st, 2)
					     ? (const char *)sqlite3_column_text(st, 2)
					     : "");
			}
			vault_db_done(st);
		}
		/* A throat read stored before the stop, even if no entry followed. */
		if (*tag &&
		    vault_db_cached(d->db,
				    "SELECT id FROM sensor_event WHERE source=? AND "
				    "kind='tag.arrived' AND instr(data, 'tag=' || upper(?))>0 "
				    "AND ts_utc>=? ORDER BY id LIMIT 1",
				    &st) == 0) {
			sqlite3_bind_text(st, 1, d->cfg.custody_throat, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, tag, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 3, since);
			if (sqlite3_step(st) == SQLITE_ROW)
				throat = sqlite3_column_int64(st, 0);
			vault_db_done(st);
		}
		int interrupted = !strcmp(open[i].kind, "destruction.shredded") || throat;
		enum vault_reason r =
		    interrupted ? VAULT_R_DESTRUCTION_INTERRUPTED : VAULT_R_DESTRUCTION_RESTART;
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "order", open[i].order);
		cJSON_AddStringToObject(p, "operator", op);
		cJSON_AddStringToObject(p, "tag", tag);
		add_code(p, r);
		cJSON_AddStringToObject(p, "why", "restart");
		cJSON_AddStringToObject(p, "last_entry", open[i].kind);
		const char *status = interrupted ? "missing" : "in-vault";
		cJSON_AddStringToObject(p, "medium_status", status);
		set_field(d, p, "medium", open[i].medium, "status", status);
		char cites[32] = "";
		cites_add(cites, sizeof cites, throat);
		vault_log(interrupted ? LOG_ALERT : LOG_WARNING, "destruction",
			  "order %s was under way at the restart (%s): %s, medium %s now %s",
			  open[i].order, open[i].kind, vault_reason_id(r), open[i].medium,
			  status);
		rec(x, interrupted ? "destruction.interrupted" : "destruction.aborted", op,
		    open[i].medium, cites, p, NULL);
	}
}

/* ---- actions ---------------------------------------------------------------- */

/* The operator (the caller) must pass the person rules like anyone at the
 * station: certificate, training, active, unit. */
static int operator_refused(struct vaultd *d, const struct vault_caller *who,
			    struct vault_actor_rec *a, struct action_result *res)
{
	if (!who->person[0] || vault_load_actor(d->db, who->person, a) < 0) {
		refuse(res, VAULT_R_PERSON_UNKNOWN, "the caller is not a registered person");
		return 1;
	}
	enum vault_reason r = vault_policy_check_person(&a->actor, &d->pc, vaultd_today(d));
	if (r != VAULT_R_OK) {
		refuse(res, r, "operator %s", who->person);
		return 1;
	}
	return 0;
}

/* The order row and its medium, ready for a destruction or handover. */
static cJSON *load_order(struct vaultd *d, const cJSON *args, struct vault_medium *m,
			 struct action_result *res)
{
	const char *id = arg_str(args, "order");
	if (!id || !*id || strlen(id) >= VAULT_ID_SIZE) {
		refuse(res, VAULT_R_INVALID_VALUE, "--order ORDER is required");
		return NULL;
	}
	cJSON *row = vault_registry_get(d->db, "destruction_order", id);
	if (!row) {
		refuse(res, VAULT_R_NOT_FOUND, "destruction order %s", id);
		return NULL;
	}
	if (strcmp(row_str(row, "state"), "approved") != 0) {
		refuse(res, VAULT_R_DESTROY_ORDER_STATE, "destruction order %s is %s", id,
		       row_str(row, "state"));
		goto fail;
	}
	if (vault_load_medium(d->db, row_str(row, "medium"), m) < 0) {
		refuse(res, VAULT_R_NOT_FOUND, "medium %s", row_str(row, "medium"));
		goto fail;
	}
	if (m->status == VAULT_MEDIUM_DESTROYED || m->status == VAULT_MEDIUM_HANDED_OVER) {
		refuse(res, VAULT_R_MEDIUM_DESTROYED, "medium %s is %s", m->id,
		       vault_medium_status_name(m->status));
		goto fail;
	}
	/* at-destruction: left at the shredder by an earlier attempt that ended in
	 * an alarm (e.g. the motor was off); a new attempt may start from there. */
	if (m->status != VAULT_MEDIUM_IN_VAULT && m->status != VAULT_MEDIUM_AT_DESTRUCTION) {
		refuse(res, VAULT_R_MEDIUM_NOT_IN_VAULT, "medium %s is %s", m->id,
		       vault_medium_status_name(m->status));
		goto fail;
	}
	return row;
fail:
	cJSON_Delete(row);
	return NULL;
}

static void act_start(struct destruction *x, const struct vault_caller *who, const cJSON *args,
		      struct action_result *res)
{
	struct vaultd *d = x->d;
	if (x->st != ST_IDLE) {
		refuse(res, VAULT_R_DESTROY_STATION_BUSY, "order %s is %s", x->order,
		       stage_names[x->st]);
		return;
	}
	struct vault_medium m;
	struct vault_actor_rec a;
	cJSON *row = load_order(d, args, &m, res);
	if (!row)
		return;
	if (operator_refused(d, who, &a, res)) {
		cJSON_Delete(row);
		return;
	}
	/* The shredder is not in its safe state with its bin door open. */
	if (bin_open(x) > 0) {
		char since[48] = "vaultd started";
		if (x->bin_open_id)
			snprintf(since, sizeof since, "sensor event %lld",
				 (long long)x->bin_open_id);
		refuse(res, VAULT_R_DESTRUCTION_BIN_OPEN,
		       "the bin door (shredder_bin) is open since %s", since);
		cJSON_Delete(row);
		return;
	}
	const char *order = arg_str(args, "order");
	cJSON *med = vault_registry_get(d->db, "medium", m.id);
	snprintf(x->order, sizeof x->order, "%s", order);
	snprintf(x->medium, sizeof x->medium, "%s", m.id);
	snprintf(x->tag, sizeof x->tag, "%s", m.tag);
	snprintf(x->title, sizeof x->title, "%s", row_str(med, "title"));
	snprintf(x->cls, sizeof x->cls, "%s", vault_classification_name(m.classification));
	snprintf(x->orderer, sizeof x->orderer, "%s", row_str(row, "orderer"));
	snprintf(x->approver, sizeof x->approver, "%s", row_str(row, "approver"));
	snprintf(x->op, sizeof x->op, "%.63s", who->person);
	cJSON_Delete(med);
	cJSON_Delete(row);
	cJSON *p = base_payload(x);
	set_field(d, p, "medium", x->medium, "status", "at-destruction");
	struct vault_record r = {
	    .kind = "destruction.started", .actors = x->op, .medium = x->medium, .payload = p};
	int e = vaultd_record(d, &r, &res->seq);
	cJSON_Delete(p);
	if (e < 0) {
		refuse(res, VAULT_R_DB_ERROR, "destruction.started not recorded");
		x->order[0] = 0;
		return;
	}
	x->st = ST_ARMED;
	x->nw = 0;
	x->started_utc = vault_now_utc_us();
	arm_timer(x, (int64_t)d->cfg.witness_window_s * 1000000);
	res->data = cJSON_CreateObject();
	cJSON_AddStringToObject(res->data, "order", x->order);
	cJSON_AddStringToObject(res->data, "medium", x->medium);
	cJSON_AddStringToObject(res->data, "stage", stage_names[x->st]);
	cJSON_AddNumberToObject(res->data, "witness_window_s", d->cfg.witness_window_s);
}

static void act_abort(struct destruction *x, const struct vault_caller *who, const cJSON *args,
		      struct action_result *res)
{
	const char *order = arg_str(args, "order");
	if (x->st == ST_IDLE || !order || strcmp(order, x->order) != 0) {
		refuse(res, VAULT_R_NOT_FOUND, "no destruction of order %s under way",
		       order ? order : "(none)");
		return;
	}
	if (x->st == ST_THROAT || x->st == ST_QUIET) {
		refuse(res, VAULT_R_DESTROY_STATION_BUSY,
		       "order %s is past the throat read: it ends by the sensors", order);
		return;
	}
	char why[96];
	snprintf(why, sizeof why, "ended by %.63s", who->person);
	aborted(x, VAULT_R_DESTRUCTION_CANCELLED, why);
}

static int text_ok(const char *s, size_t max)
{
	return s && *s && strlen(s) <= max;
}

static void act_handover(struct destruction *x, const struct vault_caller *who,
			 const cJSON *args, struct action_result *res)
{
	struct vaultd *d = x->d;
	const char *facility = arg_str(args, "facility"), *cert = arg_str(args, "certificate");
	const char *want = arg_str(args, "witness");
	if (!text_ok(facility, 128) || !text_ok(cert, 256)) {
		refuse(
		    res, VAULT_R_INVALID_VALUE,
		    "--facility (128) and --certificate (256: the facility's certificate) are "
		    "required");
		return;
	}
	struct vault_medium m;
	struct vault_actor_rec op, a;
	cJSON *row = load_order(d, args, &m, res);
	if (!row)
		return;
	const char *order = arg_str(args, "order");
	if (x->st != ST_IDLE && !strcmp(x->order, order) &&
	    (x->st == ST_THROAT || x->st == ST_QUIET)) {
		refuse(res, VAULT_R_DESTROY_STATION_BUSY, "order %s is being shredded", order);
		goto out;
	}
	if (operator_refused(d, who, &op, res))
		goto out;
	struct vault_destruction_order o = {0};
	snprintf(o.id, sizeof o.id, "%s", order);
	snprintf(o.medium_id, sizeof o.medium_id, "%s", m.id);
	snprintf(o.requester_id, sizeof o.requester_id, "%s", row_str(row, "orderer"));
	snprintf(o.orderer_id, sizeof o.orderer_id, "%s", row_str(row, "approver"));
	struct vault_localtime now;
	if (vaultd_localtime(d, &now) < 0) {
		refuse(res, VAULT_R_DB_ERROR, "the site's local time is unknown");
		goto out;
	}
	/* The operator is one of the handover's two persons (witnesses[0] of the
	 * entry), so the same separation of duties applies to them as to the
	 * second: never the order's orderer or approver (SELF_WITNESS). Unlike
	 * at the shredder, where the operator only arms the station and the two
	 * witnesses are other badges, each checked on its own. */
	enum vault_reason rop = vault_policy_may_witness(&op.actor, &o, NULL, &d->pc, &now);
	if (rop != VAULT_R_OK) {
		refuse(res, rop,
		       "order %s: the operator %s may not take part (ordered by %s, "
		       "approved by %s)",
		       order, who->person, o.requester_id, o.orderer_id);
		goto out;
	}
	/* The second person: a badge at the shredder or kiosk reader, present or
	 * taken off at most station_window_s ago. */
	static const char *const stations[] = {"shredder", "kiosk"};
	const struct vaultd_station_badge *second = NULL;
	enum vault_reason why = VAULT_R_HANDOVER_NO_SECOND;
	for (size_t i = 0; i < 2 && !second; i++) {
		const struct vaultd_station_badge *b =
		    vaultd_station_badge(d, stations[i], d->cfg.station_window_s);
		if (!b || b->reason != VAULT_R_OK || !b->person[0] ||
		    !strcmp(b->person, who->person) || (want && strcmp(want, b->person)))
			continue;
		enum vault_reason r =
		    vault_load_actor(d->db, b->person, &a) < 0
			? VAULT_R_PERSON_UNKNOWN
			: vault_policy_may_witness(&a.actor, &o, &op.person, &d->pc, &now);
		if (r == VAULT_R_OK)
			second = b;
		else
			why = r;
	}
	if (!second) {
		refuse(res, why, "order %s: %s", order,
		       why == VAULT_R_HANDOVER_NO_SECOND
			   ? "no second person's badge at the shredder or kiosk reader"
			   : "the second person may not take part");
		goto out;
	}
	/* The medium itself, read on the kiosk pad by a pad that is answering:
	 * the handover hands over this object, not a registry row. */
	const struct vaultd_tag_place *tp = vaultd_tag_where(d, m.tag);
	char why_pad[160] = "";
	if (!*d->cfg.custody_pad || !tp || strcmp(tp->where, d->cfg.custody_pad)) {
		refuse(res, VAULT_R_HANDOVER_TAG_UNREAD, "order %s: %s's tag %s is not read on %s",
		       order, m.id, m.tag, *d->cfg.custody_pad ? d->cfg.custody_pad : "a pad (none)");
		goto out;
	}
	if (custody_pad_answering(d->custody, why_pad, sizeof why_pad) != VAULT_R_OK) {
		refuse(res, VAULT_R_HANDOVER_TAG_UNREAD, "order %s: %s", order, why_pad);
		goto out;
	}
	if (x->st != ST_IDLE && !strcmp(x->order, order))
		disarm(x); /* the handover supersedes the started destruction */
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "order", order);
	cJSON_AddStringToObject(p, "facility", facility);
	cJSON_AddStringToObject(p, "certificate", cert);
	cJSON_AddStringToObject(p, "operator", who->person);
	cJSON_AddStringToObject(p, "medium", m.id);
	cJSON_AddStringToObject(p, "tag", m.tag);
	cJSON *med = vault_registry_get(d->db, "medium", m.id);
	cJSON_AddStringToObject(p, "title", row_str(med, "title"));
	cJSON_Delete(med);
	cJSON_AddStringToObject(p, "classification",
				vault_classification_name(m.classification));
	cJSON_AddStringToObject(p, "ordered_by", o.requester_id);
	cJSON_AddStringToObject(p, "approved_by", o.orderer_id);
	cJSON *w = cJSON_AddArrayToObject(p, "witnesses");
	cJSON_AddItemToArray(w, cJSON_CreateString(who->person));
	cJSON_AddItemToArray(w, cJSON_CreateString(second->person));
	cJSON *ev = cJSON_AddArrayToObject(p, "evidence");
	char text[256];
	snprintf(
	    text, sizeof text,
	    "%.63s presented badge %s (key proved, active, certified and trained) at the %s "
	    "station for the handover",
	    second->person, second->badge, second->station);
	int64_t tb = evidence(d, ev, second->sensor_id, text);
	snprintf(text, sizeof text, "the medium's tag %s was read on %s", m.tag, tp->where);
	int64_t tt = evidence(d, ev, tp->sensor_id, text);
	cJSON *t = cJSON_AddObjectToObject(p, "times");
	add_time(t, "second_person", tb);
	add_time(t, "medium_read", tt);
	add_time(t, "handed_over", vault_now_utc_us());
	cJSON_AddStringToObject(
	    p, "proves",
	    "two persons took part: the operator (identified by the "
	    "controller's socket) and a second person whose badge was read; and the "
	    "medium's tag was read on the kiosk pad, its reader answering");
	cJSON_AddStringToObject(p, "does_not_prove",
				"the destruction itself: that is the facility's certificate");
	set_field(d, p, "medium", m.id, "status", "handed-over");
	set_field(d, p, "destruction_order", order, "state", "done");
	char actors[2 * VAULT_ID_SIZE + 2], cites[48] = "";
	snprintf(actors, sizeof actors, "%.63s,%.63s", who->person, second->person);
	cites_add(cites, sizeof cites, second->sensor_id);
	if (tp->sensor_id > 0)
		cites_add(cites, sizeof cites, tp->sensor_id);
	struct vault_record r = {.kind = "destruction.handover",
				 .actors = actors,
				 .medium = m.id,
				 .cites = cites,
				 .payload = p};
	if (vaultd_record(d, &r, &res->seq) < 0)
		refuse(res, VAULT_R_DB_ERROR, "destruction.handover not recorded");
	cJSON_Delete(p);
out:
	cJSON_Delete(row);
}

/* destroy-order.cancel --id ORDER [--reason TEXT] (dispatched here from
 * controller/actions.c, which knows the role table: supervisor, admin). A
 * requested or approved order becomes cancelled; destroy start and destroy
 * handover then refuse it (DESTROY_ORDER_STATE). Refused for an order already
 * done or cancelled, and while a destruction of it is under way at the
 * station (DESTROY_ORDER_UNDER_WAY): before the throat read `destroy abort`
 * ends it, after it only the sensors do. */
static void act_order_cancel(struct destruction *x, const struct vault_caller *who,
			     const cJSON *args, struct action_result *res)
{
	struct vaultd *d = x->d;
	const char *id = arg_str(args, "id"), *reason = arg_str(args, "reason");
	if (!id || !*id || strlen(id) >= VAULT_ID_SIZE) {
		refuse(res, VAULT_R_INVALID_VALUE, "--id ORDER is required");
		return;
	}
	if (reason && strlen(reason) > 256) {
		refuse(res, VAULT_R_INVALID_VALUE, "--reason is longer than 256 characters");
		return;
	}
	cJSON *row = vault_registry_get(d->db, "destruction_order", id);
	if (!row) {
		refuse(res, VAULT_R_NOT_FOUND, "destruction order %s", id);
		return;
	}
	char was[16], medium[VAULT_ID_SIZE];
	snprintf(was, sizeof was, "%s", row_str(row, "state"));
	snprintf(medium, sizeof medium, "%s", row_str(row, "medium"));
	cJSON_Delete(row);
	if (strcmp(was, "requested") != 0 && strcmp(was, "approved") != 0) {
		refuse(res, VAULT_R_DESTROY_ORDER_STATE, "destruction order %s is %s", id, was);
		return;
	}
	if (x->st != ST_IDLE && !strcmp(x->order, id)) {
		refuse(res, VAULT_R_DESTROY_ORDER_UNDER_WAY,
		       "order %s is %s at the station: %s", id, stage_names[x->st],
		       x->st == ST_THROAT || x->st == ST_QUIET
			   ? "past the throat read, it ends by the sensors"
			   : "destroy abort ends it first");
		return;
	}
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "order", id);
	cJSON_AddStringToObject(p, "medium", medium);
	cJSON_AddStringToObject(p, "cancelled_by", who->person);
	cJSON_AddStringToObject(p, "was", was);
	cJSON_AddStringToObject(p, "reason", reason ? reason : "");
	/* A medium left at the shredder by an earlier attempt that ended in an
	 * alarm: with no order left, nothing would ever move it off
	 * at-destruction. It takes the status the sensors support, read on a
	 * storage shelf -> in-vault, anywhere else (the throat included) ->
	 * missing, which the custody flow turns into medium.found once a shelf
	 * reads it. */
	struct vault_medium m;
	if (vault_load_medium(d->db, medium, &m) == 0 &&
	    m.status == VAULT_MEDIUM_AT_DESTRUCTION) {
		char where[VAULTD_PLACE_MAX];
		const char *status = tag_status_by_sensors(d, m.tag, where);
		if (strcmp(status, "in-vault") != 0)
			status = "missing";
		cJSON_AddStringToObject(p, "last_read", where);
		cJSON_AddStringToObject(p, "medium_status", status);
		set_field(d, p, "medium", medium, "status", status);
	}
	set_field(d, p, "destruction_order", id, "state", "cancelled");
	struct vault_record r = {.kind = "destruction.order_cancelled",
				 .actors = who->person,
				 .medium = medium,
				 .payload = p};
	if (vaultd_record(d, &r, &res->seq) < 0) {
		refuse(res, VAULT_R_DB_ERROR, "destruction.order_cancelled not recorded");
	} else {
		vault_log(LOG_NOTICE, "destruction", "order %s (medium %s) cancelled by %s%s%s",
			  id, medium, who->person, reason && *reason ? ": " : "",
			  reason ? reason : "");
		res->data = cJSON_CreateObject();
		cJSON_AddStringToObject(res->data, "order", id);
		cJSON_AddStringToObject(res->data, "medium", medium);
		cJSON_AddStringToObject(res->data, "was", was);
	}
	cJSON_Delete(p);
}

static void act_status(struct destruction *x, struct action_result *res)
{
	cJSON *s = res->data = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "stage", stage_names[x->st]);
	cJSON_AddBoolToObject(s, "motor_running", x->motor);
	cJSON_AddStringToObject(s, "bin", bin_state(x));
	if (x->st == ST_IDLE)
		return;
	cJSON_AddStringToObject(s, "order", x->order);
	cJSON_AddStringToObject(s, "medium", x->medium);
	cJSON_AddStringToObject(s, "tag", x->tag);
	cJSON_AddStringToObject(s, "operator", x->op);
	witnesses_json(x, s);
	if (x->throat_id)
		cJSON_AddNumberToObject(s, "throat_read", (double)x->throat_id);
	int64_t left = x->deadline_mono - vault_now_mono_us();
	cJSON_AddNumberToObject(s, "seconds_left", left > 0 ? (double)(left / 1000000) : 0);
}

static void act_certificate(struct destruction *x, const cJSON *args, struct action_result *res)
{
	const char *order = arg_str(args, "order");
	cJSON *c = NULL;
	int r = order ? vault_destruction_certificate(x->d->db, order, &c) : -ENOENT;
	if (r < 0) {
		refuse(res, r == -ENOENT ? VAULT_R_NOT_FOUND : VAULT_R_DB_ERROR,
		       "no confirmed destruction or handover of order %s",
		       order ? order : "(none)");
		return;
	}
	res->data = cJSON_CreateObject();
	char *text = vault_destruction_certificate_text(c);
	if (text)
		cJSON_AddStringToObject(res->data, "text", text);
	free(text);
	cJSON_AddItemToObject(res->data, "certificate", c);
}

/* ---- module ------------------------------------------------------------------ */

/* destroy-order.cancel is not under this module's "destroy." prefix: the
 * registry's verbs dispatch it here (controller/actions.c). */
static const char *const actions[] = {"destroy.start",
				      "destroy.abort",
				      "destroy.handover",
				      "destroy.status",
				      "destroy.certificate",
				      "destroy-order.cancel",
				      NULL};

int destruction_action_known(const char *action)
{
	for (int i = 0; actions[i]; i++)
		if (!strcmp(action, actions[i]))
			return 1;
	return 0;
}

void destruction_action(struct vaultd *d, const struct vault_caller *who, const char *action,
			const cJSON *args, struct action_result *res, uint64_t client_id)
{
	struct destruction *x = d->destruction;
	if (!x) {
		refuse(res, VAULT_R_UNKNOWN_ACTION, "the destruction module is not running");
		return;
	}
	if (!strcmp(action, "destroy.start"))
		act_start(x, who, args, res);
	else if (!strcmp(action, "destroy.abort"))
		act_abort(x, who, args, res);
	else if (!strcmp(action, "destroy.handover"))
		act_handover(x, who, args, res);
	else if (!strcmp(action, "destroy.status"))
		act_status(x, res);
	else if (!strcmp(action, "destroy.certificate"))
		act_certificate(x, args, res);
	else if (!strcmp(action, "destroy-order.cancel"))
		act_order_cancel(x, who, args, res);
	else
		res->reason = VAULT_R_UNKNOWN_ACTION;
}

int destruction_start(struct vaultd *d, struct destruction **ret)
{
	struct destruction *x = calloc(1, sizeof *x);
	if (!x)
		return -ENOMEM;
	x->d = d;
	int r = vaultd_listen(d, on_event, x);
	if (r < 0) {
		free(x);
		return r;
	}
	/* After the loop starts (and vaultd.start is recorded): end what a stop
	 * left under way. */
	if ((r = vault_loop_timer_in(d->loop, 0, recover, x, &x->recover_timer)) < 0) {
		vaultd_unlisten(d, on_event, x);
		free(x);
		return r;
	}
	*ret = x;
	return 0;
}

void destruction_free(struct destruction *x)
{
	if (!x)
		return;
	vault_loop_timer_cancel(x->d->loop, x->timer);
	vault_loop_timer_cancel(x->d->loop, x->recover_timer);
	vaultd_unlisten(x->d, on_event, x);
	free(x);
}
