/* SPDX-License-Identifier: MIT */
/*
 * Every rule of the directive, allowed and refused at its boundary. Each case
 * starts from a fixture that is allowed and changes one thing.
 */
#include "tap.h"
#include "vault/policy.h"
#include "vault/util.h"

#include <string.h>
#include <time.h>

static struct vault_policy_config cfg;

static struct vault_date D(const char *s)
{
	struct vault_date d = {0};
	if (vault_date_parse(s, &d) < 0) {
		printf("# bad test date %s\n", s);
		exit(1);
	}
	return d;
}

static int same(struct vault_date a, const char *s)
{
	char buf[VAULT_DATE_STRLEN];
	return vault_date_format(a, buf, sizeof buf) == 0 && !strcmp(buf, s);
}

/* Local time built directly (no zone needed): date and wall clock hh:mm. */
static struct vault_localtime at(const char *date, int hh, int mm)
{
	struct vault_localtime lt = {0};
	lt.date = D(date);
	lt.weekday = vault_date_weekday(lt.date);
	lt.minute_of_day = hh * 60 + mm;
	return lt;
}

#define EXPECT(expr, want, ...)                                                            \
	do {                                                                               \
		enum vault_reason got_ = (expr);                                           \
		if (!ok(got_ == (want), __VA_ARGS__))                                      \
			printf("#   got %s, want %s\n", vault_reason_id(got_),                 \
			       vault_reason_id(want));                                     \
	} while (0)

/* ---- fixtures -------------------------------------------------------------- */

static struct vault_unit u1, u2;
static struct vault_person alice, bob, carol, sam, ada, tom, vic;
static struct vault_certificate cert_ok;
static struct vault_training train_ok;

static struct vault_person mkperson(const char *id, enum vault_role role, const char *unit)
{
	struct vault_person p = {.role = role, .status = VAULT_PERSON_ACTIVE};
	snprintf(p.id, sizeof p.id, "%s", id);
	snprintf(p.name, sizeof p.name, "%s", id);
	snprintf(p.unit_id, sizeof p.unit_id, "%s", unit);
	return p;
}

static struct vault_actor actor(const struct vault_person *p)
{
	const struct vault_unit *u = NULL;
	if (!strcmp(p->unit_id, "U1"))
		u = &u1;
	else if (!strcmp(p->unit_id, "U2"))
		u = &u2;
	return (struct vault_actor){p, &cert_ok, &train_ok, u};
}

static void fixtures(void)
{
	vault_policy_config_default(&cfg);
	u1 = (struct vault_unit){.id = "U1", .status = VAULT_UNIT_ACTIVE};
	u2 = (struct vault_unit){.id = "U2", .status = VAULT_UNIT_ACTIVE};
	alice = mkperson("alice", VAULT_ROLE_STAFF, "U1");
	bob = mkperson("bob", VAULT_ROLE_STAFF, "U1");
	carol = mkperson("carol", VAULT_ROLE_CUSTODIAN, "");
	sam = mkperson("sam", VAULT_ROLE_SUPERVISOR, "");
	ada = mkperson("ada", VAULT_ROLE_ADMIN, "");
	tom = mkperson("tom", VAULT_ROLE_TECHNICIAN, "");
	vic = mkperson("vic", VAULT_ROLE_VISITOR, "U2");
	cert_ok = (struct vault_certificate){.number = "C-1", .issued = D("2024-01-10")};
	train_ok = (struct vault_training){.last = D("2026-06-01")};
}

/* Weekly windows: staff/technician weekdays 09:00-17:00, custodian weekdays
 * 08:00-18:00, technician also Saturday night 22:00-02:00. */
static const struct vault_schedule_window windows[] = {
	{VAULT_ROLE_STAFF, VAULT_WEEKDAYS_MON_FRI, 9 * 60, 17 * 60},
	{VAULT_ROLE_TECHNICIAN, VAULT_WEEKDAYS_MON_FRI, 9 * 60, 17 * 60},
	{VAULT_ROLE_CUSTODIAN, VAULT_WEEKDAYS_MON_FRI, 8 * 60, 18 * 60},
	{VAULT_ROLE_TECHNICIAN, 1u << 5 /* Saturday */, 22 * 60, 2 * 60},
	{VAULT_ROLE_SUPERVISOR, VAULT_WEEKDAYS_MON_FRI, 9 * 60, 17 * 60},
};
/* 2026-10-01 (Thursday) closed; 2026-10-02 (Friday) a holiday opened anyway. */
static const struct vault_holiday holidays[] = {
	{{2026, 10, 1}, false},
	{{2026, 10, 2}, true},
};
static const struct vault_schedule sched = {windows, VAULT_ARRAY_SIZE(windows), holidays,
					    VAULT_ARRAY_SIZE(holidays)};

/* ---- certificate and training ------------------------------------------------- */

static void test_certificate(void)
{
	struct vault_certificate c = {.number = "C-2", .issued = D("2021-11-25")};
	struct vault_date exp;
	ok(vault_policy_cert_expiry(&c, &cfg, &exp) == 0 && same(exp, "2026-11-25"),
	   "expiry defaults to issued + 5 years");
	EXPECT(vault_policy_check_certificate(&c, &cfg, D("2026-11-25")), VAULT_R_OK,
	       "issued exactly 5 years ago: still valid on the anniversary (expiry day)");
	EXPECT(vault_policy_check_certificate(&c, &cfg, D("2026-11-26")), VAULT_R_CERT_EXPIRED,
	       "issued 5 years and 1 day ago: refused");
	c.expires = D("2026-11-24");
	EXPECT(vault_policy_check_certificate(&c, &cfg, D("2026-11-25")), VAULT_R_CERT_EXPIRED,
	       "a certificate that expired yesterday is refused today");
	c.expires = D("2026-11-25");
	EXPECT(vault_policy_check_certificate(&c, &cfg, D("2026-11-25")), VAULT_R_OK,
	       "a certificate expiring today is valid today (explicit expiry)");
	c.revoked = true;
	EXPECT(vault_policy_check_certificate(&c, &cfg, D("2026-01-01")), VAULT_R_CERT_REVOKED,
	       "a revoked certificate is refused even within its validity");
	c = (struct vault_certificate){.issued = D("2026-11-26")};
	EXPECT(vault_policy_check_certificate(&c, &cfg, D("2026-11-25")), VAULT_R_CERT_NOT_YET_VALID,
	       "a certificate issued tomorrow is not yet valid");
	EXPECT(vault_policy_check_certificate(NULL, &cfg, D("2026-11-25")), VAULT_R_CERT_MISSING,
	       "no certificate: refused");
	c = (struct vault_certificate){.issued = D("2024-02-29")};
	ok(vault_policy_cert_expiry(&c, &cfg, &exp) == 0 && same(exp, "2029-02-28"),
	   "a certificate issued on Feb 29 expires on Feb 28 five years later");
	struct vault_policy_config c3 = cfg;
	c3.cert_years = 3;
	c = (struct vault_certificate){.issued = D("2023-11-25")};
	EXPECT(vault_policy_check_certificate(&c, &c3, D("2026-11-26")), VAULT_R_CERT_EXPIRED,
	       "cert_years is configurable (3 years)");
}

/* The expiry day ends at local midnight in the site zone, not at 00:00 UTC. */
static void test_certificate_midnight(void)
{
	struct vault_tz *tz = NULL;
	if (vault_tz_load(NULL, VAULT_TZ_DEFAULT, &tz) < 0) {
		tap_skip("no zoneinfo for %s: site-midnight certificate cases", VAULT_TZ_DEFAULT);
		return;
	}
	struct vault_certificate c = {.number = "C-3", .issued = D("2021-03-01"),
				      .expires = D("2026-02-28")};
	struct vault_actor a = actor(&alice);
	a.cert = &c;
	struct vault_policy_config nosched = cfg;
	nosched.require_schedule = false;
	struct vault_localtime lt;
	struct tm tm = {.tm_year = 126, .tm_mon = 1, .tm_mday = 28, .tm_hour = 15, .tm_min = 59,
			.tm_sec = 59};
	int64_t before = (int64_t)timegm(&tm) * 1000000; /* 2026-02-28T15:59:59Z */
	train_ok.last = D("2026-01-05");
	vault_tz_localtime(tz, before, &lt);
	EXPECT(vault_policy_may_enter(&a, NULL, NULL, &nosched, &lt), VAULT_R_OK,
	       "expiring 2026-02-28: entry allowed at 23:59:59 Shanghai (15:59:59Z)");
	vault_tz_localtime(tz, before + 1000000, &lt);
	EXPECT(vault_policy_may_enter(&a, NULL, NULL, &nosched, &lt), VAULT_R_CERT_EXPIRED,
	       "expiring 2026-02-28: refused at 00:00 Shanghai on 03-01 (16:00Z on 02-28)");
	tm.tm_hour = 23;
	vault_tz_localtime(tz, (int64_t)timegm(&tm) * 1000000, &lt);
	EXPECT(vault_policy_may_enter(&a, NULL, NULL, &nosched, &lt), VAULT_R_CERT_EXPIRED,
	       "at 2026-02-28T23:00Z (still Feb 28 in UTC) it is already refused");
	train_ok.last = D("2026-06-01");
	vault_tz_free(tz);
}

static void test_training(void)
{
	struct vault_training t = {.last = D("2025-11-25")};
	EXPECT(vault_policy_check_training(&t, &cfg, D("2026-11-25")), VAULT_R_OK,
	       "training 365 days ago: allowed");
	t.last = D("2025-11-24");
	EXPECT(vault_policy_check_training(&t, &cfg, D("2026-11-25")), VAULT_R_TRAINING_EXPIRED,
	       "training 366 days ago: refused");
	EXPECT(vault_policy_check_training(NULL, &cfg, D("2026-11-25")), VAULT_R_TRAINING_MISSING,
	       "new person without a training record: refused");
	t.last = (struct vault_date){0};
	EXPECT(vault_policy_check_training(&t, &cfg, D("2026-11-25")), VAULT_R_TRAINING_MISSING,
	       "a training record with no date: refused");
	t.last = D("2026-11-26");
	EXPECT(vault_policy_check_training(&t, &cfg, D("2026-11-25")), VAULT_R_TRAINING_DATE_INVALID,
	       "training dated tomorrow: refused as invalid");
	struct vault_policy_config c = cfg;
	c.training_max_days = 180;
	t.last = D("2026-05-28");
	EXPECT(vault_policy_check_training(&t, &c, D("2026-11-25")), VAULT_R_TRAINING_EXPIRED,
	       "training_max_days is configurable (181 days > 180)");
	/* Through may_enter, so the rule is wired in. */
	struct vault_actor a = actor(&alice);
	t.last = D("2025-11-24");
	a.training = &t;
	struct vault_localtime now = at("2026-11-25", 10, 0);
	EXPECT(vault_policy_may_enter(&a, NULL, &sched, &cfg, &now), VAULT_R_TRAINING_EXPIRED,
	       "may_enter refuses training 366 days old");
	t.last = D("2025-11-25");
	EXPECT(vault_policy_may_enter(&a, NULL, &sched, &cfg, &now), VAULT_R_OK,
	       "may_enter allows training 365 days old");
}

/* ---- entry ------------------------------------------------------------------- */

static void test_enter(void)
{
	struct vault_localtime wed10 = at("2026-11-25", 10, 0);
	struct vault_actor a = actor(&alice), c = actor(&carol), v = actor(&vic), s = actor(&sam),
			   t = actor(&tom);
	EXPECT(vault_policy_may_enter(&a, NULL, &sched, &cfg, &wed10), VAULT_R_OK,
	       "certified, trained staff within hours: entry allowed");
	EXPECT(vault_policy_may_enter(&c, NULL, &sched, &cfg, &wed10), VAULT_R_OK,
	       "custodian within hours: allowed");
	struct vault_certificate revoked = cert_ok;
	revoked.revoked = true;
	a.cert = &revoked;
	EXPECT(vault_policy_may_enter(&a, NULL, &sched, &cfg, &wed10), VAULT_R_CERT_REVOKED,
	       "revoked certificate: entry refused");
	a.cert = NULL;
	EXPECT(vault_policy_may_enter(&a, NULL, &sched, &cfg, &wed10), VAULT_R_CERT_MISSING,
	       "no certificate: entry refused");
	a = actor(&alice);

	/* Roles. */
	EXPECT(vault_policy_may_enter(&s, NULL, &sched, &cfg, &wed10), VAULT_R_ROLE_NOT_ALLOWED,
	       "supervisor not in enter_roles (default): refused");
	struct vault_policy_config c2 = cfg;
	c2.enter_roles |= VAULT_ROLE_BIT(VAULT_ROLE_SUPERVISOR);
	EXPECT(vault_policy_may_enter(&s, NULL, &sched, &c2, &wed10), VAULT_R_OK,
	       "supervisor allowed once configured");
	c2 = cfg;
	c2.enter_roles &= ~VAULT_ROLE_BIT(VAULT_ROLE_STAFF);
	EXPECT(vault_policy_may_enter(&a, NULL, &sched, &c2, &wed10), VAULT_R_ROLE_NOT_ALLOWED,
	       "staff refused when configured out of enter_roles");
	c2.enter_roles |= VAULT_ROLE_BIT(VAULT_ROLE_VISITOR);
	EXPECT(vault_policy_may_enter(&v, NULL, &sched, &c2, &wed10), VAULT_R_VISITOR_UNESCORTED,
	       "a visitor is refused alone even if configured into enter_roles");

	/* Visitors. */
	EXPECT(vault_policy_may_enter(&v, NULL, &sched, &cfg, &wed10), VAULT_R_VISITOR_UNESCORTED,
	       "visitor as the sole entrant: refused");
	EXPECT(vault_policy_may_enter(&v, &c, &sched, &cfg, &wed10), VAULT_R_OK,
	       "visitor escorted by a certified custodian: allowed");
	EXPECT(vault_policy_may_enter(&v, &a, &sched, &cfg, &wed10), VAULT_R_ESCORT_INVALID,
	       "visitor escorted by staff (not a custodian): refused");
	EXPECT(vault_policy_may_enter(&v, &v, &sched, &cfg, &wed10), VAULT_R_ESCORT_INVALID,
	       "visitor escorting themselves: refused");
	struct vault_certificate old = {.issued = D("2020-01-01")};
	c.cert = &old;
	EXPECT(vault_policy_may_enter(&v, &c, &sched, &cfg, &wed10), VAULT_R_CERT_EXPIRED,
	       "escort with an expired certificate: refused");
	c = actor(&carol);
	struct vault_localtime sat = at("2026-11-28", 10, 0);
	EXPECT(vault_policy_may_enter(&v, &c, &sched, &cfg, &sat), VAULT_R_SCHEDULE_OUTSIDE,
	       "escorted visitor outside the escort's hours: refused");

	/* Status and unit. */
	struct vault_person inactive = alice;
	inactive.status = VAULT_PERSON_INACTIVE;
	struct vault_actor ai = actor(&inactive);
	EXPECT(vault_policy_may_enter(&ai, NULL, &sched, &cfg, &wed10), VAULT_R_PERSON_INACTIVE,
	       "inactive person: refused");
	u1.status = VAULT_UNIT_SUSPENDED;
	EXPECT(vault_policy_may_enter(&a, NULL, &sched, &cfg, &wed10), VAULT_R_UNIT_SUSPENDED,
	       "staff of a suspended unit: refused");
	u1.status = VAULT_UNIT_ACTIVE;
	a.unit = NULL;
	EXPECT(vault_policy_may_enter(&a, NULL, &sched, &cfg, &wed10), VAULT_R_UNIT_UNKNOWN,
	       "person's unit record missing: refused");
	a.unit = &u2;
	EXPECT(vault_policy_may_enter(&a, NULL, &sched, &cfg, &wed10), VAULT_R_UNIT_UNKNOWN,
	       "a unit record that is not the person's: refused");
	a = actor(&alice);

	/* Schedule. */
	struct vault_localtime lt = at("2026-11-25", 8, 59);
	EXPECT(vault_policy_may_enter(&a, NULL, &sched, &cfg, &lt), VAULT_R_SCHEDULE_OUTSIDE,
	       "staff at 08:59 (window opens 09:00): refused");
	lt = at("2026-11-25", 9, 0);
	EXPECT(vault_policy_may_enter(&a, NULL, &sched, &cfg, &lt), VAULT_R_OK,
	       "staff at 09:00: allowed");
	lt = at("2026-11-25", 16, 59);
	EXPECT(vault_policy_may_enter(&a, NULL, &sched, &cfg, &lt), VAULT_R_OK,
	       "staff at 16:59: allowed");
	lt = at("2026-11-25", 17, 0);
	EXPECT(vault_policy_may_enter(&a, NULL, &sched, &cfg, &lt), VAULT_R_SCHEDULE_OUTSIDE,
	       "staff at 17:00 (window closes): refused");
	EXPECT(vault_policy_may_enter(&c, NULL, &sched, &cfg, &lt), VAULT_R_OK,
	       "custodian at 17:00 (own window to 18:00): allowed");
	EXPECT(vault_policy_may_enter(&a, NULL, &sched, &cfg, &sat), VAULT_R_SCHEDULE_OUTSIDE,
	       "staff on Saturday: refused");
	lt = at("2026-10-01", 10, 0);
	EXPECT(vault_policy_may_enter(&a, NULL, &sched, &cfg, &lt), VAULT_R_SCHEDULE_HOLIDAY,
	       "on a holiday (a Thursday, inside weekday hours): refused");
	EXPECT(vault_policy_may_enter(&c, NULL, &sched, &cfg, &lt), VAULT_R_SCHEDULE_HOLIDAY,
	       "custodian on a holiday: refused too");
	lt = at("2026-10-02", 10, 0);
	EXPECT(vault_policy_may_enter(&a, NULL, &sched, &cfg, &lt), VAULT_R_OK,
	       "on a holiday overridden as open: normal hours apply");
	lt = at("2026-11-28", 23, 0);
	EXPECT(vault_policy_may_enter(&t, NULL, &sched, &cfg, &lt), VAULT_R_OK,
	       "technician Saturday 23:00 in the overnight window: allowed");
	lt = at("2026-11-29", 1, 59);
	EXPECT(vault_policy_may_enter(&t, NULL, &sched, &cfg, &lt), VAULT_R_OK,
	       "technician Sunday 01:59 (overnight window from Saturday): allowed");
	lt = at("2026-11-29", 2, 0);
	EXPECT(vault_policy_may_enter(&t, NULL, &sched, &cfg, &lt), VAULT_R_SCHEDULE_OUTSIDE,
	       "technician Sunday 02:00 (overnight window ended): refused");
	lt = at("2026-11-27", 23, 0);
	EXPECT(vault_policy_may_enter(&t, NULL, &sched, &cfg, &lt), VAULT_R_SCHEDULE_OUTSIDE,
	       "technician Friday 23:00 (overnight window is Saturday's): refused");
	EXPECT(vault_policy_may_enter(&a, NULL, NULL, &cfg, &wed10), VAULT_R_SCHEDULE_MISSING,
	       "no schedule configured while required: refused");
	c2 = cfg;
	c2.require_schedule = false;
	EXPECT(vault_policy_may_enter(&a, NULL, NULL, &c2, &wed10), VAULT_R_OK,
	       "no schedule and none required: allowed");
}

/* ---- checkout ----------------------------------------------------------------- */

static const char *const scope_ids[] = {"M1", "M2", "NAV1"};
static const char *const scope_ds[] = {"DS-survey-2026"};
static struct vault_approval appr;
static struct vault_medium m1;
static struct vault_project p1;

static void checkout_fixtures(void)
{
	appr = (struct vault_approval){
		.id = "A1", .unit_id = "U1", .person_id = "alice", .requester_id = "alice",
		.approver_id = "sam", .project_id = "P1", .purpose = "survey update",
		.scope_media = scope_ids, .n_scope_media = VAULT_ARRAY_SIZE(scope_ids),
		.scope_datasets = scope_ds, .n_scope_datasets = VAULT_ARRAY_SIZE(scope_ds),
		.max_out = 2, .valid_from = D("2026-11-01"), .valid_to = D("2026-12-31"),
		.due_days = 14, .quantity = 3, .state = VAULT_APPROVAL_ACTIVE,
	};
	m1 = (struct vault_medium){.id = "M1", .tag = "04A1B2C3", .dataset = "DS-other",
				   .category = "disk", .classification = VAULT_CLASS_SECRET,
				   .status = VAULT_MEDIUM_IN_VAULT, .project_id = "P1"};
	p1 = (struct vault_project){.id = "P1", .start = D("2026-01-01"), .end = D("2027-03-31")};
}

static struct vault_checkout_request rq_for(const struct vault_medium *m, int out)
{
	return (struct vault_checkout_request){actor(&alice), &appr, m, &p1, out, 0};
}

static void test_checkout(void)
{
	checkout_fixtures();
	struct vault_localtime now = at("2026-11-25", 10, 0);
	struct vault_checkout_request rq = rq_for(&m1, 0);
	struct vault_date due = {0};
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, &due), VAULT_R_OK,
	       "medium listed in an active approval for this person and unit: allowed");
	ok(same(due, "2026-12-09"), "due date = today + 14-day loan period (2026-12-09)");
	struct vault_localtime late = at("2026-12-25", 10, 0);
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &late, &due), VAULT_R_OK,
	       "checkout near the end of validity: allowed");
	ok(same(due, "2026-12-31"), "due date capped at the approval's last valid day");

	/* max_out. */
	rq.out_under_approval = 1;
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_OK,
	       "max_out 2 with 1 out: allowed");
	rq.out_under_approval = 2;
	due = D("2000-01-01");
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, &due), VAULT_R_APPROVAL_MAX_OUT,
	       "max_out 2 with 2 out: refused");
	ok(same(due, "2000-01-01"), "the due date is untouched on refusal");
	rq.out_under_approval = 0;

	/* quantity (3): the distinct media checked out under it over its life. */
	rq.used_under_approval = 2;
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_OK,
	       "quantity 3 with 2 other media checked out before: allowed (the third)");
	rq.used_under_approval = 3;
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_APPROVAL_QUANTITY_USED,
	       "quantity 3 with 3 other media checked out before: refused (a fourth)");
	appr.quantity = 1; /* stored before quantity >= max_out was required */
	rq.used_under_approval = 1;
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_OK,
	       "an old approval with quantity 1 < max_out 2: max_out counts (the second)");
	rq.used_under_approval = 2;
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_APPROVAL_QUANTITY_USED,
	       "and not a third");
	appr.quantity = 3;
	rq.used_under_approval = -1;
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_BAD_REQUEST,
	       "a count that could not be made: refused");
	rq.used_under_approval = 0;

	/* Scope. */
	struct vault_medium m3 = m1, m4 = m1;
	snprintf(m3.id, sizeof m3.id, "M3");
	snprintf(m3.dataset, sizeof m3.dataset, "DS-survey-2026");
	snprintf(m4.id, sizeof m4.id, "M4");
	rq.medium = &m3;
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_OK,
	       "medium covered by the approval's dataset: allowed");
	rq.medium = &m4;
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_APPROVAL_SCOPE,
	       "medium neither listed nor in a listed dataset: refused");
	struct vault_medium mp = m1;
	snprintf(mp.project_id, sizeof mp.project_id, "P9");
	rq.medium = &mp;
	rq.project = NULL;
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_APPROVAL_SCOPE,
	       "medium of another project than the approval's: refused");
	rq = rq_for(&m1, 0);

	/* The approval itself. */
	rq.approval = NULL;
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_APPROVAL_MISSING,
	       "no approval: refused");
	rq.approval = &appr;
	appr.state = VAULT_APPROVAL_APPROVED;
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_APPROVAL_NOT_ACTIVE,
	       "approval approved but not active: refused");
	appr.state = VAULT_APPROVAL_REVOKED;
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_APPROVAL_NOT_ACTIVE,
	       "revoked approval: refused");
	appr.state = VAULT_APPROVAL_ACTIVE;
	struct vault_localtime t = at("2026-10-31", 10, 0);
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &t, NULL), VAULT_R_APPROVAL_NOT_YET_VALID,
	       "the day before valid_from: refused");
	t = at("2026-11-01", 10, 0);
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &t, NULL), VAULT_R_OK,
	       "on valid_from: allowed");
	t = at("2026-12-31", 23, 59);
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &t, NULL), VAULT_R_OK,
	       "on valid_to, 23:59 local: allowed");
	t = at("2027-01-01", 0, 0);
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &t, NULL), VAULT_R_APPROVAL_EXPIRED,
	       "the day after valid_to: refused");
	rq.who = actor(&bob);
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_APPROVAL_OTHER_PERSON,
	       "a colleague using someone else's approval: refused");
	struct vault_person alice2 = alice;
	snprintf(alice2.unit_id, sizeof alice2.unit_id, "U2");
	rq.who = actor(&alice2);
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_APPROVAL_OTHER_UNIT,
	       "approval for another unit than the person's: refused");
	rq = rq_for(&m1, 0);

	/* On-site verification. */
	u1.first_time = true;
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_APPROVAL_ONSITE_REQUIRED,
	       "first-time unit without an on-site verification: refused");
	appr.onsite_verified = true;
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_OK,
	       "first-time unit with the on-site verification recorded: allowed");
	u1.first_time = false;
	appr.onsite_verified = false;
	appr.quantity = cfg.onsite_threshold;
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_OK,
	       "quantity equal to the threshold (10): no on-site verification needed");
	appr.quantity = cfg.onsite_threshold + 1;
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_APPROVAL_ONSITE_REQUIRED,
	       "quantity above the threshold (11) without on-site verification: refused");
	appr.onsite_verified = true;
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_OK,
	       "quantity above the threshold with on-site verification: allowed");
	appr.onsite_verified = false;
	appr.quantity = 3;

	/* nav-map. */
	struct vault_medium nav = m1;
	snprintf(nav.id, sizeof nav.id, "NAV1");
	snprintf(nav.category, sizeof nav.category, "%s", VAULT_CATEGORY_NAVMAP);
	rq.medium = &nav;
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_NAVMAP_AUTHORITY_REQUIRED,
	       "nav-map medium on an approval without the authority's reference: refused");
	snprintf(appr.authority_ref, sizeof appr.authority_ref, "NASG-2026-0042");
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_OK,
	       "nav-map medium with the authority's reference: allowed");
	appr.authority_ref[0] = '\0';
	rq.medium = &m1;

	/* The medium's status. */
	m1.status = VAULT_MEDIUM_CHECKED_OUT;
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_MEDIUM_NOT_IN_VAULT,
	       "medium already checked out: refused");
	m1.status = VAULT_MEDIUM_PENDING_RETURN;
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_MEDIUM_NOT_IN_VAULT,
	       "medium pending return (not yet on its shelf): refused");
	m1.status = VAULT_MEDIUM_DESTROYED;
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_MEDIUM_DESTROYED,
	       "destroyed medium: refused");
	m1.status = VAULT_MEDIUM_IN_VAULT;

	/* Project end and destruction deadline (end 2026-05-31 -> 2026-11-30). */
	p1.end = D("2026-05-31");
	appr.valid_to = D("2027-06-30");
	t = at("2026-11-30", 10, 0);
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &t, NULL), VAULT_R_PROJECT_ENDED,
	       "project ended, on its destruction-deadline day: refused as project ended");
	t = at("2026-12-01", 10, 0);
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &t, NULL), VAULT_R_MEDIUM_PAST_DEADLINE,
	       "the day after the deadline: refused as past the destruction deadline");
	p1.end = D("2026-11-25");
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, &due), VAULT_R_OK,
	       "on the project's last day: allowed");
	ok(same(due, "2026-12-09"), "due date unaffected when the deadline is later (2027-05-25)");
	t = at("2026-11-26", 10, 0);
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &t, NULL), VAULT_R_PROJECT_ENDED,
	       "the day after the project's end: refused");
	p1.end = D("2027-03-31");
	appr.valid_to = D("2026-12-31");
	p1.closed = true;
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_PROJECT_CLOSED,
	       "closed project: refused");
	p1.closed = false;
	m1.destroy_by = D("2026-11-24");
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_MEDIUM_PAST_DEADLINE,
	       "medium's own destroy-by date passed (e.g. an inherited copy deadline): refused");
	m1.destroy_by = (struct vault_date){0};

	/* Person rules and roles. */
	u1.status = VAULT_UNIT_SUSPENDED;
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_UNIT_SUSPENDED,
	       "suspended unit: checkout refused");
	u1.status = VAULT_UNIT_ACTIVE;
	struct vault_certificate old = {.issued = D("2021-11-24")};
	rq.who.cert = &old;
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_CERT_EXPIRED,
	       "expired certificate: checkout refused");
	rq.who = actor(&vic);
	EXPECT(vault_policy_may_check_out(&rq, &cfg, &now, NULL), VAULT_R_ROLE_NOT_ALLOWED,
	       "visitor: checkout refused");
}

/* ---- return and copy ------------------------------------------------------------ */

static void test_return(void)
{
	checkout_fixtures();
	struct vault_localtime now = at("2026-11-25", 10, 0);
	m1.status = VAULT_MEDIUM_CHECKED_OUT;
	snprintf(m1.borrower_id, sizeof m1.borrower_id, "alice");
	snprintf(m1.approval_id, sizeof m1.approval_id, "A1");
	struct vault_actor a = actor(&alice), b = actor(&bob), c = actor(&carol), s = actor(&sam);
	bool by_custodian = true;
	EXPECT(vault_policy_may_return(&a, &m1, &cfg, &now, &by_custodian), VAULT_R_OK,
	       "the borrower returns: allowed");
	ok(!by_custodian, "a borrower's own return is not flagged as received by a custodian");
	struct vault_certificate old = {.issued = D("2020-01-01")};
	a.cert = &old;
	EXPECT(vault_policy_may_return(&a, &m1, &cfg, &now, NULL), VAULT_R_OK,
	       "the borrower may return even with an expired certificate (media come back)");
	by_custodian = false;
	EXPECT(vault_policy_may_return(&b, &m1, &cfg, &now, &by_custodian), VAULT_R_RETURN_NOT_BORROWER,
	       "a colleague returning the borrower's medium: refused (no lending)");
	ok(!by_custodian, "flag untouched on refusal");
	EXPECT(vault_policy_may_return(&s, &m1, &cfg, &now, NULL), VAULT_R_RETURN_NOT_BORROWER,
	       "a supervisor (not a custodian) returning it: refused");
	EXPECT(vault_policy_may_return(&c, &m1, &cfg, &now, &by_custodian), VAULT_R_OK,
	       "a custodian receiving on the borrower's behalf: allowed");
	ok(by_custodian, "... and flagged received_by_custodian");
	c.cert = &old;
	EXPECT(vault_policy_may_return(&c, &m1, &cfg, &now, NULL), VAULT_R_CERT_EXPIRED,
	       "a custodian with an expired certificate may not receive");
	m1.status = VAULT_MEDIUM_IN_VAULT;
	EXPECT(vault_policy_may_return(&b, &m1, &cfg, &now, NULL), VAULT_R_RETURN_NOT_OUT,
	       "returning a medium that is in the vault: refused");
}

static void test_copy(void)
{
	checkout_fixtures();
	struct vault_localtime now = at("2026-11-25", 10, 0);
	struct vault_medium ts = m1, s = m1;
	snprintf(ts.id, sizeof ts.id, "M2");
	ts.classification = VAULT_CLASS_TOP_SECRET;
	s.status = VAULT_MEDIUM_CHECKED_OUT; /* M1, held by alice under A1 */
	snprintf(s.borrower_id, sizeof s.borrower_id, "alice");
	snprintf(s.approval_id, sizeof s.approval_id, "A1");
	const struct vault_medium *parents[] = {&s, &ts};
	struct vault_copy_request rq = {actor(&alice), &appr, parents, 2, &p1, VAULT_CLASS_NONE,
					"SH-2", "SH-2"};
	enum vault_classification cls = VAULT_CLASS_NONE;
	EXPECT(vault_policy_may_copy(&rq, &cfg, &now, &cls), VAULT_R_OK,
	       "copy of a secret (held) and a top-secret (in vault) parent: allowed");
	ok(cls == VAULT_CLASS_TOP_SECRET, "the copy is top-secret (highest of the parents)");
	rq.requested = VAULT_CLASS_SECRET;
	cls = VAULT_CLASS_NONE;
	EXPECT(vault_policy_may_copy(&rq, &cfg, &now, &cls), VAULT_R_COPY_CLASS_LOWERED,
	       "requesting secret for that copy: refused (never lowered)");
	ok(cls == VAULT_CLASS_NONE, "classification output untouched on refusal");
	rq.requested = VAULT_CLASS_TOP_SECRET;
	EXPECT(vault_policy_may_copy(&rq, &cfg, &now, &cls), VAULT_R_OK,
	       "requesting top-secret: allowed");
	rq.n_parents = 1;
	rq.requested = VAULT_CLASS_TOP_SECRET;
	EXPECT(vault_policy_may_copy(&rq, &cfg, &now, &cls), VAULT_R_OK,
	       "a secret parent copied as top-secret (raising): allowed");
	ok(cls == VAULT_CLASS_TOP_SECRET, "the raised classification is kept");
	rq.requested = VAULT_CLASS_CONFIDENTIAL;
	EXPECT(vault_policy_may_copy(&rq, &cfg, &now, &cls), VAULT_R_COPY_CLASS_LOWERED,
	       "a secret parent copied as confidential: refused");
	rq.requested = VAULT_CLASS_NONE;
	snprintf(s.borrower_id, sizeof s.borrower_id, "bob");
	EXPECT(vault_policy_may_copy(&rq, &cfg, &now, &cls), VAULT_R_MEDIUM_NOT_IN_VAULT,
	       "copying a parent someone else has checked out: refused");
	snprintf(s.borrower_id, sizeof s.borrower_id, "alice");
	struct vault_medium outside = m1;
	snprintf(outside.id, sizeof outside.id, "M9");
	parents[0] = &outside;
	EXPECT(vault_policy_may_copy(&rq, &cfg, &now, &cls), VAULT_R_APPROVAL_SCOPE,
	       "copying a parent outside the approval's scope: refused");
	parents[0] = &s;
	rq.tag_at = "";
	cls = VAULT_CLASS_NONE;
	EXPECT(vault_policy_may_copy(&rq, &cfg, &now, &cls), VAULT_R_COPY_TAG_UNREAD,
	       "a copy whose tag no reader reads: refused");
	ok(cls == VAULT_CLASS_NONE, "and no classification is given out");
	rq.tag_at = NULL;
	EXPECT(vault_policy_may_copy(&rq, &cfg, &now, &cls), VAULT_R_COPY_TAG_UNREAD,
	       "no place given for the tag: refused");
	rq.tag_at = "SH-1";
	EXPECT(vault_policy_may_copy(&rq, &cfg, &now, &cls), VAULT_R_COPY_TAG_UNREAD,
	       "the copy's tag read on another shelf than its home: refused");
	rq.tag_at = "";
	rq.home_shelf = "";
	EXPECT(vault_policy_may_copy(&rq, &cfg, &now, &cls), VAULT_R_COPY_TAG_UNREAD,
	       "no home shelf and a tag read nowhere: refused (never equal by being empty)");
	rq.home_shelf = rq.tag_at = "SH-2";
	EXPECT(vault_policy_may_copy(&rq, &cfg, &now, &cls), VAULT_R_OK,
	       "the tag read on the home shelf: allowed");
	rq.n_parents = 0;
	EXPECT(vault_policy_may_copy(&rq, &cfg, &now, &cls), VAULT_R_COPY_NO_PARENT,
	       "a copy with no parent: refused");
}

/* ---- separation of duties -------------------------------------------------------- */

static void test_verify_onsite(void)
{
	checkout_fixtures();
	appr.state = VAULT_APPROVAL_APPROVED;
	EXPECT(vault_policy_may_verify_onsite(&sam, &appr, &cfg), VAULT_R_OK,
	       "a supervisor records the on-site verification of alice's approval: allowed");
	EXPECT(vault_policy_may_verify_onsite(&alice, &appr, &cfg), VAULT_R_ROLE_NOT_ALLOWED,
	       "the requester (staff) recording it: refused");
	struct vault_approval own = appr;
	snprintf(own.requester_id, sizeof own.requester_id, "sam");
	EXPECT(vault_policy_may_verify_onsite(&sam, &own, &cfg), VAULT_R_SELF_APPROVE,
	       "a supervisor verifying their own request on site: refused");
	own = appr;
	own.state = VAULT_APPROVAL_REVOKED;
	EXPECT(vault_policy_may_verify_onsite(&sam, &own, &cfg), VAULT_R_APPROVAL_TRANSITION,
	       "verifying a revoked approval: refused");
	EXPECT(vault_policy_legacy_badge(false), VAULT_R_OK,
	       "a UID-only badge without top-secret media held: allowed");
	EXPECT(vault_policy_legacy_badge(true), VAULT_R_LEGACY_TOP_SECRET,
	       "a UID-only badge while top-secret media are held: refused");
}

static void test_approve(void)
{
	checkout_fixtures();
	appr.state = VAULT_APPROVAL_REQUESTED;
	appr.approver_id[0] = '\0';
	EXPECT(vault_policy_may_approve(&sam, &appr, &u1, VAULT_APPROVAL_APPROVED, &cfg), VAULT_R_OK,
	       "supervisor approves alice's request: allowed");
	EXPECT(vault_policy_may_approve(&ada, &appr, &u1, VAULT_APPROVAL_APPROVED, &cfg), VAULT_R_OK,
	       "admin approves: allowed");
	EXPECT(vault_policy_may_approve(&bob, &appr, &u1, VAULT_APPROVAL_APPROVED, &cfg),
	       VAULT_R_ROLE_NOT_ALLOWED, "staff approving: refused");
	EXPECT(vault_policy_may_approve(&carol, &appr, &u1, VAULT_APPROVAL_APPROVED, &cfg),
	       VAULT_R_ROLE_NOT_ALLOWED, "custodian approving: refused (by default)");
	struct vault_approval own = appr;
	snprintf(own.requester_id, sizeof own.requester_id, "sam");
	EXPECT(vault_policy_may_approve(&sam, &own, &u1, VAULT_APPROVAL_APPROVED, &cfg),
	       VAULT_R_SELF_APPROVE, "supervisor approving their own request: refused");
	own = appr;
	snprintf(own.person_id, sizeof own.person_id, "sam");
	EXPECT(vault_policy_may_approve(&sam, &own, &u1, VAULT_APPROVAL_APPROVED, &cfg),
	       VAULT_R_SELF_APPROVE, "supervisor approving a request made for themselves: refused");
	EXPECT(vault_policy_may_approve(&sam, &own, &u1, VAULT_APPROVAL_REVOKED, &cfg),
	       VAULT_R_SELF_APPROVE, "... nor may they decide it the other way");
	struct vault_person gone = sam;
	gone.status = VAULT_PERSON_INACTIVE;
	EXPECT(vault_policy_may_approve(&gone, &appr, &u1, VAULT_APPROVAL_APPROVED, &cfg),
	       VAULT_R_PERSON_INACTIVE, "inactive supervisor: refused");
	EXPECT(vault_policy_may_approve(&sam, &appr, &u1, VAULT_APPROVAL_ACTIVE, &cfg),
	       VAULT_R_APPROVAL_TRANSITION, "requested -> active directly: refused");
	u1.status = VAULT_UNIT_SUSPENDED;
	EXPECT(vault_policy_may_approve(&sam, &appr, &u1, VAULT_APPROVAL_APPROVED, &cfg),
	       VAULT_R_UNIT_SUSPENDED, "approving for a suspended unit: refused");
	EXPECT(vault_policy_may_approve(&sam, &appr, &u1, VAULT_APPROVAL_REVOKED, &cfg), VAULT_R_OK,
	       "rejecting a suspended unit's request: allowed");
	u1.status = VAULT_UNIT_ACTIVE;

	appr.state = VAULT_APPROVAL_APPROVED;
	u1.first_time = true;
	EXPECT(vault_policy_may_approve(&sam, &appr, &u1, VAULT_APPROVAL_ACTIVE, &cfg),
	       VAULT_R_APPROVAL_ONSITE_REQUIRED,
	       "activating a first-time unit's approval without on-site verification: refused");
	ok(vault_policy_onsite_required(&appr, &u1, &cfg), "on-site verification required (first-time)");
	appr.onsite_verified = true;
	EXPECT(vault_policy_may_approve(&sam, &appr, &u1, VAULT_APPROVAL_ACTIVE, &cfg), VAULT_R_OK,
	       "activating after on-site verification: allowed");
	u1.first_time = false;
	appr.onsite_verified = false;
	ok(!vault_policy_onsite_required(&appr, &u1, &cfg),
	   "known unit, quantity 3: no on-site verification required");
	int max_out = appr.max_out;
	appr.max_out = cfg.onsite_threshold + 1;
	ok(vault_policy_onsite_required(&appr, &u1, &cfg),
	   "but max_out above the threshold (a request saying less in all): required");
	appr.max_out = max_out;
	EXPECT(vault_policy_may_approve(&sam, &appr, &u1, VAULT_APPROVAL_EXPIRED, &cfg),
	       VAULT_R_APPROVAL_TRANSITION, "a person may not expire an approval (the system does)");
	appr.state = VAULT_APPROVAL_REVOKED;
	EXPECT(vault_policy_may_approve(&sam, &appr, &u1, VAULT_APPROVAL_APPROVED, &cfg),
	       VAULT_R_APPROVAL_TRANSITION, "a revoked approval cannot be re-approved");
	ok(vault_policy_approval_transition_valid(VAULT_APPROVAL_ACTIVE, VAULT_APPROVAL_EXPIRED) &&
		   !vault_policy_approval_transition_valid(VAULT_APPROVAL_EXPIRED,
							   VAULT_APPROVAL_ACTIVE),
	   "active -> expired is valid; expired is final");
}

static void test_destruction(void)
{
	checkout_fixtures();
	struct vault_localtime now = at("2026-11-25", 10, 0);
	struct vault_destruction_order o = {.id = "D1", .medium_id = "M1", .requester_id = "carol",
					    .orderer_id = "sam"};
	EXPECT(vault_policy_may_order_destruction(&sam, &o, &m1, &cfg), VAULT_R_OK,
	       "supervisor orders destruction requested by the custodian: allowed");
	EXPECT(vault_policy_may_order_destruction(&carol, &o, &m1, &cfg), VAULT_R_ROLE_NOT_ALLOWED,
	       "custodian ordering destruction: refused");
	struct vault_destruction_order own = o;
	snprintf(own.requester_id, sizeof own.requester_id, "sam");
	EXPECT(vault_policy_may_order_destruction(&sam, &own, &m1, &cfg), VAULT_R_DESTROY_SELF_ORDER,
	       "ordering destruction one requested oneself: refused");
	m1.status = VAULT_MEDIUM_CHECKED_OUT;
	EXPECT(vault_policy_may_order_destruction(&sam, &o, &m1, &cfg), VAULT_R_MEDIUM_NOT_IN_VAULT,
	       "ordering destruction of a checked-out medium: refused");
	m1.status = VAULT_MEDIUM_DESTROYED;
	EXPECT(vault_policy_may_order_destruction(&sam, &o, &m1, &cfg), VAULT_R_MEDIUM_DESTROYED,
	       "ordering destruction of a destroyed medium: refused");
	m1.status = VAULT_MEDIUM_IN_VAULT;

	struct vault_actor wa = actor(&ada), wt = actor(&tom), wc = actor(&carol), ws = actor(&sam),
			   wv = actor(&vic);
	EXPECT(vault_policy_may_witness(&wa, &o, NULL, &cfg, &now), VAULT_R_OK,
	       "certified admin as first witness: allowed");
	EXPECT(vault_policy_may_witness(&wt, &o, &ada, &cfg, &now), VAULT_R_OK,
	       "certified technician as second, distinct witness: allowed");
	EXPECT(vault_policy_may_witness(&wa, &o, &ada, &cfg, &now), VAULT_R_WITNESS_SAME_PERSON,
	       "the same person badging as both witnesses: refused");
	EXPECT(vault_policy_may_witness(&ws, &o, NULL, &cfg, &now), VAULT_R_SELF_WITNESS,
	       "witness = orderer: refused");
	EXPECT(vault_policy_may_witness(&wc, &o, NULL, &cfg, &now), VAULT_R_SELF_WITNESS,
	       "witness = requester: refused");
	EXPECT(vault_policy_may_witness(&wv, &o, NULL, &cfg, &now), VAULT_R_ROLE_NOT_ALLOWED,
	       "visitor as witness: refused");
	struct vault_certificate old = {.issued = D("2021-11-24")};
	wt.cert = &old;
	EXPECT(vault_policy_may_witness(&wt, &o, &ada, &cfg, &now), VAULT_R_CERT_EXPIRED,
	       "witness with an expired certificate: refused");
}

static void test_registry_changes(void)
{
	EXPECT(vault_policy_may_record_clearance("SV1", "C1"), VAULT_R_OK,
	       "a supervisor records a custodian's certificate: allowed");
	EXPECT(vault_policy_may_record_clearance("SV1", "SV1"), VAULT_R_SELF_RECORD,
	       "their own: refused");
	EXPECT(vault_policy_may_record_clearance("SV1", ""), VAULT_R_BAD_REQUEST,
	       "nobody named: a bad request");
	EXPECT(vault_policy_medium_change(VAULT_CLASS_SECRET, VAULT_CLASS_TOP_SECRET, "survey",
					  "survey"),
	       VAULT_R_OK, "a classification raised: allowed");
	EXPECT(vault_policy_medium_change(VAULT_CLASS_SECRET, VAULT_CLASS_CONFIDENTIAL,
					  "survey", "survey"),
	       VAULT_R_CLASSIFICATION_LOWERED, "lowered: refused");
	EXPECT(vault_policy_medium_change(VAULT_CLASS_SECRET, VAULT_CLASS_SECRET, "nav-map",
					  "map"),
	       VAULT_R_NAVMAP_CATEGORY_KEPT, "nav-map recategorised: refused");
	EXPECT(vault_policy_medium_change(VAULT_CLASS_SECRET, VAULT_CLASS_SECRET, "map",
					  "nav-map"),
	       VAULT_R_OK, "a map made nav-map (stricter): allowed");

	struct vault_medium_rescope base = {
	    .status = VAULT_MEDIUM_IN_VAULT, .dataset_was = "coast", .dataset_now = "coast",
	    .project_was = "PR1", .project_now = "PR1", .tag_was = "E2A1", .tag_now = "E2A1",
	    .home_shelf = "SH-1", .open_approval = "", .old_tag_at = "SH-1", .new_tag_at = "SH-1"};
	struct vault_medium_rescope c = base;
	EXPECT(vault_policy_medium_rescope(&c), VAULT_R_OK, "nothing of scope or tag changed: allowed");
	c.status = VAULT_MEDIUM_CHECKED_OUT;
	EXPECT(vault_policy_medium_rescope(&c), VAULT_R_OK, "... even while checked out");
	c.dataset_now = "inland";
	EXPECT(vault_policy_medium_rescope(&c), VAULT_R_MEDIUM_NOT_IN_VAULT,
	       "a checked-out medium's dataset changed: refused");
	c.status = VAULT_MEDIUM_IN_VAULT;
	EXPECT(vault_policy_medium_rescope(&c), VAULT_R_OK, "in the vault, into a dataset no open "
							   "approval names: allowed");
	c.open_approval = "AP1";
	EXPECT(vault_policy_medium_rescope(&c), VAULT_R_MEDIUM_SCOPE_APPROVED,
	       "into a dataset an open approval names: refused");
	c = base;
	c.project_now = "PR2";
	EXPECT(vault_policy_medium_rescope(&c), VAULT_R_MEDIUM_PROJECT_KEPT, "project changed: refused");
	c.project_now = "";
	EXPECT(vault_policy_medium_rescope(&c), VAULT_R_MEDIUM_PROJECT_KEPT, "project cleared: refused");
	c.project_was = "";
	c.project_now = "PR2";
	EXPECT(vault_policy_medium_rescope(&c), VAULT_R_OK, "a project set where there was none: allowed");
	c = base;
	c.tag_now = "e2a1";
	EXPECT(vault_policy_medium_rescope(&c), VAULT_R_OK, "the same tag in another case: no re-tag");
	c.tag_now = "E2B2";
	c.new_tag_at = "SH-1";
	EXPECT(vault_policy_medium_rescope(&c), VAULT_R_RETAG_OLD_TAG_READ,
	       "re-tag with the old tag still read: refused");
	c.old_tag_at = "";
	c.new_tag_at = "";
	EXPECT(vault_policy_medium_rescope(&c), VAULT_R_RETAG_NEW_TAG_UNREAD,
	       "re-tag with the new tag read nowhere: refused");
	c.new_tag_at = "SH-2";
	EXPECT(vault_policy_medium_rescope(&c), VAULT_R_RETAG_NEW_TAG_UNREAD,
	       "re-tag with the new tag on another shelf than home: refused");
	c.new_tag_at = "SH-1";
	EXPECT(vault_policy_medium_rescope(&c), VAULT_R_OK,
	       "old tag gone, new tag on the home shelf: allowed");
	c.status = VAULT_MEDIUM_MISSING;
	EXPECT(vault_policy_medium_rescope(&c), VAULT_R_MEDIUM_NOT_IN_VAULT,
	       "a missing medium re-tagged (a decoy standing in): refused");
	c.tag_was = NULL;
	EXPECT(vault_policy_medium_rescope(&c), VAULT_R_BAD_REQUEST, "a missing field: bad request");
}

static void test_enrol(void)
{
	EXPECT(vault_policy_may_enrol_badge(&ada, &alice, &cfg), VAULT_R_OK,
	       "admin enrols staff's badge: allowed");
	EXPECT(vault_policy_may_enrol_badge(&carol, &alice, &cfg), VAULT_R_OK,
	       "custodian enrols staff's badge: allowed");
	EXPECT(vault_policy_may_enrol_badge(&ada, &ada, &cfg), VAULT_R_SELF_ENROL,
	       "admin enrolling their own badge: refused");
	EXPECT(vault_policy_may_enrol_badge(&carol, &carol, &cfg), VAULT_R_SELF_ENROL,
	       "custodian enrolling their own badge: refused");
	EXPECT(vault_policy_may_enrol_badge(&alice, &bob, &cfg), VAULT_R_ROLE_NOT_ALLOWED,
	       "staff enrolling a badge: refused");
	struct vault_person gone = bob;
	gone.status = VAULT_PERSON_INACTIVE;
	EXPECT(vault_policy_may_enrol_badge(&ada, &gone, &cfg), VAULT_R_PERSON_INACTIVE,
	       "enrolling a badge for an inactive person: refused");
}

/* ---- deadlines and alerts ---------------------------------------------------------- */

static void test_alerts(void)
{
	struct vault_date dl;
	ok(vault_policy_destruction_deadline(D("2026-05-31"), &cfg, &dl) == 0 && same(dl, "2026-11-30"),
	   "project end 2026-05-31 + 6 months = 2026-11-30 (clamped)");
	ok(vault_policy_destruction_deadline(D("2026-08-31"), &cfg, &dl) == 0 && same(dl, "2027-02-28"),
	   "project end 2026-08-31 + 6 months = 2027-02-28");
	ok(vault_policy_destruction_deadline((struct vault_date){0}, &cfg, &dl) < 0,
	   "no project end: no deadline");
	struct vault_alert a;
	ok(vault_policy_destruction_alert(D("2026-05-31"), &cfg, D("2026-11-30"), &a) == 0 &&
		   a.level == VAULT_ALERT_SOON && a.days_left == 0 && a.band_days == 7,
	   "on the deadline day itself: warning (7-day band), not yet past");
	ok(vault_policy_destruction_alert(D("2026-05-31"), &cfg, D("2026-12-01"), &a) == 0 &&
		   a.level == VAULT_ALERT_PAST && a.days_left == -1,
	   "the day after the deadline: past");
	ok(vault_policy_destruction_alert(D("2026-05-31"), &cfg, D("2026-09-01"), &a) == 0 &&
		   a.level == VAULT_ALERT_SOON && a.band_days == 90,
	   "90 days before the deadline: 90-day band");
	ok(vault_policy_destruction_alert(D("2026-05-31"), &cfg, D("2026-08-31"), &a) == 0 &&
		   a.level == VAULT_ALERT_NONE,
	   "91 days before the deadline: no alert");

	struct vault_certificate c = {.issued = D("2021-12-31")}; /* expires 2026-12-31 */
	struct {
		const char *today;
		enum vault_alert_level level;
		int band;
	} cases[] = {
		{"2026-10-01", VAULT_ALERT_NONE, 0}, /* 91 days */
		{"2026-10-02", VAULT_ALERT_SOON, 90},
		{"2026-12-01", VAULT_ALERT_SOON, 30},
		{"2026-11-30", VAULT_ALERT_SOON, 90}, /* 31 days */
		{"2026-12-24", VAULT_ALERT_SOON, 7},
		{"2026-12-23", VAULT_ALERT_SOON, 30}, /* 8 days */
		{"2026-12-31", VAULT_ALERT_SOON, 7},  /* expiry day */
		{"2027-01-01", VAULT_ALERT_PAST, 0},
	};
	for (size_t i = 0; i < VAULT_ARRAY_SIZE(cases); i++)
		ok(vault_policy_cert_alert(&c, &cfg, D(cases[i].today), &a) == 0 &&
			   a.level == cases[i].level && a.band_days == cases[i].band &&
			   same(a.last, "2026-12-31"),
		   "certificate expiring 2026-12-31, on %s: level %d band %d", cases[i].today,
		   (int)cases[i].level, cases[i].band);

	struct vault_training t = {.last = D("2025-12-01")}; /* due 2026-12-01 */
	ok(vault_policy_training_alert(&t, &cfg, D("2026-11-25"), &a) == 0 &&
		   a.level == VAULT_ALERT_SOON && a.band_days == 7 && same(a.last, "2026-12-01"),
	   "training due 2026-12-01 (last + 365), 6 days ahead: 7-day band");
	ok(vault_policy_training_alert(&t, &cfg, D("2026-12-02"), &a) == 0 &&
		   a.level == VAULT_ALERT_PAST,
	   "the day after training is due: past");

	ok(vault_policy_return_alert(D("2026-11-25"), &cfg, D("2026-11-25"), &a) == 0 &&
		   a.level == VAULT_ALERT_SOON,
	   "return due today: due soon, not overdue");
	ok(vault_policy_return_alert(D("2026-11-25"), &cfg, D("2026-11-26"), &a) == 0 &&
		   a.level == VAULT_ALERT_PAST && a.days_left == -1,
	   "return due yesterday: overdue by 1 day");
	ok(vault_policy_return_alert(D("2026-11-28"), &cfg, D("2026-11-25"), &a) == 0 &&
		   a.level == VAULT_ALERT_NONE,
	   "return due in 3 days: no alert");
}

static void test_names(void)
{
	int bad = 0;
	for (int i = 0; i < VAULT_ROLE__COUNT; i++) {
		enum vault_role r;
		if (vault_role_from_name(vault_role_name((enum vault_role)i), &r) || (int)r != i)
			bad++;
	}
	for (int i = 0; i < VAULT_MEDIUM__COUNT; i++) {
		enum vault_medium_status s;
		if (vault_medium_status_from_name(vault_medium_status_name((enum vault_medium_status)i),
						  &s) ||
		    (int)s != i)
			bad++;
	}
	for (int i = 0; i < VAULT_APPROVAL__COUNT; i++) {
		enum vault_approval_state s;
		if (vault_approval_state_from_name(
			    vault_approval_state_name((enum vault_approval_state)i), &s) ||
		    (int)s != i)
			bad++;
	}
	enum vault_classification c;
	ok(bad == 0 && vault_classification_from_name("top-secret", &c) == 0 &&
		   c == VAULT_CLASS_TOP_SECRET && !strcmp(vault_role_name(VAULT_ROLE_CUSTODIAN), "custodian"),
	   "role, status, state and classification names round-trip");
	ok(VAULT_CLASS_TOP_SECRET > VAULT_CLASS_SECRET && VAULT_CLASS_SECRET > VAULT_CLASS_CONFIDENTIAL,
	   "classifications are ordered");
	enum vault_role r = VAULT_ROLE_ADMIN;
	ok(vault_role_from_name("Custodian", &r) < 0 && r == VAULT_ROLE_ADMIN,
	   "unknown role name refused, output untouched");
}

int main(void)
{
	fixtures();
	test_certificate();
	test_certificate_midnight();
	test_training();
	test_enter();
	test_checkout();
	test_return();
	test_copy();
	test_approve();
	test_verify_onsite();
	test_destruction();
	test_enrol();
	test_registry_changes();
	test_alerts();
	test_names();
	return tap_done();
}
