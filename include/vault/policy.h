/* SPDX-License-Identifier: MIT */
/*
 * The directive's rules as pure functions.
 *
 * Every vault_policy_may_*() takes plain structs (filled by the registry from
 * SQLite rows, or by tests by hand), the policy configuration and the local time,
 * and returns VAULT_R_OK or the first named refusal (vault/reason.h). Nothing here
 * touches the database, the hardware, the clock or any global: the same inputs give
 * the same answer, from any thread. These structs are deliberately public (unlike
 * the rest of the tree's opaque objects): they are the registry's row values.
 *
 * Time: the caller converts "now" once with vault_tz_localtime() in the site zone
 * (vault/caldate.h). All date rules count calendar days in that zone:
 *   - a certificate is valid from its issue date through its expiry date inclusive
 *     (one "expiring today" is still valid today and refused tomorrow); the expiry
 *     date is issued + cert_years unless the record sets one;
 *   - training is current while (today - last training) <= training_max_days
 *     (365 ok, 366 refused);
 *   - an approval is valid from valid_from through valid_to inclusive;
 *   - the destruction deadline is project end + destruction_months (month-end
 *     clamped); the deadline day itself is not yet past.
 *
 * Strings in structs are NUL-terminated; an empty string means "not set". Dates
 * with year 0 mean "not set". Pointers to optional records may be NULL where a
 * function says so; a NULL required pointer yields VAULT_R_BAD_REQUEST.
 */
#ifndef VAULT_POLICY_H
#define VAULT_POLICY_H
#include "vault/caldate.h"
#include "vault/reason.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sizes with the NUL: whatever the registry accepts must load. An id is 1-63
 * characters (valid_id in controller/actions.c), a text field at most 256
 * bytes (vault_field_value in controller/schema.c). */
#define VAULT_ID_SIZE 64
#define VAULT_TEXT_SIZE 257
#define VAULT_NAME_SIZE VAULT_TEXT_SIZE
#define VAULT_CATEGORY_NAVMAP "nav-map"

enum vault_role {
	VAULT_ROLE_CUSTODIAN,
	VAULT_ROLE_STAFF,
	VAULT_ROLE_SUPERVISOR,
	VAULT_ROLE_ADMIN,
	VAULT_ROLE_TECHNICIAN,
	VAULT_ROLE_VISITOR,
	VAULT_ROLE__COUNT
};
#define VAULT_ROLE_BIT(r) (1u << (r))

enum vault_person_status { VAULT_PERSON_ACTIVE, VAULT_PERSON_INACTIVE };
enum vault_unit_status { VAULT_UNIT_ACTIVE, VAULT_UNIT_SUSPENDED };

/* Ordered: a larger value is a higher classification. */
enum vault_classification {
	VAULT_CLASS_NONE = 0, /* not set / "no request" in vault_copy_request */
	VAULT_CLASS_CONFIDENTIAL = 1,
	VAULT_CLASS_SECRET = 2,
	VAULT_CLASS_TOP_SECRET = 3,
};

enum vault_medium_status {
	VAULT_MEDIUM_IN_VAULT,
	VAULT_MEDIUM_CHECKED_OUT,
	VAULT_MEDIUM_PENDING_RETURN, /* read at the pad, not yet back on its shelf */
	VAULT_MEDIUM_DESTROYED,
	VAULT_MEDIUM_HANDED_OVER,    /* to an outside destruction facility */
	VAULT_MEDIUM_MISSING,        /* unaccounted for (reconciliation / alarm) */
	VAULT_MEDIUM_AT_DESTRUCTION, /* taken to the shredder under a started order */
	VAULT_MEDIUM__COUNT
};

enum vault_approval_state {
	VAULT_APPROVAL_REQUESTED,
	VAULT_APPROVAL_APPROVED, /* approved; waits for on-site verification if required */
	VAULT_APPROVAL_ACTIVE,   /* usable for checkouts */
	VAULT_APPROVAL_REVOKED,
	VAULT_APPROVAL_EXPIRED,
	VAULT_APPROVAL__COUNT
};

/*
 * Stable lower-case names for storage and display ("custodian", "top-secret",
 * "in-vault", "requested", ...) and their reverse lookups (0 or -EINVAL).
 * Unknown values give "unknown".
 */
const char *vault_role_name(enum vault_role r);
int vault_role_from_name(const char *s, enum vault_role *ret);
const char *vault_classification_name(enum vault_classification c);
int vault_classification_from_name(const char *s, enum vault_classification *ret);
const char *vault_medium_status_name(enum vault_medium_status s);
int vault_medium_status_from_name(const char *s, enum vault_medium_status *ret);
const char *vault_approval_state_name(enum vault_approval_state s);
int vault_approval_state_from_name(const char *s, enum vault_approval_state *ret);

struct vault_person {
	char id[VAULT_ID_SIZE];
	char name[VAULT_NAME_SIZE];
	enum vault_role role;
	char unit_id[VAULT_ID_SIZE]; /* "" = belongs to no unit (e.g. vault staff) */
	enum vault_person_status status;
};

struct vault_certificate {
	char number[VAULT_ID_SIZE];
	struct vault_date issued;
	struct vault_date expires; /* unset = issued + cert_years */
	bool revoked;
};

struct vault_training {
	struct vault_date last; /* unset = never trained */
};

struct vault_unit {
	char id[VAULT_ID_SIZE];
	bool first_time; /* no provision yet: approvals need on-site verification */
	enum vault_unit_status status;
	char suspend_reason[VAULT_TEXT_SIZE];
};

/* A person with the records the rules need: the person's current certificate (the
 * most recently issued one) and latest training record, NULL = none on file; unit
 * NULL is allowed only when person->unit_id is "". Nothing is retained. */
struct vault_actor {
	const struct vault_person *person;
	const struct vault_certificate *cert;
	const struct vault_training *training;
	const struct vault_unit *unit;
};

/*
 * Weekly window: the role may enter on the ISO weekdays in `weekdays` (bit 0 =
 * Monday .. bit 6 = Sunday) from start_minute (inclusive) to end_minute
 * (exclusive), local wall clock. end_minute <= start_minute means the window runs
 * past midnight into the next day (22:00-06:00).
 */
struct vault_schedule_window {
	enum vault_role role;
	uint8_t weekdays;
	int start_minute, end_minute; /* 0..1440 */
};
#define VAULT_WEEKDAYS_MON_FRI 0x1fu
#define VAULT_WEEKDAYS_ALL 0x7fu

/* A holiday closes the vault for the whole local day unless `open` is set (then
 * the normal weekly windows apply that day). */
struct vault_holiday {
	struct vault_date date;
	bool open;
};

struct vault_schedule {
	const struct vault_schedule_window *windows;
	size_t n_windows;
	const struct vault_holiday *holidays;
	size_t n_holidays;
};

struct vault_approval {
	char id[VAULT_ID_SIZE];
	char unit_id[VAULT_ID_SIZE];
	char person_id[VAULT_ID_SIZE];    /* who may check out under it */
	char requester_id[VAULT_ID_SIZE];
	char approver_id[VAULT_ID_SIZE];
	char project_id[VAULT_ID_SIZE];   /* "" = not bound to a project record */
	char purpose[VAULT_TEXT_SIZE];
	/* Scope: media ids and/or dataset names (caller-owned arrays of strings). */
	const char *const *scope_media;
	size_t n_scope_media;
	const char *const *scope_datasets;
	size_t n_scope_datasets;
	int max_out;           /* media out at once under this approval; >= 1 */
	struct vault_date valid_from, valid_to;
	int due_days;          /* loan period; 0 = until valid_to */
	bool onsite_verified;
	int quantity;          /* media requested */
	char authority_ref[VAULT_TEXT_SIZE]; /* authority's approval ref (nav-map) */
	enum vault_approval_state state;
};

struct vault_medium {
	char id[VAULT_ID_SIZE];
	char tag[VAULT_ID_SIZE];
	char dataset[VAULT_NAME_SIZE];
	char category[VAULT_ID_SIZE];      /* e.g. "nav-map" */
	enum vault_classification classification;
	enum vault_medium_status status;
	char borrower_id[VAULT_ID_SIZE];   /* while checked out */
	char approval_id[VAULT_ID_SIZE];   /* while checked out */
	char project_id[VAULT_ID_SIZE];
	struct vault_date destroy_by;      /* set when known (copies inherit it) */
};

struct vault_project {
	char id[VAULT_ID_SIZE];
	struct vault_date start, end; /* end unset = open-ended */
	bool closed;
};

struct vault_destruction_order {
	char id[VAULT_ID_SIZE];
	char medium_id[VAULT_ID_SIZE];
	char requester_id[VAULT_ID_SIZE];
	char orderer_id[VAULT_ID_SIZE];
};

struct vault_policy_config {
	int training_max_days;   /* 365 */
	int cert_years;          /* 5 */
	int onsite_threshold;    /* quantity above this needs on-site verification: 10 */
	int destruction_months;  /* 6 */
	int warn_days[3];        /* alert bands, descending: 90, 30, 7 */
	int return_warn_days;    /* "due soon" for returns: 1 */
	unsigned enter_roles;    /* roles that may enter unescorted (visitor never) */
	unsigned borrow_roles;   /* roles that may check out (visitor never) */
	unsigned approve_roles;  /* supervisor | admin */
	unsigned order_roles;    /* may order destruction: supervisor | admin */
	unsigned enrol_roles;    /* may enrol badges: admin | custodian */
	bool require_schedule;   /* true: no schedule configured -> entry refused */
};

/* Fill cfg with the defaults above. enter_roles defaults to custodian, staff,
 * technician; borrow_roles to custodian, staff, technician, supervisor, admin. */
void vault_policy_config_default(struct vault_policy_config *cfg);

/* ---- single rules (also used by the may_* functions) ------------------------ */

/* Expiry date of a certificate (its own, or issued + cert_years). Returns 0,
 * or -EINVAL if neither date is set. */
int vault_policy_cert_expiry(const struct vault_certificate *cert,
			     const struct vault_policy_config *cfg, struct vault_date *ret);
/* CERT_MISSING (NULL / no issue date), CERT_REVOKED, CERT_NOT_YET_VALID,
 * CERT_EXPIRED, or OK. */
enum vault_reason vault_policy_check_certificate(const struct vault_certificate *cert,
						 const struct vault_policy_config *cfg,
						 struct vault_date today);
/* TRAINING_MISSING, TRAINING_DATE_INVALID (after today), TRAINING_EXPIRED, or OK. */
enum vault_reason vault_policy_check_training(const struct vault_training *t,
					      const struct vault_policy_config *cfg,
					      struct vault_date today);
/* Person active, unit known and not suspended, certificate and training valid.
 * Order: PERSON_INACTIVE, UNIT_UNKNOWN, UNIT_SUSPENDED, CERT_*, TRAINING_*. */
enum vault_reason vault_policy_check_person(const struct vault_actor *a,
					    const struct vault_policy_config *cfg,
					    struct vault_date today);
/* SCHEDULE_MISSING (NULL schedule and cfg->require_schedule), SCHEDULE_HOLIDAY,
 * SCHEDULE_OUTSIDE, or OK. */
enum vault_reason vault_policy_check_schedule(const struct vault_schedule *s, enum vault_role role,
					      const struct vault_policy_config *cfg,
					      const struct vault_localtime *now);

/* ---- decisions ----------------------------------------------------------------- */

/*
 * Vault entry for `who` (after badge + PIN). A visitor needs `escort` (else
 * VISITOR_UNESCORTED): an active custodian other than the visitor who passes every
 * person rule (else ESCORT_INVALID or the escort's own refusal); the visitor must
 * be active and their unit (if any) not suspended, but holds no certificate, and
 * the schedule is the escort's. Anyone else: role in cfg->enter_roles
 * (ROLE_NOT_ALLOWED), vault_policy_check_person(), schedule. `escort` is ignored
 * for non-visitors. The two-person rule is the door's business.
 */
enum vault_reason vault_policy_may_enter(const struct vault_actor *who,
					 const struct vault_actor *escort,
					 const struct vault_schedule *schedule,
					 const struct vault_policy_config *cfg,
					 const struct vault_localtime *now);

struct vault_checkout_request {
	struct vault_actor who;
	const struct vault_approval *approval;  /* NULL -> APPROVAL_MISSING */
	const struct vault_medium *medium;
	const struct vault_project *project;    /* the approval's/medium's project, or NULL */
	int out_under_approval;                 /* media out under it now, excluding this one */
	int used_under_approval; /* distinct media ever checked out under it, excluding this one */
};

/*
 * Checkout of one medium at the kiosk. Person rules and role (borrow_roles), then
 * the approval (ACTIVE, within validity, for this person and unit, on-site
 * verification present when the unit is first-time or quantity > threshold,
 * covering the medium by id or dataset and project, max_out not reached, and this
 * medium within its quantity: the distinct media checked out under it over its
 * life, this one included, at most max(quantity, max_out)), then the
 * medium (not destroyed, in the vault, nav-map needs authority_ref, project not
 * closed or ended, not past its destruction deadline). On OK and if ret_due is
 * non-NULL, *ret_due = today + due_days, capped at valid_to and at the destruction
 * deadline.
 */
enum vault_reason vault_policy_may_check_out(const struct vault_checkout_request *rq,
					     const struct vault_policy_config *cfg,
					     const struct vault_localtime *now,
					     struct vault_date *ret_due);

/*
 * Return of a checked-out medium (RETURN_NOT_OUT otherwise). The borrower may
 * always return, whatever their certificate says, so that media come back. Anyone
 * else only if they are a custodian passing every person rule: OK with
 * *ret_received_by_custodian = true (to be recorded). Else RETURN_NOT_BORROWER.
 */
enum vault_reason vault_policy_may_return(const struct vault_actor *who,
					  const struct vault_medium *m,
					  const struct vault_policy_config *cfg,
					  const struct vault_localtime *now,
					  bool *ret_received_by_custodian);

struct vault_copy_request {
	struct vault_actor who;
	const struct vault_approval *approval;
	const struct vault_medium *const *parents;
	size_t n_parents;
	const struct vault_project *project;
	enum vault_classification requested; /* VAULT_CLASS_NONE = take the computed one */
	const char *home_shelf; /* the copy's */
	const char *tag_at;	/* where the copy's tag is read now ("" or NULL: nowhere) */
};

/*
 * Registration of a copy/scan/derivative. The person must be allowed to hold every
 * parent under the approval (the checkout rules except max_out; a parent may be
 * in the vault or checked out by this person under this approval). The copy's
 * classification is the highest of the parents'; a requested lower one is
 * COPY_CLASS_LOWERED, a higher one is kept. The registration is sensor-confirmed:
 * the copy's tag must be read on its home shelf (COPY_TAG_UNREAD), so a copy is
 * in the vault when it enters the register. On OK *ret_class is set.
 */
enum vault_reason vault_policy_may_copy(const struct vault_copy_request *rq,
					const struct vault_policy_config *cfg,
					const struct vault_localtime *now,
					enum vault_classification *ret_class);

/* Whether approval state `from` may move to `to` (requested->approved/revoked,
 * approved->active/revoked/expired, active->revoked/expired). */
bool vault_policy_approval_transition_valid(enum vault_approval_state from,
					    enum vault_approval_state to);
/* First-time unit, or quantity (or max_out) above cfg->onsite_threshold. */
bool vault_policy_onsite_required(const struct vault_approval *a, const struct vault_unit *unit,
				  const struct vault_policy_config *cfg);

/*
 * `approver` moves approval `a` to `to` (APPROVED, ACTIVE or REVOKED). Approver
 * active (PERSON_INACTIVE), role in approve_roles (ROLE_NOT_ALLOWED), not the
 * requester nor the person it is for (SELF_APPROVE), transition valid
 * (APPROVAL_TRANSITION); to APPROVED/ACTIVE: unit (of the approval) not suspended;
 * to ACTIVE: on-site verification if required (APPROVAL_ONSITE_REQUIRED); nav-map
 * scope is checked at checkout. `unit` may be NULL only for REVOKED.
 */
enum vault_reason vault_policy_may_approve(const struct vault_person *approver,
					   const struct vault_approval *a,
					   const struct vault_unit *unit,
					   enum vault_approval_state to,
					   const struct vault_policy_config *cfg);

/* `orderer` orders destruction per order `o` of medium `m`: active, role in
 * order_roles, not the requester (DESTROY_SELF_ORDER), medium not destroyed and in
 * the vault. */
/*
 * Recording an on-site verification: by an active approver (role in
 * cfg->approve_roles) who is neither the requester nor the person the approval
 * is for (SELF_APPROVE), of an approval still requested or approved
 * (APPROVAL_TRANSITION).
 */
enum vault_reason vault_policy_may_verify_onsite(const struct vault_person *verifier,
						 const struct vault_approval *a,
						 const struct vault_policy_config *cfg);

/* A UID-only (legacy) badge: never while the vault holds top-secret media
 * (LEGACY_TOP_SECRET); a UID proves nothing. */
enum vault_reason vault_policy_legacy_badge(bool vault_holds_top_secret);

enum vault_reason vault_policy_may_order_destruction(const struct vault_person *orderer,
						     const struct vault_destruction_order *o,
						     const struct vault_medium *m,
						     const struct vault_policy_config *cfg);

/* `w` witnesses order `o`: passes every person rule, is not a visitor, is neither
 * the orderer nor the requester (SELF_WITNESS), and is not `other` (the other
 * witness already badged, or NULL) (WITNESS_SAME_PERSON). */
enum vault_reason vault_policy_may_witness(const struct vault_actor *w,
					   const struct vault_destruction_order *o,
					   const struct vault_person *other,
					   const struct vault_policy_config *cfg,
					   const struct vault_localtime *now);

/* `op` enrols a badge for `subject`: never their own (SELF_ENROL), op active and
 * role in enrol_roles, subject active. */
enum vault_reason vault_policy_may_enrol_badge(const struct vault_person *op,
					       const struct vault_person *subject,
					       const struct vault_policy_config *cfg);

/* `op_id` records a certificate or training for `subject_id` (the record's
 * person, and on a change also its person before): never for themselves
 * (SELF_RECORD). */
enum vault_reason vault_policy_may_record_clearance(const char *op_id, const char *subject_id);

/* A medium's registry row changed from (WAS, CAT_WAS) to (NOW, CAT_NOW): a
 * classification is never lowered (CLASSIFICATION_LOWERED), navigation map
 * data stays nav-map (NAVMAP_CATEGORY_KEPT: it would escape the authority's
 * reference rule). */
enum vault_reason vault_policy_medium_change(enum vault_classification was,
					     enum vault_classification now, const char *cat_was,
					     const char *cat_now);

/* What else an update would change of a medium: the fields that say which
 * approvals may reach it (dataset, project) and which physical object it is
 * (tag). Strings are never NULL ("" = none). */
struct vault_medium_rescope {
	enum vault_medium_status status;
	const char *dataset_was, *dataset_now;
	const char *project_was, *project_now;
	const char *tag_was, *tag_now;
	const char *home_shelf;	   /* as it would be */
	const char *open_approval; /* an open approval whose scope names dataset_now */
	const char *old_tag_at;	   /* shelf tag_was is read on now */
	const char *new_tag_at;	   /* shelf tag_now is read on now */
};
/* A project, once set, stays (MEDIUM_PROJECT_KEPT: it binds the medium to
 * that project's approvals and its destruction deadline). A dataset or tag
 * changes only while the medium is in the vault (MEDIUM_NOT_IN_VAULT); a
 * dataset never into one an open approval names (MEDIUM_SCOPE_APPROVED: that
 * would widen an approval nobody approved for it). A re-tag only with the new
 * tag read on the medium's home shelf (RETAG_NEW_TAG_UNREAD) and the old one
 * read nowhere (RETAG_OLD_TAG_READ): the registry follows the object, and a
 * decoy carrying the old tag cannot stand in for it. */
enum vault_reason vault_policy_medium_rescope(const struct vault_medium_rescope *c);

/* ---- deadlines and alerts ------------------------------------------------------ */

/* project end + destruction_months, calendar months, month-end clamped.
 * Returns 0, or -EINVAL if end is unset. */
int vault_policy_destruction_deadline(struct vault_date project_end,
				      const struct vault_policy_config *cfg,
				      struct vault_date *ret);
/* Loan due date for a checkout on `today` (see vault_policy_may_check_out). */
int vault_policy_due_date(const struct vault_approval *a, const struct vault_project *p,
			  const struct vault_policy_config *cfg, struct vault_date today,
			  struct vault_date *ret);

enum vault_alert_level {
	VAULT_ALERT_NONE,
	VAULT_ALERT_SOON,  /* inside a warning band (band_days tells which) */
	VAULT_ALERT_PAST,  /* the last valid / due day has passed */
};

struct vault_alert {
	enum vault_alert_level level;
	int band_days;          /* SOON: the smallest band containing days_left (90, 30, 7) */
	int64_t days_left;      /* last day - today; negative when past */
	struct vault_date last; /* last valid day / due day / deadline */
};

/* Alert for a last valid day against warning bands (descending, 0 entries end the
 * list early). Returns 0 or -EINVAL. */
int vault_policy_alert(struct vault_date last, struct vault_date today, const int *bands,
		       size_t n_bands, struct vault_alert *ret);
/* Certificate expiry (bands cfg->warn_days). -EINVAL if the certificate has no dates. */
int vault_policy_cert_alert(const struct vault_certificate *cert,
			    const struct vault_policy_config *cfg, struct vault_date today,
			    struct vault_alert *ret);
/* Training due: last + training_max_days (bands cfg->warn_days). */
int vault_policy_training_alert(const struct vault_training *t,
				const struct vault_policy_config *cfg, struct vault_date today,
				struct vault_alert *ret);
/* Overdue return: PAST after the due day; SOON within return_warn_days. */
int vault_policy_return_alert(struct vault_date due, const struct vault_policy_config *cfg,
			      struct vault_date today, struct vault_alert *ret);
/* Destruction deadline of a project's media (bands cfg->warn_days). */
int vault_policy_destruction_alert(struct vault_date project_end,
				   const struct vault_policy_config *cfg, struct vault_date today,
				   struct vault_alert *ret);
#endif
