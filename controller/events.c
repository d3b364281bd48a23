/* SPDX-License-Identifier: MIT */
#include "events.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vault/util.h"
#include "vaultd.h"

#define MAX_LISTENERS 16
#define MAX_SHELVES (VAULT_CONFIG_MAX_BUSES * 32)
#define MAX_STATIONS 4

struct vaultd_world {
	struct {
		vaultd_listener_fn fn;
		void *ud;
	} l[MAX_LISTENERS];
	int nl;
	struct vaultd_tag_place *tags;
	size_t ntags, cap;
	/* An index over tags (every tag ever read stays; a shelf's first read
	 * brings hundreds at once): open addressing, slot = position + 1, 0 empty,
	 * a power of two at least twice ntags. */
	uint32_t *idx;
	size_t nidx;
	struct vaultd_shelf shelves[MAX_SHELVES];
	size_t nshelves;
	struct vaultd_station_badge st[MAX_STATIONS];
	int nst;
};

int vaultd_events_init(struct vaultd *d)
{
	d->world = calloc(1, sizeof *d->world);
	return d->world ? 0 : -ENOMEM;
}

void vaultd_events_free(struct vaultd *d)
{
	if (!d->world)
		return;
	free(d->world->tags);
	free(d->world->idx);
	free(d->world);
	d->world = NULL;
}

int vaultd_listen(struct vaultd *d, vaultd_listener_fn fn, void *ud)
{
	struct vaultd_world *w = d->world;
	if (w->nl == MAX_LISTENERS)
		return -ENOSPC;
	w->l[w->nl].fn = fn;
	w->l[w->nl++].ud = ud;
	return 0;
}

void vaultd_unlisten(struct vaultd *d, vaultd_listener_fn fn, void *ud)
{
	struct vaultd_world *w = d->world;
	if (!w)
		return;
	for (int i = 0; i < w->nl; i++)
		if (w->l[i].fn == fn && w->l[i].ud == ud) {
			memmove(&w->l[i], &w->l[i + 1], (size_t)(w->nl - i - 1) * sizeof w->l[0]);
			w->nl--;
			return;
		}
}

static size_t tag_hash(const char *tag) /* FNV-1a */
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)tag; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

/* The index slot of tag: where it is, or the empty slot where it would go. */
static size_t tag_slot(const struct vaultd_world *w, const char *tag)
{
	size_t i = tag_hash(tag) & (w->nidx - 1);
	while (w->idx[i] && strcmp(w->tags[w->idx[i] - 1].tag, tag))
		i = (i + 1) & (w->nidx - 1);
	return i;
}

static struct vaultd_tag_place *tag_find(const struct vaultd_world *w, const char *tag)
{
	if (!w->nidx)
		return NULL;
	uint32_t k = w->idx[tag_slot(w, tag)];
	return k ? &w->tags[k - 1] : NULL;
}

/* Room in the index for one more tag. 0 or -ENOMEM. */
static int idx_grow(struct vaultd_world *w)
{
	if (2 * (w->ntags + 1) <= w->nidx)
		return 0;
	size_t n = w->nidx ? 2 * w->nidx : 512;
	uint32_t *idx = calloc(n, sizeof *idx);
	if (!idx)
		return -ENOMEM;
	free(w->idx);
	w->idx = idx;
	w->nidx = n;
	for (size_t i = 0; i < w->ntags; i++)
		w->idx[tag_slot(w, w->tags[i].tag)] = (uint32_t)(i + 1);
	return 0;
}

static struct vaultd_tag_place *tag_get(struct vaultd_world *w, const char *tag)
{
	struct vaultd_tag_place *p = tag_find(w, tag);
	if (p)
		return p;
	if (w->ntags == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		void *n = realloc(w->tags, cap * sizeof *w->tags);
		if (!n)
			return NULL;
		w->tags = n;
		w->cap = cap;
	}
	if (idx_grow(w) < 0)
		return NULL;
	p = &w->tags[w->ntags];
	memset(p, 0, sizeof *p);
	snprintf(p->tag, sizeof p->tag, "%s", tag);
	w->idx[tag_slot(w, p->tag)] = (uint32_t)(++w->ntags);
	return p;
}

static struct vaultd_shelf *shelf_get(struct vaultd_world *w, const char *name)
{
	for (size_t i = 0; i < w->nshelves; i++)
		if (!strcmp(w->shelves[i].name, name))
			return &w->shelves[i];
	if (w->nshelves == MAX_SHELVES)
		return NULL;
	struct vaultd_shelf *s = &w->shelves[w->nshelves++];
	snprintf(s->name, sizeof s->name, "%s", name);
	return s;
}

void vaultd_shelf_register(struct vaultd *d, const char *name)
{
	shelf_get(d->world, name);
}

static struct vaultd_station_badge *station_get(struct vaultd_world *w, const char *station)
{
	for (int i = 0; i < w->nst; i++)
		if (!strcmp(w->st[i].station, station))
			return &w->st[i];
	if (w->nst == MAX_STATIONS)
		return NULL;
	struct vaultd_station_badge *s = &w->st[w->nst++];
	snprintf(s->station, sizeof s->station, "%s", station);
	return s;
}

static void update(struct vaultd_world *w, const struct vaultd_event *ev)
{
	struct vaultd_tag_place *p;
	struct vaultd_shelf *s;
	struct vaultd_station_badge *b;
	switch (ev->kind) {
	case VEV_TAG_ARRIVED:
	case VEV_TAG_DEPARTED:
		if ((s = shelf_get(w, ev->source))) {
			s->reads++;
			if (s->state == VSHELF_UNKNOWN)
				s->state = VSHELF_OK;
		}
		if (!(p = tag_get(w, ev->tag)))
			return;
		if (ev->kind == VEV_TAG_ARRIVED) {
			snprintf(p->where, sizeof p->where, "%s", ev->source);
			snprintf(p->last, sizeof p->last, "%s", ev->source);
		} else if (!strcmp(p->where, ev->source)) {
			/* A departure from elsewhere (it was seen arriving on
			 * another shelf first) does not move it. */
			p->where[0] = 0;
		} else {
			return;
		}
		p->sensor_id = ev->sensor_id;
		p->mono_us = ev->mono_us;
		break;
	case VEV_SHELF_ONLINE:
	case VEV_SHELF_RECOVERED:
	case VEV_SHELF_FAULT:
		if ((s = shelf_get(w, ev->source))) {
			s->state = ev->kind == VEV_SHELF_FAULT ? VSHELF_FAULT : VSHELF_OK;
			s->since_mono_us = ev->mono_us;
			s->reads++;
		}
		break;
	case VEV_BADGE:
		if ((b = station_get(w, ev->source))) {
			snprintf(b->badge, sizeof b->badge, "%s", ev->badge ? ev->badge : "");
			snprintf(b->person, sizeof b->person, "%s", ev->person ? ev->person : "");
			b->reason = ev->reason;
			b->present = 1;
			b->sensor_id = ev->sensor_id;
			b->arrived_mono_us = ev->mono_us;
			b->left_mono_us = 0;
		}
		break;
	case VEV_BADGE_GONE:
		if ((b = station_get(w, ev->source)) && b->present) {
			b->present = 0;
			b->left_mono_us = ev->mono_us;
		}
		break;
	default:
		break;
	}
}

void vaultd_emit(struct vaultd *d, const struct vaultd_event *ev0)
{
	struct vaultd_event ev = *ev0;
	if (!ev.mono_us)
		ev.mono_us = vault_now_mono_us();
	update(d->world, &ev);
	/* A listener may unlisten itself: walk a copy. */
	struct vaultd_world *w = d->world;
	int n = w->nl;
	vaultd_listener_fn fn[MAX_LISTENERS];
	void *ud[MAX_LISTENERS];
	for (int i = 0; i < n; i++) {
		fn[i] = w->l[i].fn;
		ud[i] = w->l[i].ud;
	}
	for (int i = 0; i < n; i++)
		fn[i](d, &ev, ud[i]);
}

const struct vaultd_tag_place *vaultd_tag_where(const struct vaultd *d, const char *tag)
{
	return tag_find(d->world, tag);
}

void vaultd_tags_each(const struct vaultd *d, const char *shelf,
		      void (*fn)(const struct vaultd_tag_place *p, void *ud), void *ud)
{
	const struct vaultd_world *w = d->world;
	for (size_t i = 0; i < w->ntags; i++)
		if (!shelf || !strcmp(w->tags[i].where, shelf))
			fn(&w->tags[i], ud);
}

int vaultd_is_storage(const struct vaultd *d, const char *shelf)
{
	return shelf && *shelf && strcmp(shelf, d->cfg.custody_pad) != 0 &&
	       strcmp(shelf, d->cfg.custody_throat) != 0;
}

size_t vaultd_shelves(const struct vaultd *d, const struct vaultd_shelf **ret)
{
	*ret = d->world->shelves;
	return d->world->nshelves;
}

const struct vaultd_station_badge *vaultd_station_badge(const struct vaultd *d,
							const char *station, int within_s)
{
	const struct vaultd_world *w = d->world;
	for (int i = 0; i < w->nst; i++) {
		const struct vaultd_station_badge *b = &w->st[i];
		if (strcmp(b->station, station) != 0 || !b->badge[0])
			continue;
		if (b->present)
			return b;
		if (vault_now_mono_us() - b->left_mono_us <= (int64_t)within_s * 1000000)
			return b;
		return NULL;
	}
	return NULL;
}
