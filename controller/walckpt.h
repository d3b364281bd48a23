/* SPDX-License-Identifier: MIT */
/* WAL checkpoints in a thread of their own (see walckpt.c). */
#ifndef VAULTD_WALCKPT_H
#define VAULTD_WALCKPT_H
struct walckpt;
/* Opens its own connection to path. Returns 0 or -errno. */
int walckpt_start(const char *path, unsigned interval_ms, struct walckpt **ret);
/* Hook the writer connection: turn its automatic checkpoints off and ask for a
 * checkpoint when its WAL passes `pages` pages (0: 1000). Call on the writer's
 * thread; detach (sqlite3_wal_hook(writer, NULL, NULL)) before walckpt_stop. */
#include <sqlite3.h>
void walckpt_attach(struct walckpt *w, sqlite3 *writer, int pages);
/* Start no checkpoint for the next `ms` milliseconds (0: release now). The door
 * holds checkpoints from a badge until its decision is committed, so the
 * decision's fdatasync never shares the disk with a checkpoint's writes and
 * fsync (a checkpoint already running when the badge is read ends long before
 * the PIN is typed). Accepts NULL. Any thread. */
void walckpt_hold(struct walckpt *w, unsigned ms);
/* On the writer's thread, where a commit that matters is about to be made (the
 * door, at the badge): if a complete checkpoint has left the WAL to restart at
 * the next commit, make that commit now (one frame, nothing changed). The
 * commit that restarts the WAL first writes and syncs its header, one more
 * fdatasync, and it should not be the door decision's. Returns 1 if it
 * committed, 0 if nothing was due, -EIO. Accepts NULL. */
int walckpt_prime(struct walckpt *w, sqlite3 *writer);
/* Accepts NULL. Joins the thread. */
void walckpt_stop(struct walckpt *w);
#endif
