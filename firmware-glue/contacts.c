/* SPDX-License-Identifier: MIT */
#include "vault/contacts.h"

void vault_contacts_init(struct vault_contacts *c, int64_t window_us, int a, int b,
			 int64_t now_us)
{
	c->a = !!a;
	c->b = !!b;
	c->fault = 0;
	c->window_us = window_us > 0 ? window_us : 0;
	c->disagree = c->a != c->b;
	c->since = now_us;
}

int vault_contacts_poll(struct vault_contacts *c, int64_t now_us, int *ret_fault)
{
	if (!c->disagree || c->fault || now_us - c->since < c->window_us)
		return 0;
	c->fault = 1;
	*ret_fault = 1;
	return 1;
}

int vault_contacts_update(struct vault_contacts *c, int64_t now_us, int a, int b,
			  int *ret_fault)
{
	c->a = !!a;
	c->b = !!b;
	if (c->a == c->b) {
		c->disagree = 0;
		if (c->fault) {
			c->fault = 0;
			*ret_fault = 0;
			return 1;
		}
		return 0;
	}
	/* Still disagreeing (e.g. one contact bounced back and forth while the other
	 * stayed): keep the original start so a flapping wire cannot defer the fault. */
	if (!c->disagree) {
		c->disagree = 1;
		c->since = now_us;
	}
	return vault_contacts_poll(c, now_us, ret_fault);
}

int64_t vault_contacts_deadline(const struct vault_contacts *c)
{
	if (!c->disagree || c->fault)
		return 0;
	int64_t t = c->since + c->window_us;
	return t ? t : 1;
}
