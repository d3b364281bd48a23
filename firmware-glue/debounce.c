/* SPDX-License-Identifier: MIT */
#include "vault/debounce.h"

void vault_debounce_init(struct vault_debounce *d, int level, int64_t window_us)
{
	d->stable = d->raw = !!level;
	d->deadline = 0;
	d->window_us = window_us > 0 ? window_us : 0;
}

int vault_debounce_edge(struct vault_debounce *d, int64_t t_us, int level, int *ret_level)
{
	d->raw = !!level;
	if (d->window_us == 0) {
		d->deadline = 0;
		if (d->raw == d->stable)
			return 0;
		d->stable = d->raw;
		*ret_level = d->stable;
		return 1;
	}
	/* Any edge, even one repeating the last level (an edge in between was
	 * lost), means the line is still moving: restart the window. */
	d->deadline = t_us + d->window_us;
	if (d->deadline == 0)
		d->deadline = 1;
	return 0;
}

int vault_debounce_poll(struct vault_debounce *d, int64_t now_us, int *ret_level)
{
	if (d->deadline == 0 || now_us < d->deadline)
		return 0;
	d->deadline = 0;
	if (d->raw == d->stable)
		return 0;
	d->stable = d->raw;
	*ret_level = d->stable;
	return 1;
}

int64_t vault_debounce_deadline(const struct vault_debounce *d)
{
	return d->deadline;
}
