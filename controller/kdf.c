/* SPDX-License-Identifier: MIT */
#include "kdf.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "vault/util.h"

struct job {
	void (*work)(void *arg);
	void (*drop)(void *arg);
	void *arg;
	struct job *next;
};

struct kdf {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int quit;
	int64_t hold_until; /* monotonic µs: no background job starts before */
	struct job *head[2], *tail[2];
};

static struct job *take(struct kdf *k, int64_t now)
{
	int last = k->hold_until > now ? 1 : 2;
	for (int p = 0; p < last; p++)
		if (k->head[p]) {
			struct job *j = k->head[p];
			k->head[p] = j->next;
			if (!k->head[p])
				k->tail[p] = NULL;
			return j;
		}
	return NULL;
}

static void *run(void *arg)
{
	struct kdf *k = arg;
	/* The KDF must never compete with the loop for a core. */
	vault_thread_background("kdf");
	pthread_mutex_lock(&k->mu);
	for (;;) {
		struct job *j = NULL;
		while (!k->quit && !(j = take(k, vault_now_mono_us()))) {
			if (k->head[1] && k->hold_until) {
				struct timespec ts = vault_mono_ts(k->hold_until);
				pthread_cond_timedwait(&k->cv, &k->mu, &ts);
			} else {
				pthread_cond_wait(&k->cv, &k->mu);
			}
		}
		if (k->quit)
			break;
		pthread_mutex_unlock(&k->mu);
		j->work(j->arg);
		free(j);
		pthread_mutex_lock(&k->mu);
	}
	pthread_mutex_unlock(&k->mu);
	return NULL;
}

int kdf_start(struct kdf **ret)
{
	struct kdf *k = calloc(1, sizeof *k);
	if (!k)
		return -ENOMEM;
	pthread_mutex_init(&k->mu, NULL);
	vault_cond_init_mono(&k->cv);
	if (pthread_create(&k->thread, NULL, run, k) != 0) {
		free(k);
		return -EAGAIN;
	}
	*ret = k;
	return 0;
}

int kdf_submit(struct kdf *k, enum kdf_prio prio, void (*work)(void *), void (*drop)(void *),
	       void *arg)
{
	struct job *j = calloc(1, sizeof *j);
	if (!j)
		return -ENOMEM;
	j->work = work;
	j->drop = drop;
	j->arg = arg;
	int p = prio == KDF_URGENT ? 0 : 1;
	pthread_mutex_lock(&k->mu);
	if (k->tail[p])
		k->tail[p]->next = j;
	else
		k->head[p] = j;
	k->tail[p] = j;
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->mu);
	return 0;
}

void kdf_hold_background(struct kdf *k, unsigned ms)
{
	if (!k)
		return;
	pthread_mutex_lock(&k->mu);
	k->hold_until = ms ? vault_now_mono_us() + (int64_t)ms * 1000 : 0;
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->mu);
}

void kdf_stop(struct kdf *k)
{
	if (!k)
		return;
	pthread_mutex_lock(&k->mu);
	k->quit = 1;
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->mu);
	pthread_join(k->thread, NULL);
	k->hold_until = 0;
	for (struct job *j; (j = take(k, 0));) {
		if (j->drop)
			j->drop(j->arg);
		free(j);
	}
	pthread_cond_destroy(&k->cv);
	pthread_mutex_destroy(&k->mu);
	free(k);
}
