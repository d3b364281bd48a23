/* SPDX-License-Identifier: MIT */
/* Test helper: run a vault loop in a thread and record badge events. */
#ifndef VAULT_TESTS_LIB_BADGEEVENTS_H
#define VAULT_TESTS_LIB_BADGEEVENTS_H
#include "vault/badge.h"

#define EVREC_MAX 256

struct evrec {
	struct vault_loop *loop;
	int n;
	struct vault_badge_event ev[EVREC_MAX];
};

/* Start the loop thread. Returns 0 or -errno. */
int evrec_start(struct evrec *r);
/* The vault_badge_event_cb to pass to vault_badge_reader_start (ud = the evrec). */
void evrec_cb(const struct vault_badge_event *ev, void *ud);
/* Wait up to timeout_ms for an event of `kind` at index >= from; returns its index
 * or -1. */
int evrec_wait(struct evrec *r, int from, enum vault_badge_event_kind kind, int timeout_ms);
/* Copy of event i (thread-safe). */
struct vault_badge_event evrec_get(struct evrec *r, int i);
int evrec_count(struct evrec *r);
/* Count events of kind in [from, count). */
int evrec_count_kind(struct evrec *r, int from, enum vault_badge_event_kind kind);
void evrec_stop(struct evrec *r);
#endif
