/* SPDX-License-Identifier: MIT */
/*
 * Custody of media between the shelves and the kiosk: removal attribution,
 * checkout, return. Everything runs on the loop thread, driven by tag events
 * (events.h) and by the custody.* actions (the kiosk API and vaultctl).
 *
 * Removal: a registered medium in the vault whose tag leaves a storage shelf
 * gets a removal record attributed to the occupants of the vault, ledgered as
 * `medium.removed` citing the departure. It must be checked out, moved to
 * another shelf (`medium.moved`) or put back (`medium.replaced`) within
 * [custody] removal_window_s, else
 * `medium.unaccounted` (an alarm; the medium becomes `missing` until it is read
 * on a shelf again: `medium.found`).
 *
 * Checkout: for each medium on the pad now, the policy decides; OK ->
 * `checkout.confirmed` with its due date, citing the pad read and the shelf
 * removal. A medium is on the pad only while the pad answers: its tag's last
 * read is there, the pad is not in fault and it answered within [custody]
 * pad_window_s (a silent pad keeps its last known contents; they count for
 * nothing: PAD_NOT_ANSWERING). Return: a checked-out medium on the pad ->
 * `return.pending` -> its tag arrives on its home shelf ->
 * `return.confirmed`; another shelf ->
 * `return.wrong_shelf` (a warning; still pending); not home within
 * return_window_s -> `return.missing` (an alarm). A checked-out, destroyed or
 * handed-over medium read on a shelf without a return -> `medium.off_path`.
 *
 * After a restart, open removals (a medium.removed with no outcome) and
 * pending returns are re-armed from the ledger with what is left of their
 * window (at least the settle time, so that the shelves have answered), and
 * each medium in the vault that is then on no shelf and has no open removal
 * gets one (so an interrupted checkout is either completed at the kiosk or
 * becomes medium.unaccounted).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "door.h"
#include "events.h"
#include "shelves.h"
#include "vault/db.h"
#include "vault/regload.h"
#include "vault/registry.h"
#include "vault/util.h"
#include "vaultd.h"

#define ID 64
#define SHELF VAULTD_PLACE_MAX
#define OCCUPANTS 256
/* Flows (removals, returns) watched at once. Far beyond what people carry
 * about a vault; a faulty or hostile shelf node can still exceed it (64 tags a
 * shelf, 32 shelves a bus), and then each flow that does not fit is ledgered
 * as having lost its watch at once (removal_untracked, return_untracked), with
 * alarm.custody_overflow once per episode: nothing is forgotten silently.
 * Kept at a size a test reaches with one simulated bus. */
#define MAX_TRACK 512

enum track_kind { T_REMOVAL = 1, T_RETURN };

struct track {
	enum track_kind kind;
	char medium[ID], tag[ID];
	char shelf[SHELF]; /* removal: the shelf it left; return: the home shelf */
	char occupants[OCCUPANTS];
	char person[ID]; /* return: the borrower */
	int64_t sensor_id; /* removal: the departure; return: the pad read */
	int64_t seq;	   /* return: the return.pending entry */
	int warned;	   /* return: wrong shelf already reported */
	uint64_t timer;
	int64_t deadline_us; /* monotonic */
	struct custody *c;
};

struct custody {
	struct vaultd *d;
	struct track *t[MAX_TRACK];
	int n;
	/* alarm.custody_overflow ledgered; the episode ends once half the table
	 * is free again (no alarm per flow while it stays near full). */
	int overflowed;
	uint64_t settle_timer;
	int settled;
	/* The pad's successful polls, sampled every pad_tick_us(): the count at
	 * the last sample and when it was taken, and the earliest the pad's last
	 * answer can have been (0: none seen). pad_polled: the pad is on a bus. */
	int pad_polled;
	uint64_t pad_ok, pad_timer;
	int64_t pad_sample_us, pad_answered_us;
};

/* ---- helpers ---------------------------------------------------------------- */

static struct track *track_find(struct custody *c, enum track_kind k, const char *medium)
{
	for (int i = 0; i < c->n; i++)
		if (c->t[i]->kind == k && !strcmp(c->t[i]->medium, medium))
			return c->t[i];
	return NULL;
}

static void track_drop(struct custody *c, struct track *t)
{
	for (int i = 0; i < c->n; i++)
		if (c->t[i] == t) {
			vault_loop_timer_cancel(c->d->loop, t->timer);
			c->t[i] = c->t[--c->n];
			free(t);
			if (c->overflowed && c->n <= MAX_TRACK / 2) {
				c->overflowed = 0;
				vault_log(LOG_NOTICE, "custody", "%d media in flight: all watched again",
					  c->n);
			}
			return;
		}
}

static void track_expired(struct vault_loop *l, uint64_t id, void *ud);

static struct track *track_new(struct custody *c, enum track_kind k, const char *medium,
			       int64_t window_us)
{
	struct track *t = track_find(c, k, medium);
	if (t) {
		vault_loop_timer_cancel(c->d->loop, t->timer);
	} else {
		if (c->n == MAX_TRACK || !(t = calloc(1, sizeof *t))) {
			vault_log(LOG_ERR, "custody", "too many media in flight: %s not tracked",
				  medium);
			return NULL;
		}
		c->t[c->n++] = t;
	}
	t->kind = k;
	t->c = c;
	snprintf(t->medium, sizeof t->medium, "%s", medium);
	t->deadline_us = vault_now_mono_us() + (window_us > 0 ? window_us : 1);
	vault_loop_timer_at(c->d->loop, t->deadline_us, track_expired, t, &t->timer);
	return t;
}

/* The medium's registry row with some fields replaced; NULL if unknown. */
static cJSON *medium_row(struct vaultd *d, const char *id, const char *status,
			 const char *borrower, const char *approval, const char *due)
{
	cJSON *row = vault_registry_get(d->db, "medium", id);
	if (!row)
		return NULL;
	const char *k[] = {"status", "borrower", "approval", "due"};
	const char *v[] = {status, borrower, approval, due};
	for (int i = 0; i < 4; i++)
		if (v[i])
			cJSON_ReplaceItemInObjectCaseSensitive(row, k[i], cJSON_CreateString(v[i]));
	return row;
}

static void cite_list(char *buf, size_t n, int64_t a, int64_t b)
{
	buf[0] = 0;
	if (a > 0 && b > 0 && a != b)
		snprintf(buf, n, "%lld,%lld", (long long)(a < b ? a : b), (long long)(a < b ? b : a));
	else if (a > 0 || b > 0)
		snprintf(buf, n, "%lld", (long long)(a > 0 ? a : b));
}

static void add_code(cJSON *p, enum vault_reason r, const char *lang)
{
	cJSON_AddStringToObject(p, "code", vault_reason_id(r));
	cJSON_AddStringToObject(p, "text", vault_reason_text(r, lang));
}

/* Record an entry (payload taken). Returns the seq, or 0 on failure (logged). */
static int64_t entry(struct custody *c, const char *kind, const char *actors,
		     const char *medium, const char *approval, const char *cites, cJSON *payload)
{
	struct vault_record r = {.kind = kind, .actors = actors, .medium = medium,
				 .approval = approval, .cites = cites, .payload = payload};
	int64_t seq = 0;
	if (vaultd_record(c->d, &r, &seq) < 0)
		seq = 0;
	cJSON_Delete(payload);
	return seq;
}

/* ---- timers ----------------------------------------------------------------- */

static void removal_expired(struct custody *c, struct track *t)
{
	struct vaultd *d = c->d;
	struct vault_medium m;
	if (vault_load_medium(d->db, t->medium, &m) < 0 || m.status != VAULT_MEDIUM_IN_VAULT)
		return; /* checked out or taken to the shredder */
	/* Re-tagged since it left (the new tag read on its home shelf, the old
	 * one gone): it is where its new tag is. */
	int retagged = strcasecmp(m.tag, t->tag) != 0;
	const struct vaultd_tag_place *p = vaultd_tag_where(d, retagged ? m.tag : t->tag);
	char cites[48];
	if (p && vaultd_is_storage(d, p->where)) {
		if (retagged) {
			cite_list(cites, sizeof cites, t->sensor_id, p->sensor_id);
			cJSON *pl = cJSON_CreateObject();
			cJSON_AddStringToObject(pl, "shelf", p->where);
			cJSON_AddStringToObject(pl, "occupants", t->occupants);
			cJSON_AddBoolToObject(pl, "retagged", 1);
			entry(c, "medium.replaced", t->occupants, m.id, NULL, cites, pl);
		}
		return; /* on a shelf again */
	}
	cite_list(cites, sizeof cites, t->sensor_id, p ? p->sensor_id : 0);
	cJSON *pl = cJSON_CreateObject();
	add_code(pl, VAULT_R_MEDIUM_UNACCOUNTED, "en");
	cJSON_AddStringToObject(pl, "shelf", t->shelf);
	cJSON_AddStringToObject(pl, "occupants", t->occupants);
	cJSON_AddStringToObject(pl, "last_seen", p ? (p->where[0] ? p->where : p->last) : "");
	cJSON_AddNumberToObject(pl, "window_s", d->cfg.removal_window_s);
	cJSON *row = medium_row(d, t->medium, "missing", NULL, NULL, NULL);
	if (row)
		vaultd_set_add(pl, "medium", t->medium, row);
	entry(c, "medium.unaccounted", t->occupants, t->medium, NULL, cites, pl);
	vault_log(LOG_WARNING, "custody", "medium %s left %s and is unaccounted for (occupants: %s)",
		  t->medium, t->shelf, t->occupants[0] ? t->occupants : "none");
}

static void return_expired(struct custody *c, struct track *t)
{
	struct vault_medium m;
	if (vault_load_medium(c->d->db, t->medium, &m) < 0 ||
	    m.status != VAULT_MEDIUM_PENDING_RETURN)
		return;
	char cites[24];
	cite_list(cites, sizeof cites, t->sensor_id, 0);
	cJSON *pl = cJSON_CreateObject();
	add_code(pl, VAULT_R_RETURN_MISSING, "en");
	cJSON_AddStringToObject(pl, "person", t->person);
	cJSON_AddStringToObject(pl, "home_shelf", t->shelf);
	cJSON_AddNumberToObject(pl, "pending_seq", (double)t->seq);
	cJSON_AddNumberToObject(pl, "window_s", c->d->cfg.return_window_s);
	entry(c, "return.missing", t->person, t->medium, m.approval_id, cites, pl);
}

static void track_expired(struct vault_loop *l, uint64_t id, void *ud)
{
	struct track *t = ud;
	struct custody *c = t->c;
	t->timer = 0;
	if (t->kind == T_REMOVAL)
		removal_expired(c, t);
	else
		return_expired(c, t);
	track_drop(c, t);
}

/* ---- overflow --------------------------------------------------------------- */

/* A flow the table cannot hold (full, or no memory): alarm.custody_overflow,
 * once per episode, saying how many are watched. */
static void overflow_alarm(struct custody *c, const char *medium)
{
	if (c->overflowed)
		return;
	c->overflowed = 1;
	cJSON *a = cJSON_CreateObject();
	add_code(a, VAULT_R_CUSTODY_OVERFLOW, "en");
	cJSON_AddNumberToObject(a, "in_flight", c->n);
	cJSON_AddNumberToObject(a, "limit", MAX_TRACK);
	cJSON_AddStringToObject(a, "first", medium);
	entry(c, "alarm.custody_overflow", "", NULL, NULL, NULL, a);
	vault_log(LOG_ERR, "custody",
		  "%d media in flight, the most that can be watched: the next are unaccounted "
		  "for at once",
		  c->n);
}

/* A removal (already ledgered) whose window cannot be watched. Rather than
 * forget it, it ends now the way an unwatched window would end:
 * medium.unaccounted (CUSTODY_OVERFLOW), the medium missing until a shelf
 * reads it again (medium.found). A false alarm at worst, cleared by looking;
 * and the removal is closed on the ledger, so a restart does not re-arm it. */
static void removal_untracked(struct custody *c, const char *medium, const char *shelf,
			      const char *occupants, int64_t sensor_id)
{
	overflow_alarm(c, medium);
	char cites[24];
	cite_list(cites, sizeof cites, sensor_id, 0);
	cJSON *pl = cJSON_CreateObject();
	add_code(pl, VAULT_R_CUSTODY_OVERFLOW, "en");
	cJSON_AddStringToObject(pl, "shelf", shelf);
	cJSON_AddStringToObject(pl, "occupants", occupants);
	cJSON_AddNumberToObject(pl, "in_flight", c->n);
	cJSON *row = medium_row(c->d, medium, "missing", NULL, NULL, NULL);
	if (row)
		vaultd_set_add(pl, "medium", medium, row);
	entry(c, "medium.unaccounted", occupants, medium, NULL, cites, pl);
}

/* Likewise a return (return.pending ledgered) that cannot be watched:
 * return.missing (CUSTODY_OVERFLOW) at once. It stays pending: its tag read
 * on its home shelf still confirms it. */
static void return_untracked(struct custody *c, const struct vault_medium *m, const char *home,
			     int64_t pad, int64_t seq)
{
	overflow_alarm(c, m->id);
	char cites[24];
	cite_list(cites, sizeof cites, pad, 0);
	cJSON *pl = cJSON_CreateObject();
	add_code(pl, VAULT_R_CUSTODY_OVERFLOW, "en");
	cJSON_AddStringToObject(pl, "person", m->borrower_id);
	cJSON_AddStringToObject(pl, "home_shelf", home);
	cJSON_AddNumberToObject(pl, "pending_seq", (double)seq);
	cJSON_AddNumberToObject(pl, "in_flight", c->n);
	entry(c, "return.missing", m->borrower_id, m->id,
	      m->approval_id[0] ? m->approval_id : NULL, cites, pl);
}

/* ---- tag events ------------------------------------------------------------- */

static struct track *removal_arm(struct custody *c, const struct vault_medium *m,
				 const char *shelf, int64_t sensor_id, int64_t window_us)
{
	struct track *t = track_new(c, T_REMOVAL, m->id, window_us);
	if (!t)
		return NULL;
	snprintf(t->tag, sizeof t->tag, "%s", m->tag);
	snprintf(t->shelf, sizeof t->shelf, "%s", shelf);
	t->sensor_id = sensor_id;
	return t;
}

static void removal_start(struct custody *c, const struct vault_medium *m, const char *shelf,
			  int64_t sensor_id, const char *why)
{
	struct vaultd *d = c->d;
	char occ[OCCUPANTS];
	door_occupants(d->door, occ, sizeof occ);
	/* Ledgered whether or not it can be watched (removal_untracked). */
	struct track *t =
		removal_arm(c, m, shelf, sensor_id, (int64_t)d->cfg.removal_window_s * 1000000);
	if (t)
		snprintf(t->occupants, sizeof t->occupants, "%s", occ);
	char cites[24];
	cite_list(cites, sizeof cites, sensor_id, 0);
	cJSON *pl = cJSON_CreateObject();
	cJSON_AddStringToObject(pl, "shelf", shelf);
	cJSON_AddStringToObject(pl, "occupants", occ);
	cJSON_AddNumberToObject(pl, "window_s", d->cfg.removal_window_s);
	if (why)
		cJSON_AddStringToObject(pl, "why", why);
	if (!occ[0])
		cJSON_AddStringToObject(pl, "note", "nobody is inside the vault");
	entry(c, "medium.removed", occ, m->id, NULL, cites, pl);
	/* Nobody is recorded inside, yet a tag left its shelf: someone is in
	 * the vault who did not badge in (a forced or tailgated entry), or the
	 * shelf is being tampered with. An alarm now, not after the window. */
	if (!occ[0] && !why) {
		cJSON *a = cJSON_CreateObject();
		add_code(a, VAULT_R_REMOVAL_UNOCCUPIED, "en");
		cJSON_AddStringToObject(a, "shelf", shelf);
		entry(c, "alarm.removal_unoccupied", "", m->id, NULL, cites, a);
	}
	if (!t)
		removal_untracked(c, m->id, shelf, occ, sensor_id);
}

static void off_path(struct custody *c, const struct vault_medium *m, const char *where,
		     int64_t sensor_id)
{
	char cites[24];
	cite_list(cites, sizeof cites, sensor_id, 0);
	cJSON *pl = cJSON_CreateObject();
	add_code(pl, VAULT_R_MEDIUM_OFF_PATH, "en");
	cJSON_AddStringToObject(pl, "read_at", where);
	cJSON_AddStringToObject(pl, "status", vault_medium_status_name(m->status));
	if (m->borrower_id[0])
		cJSON_AddStringToObject(pl, "person", m->borrower_id);
	entry(c, "medium.off_path", m->borrower_id, m->id, m->approval_id[0] ? m->approval_id : NULL,
	      cites, pl);
}

static void arrived_on_shelf(struct custody *c, const struct vaultd_event *ev,
			     struct vault_medium *m)
{
	struct vaultd *d = c->d;
	struct track *t;
	char cites[48];
	switch (m->status) {
	case VAULT_MEDIUM_IN_VAULT:
		if ((t = track_find(c, T_REMOVAL, m->id))) {
			if (strcmp(t->shelf, ev->source) != 0) {
				cite_list(cites, sizeof cites, t->sensor_id, ev->sensor_id);
				cJSON *pl = cJSON_CreateObject();
				cJSON_AddStringToObject(pl, "from", t->shelf);
				cJSON_AddStringToObject(pl, "to", ev->source);
				cJSON_AddStringToObject(pl, "occupants", t->occupants);
				char home[SHELF] = "";
				cJSON *row = vault_registry_get(d->db, "medium", m->id);
				const cJSON *h = row ? cJSON_GetObjectItemCaseSensitive(row, "home_shelf")
						     : NULL;
				if (cJSON_IsString(h))
					snprintf(home, sizeof home, "%s", h->valuestring);
				cJSON_Delete(row);
				cJSON_AddBoolToObject(pl, "home", !strcmp(home, ev->source));
				entry(c, "medium.moved", t->occupants, m->id, NULL, cites, pl);
			} else {
				/* Put back: the removal is closed on the ledger too,
				 * so every medium.removed has its outcome. */
				cite_list(cites, sizeof cites, t->sensor_id, ev->sensor_id);
				cJSON *pl = cJSON_CreateObject();
				cJSON_AddStringToObject(pl, "shelf", ev->source);
				cJSON_AddStringToObject(pl, "occupants", t->occupants);
				entry(c, "medium.replaced", t->occupants, m->id, NULL, cites, pl);
			}
			track_drop(c, t);
		}
		break;
	case VAULT_MEDIUM_MISSING: {
		cite_list(cites, sizeof cites, ev->sensor_id, 0);
		cJSON *pl = cJSON_CreateObject();
		cJSON_AddStringToObject(pl, "shelf", ev->source);
		cJSON *row = medium_row(d, m->id, "in-vault", NULL, NULL, NULL);
		if (row)
			vaultd_set_add(pl, "medium", m->id, row);
		entry(c, "medium.found", "", m->id, NULL, cites, pl);
		break;
	}
	case VAULT_MEDIUM_PENDING_RETURN: {
		t = track_find(c, T_RETURN, m->id);
		cJSON *row = vault_registry_get(d->db, "medium", m->id);
		const cJSON *h = row ? cJSON_GetObjectItemCaseSensitive(row, "home_shelf") : NULL;
		int home = cJSON_IsString(h) && !strcmp(h->valuestring, ev->source);
		cJSON_Delete(row);
		cite_list(cites, sizeof cites, t ? t->sensor_id : 0, ev->sensor_id);
		cJSON *pl = cJSON_CreateObject();
		cJSON_AddStringToObject(pl, "person", m->borrower_id);
		cJSON_AddStringToObject(pl, "shelf", ev->source);
		if (!home) {
			if (t && t->warned) {
				cJSON_Delete(pl);
				break;
			}
			add_code(pl, VAULT_R_RETURN_WRONG_SHELF, "en");
			entry(c, "return.wrong_shelf", m->borrower_id, m->id, m->approval_id, cites,
			      pl);
			if (t)
				t->warned = 1;
			break;
		}
		if (t && t->seq)
			cJSON_AddNumberToObject(pl, "pending_seq", (double)t->seq);
		row = medium_row(d, m->id, "in-vault", "", "", "");
		if (row)
			vaultd_set_add(pl, "medium", m->id, row);
		entry(c, "return.confirmed", m->borrower_id, m->id, m->approval_id, cites, pl);
		if (t)
			track_drop(c, t);
		break;
	}
	case VAULT_MEDIUM_CHECKED_OUT:
	case VAULT_MEDIUM_DESTROYED:
	case VAULT_MEDIUM_HANDED_OVER:
		off_path(c, m, ev->source, ev->sensor_id);
		break;
	default:
		break; /* at-destruction: the destruction module's */
	}
}

static void on_event(struct vaultd *d, const struct vaultd_event *ev, void *ud)
{
	struct custody *c = ud;
	if (ev->kind != VEV_TAG_ARRIVED && ev->kind != VEV_TAG_DEPARTED)
		return;
	if (!vaultd_is_storage(d, ev->source))
		return; /* the pad is read by the actions; the throat by destruction */
	struct vault_medium m;
	if (vault_load_medium_by_tag(d->db, ev->tag, &m) < 0)
		return; /* an unknown tag: the sensor event is kept; inventory reports it */
	if (ev->kind == VEV_TAG_ARRIVED) {
		arrived_on_shelf(c, ev, &m);
		return;
	}
	if (m.status == VAULT_MEDIUM_IN_VAULT)
		removal_start(c, &m, ev->source, ev->sensor_id, NULL);
}

/* ---- actions ---------------------------------------------------------------- */

struct want {
	char ids[64][ID];
	int n;
};

static void pad_collect(const struct vaultd_tag_place *p, void *ud)
{
	struct want *w = ud;
	if (w->n < 64)
		snprintf(w->ids[w->n++], ID, "%s", p->tag);
}

/* The media the action is about: args "media" (array or comma-separated ids),
 * else every registered medium whose tag is on the pad now (as tags with a
 * leading '#'). Returns 0 or refuses. */
static int wanted(struct vaultd *d, const cJSON *args, struct want *w, struct action_result *res)
{
	memset(w, 0, sizeof *w);
	const cJSON *mv = cJSON_GetObjectItemCaseSensitive(args, "media");
	if (!mv || cJSON_IsNull(mv)) {
		struct want tags = {0};
		vaultd_tags_each(d, d->cfg.custody_pad, pad_collect, &tags);
		for (int i = 0; i < tags.n; i++) {
			struct vault_medium m;
			if (vault_load_medium_by_tag(d->db, tags.ids[i], &m) == 0)
				snprintf(w->ids[w->n++], ID, "%s", m.id);
		}
		if (!w->n) {
			res->reason = VAULT_R_PAD_EMPTY;
			snprintf(res->detail, sizeof res->detail, "pad %s", d->cfg.custody_pad);
			return -1;
		}
		return 0;
	}
	if (cJSON_IsString(mv)) {
		char buf[2048], *save = NULL;
		if (vault_strlcpy(buf, mv->valuestring, sizeof buf) < 0)
			goto bad;
		for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			if (w->n == 64 || strlen(t) >= ID || !*t)
				goto bad;
			snprintf(w->ids[w->n++], ID, "%s", t);
		}
	} else if (cJSON_IsArray(mv)) {
		const cJSON *e;
		cJSON_ArrayForEach(e, mv)
		{
			if (!cJSON_IsString(e) || w->n == 64 || !*e->valuestring ||
			    strlen(e->valuestring) >= ID)
				goto bad;
			snprintf(w->ids[w->n++], ID, "%s", e->valuestring);
		}
	} else {
		goto bad;
	}
	if (w->n)
		return 0;
bad:
	res->reason = VAULT_R_INVALID_VALUE;
	snprintf(res->detail, sizeof res->detail,
		 "media: a list of at most 64 medium ids (or omit it for the pad)");
	return -1;
}

/* ---- the pad's answers -------------------------------------------------------
 * An answering pad re-reads what lies on it at every poll and reports a tag
 * that is gone as departed, so each successful poll is a fresh read of the
 * tags still on it. A silent pad (a shelf fault) keeps its last known contents.
 * The bus worker tells the loop only about changes, so its counter of
 * successful polls is sampled here: at most a quarter of pad_window_s (and at
 * most a second) apart, and again at each checkout or return. */

static int64_t pad_tick_us(const struct vaultd *d)
{
	int64_t us = (int64_t)d->cfg.pad_window_s * 1000000 / 4;
	return us < 1000000 ? us : 1000000;
}

/* A count higher than at the previous sample: the pad answered after that
 * sample, which is then the earliest its last answer can have been. */
static void pad_sample(struct custody *c)
{
	uint64_t ok, polls;
	if (!c->pad_polled ||
	    shelves_poll_counts(c->d->shelves, c->d->cfg.custody_pad, &ok, &polls) < 0)
		return;
	if (ok != c->pad_ok) {
		c->pad_ok = ok;
		c->pad_answered_us = c->pad_sample_us;
	}
	c->pad_sample_us = vault_now_mono_us();
}

static void pad_tick(struct vault_loop *l, uint64_t id, void *ud)
{
	struct custody *c = ud;
	pad_sample(c);
	vault_loop_timer_in(l, pad_tick_us(c->d), pad_tick, c, &c->pad_timer);
}

enum vault_reason custody_pad_answering(struct custody *c, char *why, size_t n)
{
	struct vaultd *d = c->d;
	const char *pad = d->cfg.custody_pad;
	const struct vaultd_shelf *sh;
	size_t ns = vaultd_shelves(d, &sh);
	int64_t now = vault_now_mono_us();
	for (size_t i = 0; i < ns; i++) {
		if (strcmp(sh[i].name, pad) != 0 || sh[i].state == VSHELF_OK)
			continue;
		long long for_s = (now - sh[i].since_mono_us) / 1000000;
		if (sh[i].state == VSHELF_FAULT)
			snprintf(why, n, "pad %s not answering (a shelf fault for %lld s): %s",
				 pad, for_s, "its last read of the tag predates the fault");
		else
			snprintf(why, n, "pad %s not answering", pad);
		return VAULT_R_PAD_NOT_ANSWERING;
	}
	pad_sample(c);
	int64_t window = (int64_t)d->cfg.pad_window_s * 1000000;
	if (c->pad_polled && (!c->pad_answered_us || now - c->pad_answered_us > window)) {
		snprintf(why, n, "pad %s not answering: no answer within [custody] %s = %d s",
			 pad, "pad_window_s", d->cfg.pad_window_s);
		return VAULT_R_PAD_NOT_ANSWERING;
	}
	return VAULT_R_OK;
}

/* Does the medium count as on the pad now? Its tag's last read is an arrival
 * there and the pad is answering (custody_pad_answering). OK with *read the pad
 * read (the arrival's sensor event, -1 if it was not stored); else the refusal,
 * with why for a person. */
static enum vault_reason on_pad(struct custody *c, const struct vault_medium *m, int64_t *read,
				char *why, size_t n)
{
	const struct vaultd_tag_place *p = vaultd_tag_where(c->d, m->tag);
	*read = 0;
	if (!p || strcmp(p->where, c->d->cfg.custody_pad) != 0)
		return VAULT_R_NOT_ON_PAD;
	enum vault_reason r = custody_pad_answering(c, why, n);
	if (r != VAULT_R_OK)
		return r;
	*read = p->sensor_id > 0 ? p->sensor_id : -1;
	return VAULT_R_OK;
}

static cJSON *result_item(cJSON *results, const char *medium, enum vault_reason r,
			  const char *lang, const char *why)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "medium", medium);
	cJSON_AddBoolToObject(o, "ok", r == VAULT_R_OK);
	if (r != VAULT_R_OK) {
		cJSON_AddStringToObject(o, "code", vault_reason_id(r));
		cJSON_AddStringToObject(o, "error", vault_reason_text(r, lang));
		cJSON_AddStringToObject(o, "error_en", vault_reason_text(r, "en"));
		if (why && *why)
			cJSON_AddStringToObject(o, "detail", why);
	}
	cJSON_AddItemToArray(results, o);
	return o;
}

/* One action over several media: per-medium results, the first refusal. */
struct batch {
	struct custody *c;
	const struct vault_caller *who;
	const char *kind; /* "checkout" or "return": the refusal entries' kind */
	cJSON *results;
	int ok;
	enum vault_reason first;
};

/* The media the action is about, or the action's refusal (ledgered). */
static int batch_start(struct batch *b, struct custody *c, const struct vault_caller *who,
		       const char *kind, const char *action, const cJSON *args, struct want *w,
		       struct action_result *res)
{
	*b = (struct batch){.c = c, .who = who, .kind = kind, .first = VAULT_R_OK};
	if (wanted(c->d, args, w, res) < 0) {
		vaultd_record_refusal(c->d, kind, who->person, action, res->reason, res->detail,
				      who);
		return -1;
	}
	b->results = cJSON_CreateArray();
	return 0;
}

/* A medium refused (r, why: more for a person or NULL) or not written
 * (DB_ERROR, not ledgered again). */
static void batch_fail(struct batch *b, const char *medium, enum vault_reason r,
		       const char *why)
{
	if (b->first == VAULT_R_OK)
		b->first = r;
	if (r != VAULT_R_DB_ERROR) {
		char detail[256];
		snprintf(detail, sizeof detail, "medium %s%s%s", medium,
			 why && *why ? ": " : "", why && *why ? why : "");
		vaultd_record_refusal(b->c->d, b->kind, b->who->person, b->kind, r, detail, b->who);
	}
	result_item(b->results, medium, r, b->c->d->cfg.lang, why);
}

static cJSON *batch_ok(struct batch *b, const char *medium, int64_t seq)
{
	b->ok++;
	cJSON *o = result_item(b->results, medium, VAULT_R_OK, b->c->d->cfg.lang, NULL);
	cJSON_AddNumberToObject(o, "seq", (double)seq);
	return o;
}

static void batch_finish(struct batch *b, struct action_result *res, const char *none)
{
	res->data = cJSON_CreateObject();
	cJSON_AddItemToObject(res->data, "results", b->results);
	if (!b->ok) {
		res->reason = b->first;
		snprintf(res->detail, sizeof res->detail, "%s", none);
	}
}

static void do_checkout(struct custody *c, const struct vault_caller *who, const cJSON *args,
			struct action_result *res)
{
	struct vaultd *d = c->d;
	const cJSON *ap = cJSON_GetObjectItemCaseSensitive(args, "approval");
	if (!cJSON_IsString(ap) || !*ap->valuestring || strlen(ap->valuestring) >= ID) {
		res->reason = VAULT_R_INVALID_VALUE;
		snprintf(res->detail, sizeof res->detail, "approval: the approval id to check out under");
		return;
	}
	struct want w;
	struct batch b;
	if (batch_start(&b, c, who, "checkout", "custody.checkout", args, &w, res) < 0)
		return;
	struct vault_actor_rec actor;
	struct vault_approval_rec apr;
	int have_actor = vault_load_actor(d->db, who->person, &actor) == 0;
	int have_ap = vault_load_approval(d->db, ap->valuestring, &apr) == 0;
	struct vault_localtime now;
	vaultd_localtime(d, &now);
	for (int i = 0; i < w.n; i++) {
		struct vault_medium m;
		enum vault_reason r = VAULT_R_OK;
		int64_t pad = 0;
		char why[160] = "";
		if (vault_load_medium(d->db, w.ids[i], &m) < 0)
			r = VAULT_R_MEDIUM_UNKNOWN;
		else
			r = on_pad(c, &m, &pad, why, sizeof why);
		if (r == VAULT_R_OK && !have_actor)
			r = VAULT_R_PERSON_UNKNOWN;
		struct vault_project proj, *projp = NULL;
		const char *pid = have_ap && apr.a.project_id[0] ? apr.a.project_id : m.project_id;
		if (r == VAULT_R_OK && pid[0] && vault_load_project(d->db, pid, &proj) == 0)
			projp = &proj;
		struct vault_date due = {0};
		if (r == VAULT_R_OK) {
			int out = have_ap ? vault_count_out(d->db, apr.a.id, m.id) : 0;
			int used = have_ap ? vault_count_used(d->db, apr.a.id, m.id) : 0;
			struct vault_checkout_request rq = {.who = actor.actor,
							    .approval = have_ap ? &apr.a : NULL,
							    .medium = &m, .project = projp,
							    .out_under_approval = out,
							    .used_under_approval = used};
			rq.who.person = &actor.person;
			if (out < 0 || used < 0) {
				r = VAULT_R_DB_ERROR;
				snprintf(why, sizeof why, "the approval's media could not be counted");
			} else {
				r = vault_policy_may_check_out(&rq, &d->pc, &now, &due);
			}
		}
		if (r != VAULT_R_OK) {
			batch_fail(&b, w.ids[i], r, why);
			continue;
		}
		char dues[16] = "";
		vault_date_format(due, dues, sizeof dues);
		struct track *t = track_find(c, T_REMOVAL, m.id);
		int64_t removal = t ? t->sensor_id : 0;
		char cites[48];
		cite_list(cites, sizeof cites, pad > 0 ? pad : 0, removal);
		cJSON *pl = cJSON_CreateObject();
		cJSON_AddStringToObject(pl, "person", who->person);
		cJSON_AddStringToObject(pl, "due", dues);
		cJSON_AddNumberToObject(pl, "pad_read", (double)(pad > 0 ? pad : 0));
		if (removal)
			cJSON_AddNumberToObject(pl, "shelf_removal", (double)removal);
		else
			cJSON_AddNullToObject(pl, "shelf_removal");
		if (t)
			cJSON_AddStringToObject(pl, "from_shelf", t->shelf);
		cJSON *row = medium_row(d, m.id, "checked-out", who->person, apr.a.id, dues);
		if (row)
			vaultd_set_add(pl, "medium", m.id, row);
		int64_t seq = entry(c, "checkout.confirmed", who->person, m.id, apr.a.id, cites, pl);
		if (!seq) {
			batch_fail(&b, m.id, VAULT_R_DB_ERROR, NULL);
			continue;
		}
		if (t)
			track_drop(c, t);
		cJSON_AddStringToObject(batch_ok(&b, m.id, seq), "due", dues);
	}
	batch_finish(&b, res, "no medium was checked out");
}

/* Watch a return (return.pending ledgered), or say at once that it cannot be. */
static void return_arm(struct custody *c, const struct vault_medium *m, const char *home,
		       int64_t pad, int64_t seq, int64_t window_us)
{
	struct track *t = track_new(c, T_RETURN, m->id, window_us);
	if (!t) {
		return_untracked(c, m, home, pad, seq);
		return;
	}
	snprintf(t->tag, sizeof t->tag, "%s", m->tag);
	snprintf(t->shelf, sizeof t->shelf, "%s", home);
	snprintf(t->person, sizeof t->person, "%s", m->borrower_id);
	t->sensor_id = pad;
	t->seq = seq;
}

static void do_return(struct custody *c, const struct vault_caller *who, const cJSON *args,
		      struct action_result *res)
{
	struct vaultd *d = c->d;
	struct want w;
	struct batch b;
	if (batch_start(&b, c, who, "return", "custody.return", args, &w, res) < 0)
		return;
	struct vault_actor_rec actor;
	int have_actor = vault_load_actor(d->db, who->person, &actor) == 0;
	struct vault_localtime now;
	vaultd_localtime(d, &now);
	for (int i = 0; i < w.n; i++) {
		struct vault_medium m;
		enum vault_reason r = VAULT_R_OK;
		int64_t pad = 0;
		char why[160] = "";
		bool custodian = false;
		/* Whether it may be returned first (not out, not the borrower),
		 * then whether it is on the pad. */
		if (vault_load_medium(d->db, w.ids[i], &m) < 0)
			r = VAULT_R_MEDIUM_UNKNOWN;
		else if (!have_actor)
			r = VAULT_R_PERSON_UNKNOWN;
		if (r == VAULT_R_OK) {
			struct vault_actor a = actor.actor;
			a.person = &actor.person;
			r = vault_policy_may_return(&a, &m, &d->pc, &now, &custodian);
		}
		if (r == VAULT_R_OK)
			r = on_pad(c, &m, &pad, why, sizeof why);
		if (r != VAULT_R_OK) {
			batch_fail(&b, w.ids[i], r, why);
			continue;
		}
		cJSON *row = medium_row(d, m.id, "pending-return", NULL, NULL, NULL);
		const cJSON *h = row ? cJSON_GetObjectItemCaseSensitive(row, "home_shelf") : NULL;
		char home[SHELF] = "";
		if (cJSON_IsString(h))
			snprintf(home, sizeof home, "%s", h->valuestring);
		char cites[24], actors[2 * ID + 2];
		cite_list(cites, sizeof cites, pad > 0 ? pad : 0, 0);
		snprintf(actors, sizeof actors, "%s", who->person);
		cJSON *pl = cJSON_CreateObject();
		cJSON_AddStringToObject(pl, "person", m.borrower_id);
		if (custodian)
			cJSON_AddStringToObject(pl, "received_by", who->person);
		cJSON_AddStringToObject(pl, "home_shelf", home);
		cJSON_AddNumberToObject(pl, "pad_read", (double)(pad > 0 ? pad : 0));
		cJSON_AddNumberToObject(pl, "window_s", d->cfg.return_window_s);
		if (row)
			vaultd_set_add(pl, "medium", m.id, row);
		int64_t seq = entry(c, "return.pending", actors, m.id, m.approval_id, cites, pl);
		if (!seq) {
			batch_fail(&b, m.id, VAULT_R_DB_ERROR, NULL);
			continue;
		}
		return_arm(c, &m, home, pad, seq, (int64_t)d->cfg.return_window_s * 1000000);
		cJSON_AddStringToObject(batch_ok(&b, m.id, seq), "home_shelf", home);
	}
	batch_finish(&b, res, "no medium was returned");
}

static void do_status(struct custody *c, struct action_result *res)
{
	int64_t now = vault_now_mono_us();
	res->data = cJSON_CreateObject();
	cJSON *rm = cJSON_AddArrayToObject(res->data, "removals");
	cJSON *rt = cJSON_AddArrayToObject(res->data, "returns");
	for (int i = 0; i < c->n; i++) {
		struct track *t = c->t[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "medium", t->medium);
		cJSON_AddStringToObject(o, "shelf", t->shelf);
		if (t->kind == T_REMOVAL)
			cJSON_AddStringToObject(o, "occupants", t->occupants);
		else
			cJSON_AddStringToObject(o, "person", t->person);
		cJSON_AddNumberToObject(o, "seconds_left",
					t->deadline_us > now ? (double)((t->deadline_us - now) / 1000000)
							     : 0);
		cJSON_AddItemToArray(t->kind == T_REMOVAL ? rm : rt, o);
	}
}

int custody_action_known(const char *action)
{
	return !strcmp(action, "custody.checkout") || !strcmp(action, "custody.return") ||
	       !strcmp(action, "custody.status");
}

void custody_action(struct vaultd *d, const struct vault_caller *who, const char *action,
		    const cJSON *args, struct action_result *res, uint64_t client_id)
{
	(void)client_id;
	struct custody *c = d->custody;
	if (!c) {
		res->reason = VAULT_R_UNKNOWN_ACTION;
		return;
	}
	if (!strcmp(action, "custody.checkout"))
		do_checkout(c, who, args, res);
	else if (!strcmp(action, "custody.return"))
		do_return(c, who, args, res);
	else
		do_status(c, res);
}

/* ---- start and recovery ----------------------------------------------------- */

/* What is left of a window that opened at UTC time `since_us`, but at least
 * the settle time: the shelves must have answered before anything is judged. */
static int64_t left_of(const struct vaultd *d, int64_t since_us, int window_s)
{
	int64_t left = since_us + (int64_t)window_s * 1000000 - vault_now_utc_us();
	int64_t min = (int64_t)d->cfg.inventory_settle_s * 1000000 + 500000;
	return left > min ? left : min;
}

/* A recovery query that failed: what could not be recovered, logged. Custody
 * does not start half-blind (some windows never watched, no medium.unaccounted
 * or return.missing ever due for them): vaultd stops with the lock off, and
 * systemd restarts it. Returns -EIO. */
static int recover_failed(struct custody *c, const char *what)
{
	vault_log(LOG_ERR, "custody", "cannot recover the %s from the database: %s", what,
		  sqlite3_errmsg(c->d->db));
	return -EIO;
}

/* Open removals: the last medium.removed of a medium in the vault with no
 * outcome after it; re-armed with what is left of their window. Returns 0 or
 * -EIO. */
static int recover_removals(struct custody *c)
{
	struct vaultd *d = c->d;
	sqlite3_stmt *st;
	int rc;
	if (sqlite3_prepare_v2(
		    d->db,
		    "SELECT m.id, l.ts_utc, json_extract(l.payload,'$.shelf'), l.cites, "
		    "json_extract(l.payload,'$.occupants') FROM medium m JOIN ledger l ON l.seq = "
		    "(SELECT max(seq) FROM ledger WHERE kind='medium.removed' AND medium=m.id) "
		    "WHERE m.status='in-vault' AND NOT EXISTS (SELECT 1 FROM ledger o WHERE "
		    "o.medium=m.id AND o.seq>l.seq AND o.kind IN ('checkout.confirmed',"
		    "'medium.moved','medium.replaced','medium.unaccounted','destruction.started'))",
		    -1, &st, NULL) != SQLITE_OK)
		return recover_failed(c, "open removals");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct vault_medium m;
		if (vault_load_medium(d->db, (const char *)sqlite3_column_text(st, 0), &m) < 0)
			continue;
		const char *shelf = (const char *)sqlite3_column_text(st, 2);
		const char *occ = (const char *)sqlite3_column_text(st, 4);
		int64_t departure = sqlite3_column_int64(st, 3);
		struct track *t = removal_arm(c, &m, shelf ? shelf : "", departure,
					      left_of(d, sqlite3_column_int64(st, 1),
						      d->cfg.removal_window_s));
		if (t)
			snprintf(t->occupants, sizeof t->occupants, "%s", occ ? occ : "");
		else
			removal_untracked(c, m.id, shelf ? shelf : "", occ ? occ : "", departure);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : recover_failed(c, "open removals");
}

/* Pending returns: re-armed with what is left of their window, unless their
 * return.missing was already ledgered (it stays pending, and a read on its home
 * shelf still confirms it, but the alarm is not raised twice). Returns 0 or
 * -EIO. */
static int recover_returns(struct custody *c)
{
	struct vaultd *d = c->d;
	sqlite3_stmt *st;
	int rc;
	if (sqlite3_prepare_v2(d->db,
			       "SELECT m.id, l.seq, l.ts_utc, json_extract(l.payload,'$.pad_read') "
			       "FROM medium m JOIN ledger l ON l.seq = (SELECT max(seq) FROM ledger "
			       "WHERE kind='return.pending' AND medium=m.id) "
			       "WHERE m.status='pending-return' AND NOT EXISTS (SELECT 1 FROM ledger "
			       "o WHERE o.medium=m.id AND o.seq>l.seq AND o.kind='return.missing')",
			       -1, &st, NULL) != SQLITE_OK)
		return recover_failed(c, "pending returns");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct vault_medium m;
		if (vault_load_medium(d->db, (const char *)sqlite3_column_text(st, 0), &m) < 0)
			continue;
		cJSON *row = vault_registry_get(d->db, "medium", m.id);
		const cJSON *h = row ? cJSON_GetObjectItemCaseSensitive(row, "home_shelf") : NULL;
		int64_t left = left_of(d, sqlite3_column_int64(st, 2), d->cfg.return_window_s);
		return_arm(c, &m, cJSON_IsString(h) ? h->valuestring : "",
			   sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 1), left);
		cJSON_Delete(row);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : recover_failed(c, "pending returns");
}

/* Once the shelves have answered after a start: media in the vault on no
 * shelf get a removal record (their departure happened while we were down).
 * If the database cannot say which, vaultd stops as custody_start would have
 * (recover_failed): a fault, the lock off, systemd restarts it. */
static void settle(struct vault_loop *l, uint64_t id, void *ud)
{
	struct custody *c = ud;
	struct vaultd *d = c->d;
	c->settle_timer = 0;
	c->settled = 1;
	const struct vaultd_shelf *sh;
	size_t n = vaultd_shelves(d, &sh);
	sqlite3_stmt *st;
	int rc;
	if (sqlite3_prepare_v2(d->db, "SELECT id, home_shelf FROM medium WHERE status='in-vault'",
			       -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *mid = (const char *)sqlite3_column_text(st, 0);
		const char *home = (const char *)sqlite3_column_text(st, 1);
		int home_ok = 0;
		for (size_t i = 0; i < n; i++)
			if (!strcmp(sh[i].name, home) && sh[i].state == VSHELF_OK)
				home_ok = 1;
		if (!home_ok)
			continue; /* a shelf we cannot read proves nothing */
		struct vault_medium m;
		if (vault_load_medium(d->db, mid, &m) < 0 || track_find(c, T_REMOVAL, mid))
			continue;
		const struct vaultd_tag_place *p = vaultd_tag_where(d, m.tag);
		if (p && vaultd_is_storage(d, p->where))
			continue;
		removal_start(c, &m, home, p ? p->sensor_id : 0, "not on any shelf after a start");
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return;
fail:
	recover_failed(c, "media in the vault (those on no shelf after a start)");
	d->fault = vault_reason_id(VAULT_R_DB_ERROR);
	vault_loop_quit(d->loop);
}

int custody_start(struct vaultd *d, struct custody **ret)
{
	struct custody *c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->d = d;
	int r = vaultd_listen(d, on_event, c);
	if (r < 0) {
		free(c);
		return r;
	}
	if ((r = recover_removals(c)) < 0 || (r = recover_returns(c)) < 0) {
		custody_free(c);
		return r;
	}
	uint64_t ok, polls;
	if (shelves_poll_counts(d->shelves, d->cfg.custody_pad, &ok, &polls) == 0) {
		/* The counter starts at 0 with the bus, moments ago. */
		c->pad_polled = 1;
		c->pad_sample_us = vault_now_mono_us();
		pad_tick(d->loop, 0, c);
	}
	if (d->cfg.nbuses)
		vault_loop_timer_in(d->loop, (int64_t)d->cfg.inventory_settle_s * 1000000, settle, c,
				    &c->settle_timer);
	*ret = c;
	return 0;
}

void custody_free(struct custody *c)
{
	if (!c)
		return;
	vaultd_unlisten(c->d, on_event, c);
	vault_loop_timer_cancel(c->d->loop, c->settle_timer);
	vault_loop_timer_cancel(c->d->loop, c->pad_timer);
	c->overflowed = 0; /* not an episode's end */
	while (c->n)
		track_drop(c, c->t[c->n - 1]);
	free(c);
}
