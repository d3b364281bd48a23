/* SPDX-License-Identifier: MIT */
/*
 * One worker thread for the slow PIN key derivations (argon2id), fed by a
 * queue with two priorities: checks at the door and kiosk first, then PIN
 * changes. One thread at the lowest CPU priority leaves the other core to the
 * event loop however many PIN changes are queued, and no thread is created per
 * PIN. Jobs run `work` on the KDF thread; `work` must hand its result to the
 * loop itself (vault_loop_post) and must not touch loop state.
 */
#ifndef VAULTD_KDF_H
#define VAULTD_KDF_H
struct kdf;
enum kdf_prio { KDF_URGENT, KDF_BACKGROUND };

int kdf_start(struct kdf **ret);
/* No background job (PIN change) starts for ms milliseconds, 0 to release: a
 * door check holds them from its submission until its decision is committed,
 * so that the hashing of PIN changes does not take the last free core while
 * the decision's commit waits on the disk. The deadline bounds the hold.
 * Urgent jobs are never held. */
void kdf_hold_background(struct kdf *k, unsigned ms);
/* Finishes the running job, drops queued ones (their `drop` is called on the
 * caller's thread), joins the thread. Accepts NULL. */
void kdf_stop(struct kdf *k);
/* Queue a job. Returns 0 or -ENOMEM (the caller keeps arg). */
int kdf_submit(struct kdf *k, enum kdf_prio prio, void (*work)(void *arg),
	       void (*drop)(void *arg), void *arg);
#endif
