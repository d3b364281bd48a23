/* SPDX-License-Identifier: MIT */
#include "pinlock.h"

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
