/* SPDX-License-Identifier: MIT */
/*
 * Door contact supervision: two independent contacts on one door must agree.
 * If their (debounced, logical) levels differ for longer than the window, that is
 * a "contacts disagree" fault (a cut wire, a bridged contact, a magnet held to one
 * sensor). The fault clears as soon as they agree again. Pure state machine over
 * timestamps: arm a timer at vault_contacts_deadline() and call poll() then.
 */
#ifndef VAULT_CONTACTS_H
#define VAULT_CONTACTS_H
#include <stdint.h>

struct vault_contacts {
	int a, b;
	int fault;
	int disagree;
	int64_t since; /* when they started to disagree */
	int64_t window_us;
};

void vault_contacts_init(struct vault_contacts *c, int64_t window_us, int a, int b,
			 int64_t now_us);
/* New levels at now_us. Returns 1 and *ret_fault when the fault state changed. */
int vault_contacts_update(struct vault_contacts *c, int64_t now_us, int a, int b,
			  int *ret_fault);
/* Time passes. Returns 1 and *ret_fault (=1) when the disagreement has now lasted
 * the window. */
int vault_contacts_poll(struct vault_contacts *c, int64_t now_us, int *ret_fault);
/* When poll() must next be called, or 0. */
int64_t vault_contacts_deadline(const struct vault_contacts *c);
#endif
