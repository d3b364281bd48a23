/* SPDX-License-Identifier: MIT */
/*
 * The directive's rules. Pure functions: no I/O, no clock, no globals. Each
 * decision returns the first refusal in a documented order, so the same situation
 * always gives the same reason on the kiosk, at the door and in the ledger.
 */
#include "vault/policy.h"
#include "vault/util.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#define R(x) VAULT_R_##x

/* ---- names ----------------------------------------------------------------- */

static const char *const role_names[VAULT_ROLE__COUNT] = {
	"custodian", "staff", "supervisor", "admin", "technician", "visitor",
};
static const char *const class_names[] = {"none", "confidential", "secret", "top-secret"};
static const char *const medium_status_names[VAULT_MEDIUM__COUNT] = {
	"in-vault", "checked-out", "pending-return", "destroyed", "handed-over", "missing", "at-destruction",
};
static const char *const approval_state_names[VAULT_APPROVAL__COUNT] = {
	"requested", "approved", "active", "revoked", "expired",
};

static const char *name_of(const char *const *names, size_t n, int v)
{
	return v >= 0 && (size_t)v < n ? names[v] : "unknown";
}

static int lookup(const char *const *names, size_t n, const char *s, int *ret)
{
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], s)) {
			*ret = (int)i;
			return 0;
		}
	return -EINVAL;
}

#define NAMES(a) (a), (sizeof(a) / sizeof((a)[0]))

const char *vault_role_name(enum vault_role r)
{
	return name_of(NAMES(role_names), (int)r);
}

int vault_role_from_name(const char *s, enum vault_role *ret)
{
	int v, r = lookup(NAMES(role_names), s, &v);
	if (r == 0)
		*ret = (enum vault_role)v;
	return r;
}

const char *vault_classification_name(enum vault_classification c)
{
	return name_of(NAMES(class_names), (int)c);
}

int vault_classification_from_name(const char *s, enum vault_classification *ret)
{
	int v, r = lookup(NAMES(class_names), s, &v);
	if (r == 0)
		*ret = (enum vault_classification)v;
	return r;
}

const char *vault_medium_status_name(enum vault_medium_status s)
{
	return name_of(NAMES(medium_status_names), (int)s);
}

int vault_medium_status_from_name(const char *s, enum vault_medium_status *ret)
{
	int v, r = lookup(NAMES(medium_status_names), s, &v);
	if (r == 0)
		*ret = (enum vault_medium_status)v;
	return r;
}

const char *vault_approval_state_name(enum vault_approval_state s)
{
	return name_of(NAMES(approval_state_names), (int)s);
}

int vault_approval_state_from_name(const char *s, enum vault_approval_state *ret)
{
	int v, r = lookup(NAMES(approval_state_names), s, &v);
	if (r == 0)
		*ret = (enum vault_approval_state)v;
	return r;
}

/* ---- configuration ----------------------------------------------------------- */

void vault_policy_config_default(struct vault_policy_config *cfg)
{
	*cfg = (struct vault_policy_config){
		.training_max_days = 365,
		.cert_years = 5,
		.onsite_threshold = 10,
		.destruction_months = 6,
		.warn_days = {90, 30, 7},
		.return_warn_days = 1,
		.enter_roles = VAULT_ROLE_BIT(VAULT_ROLE_CUSTODIAN) | VAULT_ROLE_BIT(VAULT_ROLE_STAFF) |
			       VAULT_ROLE_BIT(VAULT_ROLE_TECHNICIAN),
		.borrow_roles = VAULT_ROLE_BIT(VAULT_ROLE_CUSTODIAN) | VAULT_ROLE_BIT(VAULT_ROLE_STAFF) |
				VAULT_ROLE_BIT(VAULT_ROLE_TECHNICIAN) |
				VAULT_ROLE_BIT(VAULT_ROLE_SUPERVISOR) | VAULT_ROLE_BIT(VAULT_ROLE_ADMIN),
		.approve_roles = VAULT_ROLE_BIT(VAULT_ROLE_SUPERVISOR) | VAULT_ROLE_BIT(VAULT_ROLE_ADMIN),
		.order_roles = VAULT_ROLE_BIT(VAULT_ROLE_SUPERVISOR) | VAULT_ROLE_BIT(VAULT_ROLE_ADMIN),
		.enrol_roles = VAULT_ROLE_BIT(VAULT_ROLE_ADMIN) | VAULT_ROLE_BIT(VAULT_ROLE_CUSTODIAN),
		.require_schedule = true,
	};
}

static bool role_in(enum vault_role r, unsigned mask)
{
	/* Visitors are never in a mask: they act only under escort. */
	return (unsigned)r < VAULT_ROLE__COUNT && r != VAULT_ROLE_VISITOR &&
	       (mask & VAULT_ROLE_BIT(r));
}

static bool set(const char *s)
{
	return s && s[0];
}

static bool same_id(const char *a, const char *b)
{
	return set(a) && set(b) && !strcmp(a, b);
}

static bool date_le(struct vault_date a, struct vault_date b)
{
	return vault_date_cmp(a, b) <= 0;
}

/* ---- single rules ------------------------------------------------------------- */

int vault_policy_cert_expiry(const struct vault_certificate *cert,
			     const struct vault_policy_config *cfg, struct vault_date *ret)
{
	if (!cert || !cfg || !ret)
		return -EINVAL;
	if (vault_date_is_set(&cert->expires)) {
		*ret = cert->expires;
		return 0;
	}
	if (!vault_date_is_set(&cert->issued))
		return -EINVAL;
	return vault_date_add(cert->issued, cfg->cert_years, 0, 0, ret);
}

enum vault_reason vault_policy_check_certificate(const struct vault_certificate *cert,
						 const struct vault_policy_config *cfg,
						 struct vault_date today)
{
	struct vault_date exp;
	if (!cert || !vault_date_is_set(&cert->issued))
		return R(CERT_MISSING);
	if (cert->revoked)
		return R(CERT_REVOKED);
	if (vault_date_cmp(today, cert->issued) < 0)
		return R(CERT_NOT_YET_VALID);
	if (vault_policy_cert_expiry(cert, cfg, &exp) < 0)
		return R(CERT_MISSING);
	/* Valid through the expiry day inclusive (local calendar). */
	if (vault_date_cmp(today, exp) > 0)
		return R(CERT_EXPIRED);
	return R(OK);
}

enum vault_reason vault_policy_check_training(const struct vault_training *t,
					      const struct vault_policy_config *cfg,
					      struct vault_date today)
{
	if (!t || !vault_date_is_set(&t->last))
		return R(TRAINING_MISSING);
	int64_t age = vault_date_diff_days(t->last, today);
	if (age < 0)
		return R(TRAINING_DATE_INVALID);
	if (age > cfg->training_max_days)
		return R(TRAINING_EXPIRED);
	return R(OK);
}

/* Person active; unit known and not suspended. */
static enum vault_reason check_status_unit(const struct vault_actor *a)
{
	const struct vault_person *p = a->person;
	if (p->status != VAULT_PERSON_ACTIVE)
		return R(PERSON_INACTIVE);
	if (set(p->unit_id)) {
		if (!a->unit || strcmp(a->unit->id, p->unit_id))
			return R(UNIT_UNKNOWN);
		if (a->unit->status != VAULT_UNIT_ACTIVE)
			return R(UNIT_SUSPENDED);
	}
	return R(OK);
}

enum vault_reason vault_policy_check_person(const struct vault_actor *a,
					    const struct vault_policy_config *cfg,
					    struct vault_date today)
{
	if (!a || !a->person || !cfg || !vault_date_is_set(&today))
		return R(BAD_REQUEST);
	enum vault_reason r = check_status_unit(a);
	if (r != R(OK))
		return r;
	r = vault_policy_check_certificate(a->cert, cfg, today);
	if (r != R(OK))
		return r;
	return vault_policy_check_training(a->training, cfg, today);
}

static bool window_covers(const struct vault_schedule_window *w, int weekday, int minute)
{
	unsigned today = 1u << (weekday - 1);
	unsigned yesterday = 1u << ((weekday + 5) % 7); /* weekday 1 -> Sunday (bit 6) */
	if (w->start_minute < w->end_minute)
		return (w->weekdays & today) && minute >= w->start_minute && minute < w->end_minute;
	/* Overnight: the evening part belongs to the day it starts, the early part
	 * to the day before. */
	return ((w->weekdays & today) && minute >= w->start_minute) ||
	       ((w->weekdays & yesterday) && minute < w->end_minute);
}

enum vault_reason vault_policy_check_schedule(const struct vault_schedule *s, enum vault_role role,
					      const struct vault_policy_config *cfg,
					      const struct vault_localtime *now)
{
	if (!cfg || !now || now->weekday < 1 || now->weekday > 7)
		return R(BAD_REQUEST);
	if (!s)
		return cfg->require_schedule ? R(SCHEDULE_MISSING) : R(OK);
	for (size_t i = 0; i < s->n_holidays; i++)
		if (vault_date_cmp(s->holidays[i].date, now->date) == 0 && !s->holidays[i].open)
			return R(SCHEDULE_HOLIDAY);
	for (size_t i = 0; i < s->n_windows; i++)
		if (s->windows[i].role == role &&
		    window_covers(&s->windows[i], now->weekday, now->minute_of_day))
			return R(OK);
	return R(SCHEDULE_OUTSIDE);
}

/* ---- entry ------------------------------------------------------------------- */

enum vault_reason vault_policy_may_enter(const struct vault_actor *who,
					 const struct vault_actor *escort,
					 const struct vault_schedule *schedule,
					 const struct vault_policy_config *cfg,
					 const struct vault_localtime *now)
{
	if (!who || !who->person || !cfg || !now)
		return R(BAD_REQUEST);
	enum vault_reason r;
	if (who->person->role == VAULT_ROLE_VISITOR) {
		if ((r = check_status_unit(who)) != R(OK))
			return r;
		if (!escort || !escort->person)
			return R(VISITOR_UNESCORTED);
		if (escort->person->role != VAULT_ROLE_CUSTODIAN ||
		    same_id(escort->person->id, who->person->id) || !set(escort->person->id))
			return R(ESCORT_INVALID);
		if ((r = vault_policy_check_person(escort, cfg, now->date)) != R(OK))
			return r;
		return vault_policy_check_schedule(schedule, escort->person->role, cfg, now);
	}
	if (who->person->status != VAULT_PERSON_ACTIVE)
		return R(PERSON_INACTIVE);
	if (!role_in(who->person->role, cfg->enter_roles))
		return R(ROLE_NOT_ALLOWED);
	if ((r = vault_policy_check_person(who, cfg, now->date)) != R(OK))
		return r;
	return vault_policy_check_schedule(schedule, who->person->role, cfg, now);
}

/* ---- approvals and media ---------------------------------------------------------- */

bool vault_policy_onsite_required(const struct vault_approval *a, const struct vault_unit *unit,
				  const struct vault_policy_config *cfg)
{
	/* max_out too: an approval registered before quantity >= max_out was
	 * enforced may say less in all than it lets out at once. */
	return (unit && unit->first_time) || a->quantity > cfg->onsite_threshold ||
	       a->max_out > cfg->onsite_threshold;
}

static bool in_list(const char *const *list, size_t n, const char *s)
{
	if (!set(s))
		return false;
	for (size_t i = 0; i < n; i++)
		if (list[i] && !strcmp(list[i], s))
			return true;
	return false;
}

int vault_policy_destruction_deadline(struct vault_date project_end,
				      const struct vault_policy_config *cfg,
				      struct vault_date *ret)
{
	if (!cfg || !ret || !vault_date_is_set(&project_end))
		return -EINVAL;
	return vault_date_add(project_end, 0, cfg->destruction_months, 0, ret);
}

/* Earliest destruction deadline that applies to m, if any. */
static bool medium_deadline(const struct vault_medium *m, const struct vault_project *p,
			    const struct vault_policy_config *cfg, struct vault_date *ret)
{
	bool have = false;
	struct vault_date d;
	if (vault_date_is_set(&m->destroy_by)) {
		*ret = m->destroy_by;
		have = true;
	}
	if (p && vault_date_is_set(&p->end) && vault_policy_destruction_deadline(p->end, cfg, &d) == 0 &&
	    (!have || vault_date_cmp(d, *ret) < 0)) {
		*ret = d;
		have = true;
	}
	return have;
}

/* The approval itself, for this person and unit, today. */
static enum vault_reason check_approval(const struct vault_actor *who,
					const struct vault_approval *a,
					const struct vault_policy_config *cfg, struct vault_date today)
{
	if (!a)
		return R(APPROVAL_MISSING);
	if (a->state != VAULT_APPROVAL_ACTIVE)
		return R(APPROVAL_NOT_ACTIVE);
	if (!vault_date_is_set(&a->valid_from) || !vault_date_is_set(&a->valid_to))
		return R(APPROVAL_NOT_ACTIVE);
	if (vault_date_cmp(today, a->valid_from) < 0)
		return R(APPROVAL_NOT_YET_VALID);
	if (vault_date_cmp(today, a->valid_to) > 0)
		return R(APPROVAL_EXPIRED);
	if (!same_id(a->person_id, who->person->id))
		return R(APPROVAL_OTHER_PERSON);
	if (!same_id(a->unit_id, who->person->unit_id))
		return R(APPROVAL_OTHER_UNIT);
	/* An approval may have been activated before a unit became first-time-flagged
	 * or with a wrong state; the on-site rule is re-checked at every use. */
	if (vault_policy_onsite_required(a, who->unit, cfg) && !a->onsite_verified)
		return R(APPROVAL_ONSITE_REQUIRED);
	return R(OK);
}

/* The medium under the approval (everything but its status and max_out). */
static enum vault_reason check_medium(const struct vault_approval *a, const struct vault_medium *m,
				      const struct vault_project *p,
				      const struct vault_policy_config *cfg, struct vault_date today)
{
	if (m->status == VAULT_MEDIUM_DESTROYED || m->status == VAULT_MEDIUM_HANDED_OVER)
		return R(MEDIUM_DESTROYED);
	if (!in_list(a->scope_media, a->n_scope_media, m->id) &&
	    !in_list(a->scope_datasets, a->n_scope_datasets, m->dataset))
		return R(APPROVAL_SCOPE);
	/* Media serve only the approved project. */
	if (set(a->project_id) && set(m->project_id) && strcmp(a->project_id, m->project_id))
		return R(APPROVAL_SCOPE);
	if (p && set(p->id) && ((set(a->project_id) && strcmp(p->id, a->project_id)) ||
				 (set(m->project_id) && strcmp(p->id, m->project_id))))
		return R(BAD_REQUEST);
	if (!strcmp(m->category, VAULT_CATEGORY_NAVMAP) && !set(a->authority_ref))
		return R(NAVMAP_AUTHORITY_REQUIRED);
	struct vault_date dl;
	if (medium_deadline(m, p, cfg, &dl) && vault_date_cmp(today, dl) > 0)
		return R(MEDIUM_PAST_DEADLINE);
	if (p && p->closed)
		return R(PROJECT_CLOSED);
	if (p && vault_date_is_set(&p->end) && vault_date_cmp(today, p->end) > 0)
		return R(PROJECT_ENDED);
	return R(OK);
}

int vault_policy_due_date(const struct vault_approval *a, const struct vault_project *p,
			  const struct vault_policy_config *cfg, struct vault_date today,
			  struct vault_date *ret)
{
	if (!a || !cfg || !ret || !vault_date_is_set(&today) || !vault_date_is_set(&a->valid_to))
		return -EINVAL;
	struct vault_date due = a->valid_to, d;
	if (a->due_days > 0 && vault_date_add(today, 0, 0, a->due_days, &d) == 0 &&
	    date_le(d, due))
		due = d;
	if (p && vault_date_is_set(&p->end) && vault_policy_destruction_deadline(p->end, cfg, &d) == 0 &&
	    date_le(d, due))
		due = d;
	*ret = due;
	return 0;
}

enum vault_reason vault_policy_may_check_out(const struct vault_checkout_request *rq,
					     const struct vault_policy_config *cfg,
					     const struct vault_localtime *now,
					     struct vault_date *ret_due)
{
	if (!rq || !rq->who.person || !rq->medium || !cfg || !now || rq->out_under_approval < 0 ||
	    rq->used_under_approval < 0)
		return R(BAD_REQUEST);
	const struct vault_person *p = rq->who.person;
	struct vault_date today = now->date;
	enum vault_reason r;
	if (p->status != VAULT_PERSON_ACTIVE)
		return R(PERSON_INACTIVE);
	if (!role_in(p->role, cfg->borrow_roles))
		return R(ROLE_NOT_ALLOWED);
	if ((r = vault_policy_check_person(&rq->who, cfg, today)) != R(OK))
		return r;
	if ((r = check_approval(&rq->who, rq->approval, cfg, today)) != R(OK))
		return r;
	if ((r = check_medium(rq->approval, rq->medium, rq->project, cfg, today)) != R(OK))
		return r;
	if (rq->medium->status != VAULT_MEDIUM_IN_VAULT)
		return R(MEDIUM_NOT_IN_VAULT);
	if (rq->out_under_approval >= rq->approval->max_out)
		return R(APPROVAL_MAX_OUT);
	/* max_out too: approvals stored before quantity >= max_out was required. */
	int quantity = rq->approval->quantity > rq->approval->max_out ? rq->approval->quantity
									: rq->approval->max_out;
	if (rq->used_under_approval >= quantity)
		return R(APPROVAL_QUANTITY_USED);
	if (ret_due) {
		struct vault_date due;
		if (vault_policy_due_date(rq->approval, rq->project, cfg, today, &due) < 0)
			return R(BAD_REQUEST);
		*ret_due = due;
	}
	return R(OK);
}

/* ---- return and copy ----------------------------------------------------------- */

enum vault_reason vault_policy_may_return(const struct vault_actor *who,
					  const struct vault_medium *m,
					  const struct vault_policy_config *cfg,
					  const struct vault_localtime *now,
					  bool *ret_received_by_custodian)
{
	if (!who || !who->person || !m || !cfg || !now)
		return R(BAD_REQUEST);
	if (m->status != VAULT_MEDIUM_CHECKED_OUT)
		return R(RETURN_NOT_OUT);
	if (same_id(who->person->id, m->borrower_id)) {
		if (ret_received_by_custodian)
			*ret_received_by_custodian = false;
		return R(OK);
	}
	/* No transfer or lending: only a custodian may receive for the borrower. */
	if (who->person->role != VAULT_ROLE_CUSTODIAN)
		return R(RETURN_NOT_BORROWER);
	enum vault_reason r = vault_policy_check_person(who, cfg, now->date);
	if (r != R(OK))
		return r;
	if (ret_received_by_custodian)
		*ret_received_by_custodian = true;
	return R(OK);
}

enum vault_reason vault_policy_may_copy(const struct vault_copy_request *rq,
					const struct vault_policy_config *cfg,
					const struct vault_localtime *now,
					enum vault_classification *ret_class)
{
	if (!rq || !rq->who.person || !cfg || !now || (rq->n_parents && !rq->parents))
		return R(BAD_REQUEST);
	if (rq->n_parents == 0)
		return R(COPY_NO_PARENT);
	const struct vault_person *p = rq->who.person;
	struct vault_date today = now->date;
	enum vault_reason r;
	if (p->status != VAULT_PERSON_ACTIVE)
		return R(PERSON_INACTIVE);
	if (!role_in(p->role, cfg->borrow_roles))
		return R(ROLE_NOT_ALLOWED);
	if ((r = vault_policy_check_person(&rq->who, cfg, today)) != R(OK))
		return r;
	if ((r = check_approval(&rq->who, rq->approval, cfg, today)) != R(OK))
		return r;
	enum vault_classification c = VAULT_CLASS_NONE;
	for (size_t i = 0; i < rq->n_parents; i++) {
		const struct vault_medium *m = rq->parents[i];
		if (!m)
			return R(BAD_REQUEST);
		if ((r = check_medium(rq->approval, m, rq->project, cfg, today)) != R(OK))
			return r;
		bool held = m->status == VAULT_MEDIUM_CHECKED_OUT && same_id(m->borrower_id, p->id) &&
			    same_id(m->approval_id, rq->approval->id);
		if (m->status != VAULT_MEDIUM_IN_VAULT && !held)
			return R(MEDIUM_NOT_IN_VAULT);
		if (m->classification < VAULT_CLASS_CONFIDENTIAL ||
		    m->classification > VAULT_CLASS_TOP_SECRET)
			return R(INVALID_VALUE);
		if (m->classification > c)
			c = m->classification;
	}
	if (rq->requested != VAULT_CLASS_NONE) {
		if (rq->requested < VAULT_CLASS_CONFIDENTIAL || rq->requested > VAULT_CLASS_TOP_SECRET)
			return R(INVALID_VALUE);
		if (rq->requested < c)
			return R(COPY_CLASS_LOWERED);
		c = rq->requested;
	}
	if (!rq->home_shelf || !*rq->home_shelf || !rq->tag_at || strcmp(rq->tag_at, rq->home_shelf))
		return R(COPY_TAG_UNREAD);
	if (ret_class)
		*ret_class = c;
	return R(OK);
}

/* ---- separation of duties ---------------------------------------------------------- */

bool vault_policy_approval_transition_valid(enum vault_approval_state from,
					    enum vault_approval_state to)
{
	switch (from) {
	case VAULT_APPROVAL_REQUESTED:
		return to == VAULT_APPROVAL_APPROVED || to == VAULT_APPROVAL_REVOKED;
	case VAULT_APPROVAL_APPROVED:
		return to == VAULT_APPROVAL_ACTIVE || to == VAULT_APPROVAL_REVOKED ||
		       to == VAULT_APPROVAL_EXPIRED;
	case VAULT_APPROVAL_ACTIVE:
		return to == VAULT_APPROVAL_REVOKED || to == VAULT_APPROVAL_EXPIRED;
	default:
		return false; /* revoked and expired are final */
	}
}

enum vault_reason vault_policy_may_approve(const struct vault_person *approver,
					   const struct vault_approval *a,
					   const struct vault_unit *unit,
					   enum vault_approval_state to,
					   const struct vault_policy_config *cfg)
{
	if (!approver || !a || !cfg || !set(approver->id))
		return R(BAD_REQUEST);
	if (approver->status != VAULT_PERSON_ACTIVE)
		return R(PERSON_INACTIVE);
	if (!role_in(approver->role, cfg->approve_roles))
		return R(ROLE_NOT_ALLOWED);
	if (same_id(approver->id, a->requester_id) || same_id(approver->id, a->person_id))
		return R(SELF_APPROVE);
	/* Expiry is the system's, not a person's, transition. */
	if (to == VAULT_APPROVAL_EXPIRED || !vault_policy_approval_transition_valid(a->state, to))
		return R(APPROVAL_TRANSITION);
	if (to == VAULT_APPROVAL_REVOKED)
		return R(OK);
	if (!unit || strcmp(unit->id, a->unit_id))
		return R(UNIT_UNKNOWN);
	if (unit->status != VAULT_UNIT_ACTIVE)
		return R(UNIT_SUSPENDED);
	if (to == VAULT_APPROVAL_ACTIVE && vault_policy_onsite_required(a, unit, cfg) &&
	    !a->onsite_verified)
		return R(APPROVAL_ONSITE_REQUIRED);
	return R(OK);
}

enum vault_reason vault_policy_may_verify_onsite(const struct vault_person *verifier,
						 const struct vault_approval *a,
						 const struct vault_policy_config *cfg)
{
	if (!verifier || !a || !cfg || !set(verifier->id))
		return R(BAD_REQUEST);
	if (verifier->status != VAULT_PERSON_ACTIVE)
		return R(PERSON_INACTIVE);
	if (!role_in(verifier->role, cfg->approve_roles))
		return R(ROLE_NOT_ALLOWED);
	if (same_id(verifier->id, a->requester_id) || same_id(verifier->id, a->person_id))
		return R(SELF_APPROVE);
	if (a->state != VAULT_APPROVAL_REQUESTED && a->state != VAULT_APPROVAL_APPROVED)
		return R(APPROVAL_TRANSITION);
	return R(OK);
}

enum vault_reason vault_policy_legacy_badge(bool vault_holds_top_secret)
{
	return vault_holds_top_secret ? R(LEGACY_TOP_SECRET) : R(OK);
}

enum vault_reason vault_policy_may_order_destruction(const struct vault_person *orderer,
						     const struct vault_destruction_order *o,
						     const struct vault_medium *m,
						     const struct vault_policy_config *cfg)
{
	if (!orderer || !o || !m || !cfg || !set(orderer->id) || strcmp(o->medium_id, m->id))
		return R(BAD_REQUEST);
	if (orderer->status != VAULT_PERSON_ACTIVE)
		return R(PERSON_INACTIVE);
	if (!role_in(orderer->role, cfg->order_roles))
		return R(ROLE_NOT_ALLOWED);
	if (same_id(orderer->id, o->requester_id))
		return R(DESTROY_SELF_ORDER);
	if (m->status == VAULT_MEDIUM_DESTROYED || m->status == VAULT_MEDIUM_HANDED_OVER)
		return R(MEDIUM_DESTROYED);
	if (m->status != VAULT_MEDIUM_IN_VAULT)
		return R(MEDIUM_NOT_IN_VAULT);
	return R(OK);
}

enum vault_reason vault_policy_may_witness(const struct vault_actor *w,
					   const struct vault_destruction_order *o,
					   const struct vault_person *other,
					   const struct vault_policy_config *cfg,
					   const struct vault_localtime *now)
{
	if (!w || !w->person || !o || !cfg || !now || !set(w->person->id))
		return R(BAD_REQUEST);
	if (same_id(w->person->id, o->orderer_id) || same_id(w->person->id, o->requester_id))
		return R(SELF_WITNESS);
	if (other && same_id(w->person->id, other->id))
		return R(WITNESS_SAME_PERSON);
	if (w->person->role == VAULT_ROLE_VISITOR)
		return R(ROLE_NOT_ALLOWED);
	return vault_policy_check_person(w, cfg, now->date);
}

enum vault_reason vault_policy_may_enrol_badge(const struct vault_person *op,
					       const struct vault_person *subject,
					       const struct vault_policy_config *cfg)
{
	if (!op || !subject || !cfg || !set(op->id) || !set(subject->id))
		return R(BAD_REQUEST);
	if (same_id(op->id, subject->id))
		return R(SELF_ENROL);
	if (op->status != VAULT_PERSON_ACTIVE)
		return R(PERSON_INACTIVE);
	if (!role_in(op->role, cfg->enrol_roles))
		return R(ROLE_NOT_ALLOWED);
	if (subject->status != VAULT_PERSON_ACTIVE)
		return R(PERSON_INACTIVE);
	return R(OK);
}

enum vault_reason vault_policy_may_record_clearance(const char *op_id, const char *subject_id)
{
	if (!set(op_id) || !set(subject_id))
		return R(BAD_REQUEST);
	return same_id(op_id, subject_id) ? R(SELF_RECORD) : R(OK);
}

enum vault_reason vault_policy_medium_change(enum vault_classification was,
					     enum vault_classification now, const char *cat_was,
					     const char *cat_now)
{
	if (now < was)
		return R(CLASSIFICATION_LOWERED);
	if (cat_was && !strcmp(cat_was, VAULT_CATEGORY_NAVMAP) &&
	    (!cat_now || strcmp(cat_now, VAULT_CATEGORY_NAVMAP)))
		return R(NAVMAP_CATEGORY_KEPT);
	return R(OK);
}

enum vault_reason vault_policy_medium_rescope(const struct vault_medium_rescope *c)
{
	if (!c || !c->dataset_was || !c->dataset_now || !c->project_was || !c->project_now ||
	    !c->tag_was || !c->tag_now || !c->home_shelf || !c->open_approval || !c->old_tag_at ||
	    !c->new_tag_at)
		return R(BAD_REQUEST);
	if (set(c->project_was) && strcmp(c->project_was, c->project_now))
		return R(MEDIUM_PROJECT_KEPT);
	bool dataset = strcmp(c->dataset_was, c->dataset_now) != 0;
	bool tag = strcasecmp(c->tag_was, c->tag_now) != 0;
	if ((dataset || tag) && c->status != VAULT_MEDIUM_IN_VAULT)
		return R(MEDIUM_NOT_IN_VAULT);
	if (dataset && set(c->open_approval))
		return R(MEDIUM_SCOPE_APPROVED);
	if (tag && (!set(c->new_tag_at) || strcmp(c->new_tag_at, c->home_shelf)))
		return R(RETAG_NEW_TAG_UNREAD);
	if (tag && set(c->old_tag_at))
		return R(RETAG_OLD_TAG_READ);
	return R(OK);
}

/* ---- alerts ------------------------------------------------------------------- */

int vault_policy_alert(struct vault_date last, struct vault_date today, const int *bands,
		       size_t n_bands, struct vault_alert *ret)
{
	if (!ret || !vault_date_is_set(&last) || !vault_date_is_set(&today) || (n_bands && !bands))
		return -EINVAL;
	struct vault_alert a = {.level = VAULT_ALERT_NONE, .last = last};
	a.days_left = vault_date_diff_days(today, last);
	if (a.days_left < 0) {
		a.level = VAULT_ALERT_PAST;
	} else {
		for (size_t i = 0; i < n_bands && bands[i] > 0; i++)
			if (a.days_left <= bands[i] && (a.band_days == 0 || bands[i] < a.band_days)) {
				a.level = VAULT_ALERT_SOON;
				a.band_days = bands[i];
			}
	}
	*ret = a;
	return 0;
}

int vault_policy_cert_alert(const struct vault_certificate *cert,
			    const struct vault_policy_config *cfg, struct vault_date today,
			    struct vault_alert *ret)
{
	struct vault_date exp;
	int r = vault_policy_cert_expiry(cert, cfg, &exp);
	if (r < 0)
		return r;
	return vault_policy_alert(exp, today, cfg->warn_days, VAULT_ARRAY_SIZE(cfg->warn_days), ret);
}

int vault_policy_training_alert(const struct vault_training *t,
				const struct vault_policy_config *cfg, struct vault_date today,
				struct vault_alert *ret)
{
	struct vault_date due;
	if (!t || !cfg || !vault_date_is_set(&t->last))
		return -EINVAL;
	int r = vault_date_add(t->last, 0, 0, cfg->training_max_days, &due);
	if (r < 0)
		return r;
	return vault_policy_alert(due, today, cfg->warn_days, VAULT_ARRAY_SIZE(cfg->warn_days), ret);
}

int vault_policy_return_alert(struct vault_date due, const struct vault_policy_config *cfg,
			      struct vault_date today, struct vault_alert *ret)
{
	if (!cfg)
		return -EINVAL;
	int band = cfg->return_warn_days;
	return vault_policy_alert(due, today, &band, band > 0 ? 1 : 0, ret);
}

int vault_policy_destruction_alert(struct vault_date project_end,
				   const struct vault_policy_config *cfg, struct vault_date today,
				   struct vault_alert *ret)
{
	struct vault_date dl;
	int r = vault_policy_destruction_deadline(project_end, cfg, &dl);
	if (r < 0)
		return r;
	return vault_policy_alert(dl, today, cfg->warn_days, VAULT_ARRAY_SIZE(cfg->warn_days), ret);
}
