/* SPDX-License-Identifier: MIT */
/*
 * A tag bus: one worker thread polls every shelf on the bus through a backend and
 * hands events to the loop with vault_loop_post(). The worker owns its copy of each
 * shelf's state; the loop owns another, updated only from posted messages. The only
 * shared things are the immutable config, atomic counters and the reference count.
 */
#include "vault/loop.h"
#include "vault/tagreader.h"
#include "vault/util.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define MAX_EVENTS (2 * VAULT_TAG_MAX_PER_SHELF + 4)

struct shelf_stats {
	atomic_uint_fast64_t polls, ok, table_reads, timeouts, bad_replies, map_version,
	    too_many_tags, bus_errors, exceptions, faults;
};

struct worker_shelf {
	enum vault_shelf_state state;
	bool have_seq; /* seq is the CHANGE_SEQ of tags[] */
	bool seen_ok;  /* answered at least once: later arrivals are not "initial" */
	uint16_t seq, health;
	unsigned ntags;
	struct vault_tag_entry tags[VAULT_TAG_MAX_PER_SHELF];
};

struct loop_shelf {
	enum vault_shelf_state state;
	unsigned ntags;
	struct vault_tag_entry tags[VAULT_TAG_MAX_PER_SHELF];
};

struct vault_tagbus {
	atomic_int refs;
	struct vault_tagbus_config cfg;
	const struct vault_tagreader_ops *ops;
	struct vault_loop *loop;
	vault_tagbus_event_cb cb;
	void *ud;
	pthread_t thread;
	bool thread_started;
	int stop_fd;
	atomic_bool stopping;
	bool closed; /* loop thread: freed by the owner, drop queued events */

	struct shelf_stats stats[VAULT_TAGBUS_MAX_SHELVES];
	atomic_int h_connected, h_rs485_req, h_rs485_active, h_rs485_errno, h_errno;

	struct worker_shelf w[VAULT_TAGBUS_MAX_SHELVES]; /* worker thread only */
	struct loop_shelf l[VAULT_TAGBUS_MAX_SHELVES];	 /* loop thread only */
};

struct bus_msg {
	struct vault_tagbus *bus;
	unsigned shelf;
	enum vault_shelf_state state;
	bool has_tags;
	unsigned ntags;
	struct vault_tag_entry tags[VAULT_TAG_MAX_PER_SHELF];
	unsigned nev;
	struct vault_tag_event ev[MAX_EVENTS];
};

void vault_tagbus_config_defaults(struct vault_tagbus_config *cfg)
{
	if (!cfg->baud)
		cfg->baud = 19200;
	if (!cfg->parity)
		cfg->parity = 'E';
	if (!cfg->data_bits)
		cfg->data_bits = 8;
	if (!cfg->stop_bits)
		cfg->stop_bits = 1;
	if (!cfg->port)
		cfg->port = 502;
	if (!cfg->response_timeout_ms)
		cfg->response_timeout_ms = 200;
	if (!cfg->poll_interval_ms)
		cfg->poll_interval_ms = 100;
	if (!cfg->reconnect_ms)
		cfg->reconnect_ms = 1000;
}

static void unref(struct vault_tagbus *bus)
{
	if (atomic_fetch_sub(&bus->refs, 1) != 1)
		return;
	if (bus->stop_fd >= 0)
		close(bus->stop_fd);
	free(bus);
}

/* ---- loop side ---- */

static void on_msg(struct vault_loop *l, void *p, int quitting)
{
	struct bus_msg *m = p;
	struct vault_tagbus *bus = m->bus;
	if (!quitting && !bus->closed) {
		struct loop_shelf *ls = &bus->l[m->shelf];
		ls->state = m->state;
		if (m->has_tags) {
			ls->ntags = m->ntags;
			memcpy(ls->tags, m->tags, m->ntags * sizeof m->tags[0]);
		}
		for (unsigned i = 0; i < m->nev && !bus->closed; i++) {
			m->ev[i].shelf_name = bus->cfg.shelves[m->shelf].name;
			if (bus->cb)
				bus->cb(bus, &m->ev[i], bus->ud);
		}
	}
	free(m);
	unref(bus);
}

int vault_tagbus_contents(const struct vault_tagbus *bus, unsigned shelf,
			  struct vault_tag_entry *out, size_t max,
			  enum vault_shelf_state *ret_state)
{
	if (!bus || shelf >= bus->cfg.nshelves)
		return -ENOENT;
	const struct loop_shelf *ls = &bus->l[shelf];
	size_t n = ls->ntags < max ? ls->ntags : max;
	if (n)
		memcpy(out, ls->tags, n * sizeof ls->tags[0]);
	if (ret_state)
		*ret_state = ls->state;
	return (int)ls->ntags;
}

int vault_tagbus_shelf_index(const struct vault_tagbus *bus, const char *name)
{
	for (unsigned i = 0; bus && i < bus->cfg.nshelves; i++)
		if (!strcmp(bus->cfg.shelves[i].name, name))
			return (int)i;
	return -ENOENT;
}

int vault_tagbus_stats(const struct vault_tagbus *bus, unsigned shelf,
		       struct vault_tagbus_stats *ret)
{
	if (!bus || shelf >= bus->cfg.nshelves)
		return -ENOENT;
	const struct shelf_stats *s = &bus->stats[shelf];
	*ret = (struct vault_tagbus_stats){
	    .polls = atomic_load(&s->polls),
	    .ok = atomic_load(&s->ok),
	    .table_reads = atomic_load(&s->table_reads),
	    .timeouts = atomic_load(&s->timeouts),
	    .bad_replies = atomic_load(&s->bad_replies),
	    .map_version = atomic_load(&s->map_version),
	    .too_many_tags = atomic_load(&s->too_many_tags),
	    .bus_errors = atomic_load(&s->bus_errors),
	    .exceptions = atomic_load(&s->exceptions),
	    .faults = atomic_load(&s->faults),
	};
	return 0;
}

int vault_tagbus_health(const struct vault_tagbus *bus, struct vault_tagreader_health *ret)
{
	if (!bus)
		return -EINVAL;
	*ret = (struct vault_tagreader_health){
	    .connected = atomic_load(&bus->h_connected),
	    .rs485_requested = atomic_load(&bus->h_rs485_req),
	    .rs485_active = atomic_load(&bus->h_rs485_active),
	    .rs485_errno = atomic_load(&bus->h_rs485_errno),
	    .last_errno = atomic_load(&bus->h_errno),
	};
	return 0;
}

/* ---- worker side ---- */

static struct bus_msg *msg_new(struct vault_tagbus *bus, unsigned shelf)
{
	struct bus_msg *m = calloc(1, sizeof *m);
	if (m) {
		m->bus = bus;
		m->shelf = shelf;
	}
	return m;
}

static struct vault_tag_event *add_ev(struct bus_msg *m, enum vault_tag_event_kind kind,
				      const struct vault_tagbus_config *cfg)
{
	if (m->nev >= MAX_EVENTS)
		return NULL; /* cannot happen: bounded by 2 tables + 4 */
	struct vault_tag_event *e = &m->ev[m->nev++];
	e->kind = kind;
	e->shelf = m->shelf;
	e->slave_id = cfg->shelves[m->shelf].slave_id;
	e->mono_us = vault_now_mono_us();
	return e;
}

static void post(struct vault_tagbus *bus, struct bus_msg *m)
{
	atomic_fetch_add(&bus->refs, 1);
	if (vault_loop_post(bus->loop, on_msg, m) < 0) {
		/* Out of memory in the mailbox: the worker's state already moved on; the
		 * next change resends full contents, so only these events are lost. */
		atomic_fetch_sub(&bus->refs, 1);
		free(m);
	}
}

static bool same_pair(const struct vault_tag_entry *a, const struct vault_tag_entry *b)
{
	return a->antenna == b->antenna && !memcmp(a->id, b->id, VAULT_TAG_ID_BYTES);
}

static bool contains(const struct vault_tag_entry *set, unsigned n,
		     const struct vault_tag_entry *t)
{
	for (unsigned i = 0; i < n; i++)
		if (same_pair(&set[i], t))
			return true;
	return false;
}

static void count_failure(struct shelf_stats *s, enum vault_reason why)
{
	switch (why) {
	case VAULT_R_SHELF_TIMEOUT:
		atomic_fetch_add(&s->timeouts, 1);
		break;
	case VAULT_R_SHELF_MAP_VERSION:
		atomic_fetch_add(&s->map_version, 1);
		break;
	case VAULT_R_SHELF_TOO_MANY_TAGS:
		atomic_fetch_add(&s->too_many_tags, 1);
		break;
	case VAULT_R_SHELF_BUS_ERROR:
		atomic_fetch_add(&s->bus_errors, 1);
		break;
	case VAULT_R_SHELF_EXCEPTION:
		atomic_fetch_add(&s->exceptions, 1);
		break;
	default:
		atomic_fetch_add(&s->bad_replies, 1);
		break;
	}
}

static void shelf_failed(struct vault_tagbus *bus, unsigned i, enum vault_reason why)
{
	struct worker_shelf *w = &bus->w[i];
	if (w->state == VAULT_SHELF_FAULT)
		return;
	w->state = VAULT_SHELF_FAULT;
	w->have_seq = false; /* re-read the whole table when it answers again */
	atomic_fetch_add(&bus->stats[i].faults, 1);
	struct bus_msg *m = msg_new(bus, i);
	if (!m)
		return;
	m->state = VAULT_SHELF_FAULT;
	struct vault_tag_event *e = add_ev(m, VAULT_TAGEV_FAULT, &bus->cfg);
	e->reason = why;
	post(bus, m);
}

static void shelf_answered(struct vault_tagbus *bus, unsigned i, int changed,
			   const struct vault_shelf_snapshot *snap)
{
	struct worker_shelf *w = &bus->w[i];
	struct bus_msg *m = msg_new(bus, i);
	if (!m)
		return; /* state unchanged: retried next sweep */
	enum vault_shelf_state was = w->state;
	m->state = VAULT_SHELF_OK;
	if (was == VAULT_SHELF_UNKNOWN)
		add_ev(m, VAULT_TAGEV_ONLINE, &bus->cfg)->health = snap->hdr.health;
	else if (was == VAULT_SHELF_FAULT)
		add_ev(m, VAULT_TAGEV_RECOVERED, &bus->cfg)->health = snap->hdr.health;
	else if (snap->hdr.health != w->health)
		add_ev(m, VAULT_TAGEV_HEALTH, &bus->cfg)->health = snap->hdr.health;
	if (changed) {
		atomic_fetch_add(&bus->stats[i].table_reads, 1);
		for (unsigned k = 0; k < w->ntags; k++)
			if (!contains(snap->tags, snap->ntags, &w->tags[k]))
				add_ev(m, VAULT_TAGEV_DEPARTED, &bus->cfg)->tag = w->tags[k];
		for (unsigned k = 0; k < snap->ntags; k++)
			if (!contains(w->tags, w->ntags, &snap->tags[k])) {
				struct vault_tag_event *e =
				    add_ev(m, VAULT_TAGEV_ARRIVED, &bus->cfg);
				e->tag = snap->tags[k];
				e->initial = !w->seen_ok;
			}
		w->ntags = snap->ntags;
		memcpy(w->tags, snap->tags, snap->ntags * sizeof snap->tags[0]);
		m->has_tags = true;
		m->ntags = w->ntags;
		memcpy(m->tags, w->tags, w->ntags * sizeof w->tags[0]);
		w->have_seq = true;
		w->seq = snap->hdr.seq;
	}
	w->state = VAULT_SHELF_OK;
	w->health = snap->hdr.health;
	w->seen_ok = true;
	if (m->nev || m->has_tags)
		post(bus, m);
	else
		free(m);
}

static void publish_health(struct vault_tagbus *bus, void *h)
{
	struct vault_tagreader_health hl = {0};
	if (h && bus->ops->health && bus->ops->health(h, &hl) < 0)
		return;
	atomic_store(&bus->h_connected, hl.connected);
	atomic_store(&bus->h_rs485_req, hl.rs485_requested);
	atomic_store(&bus->h_rs485_active, hl.rs485_active);
	atomic_store(&bus->h_rs485_errno, hl.rs485_errno);
	if (hl.last_errno)
		atomic_store(&bus->h_errno, hl.last_errno);
}

/* Sleep up to ms, waking at once when the bus is being freed. */
static void nap(struct vault_tagbus *bus, unsigned ms)
{
	struct pollfd p = {.fd = bus->stop_fd, .events = POLLIN};
	if (!atomic_load(&bus->stopping))
		poll(&p, 1, (int)ms);
}

static void *worker(void *arg)
{
	struct vault_tagbus *bus = arg;
	const struct vault_tagbus_config *cfg = &bus->cfg;
	void *h = NULL;
	static struct vault_shelf_snapshot snap_zero;
	struct vault_shelf_snapshot *snap = malloc(sizeof *snap);
	if (!snap)
		return NULL;
	*snap = snap_zero;

	while (!atomic_load(&bus->stopping)) {
		if (!h) {
			enum vault_reason why = VAULT_R_SHELF_BUS_ERROR;
			int r = bus->ops->open ? bus->ops->open(cfg, &h, &why) : -EOPNOTSUPP;
			if (r < 0) {
				h = NULL;
				atomic_store(&bus->h_errno, -r);
				atomic_store(&bus->h_connected, 0);
				for (unsigned i = 0; i < cfg->nshelves; i++) {
					atomic_fetch_add(&bus->stats[i].bus_errors, 1);
					shelf_failed(bus, i, VAULT_R_SHELF_BUS_ERROR);
				}
				nap(bus, cfg->reconnect_ms);
				continue;
			}
			publish_health(bus, h);
		}
		bool bus_gone = false;
		for (unsigned i = 0;
		     i < cfg->nshelves && !bus_gone && !atomic_load(&bus->stopping); i++) {
			struct worker_shelf *w = &bus->w[i];
			/* A shelf already in fault gets one attempt per sweep, so a dead
			 * shelf costs the others one timeout, not retries + 1. */
			unsigned attempts =
			    w->state == VAULT_SHELF_FAULT ? 1 : cfg->retries + 1;
			enum vault_reason why = VAULT_R_SHELF_BAD_REPLY;
			int r = -EOPNOTSUPP;
			for (unsigned a = 0; a < attempts && !atomic_load(&bus->stopping);
			     a++) {
				atomic_fetch_add(&bus->stats[i].polls, 1);
				why = VAULT_R_SHELF_BAD_REPLY;
				r = bus->ops->poll
					? bus->ops->poll(h, cfg->shelves[i].slave_id,
							 w->have_seq, w->seq, snap, &why)
					: -EOPNOTSUPP;
				if (r >= 0 || r == -EAGAIN)
					break;
				count_failure(&bus->stats[i], why);
				if (why == VAULT_R_SHELF_BUS_ERROR)
					break;
			}
			if (r >= 0) {
				atomic_fetch_add(&bus->stats[i].ok, 1);
				shelf_answered(bus, i, r == 1, snap);
			} else if (r != -EAGAIN && !atomic_load(&bus->stopping)) {
				shelf_failed(bus, i, why);
				bus_gone = why == VAULT_R_SHELF_BUS_ERROR;
			}
		}
		publish_health(bus, h);
		if (bus_gone) {
			/* Reopen before the next sweep: a TCP peer restarted, a USB serial
			 * adapter re-enumerated. */
			if (bus->ops->close)
				bus->ops->close(h);
			h = NULL;
			atomic_store(&bus->h_connected, 0);
			nap(bus, cfg->reconnect_ms);
			continue;
		}
		nap(bus, cfg->poll_interval_ms);
	}
	if (h && bus->ops->close)
		bus->ops->close(h);
	free(snap);
	return NULL;
}

static int validate(const struct vault_tagbus_config *c)
{
	if (c->nshelves < 1 || c->nshelves > VAULT_TAGBUS_MAX_SHELVES)
		return -EINVAL;
	switch (c->kind) {
	case VAULT_TAGBUS_RTU:
		if (!c->device[0] || !memchr(c->device, 0, sizeof c->device) || c->baud <= 0 ||
		    !strchr("NEO", c->parity) || c->parity == 0 || c->data_bits < 5 ||
		    c->data_bits > 8 || c->stop_bits < 1 || c->stop_bits > 2)
			return -EINVAL;
		break;
	case VAULT_TAGBUS_TCP:
		if (!c->host[0] || !memchr(c->host, 0, sizeof c->host) || c->port < 1 ||
		    c->port > 65535)
			return -EINVAL;
		break;
	case VAULT_TAGBUS_SIM:
		if (!c->sim)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (c->response_timeout_ms < 1 || c->response_timeout_ms > 60000 ||
	    c->byte_timeout_ms > 60000 || c->retries > 10 || c->poll_interval_ms > 3600000 ||
	    c->reconnect_ms < 1 || c->reconnect_ms > 3600000)
		return -EINVAL;
	for (unsigned i = 0; i < c->nshelves; i++) {
		int id = c->shelves[i].slave_id;
		/* RTU: 0 is broadcast (no reply); libmodbus accepts 1..247 (TCP also 255). */
		bool id_ok = c->kind == VAULT_TAGBUS_RTU   ? id >= 1 && id <= 247
			     : c->kind == VAULT_TAGBUS_TCP ? (id >= 0 && id <= 247) || id == 255
							   : id >= 0 && id <= 255;
		if (!id_ok || !c->shelves[i].name[0] ||
		    !memchr(c->shelves[i].name, 0, sizeof c->shelves[i].name))
			return -EINVAL;
		for (unsigned j = 0; j < i; j++)
			if (c->shelves[j].slave_id == id ||
			    !strcmp(c->shelves[j].name, c->shelves[i].name))
				return -EINVAL;
	}
	return 0;
}

int vault_tagbus_new(const struct vault_tagbus_config *cfg,
		     const struct vault_tagreader_ops *ops, struct vault_loop *loop,
		     vault_tagbus_event_cb cb, void *ud, struct vault_tagbus **ret)
{
	if (!cfg || !loop || !ret)
		return -EINVAL;
	struct vault_tagbus_config c = *cfg;
	vault_tagbus_config_defaults(&c);
	int r = validate(&c);
	if (r < 0)
		return r;
	if (!ops)
		ops = c.kind == VAULT_TAGBUS_SIM ? &vault_tagreader_sim_ops
						 : &vault_tagreader_modbus_ops;
	struct vault_tagbus *bus = calloc(1, sizeof *bus);
	if (!bus)
		return -ENOMEM;
	atomic_init(&bus->refs, 1);
	bus->cfg = c;
	bus->ops = ops;
	bus->loop = loop;
	bus->cb = cb;
	bus->ud = ud;
	bus->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (bus->stop_fd < 0) {
		r = -errno;
		unref(bus);
		return r;
	}
	r = -pthread_create(&bus->thread, NULL, worker, bus);
	if (r < 0) {
		unref(bus);
		return r;
	}
	bus->thread_started = true;
	*ret = bus;
	return 0;
}

void vault_tagbus_free(struct vault_tagbus *bus)
{
	if (!bus)
		return;
	atomic_store(&bus->stopping, true);
	if (bus->thread_started) {
		uint64_t one = 1;
		if (write(bus->stop_fd, &one, sizeof one) < 0) {
			/* eventfd full cannot happen with one write; the flag suffices */
		}
		pthread_join(bus->thread, NULL);
	}
	bus->closed = true;
	unref(bus);
}
