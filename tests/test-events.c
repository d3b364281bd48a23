/* SPDX-License-Identifier: MIT */
/*
 * The world model's tags (controller/events.c): where each tag was last read,
 * through 20000 tags on 40 shelves (the index grows many times on the way),
 * departures, a departure from elsewhere, tags never read, and listeners
 * seeing the model already updated.
 */
#include <stdio.h>
#include <string.h>

#include "../controller/events.h"
#include "../controller/vaultd.h"
#include "tap.h"

#define NTAGS 20000

static void tag_name(int i, char out[33])
{
	snprintf(out, 33, "E2%022d", i);
}

static void tag_ev(struct vaultd *d, enum vaultd_event_kind k, int i, const char *shelf)
{
	char t[33];
	tag_name(i, t);
	struct vaultd_event e = {.kind = k, .source = shelf, .tag = t};
	vaultd_emit(d, &e);
}

static int seen_where_ok, seen;
static void listener(struct vaultd *d, const struct vaultd_event *ev, void *ud)
{
	(void)ud;
	if (ev->kind != VEV_TAG_ARRIVED)
		return;
	const struct vaultd_tag_place *p = vaultd_tag_where(d, ev->tag);
	seen++;
	seen_where_ok += p && !strcmp(p->where, ev->source);
}

static void count_each(const struct vaultd_tag_place *p, void *ud)
{
	(void)p;
	(*(int *)ud)++;
}

int main(void)
{
	struct vaultd d = {0};
	if (!ok(vaultd_events_init(&d) == 0, "a world model"))
		return tap_done();
	ok(vaultd_listen(&d, listener, NULL) == 0, "a listener");
	char shelf[16], t[33];
	for (int i = 0; i < NTAGS; i++) {
		snprintf(shelf, sizeof shelf, "SH-%d", i % 40);
		tag_ev(&d, VEV_TAG_ARRIVED, i, shelf);
	}
	ok(seen == NTAGS && seen_where_ok == NTAGS,
	   "every arrival: the listener finds the tag where it was just read (%d of %d)",
	   seen_where_ok, NTAGS);
	int right = 0;
	for (int i = 0; i < NTAGS; i++) {
		tag_name(i, t);
		snprintf(shelf, sizeof shelf, "SH-%d", i % 40);
		const struct vaultd_tag_place *p = vaultd_tag_where(&d, t);
		right += p && !strcmp(p->tag, t) && !strcmp(p->where, shelf);
	}
	ok(right == NTAGS, "all %d tags are found on their shelves (%d)", NTAGS, right);
	tag_name(NTAGS, t);
	ok(!vaultd_tag_where(&d, t), "a tag never read is not found");
	ok(!vaultd_tag_where(&d, ""), "nor the empty tag");

	/* Moves: a tag read on another shelf, then its departure from the first. */
	tag_ev(&d, VEV_TAG_ARRIVED, 7, "SH-99");
	tag_ev(&d, VEV_TAG_DEPARTED, 7, "SH-7");
	tag_name(7, t);
	const struct vaultd_tag_place *p = vaultd_tag_where(&d, t);
	ok(p && !strcmp(p->where, "SH-99"), "a departure from elsewhere does not move a tag");
	tag_ev(&d, VEV_TAG_DEPARTED, 7, "SH-99");
	p = vaultd_tag_where(&d, t);
	ok(p && !p->where[0] && !strcmp(p->last, "SH-99"),
	   "its departure from where it is: nowhere, last read on SH-99");
	tag_ev(&d, VEV_TAG_ARRIVED, 7, "SH-7");
	p = vaultd_tag_where(&d, t);
	ok(p && !strcmp(p->where, "SH-7"), "read again: back on SH-7");

	int n = 0;
	vaultd_tags_each(&d, "SH-7", count_each, &n);
	ok(n == NTAGS / 40, "SH-7 holds %d tags (%d)", NTAGS / 40, n);
	n = 0;
	vaultd_tags_each(&d, NULL, count_each, &n);
	ok(n == NTAGS, "every tag once, none doubled by the moves (%d)", n);
	vaultd_events_free(&d);
	return tap_done();
}
