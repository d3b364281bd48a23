/* SPDX-License-Identifier: MIT */
/* vaultd verifying its own ledger in the background (see integrity.c). */
#ifndef VAULTD_INTEGRITY_H
#define VAULTD_INTEGRITY_H
#include "vaultd.h"

struct integrity;

/* Arms the schedule ([ledger] verify_at_start_s, verify_every_h); starts no
 * thread yet. Returns 0 or -errno. */
int integrity_start(struct vaultd *d, struct integrity **ret);
/* Interrupts a run in progress and joins its thread; a result already posted
 * to the loop is dropped. Accepts NULL. Call before vault_loop_free. */
void integrity_free(struct integrity *x);
/* "ledger.verify": a run now (or right after the one in progress), answered
 * through admin_complete() when it is done. */
int integrity_action_known(const char *action);
vaultd_action_fn integrity_action;
#endif
