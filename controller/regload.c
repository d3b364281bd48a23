/* SPDX-License-Identifier: MIT */
#include "vault/regload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vault/db.h"
#include "vault/pin.h"
#include "vault/util.h"

static const char *txt(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	return t ? t : "";
}

static int copy(char *dst, size_t size, const char *src)
{
	return vault_strlcpy(dst, src, size) < 0 ? -EINVAL : 0;
}

/* "" is an unset date; anything else must parse. */
static int date(const char *s, struct vault_date *ret)
{
	if (!*s) {
		memset(ret, 0, sizeof *ret);
		return 0;
	}
	return vault_date_parse(s, ret);
}

/* Run `sql` with one text parameter; *ret_st is positioned on the first row. */
static int one(sqlite3 *db, const char *sql, const char *arg, sqlite3_stmt **ret_st)
{
	sqlite3_stmt *st;
	if (vault_db_cached(db, sql, &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		vault_db_done(st);
		return rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	*ret_st = st;
	return 0;
}

int vault_load_person(sqlite3 *db, const char *id, struct vault_person *ret)
{
	sqlite3_stmt *st;
	int r = one(db, "SELECT id, name, role, ifnull(unit,''), status FROM person WHERE id=?", id,
		    &st);
	if (r < 0)
		return r;
	struct vault_person p = {0};
	if (copy(p.id, sizeof p.id, txt(st, 0)) || copy(p.name, sizeof p.name, txt(st, 1)) ||
	    vault_role_from_name(txt(st, 2), &p.role) < 0 ||
	    copy(p.unit_id, sizeof p.unit_id, txt(st, 3)))
		r = -EINVAL;
	p.status = strcmp(txt(st, 4), "active") ? VAULT_PERSON_INACTIVE : VAULT_PERSON_ACTIVE;
	vault_db_done(st);
	if (r == 0)
		*ret = p;
	return r;
}

int vault_load_unit(sqlite3 *db, const char *id, struct vault_unit *ret)
{
	sqlite3_stmt *st;
	int r = one(db, "SELECT id, first_time, status, status_reason FROM unit WHERE id=?", id,
		    &st);
	if (r < 0)
		return r;
	struct vault_unit u = {0};
	if (copy(u.id, sizeof u.id, txt(st, 0)) ||
	    copy(u.suspend_reason, sizeof u.suspend_reason, txt(st, 3)))
		r = -EINVAL;
	u.first_time = sqlite3_column_int(st, 1) != 0;
	u.status = strcmp(txt(st, 2), "suspended") ? VAULT_UNIT_ACTIVE : VAULT_UNIT_SUSPENDED;
	vault_db_done(st);
	if (r == 0)
		*ret = u;
	return r;
}

int vault_load_actor(sqlite3 *db, const char *person_id, struct vault_actor_rec *ret)
{
	struct vault_actor_rec a;
	memset(&a, 0, sizeof a);
	int r = vault_load_person(db, person_id, &a.person);
	if (r < 0)
		return r;
	sqlite3_stmt *st;
	/* The most recent certificate decides: a revoked latest one is not
	 * rescued by an older one. */
	r = one(db, "SELECT id, issued, expires, revoked FROM certificate WHERE person=? "
		    "ORDER BY issued DESC, id DESC LIMIT 1",
		person_id, &st);
	int have_cert = r == 0;
	if (r == 0) {
		if (copy(a.cert.number, sizeof a.cert.number, txt(st, 0)) ||
		    date(txt(st, 1), &a.cert.issued) || date(txt(st, 2), &a.cert.expires))
			r = -EINVAL;
		a.cert.revoked = sqlite3_column_int(st, 3) != 0;
		vault_db_done(st);
	}
	if (r < 0 && r != -ENOENT)
		return r;
	r = one(db, "SELECT max(date) FROM training WHERE person=?", person_id, &st);
	if (r == 0) {
		r = date(txt(st, 0), &a.training.last);
		vault_db_done(st);
	}
	if (r < 0)
		return r;
	int have_unit = 0;
	if (a.person.unit_id[0]) {
		r = vault_load_unit(db, a.person.unit_id, &a.unit);
		if (r < 0 && r != -ENOENT)
			return r;
		have_unit = r == 0;
	}
	*ret = a;
	ret->actor.person = &ret->person;
	ret->actor.cert = have_cert ? &ret->cert : NULL;
	ret->actor.training = &ret->training;
	ret->actor.unit = have_unit ? &ret->unit : NULL;
	return 0;
}

int vault_load_approval(sqlite3 *db, const char *id, struct vault_approval_rec *ret)
{
	sqlite3_stmt *st;
	int r = one(db,
		    "SELECT id, unit, person, requester, approver, ifnull(project,''), purpose, "
		    "scope, max_out, valid_from, valid_to, due_days, onsite_verified_by, quantity, "
		    "authority_ref, state FROM approval WHERE id=?",
		    id, &st);
	if (r < 0)
		return r;
	struct vault_approval_rec *a = ret;
	memset(a, 0, sizeof *a);
	struct vault_approval *p = &a->a;
	if (copy(p->id, sizeof p->id, txt(st, 0)) || copy(p->unit_id, sizeof p->unit_id, txt(st, 1)) ||
	    copy(p->person_id, sizeof p->person_id, txt(st, 2)) ||
	    copy(p->requester_id, sizeof p->requester_id, txt(st, 3)) ||
	    copy(p->approver_id, sizeof p->approver_id, txt(st, 4)) ||
	    copy(p->project_id, sizeof p->project_id, txt(st, 5)) ||
	    copy(p->purpose, sizeof p->purpose, txt(st, 6)) ||
	    copy(a->scope, sizeof a->scope, txt(st, 7)) || date(txt(st, 9), &p->valid_from) ||
	    date(txt(st, 10), &p->valid_to) ||
	    copy(p->authority_ref, sizeof p->authority_ref, txt(st, 14)) ||
	    vault_approval_state_from_name(txt(st, 15), &p->state) < 0)
		r = -EINVAL;
	p->max_out = sqlite3_column_int(st, 8);
	p->due_days = sqlite3_column_int(st, 11);
	p->onsite_verified = *txt(st, 12) != 0;
	p->quantity = sqlite3_column_int(st, 13);
	vault_db_done(st);
	if (r < 0)
		return r;
	/* scope: "M1,M2,dataset:coast" */
	char *save = NULL;
	for (char *tok = strtok_r(a->scope, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		if (!strncmp(tok, "dataset:", 8)) {
			if (p->n_scope_datasets == VAULT_SCOPE_MAX)
				return -E2BIG;
			a->datasets[p->n_scope_datasets++] = tok + 8;
		} else if (*tok) {
			if (p->n_scope_media == VAULT_SCOPE_MAX)
				return -E2BIG;
			a->media[p->n_scope_media++] = tok;
		}
	}
	p->scope_media = a->media;
	p->scope_datasets = a->datasets;
	return 0;
}

static int medium_from(sqlite3_stmt *st, struct vault_medium *ret)
{
	struct vault_medium m = {0};
	if (copy(m.id, sizeof m.id, txt(st, 0)) || copy(m.tag, sizeof m.tag, txt(st, 1)) ||
	    copy(m.dataset, sizeof m.dataset, txt(st, 2)) ||
	    copy(m.category, sizeof m.category, txt(st, 3)) ||
	    vault_classification_from_name(txt(st, 4), &m.classification) < 0 ||
	    vault_medium_status_from_name(txt(st, 5), &m.status) < 0 ||
	    copy(m.borrower_id, sizeof m.borrower_id, txt(st, 6)) ||
	    copy(m.approval_id, sizeof m.approval_id, txt(st, 7)) ||
	    copy(m.project_id, sizeof m.project_id, txt(st, 8)) || date(txt(st, 9), &m.destroy_by))
		return -EINVAL;
	*ret = m;
	return 0;
}

#define MEDIUM_COLS                                                                                \
	"SELECT id, tag, dataset, category, classification, status, borrower, approval, "         \
	"ifnull(project,''), deadline FROM medium "

int vault_load_medium(sqlite3 *db, const char *id, struct vault_medium *ret)
{
	sqlite3_stmt *st;
	int r = one(db, MEDIUM_COLS "WHERE id=?", id, &st);
	if (r < 0)
		return r;
	r = medium_from(st, ret);
	vault_db_done(st);
	return r;
}

int vault_load_medium_by_tag(sqlite3 *db, const char *tag, struct vault_medium *ret)
{
	sqlite3_stmt *st;
	int r = one(db, MEDIUM_COLS "WHERE upper(tag)=upper(?)", tag, &st);
	if (r < 0)
		return r;
	r = medium_from(st, ret);
	vault_db_done(st);
	return r;
}

int vault_load_project(sqlite3 *db, const char *id, struct vault_project *ret)
{
	sqlite3_stmt *st;
	int r = one(db, "SELECT id, start, \"end\", closed FROM project WHERE id=?", id, &st);
	if (r < 0)
		return r;
	struct vault_project p = {0};
	if (copy(p.id, sizeof p.id, txt(st, 0)) || date(txt(st, 1), &p.start) ||
	    date(txt(st, 2), &p.end))
		r = -EINVAL;
	p.closed = sqlite3_column_int(st, 3) != 0;
	vault_db_done(st);
	if (r == 0)
		*ret = p;
	return r;
}

/* "08:30" -> 510; -1 if malformed. "24:00" allowed as the end of the day. */
static int minutes(const char *s)
{
	if (strlen(s) != 5 || s[2] != ':')
		return -1;
	int h = atoi(s), m = atoi(s + 3);
	if (h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m))
		return -1;
	return h * 60 + m;
}

/* "1-5", "1,3,5", "6-7" -> bit (d-1) per ISO weekday d. */
static int weekdays(const char *s, uint8_t *ret)
{
	uint8_t bits = 0;
	while (*s) {
		if (*s < '1' || *s > '7')
			return -EINVAL;
		int a = *s++ - '0', b = a;
		if (*s == '-') {
			s++;
			if (*s < '1' || *s > '7')
				return -EINVAL;
			b = *s++ - '0';
		}
		if (b < a)
			return -EINVAL;
		for (int d = a; d <= b; d++)
			bits |= (uint8_t)(1u << (d - 1));
		if (*s == ',')
			s++;
		else if (*s)
			return -EINVAL;
	}
	*ret = bits;
	return bits ? 0 : -EINVAL;
}

int vault_schedule_window_parse(const char *role, const char *days, const char *start,
				const char *end, struct vault_schedule_window *ret)
{
	struct vault_schedule_window w = {0};
	if (!role || !days || !start || !end || vault_role_from_name(role, &w.role) < 0 ||
	    weekdays(days, &w.weekdays) < 0 || (w.start_minute = minutes(start)) < 0 ||
	    (w.end_minute = minutes(end)) < 0 || w.start_minute == w.end_minute ||
	    w.start_minute == 24 * 60)
		return -EINVAL;
	*ret = w;
	return 0;
}

int vault_load_schedule(sqlite3 *db, struct vault_date from, struct vault_schedule_rec *ret)
{
	memset(ret, 0, sizeof *ret);
	sqlite3_stmt *st;
	if (vault_db_cached(db, "SELECT role, days, start, \"end\" FROM schedule ORDER BY id", &st) <
	    0)
		return -EIO;
	int r = 0;
	size_t n = 0;
	while (r == 0 && sqlite3_step(st) == SQLITE_ROW) {
		if (n == VAULT_SCHEDULE_MAX) {
			r = -E2BIG;
			break;
		}
		if (vault_schedule_window_parse(txt(st, 0), txt(st, 1), txt(st, 2), txt(st, 3),
						&ret->windows[n]) < 0)
			r = -EINVAL;
		n++;
	}
	vault_db_done(st);
	if (r < 0)
		return r;
	ret->s.windows = ret->windows;
	ret->s.n_windows = n;
	char day[16];
	if (vault_date_format(from, day, sizeof day) < 0 ||
	    vault_db_cached(db, "SELECT id, open FROM holiday WHERE id >= ? ORDER BY id LIMIT 366",
			    &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, day, -1, SQLITE_TRANSIENT);
	n = 0;
	while (r == 0 && n < VAULT_HOLIDAY_MAX && sqlite3_step(st) == SQLITE_ROW) {
		if (vault_date_parse(txt(st, 0), &ret->holidays[n].date) < 0)
			r = -EINVAL;
		ret->holidays[n].open = sqlite3_column_int(st, 1) != 0;
		n++;
	}
	vault_db_done(st);
	ret->s.holidays = ret->holidays;
	ret->s.n_holidays = n;
	return r;
}

/* One count over APPROVAL_ID's media, EXCEPT (may be NULL) left out; or -EIO. */
static int count_for(sqlite3 *db, const char *sql, const char *approval_id, const char *except)
{
	sqlite3_stmt *st;
	if (vault_db_cached(db, sql, &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, approval_id, -1, SQLITE_TRANSIENT);
	if (except)
		sqlite3_bind_text(st, 2, except, -1, SQLITE_TRANSIENT);
	int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -EIO;
	vault_db_done(st);
	return n;
}

int vault_count_out(sqlite3 *db, const char *approval_id, const char *except)
{
	return count_for(db,
			 "SELECT count(*) FROM medium WHERE approval=?1 AND id <> ifnull(?2,'') "
			 "AND status IN ('checked-out','pending-return')",
			 approval_id, except);
}

int vault_count_used(sqlite3 *db, const char *approval_id, const char *except)
{
	return count_for(db,
			 "SELECT count(DISTINCT medium) FROM ledger WHERE approval=?1 "
			 "AND approval <> '' AND kind='checkout.confirmed' AND medium <> ifnull(?2,'')",
			 approval_id, except);
}

int vault_load_pin(sqlite3 *db, const char *person, char *hash, char *dhash)
{
	sqlite3_stmt *st;
	hash[0] = dhash[0] = 0;
	if (vault_db_cached(db, "SELECT hash, duress_hash FROM pin WHERE id=?", &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, person, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(hash, VAULT_PIN_HASH_MAX, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(dhash, VAULT_PIN_HASH_MAX, "%s", (const char *)sqlite3_column_text(st, 1));
	}
	vault_db_done(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -EIO;
}

void vault_policy_config_from(struct vault_policy_config *pc, int training_max_days,
			      int cert_years, int onsite_threshold, int destruction_months)
{
	vault_policy_config_default(pc);
	pc->training_max_days = training_max_days;
	pc->cert_years = cert_years;
	pc->onsite_threshold = onsite_threshold;
	pc->destruction_months = destruction_months;
}
