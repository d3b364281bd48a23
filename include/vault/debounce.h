/* SPDX-License-Identifier: MIT */
/*
 * Software debounce for one input (libgpiod 1.6 has none).
 *
 * A pure state machine over (time, raw level): every raw edge restarts the
 * window; once the raw level has been stable for the whole window and differs
 * from the last reported level, poll() reports one logical change. Bounces that
 * return to the reported level within the window report nothing. The caller arms
 * a timer at vault_debounce_deadline() and calls vault_debounce_poll() then, so
 * tests can drive it with made-up timestamps and never sleep.
 */
#ifndef VAULT_DEBOUNCE_H
#define VAULT_DEBOUNCE_H
#include <stdint.h>

struct vault_debounce {
	int stable;	  /* last reported logical level */
	int raw;	  /* last raw level seen */
	int64_t deadline; /* 0 = nothing pending */
	int64_t window_us;
};

void vault_debounce_init(struct vault_debounce *d, int level, int64_t window_us);
/* A raw edge at t_us (monotonic). With a zero window the change is reported at
 * once: returns 1 and sets *ret_level. Otherwise returns 0 and arms the deadline. */
int vault_debounce_edge(struct vault_debounce *d, int64_t t_us, int level, int *ret_level);
/* Returns 1 and sets *ret_level when, at now_us, the level has been stable for the
 * window and differs from the reported one; else 0. Clears an expired deadline. */
int vault_debounce_poll(struct vault_debounce *d, int64_t now_us, int *ret_level);
/* When poll() must next be called, or 0 if nothing is pending. */
int64_t vault_debounce_deadline(const struct vault_debounce *d);
#endif
