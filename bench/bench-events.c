/* SPDX-License-Identifier: MIT */
/*
 * The world model's tag lookups (controller/events.c) as the vault fills:
 * the cost of one tag arrival on the loop (the model updated, one listener
 * looking the tag up, as custody does) with 1000 tags known and with 50000,
 * measured in the same run. With the index the two stay close (the larger
 * set misses the cache more); the linear scan it replaced (session 9) made
 * the second 42 times the first at p50 (84 us against 2 us per arrival).
 */
#include <stdio.h>
#include <stdlib.h>

#include "../controller/events.h"
#include "../controller/vaultd.h"
#include "vault/util.h"

static void lookup(struct vaultd *d, const struct vaultd_event *ev, void *ud)
{
	if (ev->tag && vaultd_tag_where(d, ev->tag))
		(*(long *)ud)++;
}

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* ns per arrival (p50, p99) of REPS re-reads of known tags, with N tags known. */
static void run(int n, int reps, double *p50, double *p99)
{
	struct vaultd d = {0};
	long found = 0;
	if (vaultd_events_init(&d) < 0 || vaultd_listen(&d, lookup, &found) < 0)
		exit(1);
	char t[33], shelf[16];
	for (int i = 0; i < n; i++) {
		snprintf(t, sizeof t, "E2%022d", i);
		snprintf(shelf, sizeof shelf, "SH-%d", i % 40);
		struct vaultd_event e = {.kind = VEV_TAG_ARRIVED, .source = shelf, .tag = t};
		vaultd_emit(&d, &e);
	}
	/* Batches of 100 re-reads, timed together (the clock costs more than
	 * one arrival). */
	int batches = reps / 100;
	int64_t *ns = malloc((size_t)batches * sizeof *ns);
	unsigned seed = 1;
	for (int b = 0; b < batches; b++) {
		int64_t t0 = vault_now_mono_us();
		for (int k = 0; k < 100; k++) {
			int i = (int)(rand_r(&seed) % (unsigned)n);
			snprintf(t, sizeof t, "E2%022d", i);
			snprintf(shelf, sizeof shelf, "SH-%d", i % 40);
			struct vaultd_event e = {
			    .kind = VEV_TAG_ARRIVED, .source = shelf, .tag = t, .mono_us = 1};
			vaultd_emit(&d, &e);
		}
		ns[b] = (vault_now_mono_us() - t0) * 1000 / 100;
	}
	qsort(ns, (size_t)batches, sizeof *ns, cmp);
	*p50 = (double)ns[batches / 2];
	*p99 = (double)ns[batches * 99 / 100];
	if (found != (long)n + (long)batches * 100)
		fprintf(stderr, "lookups failed: %ld found of %d\n", found, n + batches * 100);
	free(ns);
	vaultd_events_free(&d);
}

int main(void)
{
	double a50, a99, b50, b99;
	/* Interleaved, twice each, the second run of each reported. */
	for (int r = 0; r < 2; r++) {
		run(1000, 200000, &a50, &a99);
		run(50000, 200000, &b50, &b99);
	}
	printf("| tag arrival on the loop (model + one lookup), batches of 100 | p50 ns | p99 "
	       "ns |\n");
	printf("|---|---|---|\n");
	printf("| 1000 tags known | %.0f | %.0f |\n", a50, a99);
	printf("| 50000 tags known | %.0f | %.0f |\n", b50, b99);
	printf("| ratio 50000 / 1000 | %.2f | %.2f |\n", b50 / a50, b99 / a99);
	return 0;
}
