/* SPDX-License-Identifier: MIT */
#include "lib-badgeevents.h"

#include "vault/loop.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_t th;

static void *run(void *arg)
{
	struct evrec *r = arg;
	vault_loop_run(r->loop, NULL);
	return NULL;
}

int evrec_start(struct evrec *r)
{
	memset(r, 0, sizeof *r);
	int e = vault_loop_new(&r->loop);
	if (e < 0)
		return e;
	return -pthread_create(&th, NULL, run, r);
}

void evrec_cb(const struct vault_badge_event *ev, void *ud)
{
	struct evrec *r = ud;
	pthread_mutex_lock(&mu);
	if (r->n < EVREC_MAX)
		r->ev[r->n++] = *ev;
	pthread_mutex_unlock(&mu);
}

static void quit_cb(struct vault_loop *l, void *msg, int quitting)
{
	vault_loop_quit(l);
}

void evrec_stop(struct evrec *r)
{
	if (!r->loop)
		return;
	vault_loop_post(r->loop, quit_cb, NULL);
	pthread_join(th, NULL);
	vault_loop_free(r->loop);
	r->loop = NULL;
}

int evrec_count(struct evrec *r)
{
	pthread_mutex_lock(&mu);
	int n = r->n;
	pthread_mutex_unlock(&mu);
	return n;
}

struct vault_badge_event evrec_get(struct evrec *r, int i)
{
	struct vault_badge_event e;
	memset(&e, 0, sizeof e);
	pthread_mutex_lock(&mu);
	if (i >= 0 && i < r->n)
		e = r->ev[i];
	pthread_mutex_unlock(&mu);
	return e;
}

int evrec_count_kind(struct evrec *r, int from, enum vault_badge_event_kind kind)
{
	int c = 0;
	if (from < 0)
		from = 0;
	pthread_mutex_lock(&mu);
	for (int i = from; i < r->n; i++)
		c += r->ev[i].kind == kind;
	pthread_mutex_unlock(&mu);
	return c;
}

int evrec_wait(struct evrec *r, int from, enum vault_badge_event_kind kind, int timeout_ms)
{
	if (from < 0)
		from = 0;
	for (int t = 0; t <= timeout_ms; t += 10) {
		pthread_mutex_lock(&mu);
		for (int i = from; i < r->n; i++)
			if (r->ev[i].kind == kind) {
				pthread_mutex_unlock(&mu);
				return i;
			}
		pthread_mutex_unlock(&mu);
		struct timespec ts = {0, 10 * 1000000L};
		nanosleep(&ts, NULL);
	}
	return -1;
}
