/* SPDX-License-Identifier: MIT */
/*
 * PIN lockout per badge, one table for every place a PIN is typed (the door's
 * keypad, the kiosk and console sign-ins): N wrong PINs in a row lock the badge
 * out for a time at all of them, so a badge locked at the door cannot go on
 * guessing at the kiosk. Lives in struct vaultd; used on the loop only. In
 * memory, rebuilt from the ledger at start (pinlock_restore): a restart of
 * vaultd does not end a lockout.
 */
#ifndef VAULTD_PINLOCK_H
#define VAULTD_PINLOCK_H
#include <stdint.h>

#define PINLOCK_MAX 64

struct pinlock_entry {
	char badge[32];
	int failures;
	int64_t until_us;     /* monotonic: locked until */
	int64_t verifying_us; /* monotonic: since when a PIN check is on the KDF thread */
};

struct pinlock {
	struct pinlock_entry v[PINLOCK_MAX];
};

/* The badge's entry; with `create`, a new one (evicting an idle one whose lock
 * ends first when full), else NULL if there is none. */
struct pinlock_entry *pinlock_of(struct pinlock *pl, const char *badge, int create);
/* 1 if the badge is locked out now; an expired lockout is forgotten. */
int pinlock_locked(struct pinlock *pl, const char *badge);
/* A PIN check's result: a wrong PIN counts, and the `after`-th in a row locks
 * the badge for `seconds` (returns 1 then); a right one clears the count. */
int pinlock_result(struct pinlock *pl, const char *badge, int right, int after, int seconds);
/* At start: the lockouts and wrong-PIN counts rebuilt from the ledger's PIN
 * refusals of the last 2 * `seconds` (door and stations), each lock ending
 * when it would have and never later than `seconds` from now. Returns 0, or
 * -EIO when the ledger could not be read (what was read is kept). */
struct sqlite3;
int pinlock_restore(struct pinlock *pl, struct sqlite3 *db, int seconds);
#endif
