/* SPDX-License-Identifier: MIT */
/*
 * What the sensors last said, and who wants to hear it. Everything here runs on
 * the loop thread.
 *
 * Device modules (shelves.c, stations.c, door.c) store each physical signal as
 * a sensor event and then emit a struct vaultd_event to every listener
 * (custody, destruction, inventory, web). The world model kept here answers
 * "where was tag X last read, and by which sensor event", "what does shelf S
 * hold now (last known)", "who badged at the kiosk last".
 */
#ifndef VAULTD_EVENTS_H
#define VAULTD_EVENTS_H
#include <stddef.h>
#include <stdint.h>

#include "vault/reason.h"

struct vaultd;

enum vaultd_event_kind {
	VEV_TAG_ARRIVED = 1, /* source: shelf name; tag; sensor_id; initial */
	VEV_TAG_DEPARTED,    /* source: shelf name; tag; sensor_id */
	VEV_SHELF_ONLINE,    /* source: shelf name (first good read) */
	VEV_SHELF_FAULT,     /* source: shelf name; reason */
	VEV_SHELF_RECOVERED, /* source: shelf name */
	/* source: station ("kiosk", "shredder", "console"); badge; reason OK with
	 * person set (an active badge whose key was proved), or the refusal with
	 * person possibly "" */
	VEV_BADGE,
	VEV_BADGE_GONE, /* source: station; badge */
	VEV_GPIO,	/* line, level, sensor_id (every line edge but the keypad) */
	VEV_DAY,	/* the site-local date changed (and once at start) */
};

struct vaultd_event {
	enum vaultd_event_kind kind;
	const char *source;
	const char *tag;    /* upper-case hex */
	int initial;        /* VEV_TAG_ARRIVED from the first read of a shelf */
	const char *badge;  /* upper-case hex UID */
	const char *person; /* VEV_BADGE */
	enum vault_reason reason;
	/* VEV_BADGE: a refusal its flooded reader counted into a batch
	 * (flood.h): listeners ledger nothing more of it */
	int counted;
	int line, level; /* VEV_GPIO: enum vault_gpio_line, 0/1 */
	int64_t sensor_id; /* the stored sensor event, 0 if none */
	int64_t mono_us;
};

typedef void (*vaultd_listener_fn)(struct vaultd *d, const struct vaultd_event *ev, void *ud);

/* Returns 0 or -ENOSPC. Listeners are called in registration order. */
int vaultd_listen(struct vaultd *d, vaultd_listener_fn fn, void *ud);
void vaultd_unlisten(struct vaultd *d, vaultd_listener_fn fn, void *ud);
/* Update the world model, then call every listener. */
void vaultd_emit(struct vaultd *d, const struct vaultd_event *ev);

/* ---- the world model ------------------------------------------------------ */

#define VAULTD_PLACE_MAX 32

struct vaultd_tag_place {
	char tag[33];
	char where[VAULTD_PLACE_MAX]; /* shelf name; "" = departed from `last` */
	char last[VAULTD_PLACE_MAX];  /* the last shelf it was read on */
	int64_t sensor_id;	      /* the arrival (or departure) event */
	int64_t mono_us;
};

/* The last known place of a tag; NULL if never read since start. */
const struct vaultd_tag_place *vaultd_tag_where(const struct vaultd *d, const char *tag);
/* Calls fn for every tag whose `where` is `shelf` (NULL: every known tag). */
void vaultd_tags_each(const struct vaultd *d, const char *shelf,
		      void (*fn)(const struct vaultd_tag_place *p, void *ud), void *ud);

enum vaultd_shelf_state { VSHELF_UNKNOWN = 0, VSHELF_OK, VSHELF_FAULT };
struct vaultd_shelf {
	char name[VAULTD_PLACE_MAX];
	enum vaultd_shelf_state state;
	int64_t since_mono_us;
	uint64_t reads; /* VEV_SHELF_ONLINE/RECOVERED and tag events seen */
};
/* Every configured shelf (from [bus.*]), in configuration order. */
size_t vaultd_shelves(const struct vaultd *d, const struct vaultd_shelf **ret);
/* A storage shelf: named, and neither the kiosk pad nor the shredder throat. */
int vaultd_is_storage(const struct vaultd *d, const char *shelf);

/* The badge last presented at a station, if it is still there or left at
 * most `within_s` ago; NULL otherwise. */
struct vaultd_station_badge {
	char station[16];
	char badge[32];
	char person[129];
	enum vault_reason reason;
	int present;
	int64_t sensor_id;
	int64_t arrived_mono_us, left_mono_us;
};
const struct vaultd_station_badge *vaultd_station_badge(const struct vaultd *d,
							const char *station, int within_s);

/* Internal: shelves.c names every configured shelf at start. */
void vaultd_shelf_register(struct vaultd *d, const char *name);
/* Internal: set up and tear down (vaultd-main.c). */
int vaultd_events_init(struct vaultd *d);
void vaultd_events_free(struct vaultd *d);
#endif
