/* SPDX-License-Identifier: MIT */
/* Event loop: epoll + timers (sorted list; few timers) + eventfd mailbox. */
#include "vault/loop.h"
#include "vault/util.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct watch {
	int fd;
	vault_fd_cb cb;
	void *ud;
	struct watch *next;
};

struct timer {
	uint64_t id;
	int64_t at;
	vault_timer_cb cb;
	void *ud;
	struct timer *next;
};

struct msg {
	vault_msg_cb cb;
	void *msg;
	struct msg *next;
};

struct vault_loop {
	int ep;
	int efd;
	int quit;
	struct watch *watches;
	struct timer *timers; /* sorted by `at` */
	uint64_t next_timer_id;
	pthread_mutex_t mbox_lock;
	struct msg *mbox_head, *mbox_tail;
	void (*idle)(struct vault_loop *, void *);
	void *idle_ud;
};

int vault_loop_new(struct vault_loop **ret)
{
	struct vault_loop *l = calloc(1, sizeof *l);
	if (!l)
		return -ENOMEM;
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	l->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pthread_mutex_init(&l->mbox_lock, NULL);
	if (l->ep < 0 || l->efd < 0) {
		int e = -errno;
		vault_loop_free(l);
		return e;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, l->efd, &ev) < 0) {
		int e = -errno;
		vault_loop_free(l);
		return e;
	}
	*ret = l;
	return 0;
}

static struct msg *mbox_take(struct vault_loop *l)
{
	pthread_mutex_lock(&l->mbox_lock);
	struct msg *m = l->mbox_head;
	l->mbox_head = l->mbox_tail = NULL;
	pthread_mutex_unlock(&l->mbox_lock);
	return m;
}

void vault_loop_free(struct vault_loop *l)
{
	if (!l)
		return;
	for (struct msg *m = mbox_take(l), *n; m; m = n) {
		n = m->next;
		m->cb(l, m->msg, 1);
		free(m);
	}
	for (struct watch *w = l->watches, *n; w; w = n) {
		n = w->next;
		free(w);
	}
	for (struct timer *t = l->timers, *n; t; t = n) {
		n = t->next;
		free(t);
	}
	if (l->ep >= 0)
		close(l->ep);
	if (l->efd >= 0)
		close(l->efd);
	pthread_mutex_destroy(&l->mbox_lock);
	free(l);
}

int vault_loop_add_fd(struct vault_loop *l, int fd, uint32_t events, vault_fd_cb cb, void *ud)
{
	struct watch *w = calloc(1, sizeof *w);
	if (!w)
		return -ENOMEM;
	w->fd = fd;
	w->cb = cb;
	w->ud = ud;
	struct epoll_event ev = {.events = events, .data.ptr = w};
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = -errno;
		free(w);
		return e;
	}
	w->next = l->watches;
	l->watches = w;
	return 0;
}

static struct watch *find_watch(struct vault_loop *l, int fd, struct watch ***ret_link)
{
	for (struct watch **p = &l->watches; *p; p = &(*p)->next)
		if ((*p)->fd == fd) {
			if (ret_link)
				*ret_link = p;
			return *p;
		}
	return NULL;
}

int vault_loop_mod_fd(struct vault_loop *l, int fd, uint32_t events)
{
	struct watch *w = find_watch(l, fd, NULL);
	if (!w)
		return -ENOENT;
	struct epoll_event ev = {.events = events, .data.ptr = w};
	return epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

/* Watches removed during dispatch are parked here and freed after the batch, so
 * a later event in the same epoll batch never touches freed memory. */
static struct watch *graveyard;

int vault_loop_del_fd(struct vault_loop *l, int fd)
{
	struct watch **link;
	struct watch *w = find_watch(l, fd, &link);
	if (!w)
		return -ENOENT;
	epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
	*link = w->next;
	w->cb = NULL;
	w->next = graveyard;
	graveyard = w;
	return 0;
}

int vault_loop_timer_at(struct vault_loop *l, int64_t mono_us, vault_timer_cb cb, void *ud,
			uint64_t *ret_id)
{
	struct timer *t = calloc(1, sizeof *t);
	if (!t)
		return -ENOMEM;
	t->id = ++l->next_timer_id;
	t->at = mono_us;
	t->cb = cb;
	t->ud = ud;
	struct timer **p = &l->timers;
	while (*p && (*p)->at <= mono_us)
		p = &(*p)->next;
	t->next = *p;
	*p = t;
	if (ret_id)
		*ret_id = t->id;
	return 0;
}

int vault_loop_timer_in(struct vault_loop *l, int64_t delay_us, vault_timer_cb cb, void *ud,
			uint64_t *ret_id)
{
	return vault_loop_timer_at(l, vault_now_mono_us() + delay_us, cb, ud, ret_id);
}

void vault_loop_timer_cancel(struct vault_loop *l, uint64_t id)
{
	if (!id)
		return;
	for (struct timer **p = &l->timers; *p; p = &(*p)->next)
		if ((*p)->id == id) {
			struct timer *t = *p;
			*p = t->next;
			free(t);
			return;
		}
}

int vault_loop_post(struct vault_loop *l, vault_msg_cb cb, void *msg)
{
	struct msg *m = malloc(sizeof *m);
	if (!m)
		return -ENOMEM;
	m->cb = cb;
	m->msg = msg;
	m->next = NULL;
	pthread_mutex_lock(&l->mbox_lock);
	if (l->mbox_tail)
		l->mbox_tail->next = m;
	else
		l->mbox_head = m;
	l->mbox_tail = m;
	pthread_mutex_unlock(&l->mbox_lock);
	uint64_t one = 1;
	/* EAGAIN means the counter is saturated: the loop is already signalled. */
	if (write(l->efd, &one, sizeof one) < 0 && errno != EAGAIN)
		return 0;
	return 0;
}

void vault_loop_set_idle(struct vault_loop *l, void (*fn)(struct vault_loop *, void *), void *ud)
{
	l->idle = fn;
	l->idle_ud = ud;
}

void vault_loop_quit(struct vault_loop *l)
{
	l->quit = 1;
}

static void run_timers(struct vault_loop *l)
{
	int64_t now = vault_now_mono_us();
	while (!l->quit && l->timers && l->timers->at <= now) {
		struct timer *t = l->timers;
		l->timers = t->next;
		vault_timer_cb cb = t->cb;
		void *ud = t->ud;
		uint64_t id = t->id;
		free(t);
		cb(l, id, ud);
	}
}

static void run_mbox(struct vault_loop *l)
{
	uint64_t v;
	while (read(l->efd, &v, sizeof v) > 0)
		;
	for (struct msg *m = mbox_take(l), *n; m; m = n) {
		n = m->next;
		m->cb(l, m->msg, 0);
		free(m);
	}
}

int vault_loop_run(struct vault_loop *l, const void *sigmask)
{
	struct epoll_event evs[32];
	l->quit = 0;
	while (!l->quit) {
		if (l->idle)
			l->idle(l, l->idle_ud);
		if (l->quit)
			break;
		int timeout = -1;
		if (l->timers) {
			int64_t d = l->timers->at - vault_now_mono_us();
			timeout = d <= 0 ? 0 : (int)((d + 999) / 1000);
			if (d > 0 && timeout > 60000)
				timeout = 60000;
		}
		int n = epoll_pwait(l->ep, evs, VAULT_ARRAY_SIZE(evs), timeout,
				    (const sigset_t *)sigmask);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && !l->quit; i++) {
			struct watch *w = evs[i].data.ptr;
			if (!w) {
				run_mbox(l);
				continue;
			}
			if (w->cb)
				w->cb(l, w->fd, evs[i].events, w->ud);
		}
		for (struct watch *w = graveyard, *nx; w; w = nx) {
			nx = w->next;
			free(w);
		}
		graveyard = NULL;
		run_timers(l);
	}
	return 0;
}
