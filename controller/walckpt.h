/* SPDX-License-Identifier: MIT */
/* WAL checkpoints in a thread of their own (see walckpt.c). */
#ifndef VAULTD_WALCKPT_H
#define VAULTD_WALCKPT_H
struct walckpt;
/* Opens its own connection to path. Returns 0 or -errno. */
int walckpt_start(const char *path, unsigned interval_ms, struct walckpt **ret);
/* Accepts NULL. Joins the thread. */
void walckpt_stop(struct walckpt *w);
#endif
