/* SPDX-License-Identifier: MIT */
/*
 * Loading registry rows into the policy module's plain structs
 * (vault/policy.h). Read-only; callable from any connection. Each returns 0,
 * -ENOENT (no such row) or -EIO; -EINVAL for a stored value that does not parse
 * (which verification would also report).
 */
#ifndef VAULT_REGLOAD_H
#define VAULT_REGLOAD_H
#include <sqlite3.h>

#include "vault/policy.h"

#define VAULT_SCOPE_MAX 64
#define VAULT_SCHEDULE_MAX 64  /* schedule windows */
#define VAULT_HOLIDAY_MAX 366  /* holidays loaded: the nearest from a given day on */

/* A person with their latest certificate and training and their unit. */
struct vault_actor_rec {
	struct vault_person person;
	struct vault_certificate cert;
	struct vault_training training;
	struct vault_unit unit;
	struct vault_actor actor; /* points into this struct; valid while it lives */
};

struct vault_approval_rec {
	struct vault_approval a;
	char scope[1024];
	const char *media[VAULT_SCOPE_MAX];
	const char *datasets[VAULT_SCOPE_MAX];
};

struct vault_schedule_rec {
	struct vault_schedule_window windows[VAULT_SCHEDULE_MAX];
	struct vault_holiday holidays[VAULT_HOLIDAY_MAX];
	struct vault_schedule s; /* points into this struct */
};

int vault_load_person(sqlite3 *db, const char *id, struct vault_person *ret);
int vault_load_actor(sqlite3 *db, const char *person_id, struct vault_actor_rec *ret);
int vault_load_unit(sqlite3 *db, const char *id, struct vault_unit *ret);
int vault_load_approval(sqlite3 *db, const char *id, struct vault_approval_rec *ret);
int vault_load_medium(sqlite3 *db, const char *id, struct vault_medium *ret);
int vault_load_medium_by_tag(sqlite3 *db, const char *tag, struct vault_medium *ret);
int vault_load_project(sqlite3 *db, const char *id, struct vault_project *ret);
/* The schedule windows, and the holidays from FROM on (the nearest
 * VAULT_HOLIDAY_MAX: past holidays pile up and are never needed). Returns 0,
 * -EINVAL (a malformed row), -E2BIG (more than VAULT_SCHEDULE_MAX windows) or
 * -EIO. */
int vault_load_schedule(sqlite3 *db, struct vault_date from, struct vault_schedule_rec *ret);
/* One schedule row: ROLE, DAYS ("1-5", "1,3,5"), START and END ("HH:MM", END
 * may be "24:00"; END before START: overnight), not equal. Returns 0 or -EINVAL. */
int vault_schedule_window_parse(const char *role, const char *days, const char *start,
				const char *end, struct vault_schedule_window *ret);
/* Media currently out (checked out or pending return) under approval `id`,
 * not counting `except` (may be NULL). Returns the count or -EIO. */
int vault_count_out(sqlite3 *db, const char *approval_id, const char *except);
/* Distinct media ever checked out under the approval (checkout.confirmed),
 * EXCEPT (may be NULL) not counted; or -EIO. */
int vault_count_used(sqlite3 *db, const char *approval_id, const char *except);
/* PERSON's PIN hash and duress hash (each VAULT_PIN_HASH_MAX bytes, "" when
 * unset). 0, or 1 if the person has no PIN (verifies as a wrong one), or -EIO:
 * the PIN could not be read, which is no wrong PIN (DB_ERROR, not counted
 * toward a lockout). */
int vault_load_pin(sqlite3 *db, const char *person, char *hash, char *dhash);
/* A policy config from vaultd's configuration values. */
void vault_policy_config_from(struct vault_policy_config *pc, int training_max_days,
			      int cert_years, int onsite_threshold, int destruction_months);
#endif
