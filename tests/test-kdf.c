/* SPDX-License-Identifier: MIT */
/*
 * The KDF worker (controller/kdf.c): a door check queued behind a PIN change
 * runs first; while held, PIN changes wait (until released, or the hold's
 * deadline) and door checks do not; stopping finishes the running job and
 * drops the queued ones through their drop (so a caller's buffers are freed
 * and wiped). What is observed is when each job runs on the worker thread.
 */
#include "tap.h"
#include "../controller/kdf.h"
#include "vault/util.h"

#include <stdint.h>
#include <unistd.h>

struct probe {
	int64_t ran_us; /* monotonic µs when the job ran; 0: not yet */
	int dropped;
	unsigned sleep_ms;
};

static void work(void *arg)
{
	struct probe *p = arg;
	if (p->sleep_ms)
		usleep(p->sleep_ms * 1000);
	__atomic_store_n(&p->ran_us, vault_now_mono_us(), __ATOMIC_SEQ_CST);
}

static void drop(void *arg)
{
	((struct probe *)arg)->dropped = 1;
}

static int64_t ran(struct probe *p)
{
	return __atomic_load_n(&p->ran_us, __ATOMIC_SEQ_CST);
}

/* Poll up to `ms` for the job to have run. */
static int runs_within(struct probe *p, int ms)
{
	for (int i = 0; i < ms / 5; i++) {
		if (ran(p))
			return 1;
		usleep(5000);
	}
	return ran(p) != 0;
}

int main(void)
{
	struct kdf *k;
	ok(kdf_start(&k) == 0, "the KDF worker starts");

	/* Jobs run in priority order: door checks first. */
	struct probe busy = {.sleep_ms = 200}, b4 = {0}, u4 = {0};
	kdf_submit(k, KDF_BACKGROUND, work, drop, &busy); /* occupies the worker */
	usleep(50000);
	kdf_submit(k, KDF_BACKGROUND, work, drop, &b4);
	kdf_submit(k, KDF_URGENT, work, drop, &u4);
	ok(runs_within(&b4, 3000) && runs_within(&u4, 3000) && ran(&u4) <= ran(&b4),
	   "a door check queued after a PIN change runs first");

	/* A hold keeps PIN changes waiting, never door checks. */
	struct probe held = {0}, urgent = {0};
	kdf_hold_background(k, 5000);
	int64_t t0 = vault_now_mono_us();
	kdf_submit(k, KDF_BACKGROUND, work, drop, &held);
	kdf_submit(k, KDF_URGENT, work, drop, &urgent);
	ok(runs_within(&urgent, 3000) && !runs_within(&held, 300),
	   "while held, a door check runs and a PIN change waits");
	kdf_hold_background(k, 0);
	ok(runs_within(&held, 1000), "released, the PIN change runs (%lld ms after submission)",
	   (long long)((ran(&held) - t0) / 1000));
	/* A hold that is never released ends at its deadline. */
	struct probe late = {0};
	kdf_hold_background(k, 300);
	t0 = vault_now_mono_us();
	kdf_submit(k, KDF_BACKGROUND, work, drop, &late);
	ok(runs_within(&late, 3000) && ran(&late) - t0 >= 250 * 1000,
	   "an unreleased hold ends at its deadline (ran after %lld ms, hold 300 ms)",
	   (long long)((ran(&late) - t0) / 1000));

	/* Stopping finishes the running job and drops what is still queued,
	 * calling its drop. */
	struct probe busy2 = {.sleep_ms = 300}, bg5 = {0};
	kdf_submit(k, KDF_BACKGROUND, work, drop, &busy2);
	usleep(50000);
	kdf_submit(k, KDF_BACKGROUND, work, drop, &bg5);
	kdf_stop(k);
	ok(ran(&busy2) && !busy2.dropped, "stopping lets the running job finish");
	ok(bg5.dropped && !ran(&bg5), "and drops a queued one through its drop");
	return tap_done();
}
