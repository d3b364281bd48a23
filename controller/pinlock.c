/* SPDX-License-Identifier: MIT */
#include "pinlock.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "vault/util.h"

struct pinlock_entry *pinlock_of(struct pinlock *pl, const char *badge, int create)
{
	struct pinlock_entry *free_slot = NULL, *oldest = NULL;
	for (int i = 0; i < PINLOCK_MAX; i++) {
		struct pinlock_entry *e = &pl->v[i];
		if (!strcmp(e->badge, badge))
			return e;
		if (!e->badge[0] && !free_slot)
			free_slot = e;
		if (e->badge[0] && !e->verifying_us && (!oldest || e->until_us < oldest->until_us))
			oldest = e;
	}
	if (!create)
		return NULL;
	if (!free_slot)
		free_slot = oldest ? oldest : &pl->v[0];
	memset(free_slot, 0, sizeof *free_slot);
	snprintf(free_slot->badge, sizeof free_slot->badge, "%s", badge);
	return free_slot;
}

int pinlock_locked(struct pinlock *pl, const char *badge)
{
	struct pinlock_entry *e = pinlock_of(pl, badge, 0);
	if (!e || !e->until_us)
		return 0;
	if (e->until_us > vault_now_mono_us())
		return 1;
	e->until_us = 0;
	e->failures = 0;
	return 0;
}

int pinlock_result(struct pinlock *pl, const char *badge, int right, int after, int seconds)
{
	struct pinlock_entry *e = pinlock_of(pl, badge, 1);
	if (right) {
		e->failures = 0;
		e->until_us = 0;
		return 0;
	}
	if (++e->failures < after)
		return 0;
	e->until_us = vault_now_mono_us() + (int64_t)seconds * 1000000;
	return 1;
}

/* A right PIN ledgered at `ts` for `badge`, or by `person` (at the door, which
 * ledgers no badge with it: their badges not locked then) clears the count. */
static void restore_right(struct pinlock *pl, char who[][64], const char *person,
			  const char *badge, int64_t ts)
{
	for (int i = 0; i < PINLOCK_MAX; i++) {
		struct pinlock_entry *e = &pl->v[i];
		if (!e->badge[0] || (badge ? strcmp(e->badge, badge) : strcmp(who[i], person)))
			continue;
		if (badge || e->until_us <= ts)
			e->failures = 0, e->until_us = 0;
	}
}

int pinlock_restore(struct pinlock *pl, sqlite3 *db, int seconds)
{
	/* Replayed in wall-clock time (ts_utc; until_us holds wall time until the
	 * end). Twice the lock time back, so that the start of any lock still
	 * running is seen: a PIN_LOCKED refusal while no lock is known starts
	 * one (a locked badge being presented again is refused the same way),
	 * and a wrong or right PIN proves a lock had ended. */
	const int64_t lock_us = (int64_t)seconds * 1000000;
	const int64_t now = vault_now_utc_us();
	char who[PINLOCK_MAX][64] = {{0}};
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db,
			       "SELECT ts_utc, kind, actors, ifnull(json_extract(payload,'$.code'),''),"
			       " ifnull(json_extract(payload,'$.badge'),''),"
			       " ifnull(json_extract(payload,'$.detail'),'') FROM ledger"
			       " WHERE ts_utc >= ? AND (kind IN ('entry.refused','entry.granted',"
			       "'entry.first','session.start') OR kind GLOB '*.login.refused')"
			       " ORDER BY seq",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, now - 2 * lock_us);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t ts = sqlite3_column_int64(st, 0);
		const char *kind = (const char *)sqlite3_column_text(st, 1);
		const char *actors = (const char *)sqlite3_column_text(st, 2);
		const char *code = (const char *)sqlite3_column_text(st, 3);
		const char *detail = (const char *)sqlite3_column_text(st, 5);
		char badge[32];
		snprintf(badge, sizeof badge, "%s", sqlite3_column_text(st, 4));
		if (!badge[0] && !strncmp(detail, "badge ", 6)) /* a station's: "badge B[: ...]" */
			snprintf(badge, sizeof badge, "%.*s", (int)strcspn(detail + 6, ": "),
				 detail + 6);
		if (!strcmp(kind, "entry.granted") || !strcmp(kind, "entry.first")) {
			char buf[256], *save = NULL;
			snprintf(buf, sizeof buf, "%s", actors);
			for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
				restore_right(pl, who, t, NULL, ts);
			continue;
		}
		if (!strcmp(kind, "session.start")) {
			restore_right(pl, who, NULL, badge, ts);
			continue;
		}
		int wrong = !strcmp(code, "PIN_WRONG");
		if (!badge[0] || (!wrong && strcmp(code, "PIN_LOCKED")))
			continue;
		struct pinlock_entry *e = pinlock_of(pl, badge, 1);
		snprintf(who[e - pl->v], sizeof who[0], "%s", actors);
		if (e->until_us && (e->until_us <= ts || wrong)) /* ended (a PIN was typed) */
			e->until_us = 0, e->failures = 0;
		if (wrong)
			e->failures++;
		else if (!e->until_us)
			e->until_us = ts + lock_us;
	}
	sqlite3_finalize(st);
	/* To the loop's monotonic clock: what is left of each lock, at most the
	 * lock time (a wall clock set back must not lengthen it). */
	const int64_t mono = vault_now_mono_us();
	for (int i = 0; i < PINLOCK_MAX; i++) {
		struct pinlock_entry *e = &pl->v[i];
		if (!e->badge[0])
			continue;
		if (e->until_us) {
			int64_t left = e->until_us - now;
			e->until_us = left > 0 ? mono + (left < lock_us ? left : lock_us) : 0;
			if (!e->until_us)
				e->failures = 0;
		}
		if (!e->until_us && !e->failures)
			memset(e, 0, sizeof *e);
	}
	return rc == SQLITE_DONE ? 0 : -EIO;
}
