/* SPDX-License-Identifier: MIT */
/*
 * The event loop: one epoll set, timers, and a mailbox for worker threads.
 *
 * Everything except vault_loop_post() must be called on the loop's own thread.
 * Callbacks run on the loop thread, one at a time; they must not block.
 *
 * Worker threads (libnfc, libmodbus, PIN hashing, exports) never touch loop state:
 * they hand a heap message to vault_loop_post(), which queues it and signals an
 * eventfd; the loop then calls the message's callback on its own thread. The only
 * lock is the mailbox's own, held for a pointer swap.
 */
#ifndef VAULT_LOOP_H
#define VAULT_LOOP_H
#include <stdint.h>

struct vault_loop;

typedef void (*vault_fd_cb)(struct vault_loop *l, int fd, uint32_t events, void *ud);
typedef void (*vault_timer_cb)(struct vault_loop *l, uint64_t id, void *ud);
/* Runs on the loop thread; owns `msg` (free it). Also called with quitting=1 for
 * messages still queued when the loop is freed, so they can be released. */
typedef void (*vault_msg_cb)(struct vault_loop *l, void *msg, int quitting);

int vault_loop_new(struct vault_loop **ret);
/* Accepts NULL. Pending messages get their callback with quitting=1. */
void vault_loop_free(struct vault_loop *l);

/* Watch fd for epoll `events` (EPOLLIN...). Returns 0 or -errno. */
int vault_loop_add_fd(struct vault_loop *l, int fd, uint32_t events, vault_fd_cb cb, void *ud);
int vault_loop_mod_fd(struct vault_loop *l, int fd, uint32_t events);
int vault_loop_del_fd(struct vault_loop *l, int fd);

/* One-shot timer at an absolute CLOCK_MONOTONIC time in microseconds.
 * *ret_id (never 0) identifies it for cancellation. Returns 0 or -ENOMEM. */
int vault_loop_timer_at(struct vault_loop *l, int64_t mono_us, vault_timer_cb cb, void *ud,
			uint64_t *ret_id);
int vault_loop_timer_in(struct vault_loop *l, int64_t delay_us, vault_timer_cb cb, void *ud,
			uint64_t *ret_id);
/* Cancelling an id that already fired or is 0 is a no-op. */
void vault_loop_timer_cancel(struct vault_loop *l, uint64_t id);

/* Thread-safe. Queue msg for cb on the loop thread. Ownership of msg passes to the
 * loop on success (0); on failure (-errno) the caller keeps it. Never blocks on
 * the loop, only on the mailbox lock for a pointer swap. */
int vault_loop_post(struct vault_loop *l, vault_msg_cb cb, void *msg);

/* Called once per iteration before waiting (e.g. the watchdog, flag checks). */
void vault_loop_set_idle(struct vault_loop *l, void (*fn)(struct vault_loop *, void *),
			 void *ud);

/* Run until vault_loop_quit(). sigmask (may be NULL) is the mask in force while
 * waiting, so signals blocked elsewhere are delivered only inside epoll_pwait and
 * their handlers (which only set flags) are seen by the idle hook without a race.
 * Returns 0 or -errno from epoll. */
int vault_loop_run(struct vault_loop *l, const void *sigmask);
void vault_loop_quit(struct vault_loop *l);
#endif
