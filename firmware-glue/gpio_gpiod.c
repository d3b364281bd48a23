/* SPDX-License-Identifier: MIT */
/*
 * GPIO backend on libgpiod v1 (1.6.3, Raspberry Pi OS Bookworm). The only file
 * that includes <gpiod.h>; a v2 backend would be a sibling ops table.
 *
 * Lines are found by chip (label, name, path or number, via
 * gpiod_chip_open_lookup) plus offset or line name; with no chip, by name on any
 * chip (gpiod_line_find). Active-low is passed to the kernel as a request flag, so
 * values and edge types read here are already logical. Inputs are requested for
 * both edges; their event fds are gathered in one epoll set the daemon watches.
 * libgpiod reports -1/errno: converted to -errno right here.
 */
#include "vault/gpio.h"
#include "vault/util.h"

#include <errno.h>
#include <gpiod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

struct gst {
	int ep;
	struct gpiod_line *line[VAULT_GPIO__COUNT];
	/* Chips we opened, each closed once; closing a chip releases its lines. */
	struct gpiod_chip *chip[VAULT_GPIO__COUNT];
	char chip_descr[VAULT_GPIO__COUNT][VAULT_GPIO_CHIP_MAX];
	unsigned nchips;
};

static void g_close(void *st)
{
	struct gst *s = st;
	if (!s)
		return;
	for (unsigned i = 0; i < s->nchips; i++)
		gpiod_chip_close(s->chip[i]);
	if (s->ep >= 0)
		close(s->ep);
	free(s);
}

static int chip_get(struct gst *s, const char *descr, struct gpiod_chip **ret)
{
	for (unsigned i = 0; i < s->nchips; i++)
		if (s->chip_descr[i][0] && strcmp(s->chip_descr[i], descr) == 0) {
			*ret = s->chip[i];
			return 0;
		}
	errno = 0;
	struct gpiod_chip *c = gpiod_chip_open_lookup(descr);
	if (!c)
		return errno ? -errno : -ENODEV;
	snprintf(s->chip_descr[s->nchips], VAULT_GPIO_CHIP_MAX, "%s", descr);
	s->chip[s->nchips++] = c;
	*ret = c;
	return 0;
}

static int g_open(const struct vault_gpio_config *cfg, void **ret_st, char *err, size_t errlen)
{
	if (!err)
		errlen = 0;
	struct gst *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (s->ep < 0) {
		int e = -errno;
		free(s);
		return e;
	}
	const char *consumer = cfg->consumer[0] ? cfg->consumer : "vaultd";
	for (unsigned i = 0; i < VAULT_GPIO__COUNT; i++) {
		const struct vault_gpio_line_config *lc = &cfg->line[i];
		const char *role = vault_gpio_line_name((enum vault_gpio_line)i);
		struct gpiod_chip *chip = NULL;
		struct gpiod_line *line = NULL;
		int r;
		if (!lc->enabled)
			continue;
		if (lc->chip[0] == 0) {
			if (lc->offset >= 0 || lc->name[0] == 0) {
				r = -EINVAL;
				if (errlen)
					snprintf(err, errlen,
						 "gpio line %s: an offset needs a chip; "
						 "without a chip give a line name",
						 role);
				goto fail_r;
			}
			errno = 0;
			line = gpiod_line_find(lc->name);
			if (!line) {
				r = errno ? -errno : -ENOENT;
				if (errlen)
					snprintf(err, errlen,
						 "gpio line %s: no line named '%s' on any chip: %s",
						 role, lc->name, strerror(-r));
				goto fail_r;
			}
			/* gpiod_line_find opened the chip; we own it now. */
			s->chip_descr[s->nchips][0] = 0;
			s->chip[s->nchips++] = gpiod_line_get_chip(line);
		} else {
			r = chip_get(s, lc->chip, &chip);
			if (r < 0) {
				if (errlen)
					snprintf(err, errlen, "gpio line %s: cannot open chip '%s': %s",
						 role, lc->chip, strerror(-r));
				goto fail_r;
			}
			errno = 0;
			if (lc->offset >= 0)
				line = gpiod_chip_get_line(chip, (unsigned)lc->offset);
			else
				line = gpiod_chip_find_line(chip, lc->name);
			if (!line) {
				r = errno ? -errno : -ENOENT;
				if (errlen) {
					if (lc->offset >= 0)
						snprintf(err, errlen,
							 "gpio line %s: chip '%s' has no line %d: %s",
							 role, lc->chip, lc->offset, strerror(-r));
					else
						snprintf(err, errlen,
							 "gpio line %s: chip '%s' has no line named "
							 "'%s': %s",
							 role, lc->chip, lc->name, strerror(-r));
				}
				goto fail_r;
			}
		}
		int flags = lc->active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;
		if (lc->direction == VAULT_GPIO_OUT)
			r = gpiod_line_request_output_flags(line, consumer, flags, !!lc->initial);
		else
			r = gpiod_line_request_both_edges_events_flags(line, consumer, flags);
		if (r < 0) {
			r = -errno;
			if (errlen)
				snprintf(err, errlen, "gpio line %s: chip '%s' line '%s': request: %s",
					 role, lc->chip, lc->name, strerror(-r));
			goto fail_r;
		}
		s->line[i] = line;
		if (lc->direction == VAULT_GPIO_IN) {
			struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
			int fd = gpiod_line_event_get_fd(line);
			if (fd < 0 || epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
				r = fd < 0 ? -EIO : -errno;
				if (errlen)
					snprintf(err, errlen, "gpio line %s: event fd: %s", role,
						 strerror(-r));
				goto fail_r;
			}
		}
		continue;
	fail_r:
		g_close(s);
		return r;
	}
	*ret_st = s;
	return 0;
}

static int g_set(void *st, enum vault_gpio_line line, int level)
{
	struct gst *s = st;
	if ((unsigned)line >= VAULT_GPIO__COUNT || !s->line[line])
		return -ENODEV;
	if (gpiod_line_direction(s->line[line]) != GPIOD_LINE_DIRECTION_OUTPUT)
		return -EINVAL;
	if (gpiod_line_set_value(s->line[line], !!level) < 0)
		return -errno;
	return 0;
}

static int g_get(void *st, enum vault_gpio_line line, int *ret_level)
{
	struct gst *s = st;
	if ((unsigned)line >= VAULT_GPIO__COUNT || !s->line[line])
		return -ENODEV;
	int v = gpiod_line_get_value(s->line[line]);
	if (v < 0)
		return -errno;
	*ret_level = v;
	return 0;
}

static int g_event_fd(void *st)
{
	return ((struct gst *)st)->ep;
}

static int g_read_events(void *st, struct vault_gpio_raw_event *ev, size_t max)
{
	struct gst *s = st;
	struct epoll_event evs[8];
	size_t k = 0;
	int n = epoll_wait(s->ep, evs, VAULT_ARRAY_SIZE(evs), 0);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n && k < max; i++) {
		unsigned li = evs[i].data.u32;
		if (li >= VAULT_GPIO__COUNT || !s->line[li])
			continue;
		struct gpiod_line_event le[16];
		unsigned want = (unsigned)(max - k < 16 ? max - k : 16);
		int got = gpiod_line_event_read_fd_multiple(gpiod_line_event_get_fd(s->line[li]),
							    le, want);
		if (got < 0) {
			if (errno == EAGAIN)
				continue;
			return -errno;
		}
		/* Time of reading, not the kernel stamp: the stamp's clock changed
		 * between kernels (realtime before 5.7), and debounce only needs
		 * the gaps between batches. */
		int64_t now = vault_now_mono_us();
		for (int j = 0; j < got; j++) {
			ev[k].line = (enum vault_gpio_line)li;
			ev[k].level = le[j].event_type == GPIOD_LINE_EVENT_RISING_EDGE;
			ev[k].mono_us = now;
			k++;
		}
	}
	return (int)k;
}

const struct vault_gpio_ops vault_gpio_gpiod_ops = {
	.name = "gpiod",
	.open = g_open,
	.set = g_set,
	.get = g_get,
	.event_fd = g_event_fd,
	.read_events = g_read_events,
	.close = g_close,
};
