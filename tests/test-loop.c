/* SPDX-License-Identifier: MIT */
/* The loop: timers fire in order, worker-thread posts arrive on the loop thread. */
#include "tap.h"
#include "vault/loop.h"
#include "vault/util.h"

#include <pthread.h>

static int order[8], norder;
static pthread_t loop_thread;
static int posted_on_loop, posted_count;

static void tcb(struct vault_loop *l, uint64_t id, void *ud)
{
	order[norder++] = (int)(intptr_t)ud;
	if (norder == 3)
		vault_loop_quit(l);
}

static void mcb(struct vault_loop *l, void *msg, int quitting)
{
	if (!quitting && pthread_equal(pthread_self(), loop_thread))
		posted_on_loop++;
	posted_count++;
	free(msg);
	if (posted_count == 100)
		vault_loop_quit(l);
}

static void *worker(void *arg)
{
	struct vault_loop *l = arg;
	for (int i = 0; i < 50; i++)
		vault_loop_post(l, mcb, malloc(8));
	return NULL;
}

int main(void)
{
	struct vault_loop *l;
	ok(vault_loop_new(&l) == 0, "loop created");
	uint64_t cancel_id;
	vault_loop_timer_in(l, 30000, tcb, (void *)3, NULL);
	vault_loop_timer_in(l, 10000, tcb, (void *)1, NULL);
	vault_loop_timer_in(l, 15000, tcb, (void *)99, &cancel_id);
	vault_loop_timer_in(l, 20000, tcb, (void *)2, NULL);
	vault_loop_timer_cancel(l, cancel_id);
	vault_loop_run(l, NULL);
	ok(norder == 3 && order[0] == 1 && order[1] == 2 && order[2] == 3,
	   "timers fire in deadline order, cancelled timer never fires");

	loop_thread = pthread_self();
	pthread_t a, b;
	pthread_create(&a, NULL, worker, l);
	pthread_create(&b, NULL, worker, l);
	vault_loop_run(l, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	ok(posted_count == 100 && posted_on_loop == 100,
	   "100 posts from two threads all handled on the loop thread (%d/%d)", posted_on_loop,
	   posted_count);
	vault_loop_free(l);
	return tap_done();
}
