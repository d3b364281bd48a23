/* SPDX-License-Identifier: MIT */
/*
 * PIN lockout per badge, one table for every place a PIN is typed (the door's
 * keypad, the kiosk and console sign-ins): N wrong PINs in a row lock the badge
 * out for a time at all of them, so a badge locked at the door cannot go on
 * guessing at the kiosk. Lives in struct vaultd; used on the loop only. In
 * memory: a restart of vaultd forgets it (as a timed lockout expires).
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
#endif
