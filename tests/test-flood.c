/* SPDX-License-Identifier: MIT */
/*
 * The refusal budget (controller/flood.c) on a real loop, its timers real:
 * what it hands to the ledger is captured by this file's vaultd_record (the
 * daemon's, in vaultd-main.c, is not linked here). The end-to-end cases with
 * vaultd, readers and the HTTP layer are tests/t-door-flood.sh and
 * tests/t-web-budget.sh; these are the edges: the window, the keys a batch
 * names, a flood that goes on across windows, the end, a stop.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "../controller/flood.h"
#include "../controller/vaultd.h"
#include "tap.h"
#include "vault/loop.h"
#include "vault/util.h"

/* The entries "ledgered": kind and payload JSON. */
#define MAXREC 64
static struct {
	char kind[64];
	char *json;
} rec[MAXREC];
static int nrec;

int vaultd_record(struct vaultd *d, const struct vault_record *r, int64_t *ret_seq)
{
	(void)d;
	if (nrec == MAXREC)
		return -ENOSPC;
	snprintf(rec[nrec].kind, sizeof rec[nrec].kind, "%s", r->kind);
	rec[nrec].json = cJSON_PrintUnformatted(r->payload);
	if (ret_seq)
		*ret_seq = nrec + 1;
	nrec++;
	return 0;
}

static void reset(void)
{
	for (int i = 0; i < nrec; i++)
		free(rec[i].json);
	nrec = 0;
}

/* How many entries of KIND; the last one's payload in *json. */
static int count(const char *kind, const char **json)
{
	int n = 0;
	for (int i = 0; i < nrec; i++)
		if (!strcmp(rec[i].kind, kind)) {
			n++;
			if (json)
				*json = rec[i].json;
		}
	return n;
}

/* A number in the last KIND entry: "$.a.b" style path, one or two levels. */
static double field(const char *kind, const char *a, const char *b)
{
	const char *js = NULL;
	if (!count(kind, &js))
		return -1;
	cJSON *o = cJSON_Parse(js);
	cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
	if (b)
		x = cJSON_GetObjectItemCaseSensitive(x, b);
	double v = cJSON_IsNumber(x) ? x->valuedouble : -1;
	cJSON_Delete(o);
	return v;
}

static void quit_cb(struct vault_loop *l, uint64_t id, void *ud)
{
	(void)id;
	(void)ud;
	vault_loop_quit(l);
}

/* Run the loop (the budget's timers) for MS milliseconds. */
static void run_for(struct vault_loop *l, int ms)
{
	vault_loop_timer_in(l, (int64_t)ms * 1000, quit_cb, NULL, NULL);
	vault_loop_run(l, NULL);
}

int main(void)
{
	struct vaultd d = {0};
	if (vault_loop_new(&d.loop) < 0)
		tap_skip_all("no event loop");
	struct flood *f = NULL;
	struct flood_spec bad = {.source = "door",
				 .kind = "entry.refused",
				 .what = "reader",
				 .keys = "badges",
				 .limit = 0,
				 .window_s = 1};
	ok(flood_new(&d, &bad, &f) == -EINVAL && !d.floods, "a limit below 1 is refused");

	struct flood_spec s = {.source = "door",
			       .kind = "entry.refused",
			       .what = "reader",
			       .keys = "badges",
			       .limit = 3,
			       .window_s = 1};
	ok(flood_new(&d, &s, &f) == 0 && d.floods == f, "a budget of 3 a second");

	/* 1. Refusals spread over more than the window never flood. */
	int alone = 0;
	for (int i = 0; i < 3; i++)
		alone += flood_take(f, VAULT_R_BADGE_UNKNOWN, "AA");
	usleep(1100 * 1000);
	for (int i = 0; i < 3; i++)
		alone += flood_take(f, VAULT_R_BADGE_UNKNOWN, "AA");
	ok(alone == 6 && nrec == 0,
	   "3, a pause longer than the window, 3: all six ledgered alone");

	/* 2. A fourth within the window floods; the keys a batch names. */
	ok(flood_take(f, VAULT_R_BADGE_UNKNOWN, "AA") == 0,
	   "the fourth within the window is counted");
	ok(count("alarm.reader_flood", NULL) == 1, "and raises alarm.reader_flood");
	ok(field("alarm.reader_flood", "refusals", NULL) == 3 &&
	       field("alarm.reader_flood", "window_s", NULL) == 1,
	   "naming the 3 refusals and the 1 s window");
	char key[16];
	for (int i = 0; i < 20; i++) {
		snprintf(key, sizeof key, "K%02d", i);
		flood_take(f, i % 2 ? VAULT_R_BADGE_REVOKED : VAULT_R_BADGE_UNKNOWN, key);
	}
	flood_take(f, VAULT_R_BADGE_UNKNOWN, NULL);
	flood_take(f, VAULT_R_BADGE_UNKNOWN, "");
	cJSON *st = flood_stats(f);
	ok(cJSON_IsTrue(cJSON_GetObjectItem(st, "flooded")) &&
	       cJSON_GetObjectItem(st, "batch")->valuedouble == 23,
	   "stats: flooded, 23 in the open batch");
	cJSON_Delete(st);
	ok(count("alarm.reader_flood", NULL) == 1 && nrec == 1,
	   "still one alarm, nothing else yet");

	/* 3. Refusals on through the window: its tick ledgers the batch and the
	 * flood goes on. */
	run_for(d.loop, 600);
	flood_take(f, VAULT_R_PIN_LOCKED, "BB");
	flood_take(f, VAULT_R_PIN_LOCKED, "BB");
	run_for(d.loop, 600);
	ok(count("entry.refused.batch", NULL) == 1, "after a window: one entry.refused.batch");
	ok(field("entry.refused.batch", "refused", NULL) == 25, "of 25 refusals");
	ok(field("entry.refused.batch", "reasons", vault_reason_id(VAULT_R_BADGE_UNKNOWN)) ==
		   13 &&
	       field("entry.refused.batch", "reasons",
		     vault_reason_id(VAULT_R_BADGE_REVOKED)) == 10 &&
	       field("entry.refused.batch", "reasons", vault_reason_id(VAULT_R_PIN_LOCKED)) ==
		   2,
	   "by reason: 13 unknown, 10 revoked, 2 locked out");
	ok(field("entry.refused.batch", "badges", "AA") == 1 &&
	       field("entry.refused.batch", "badges", "K14") == 1 &&
	       field("entry.refused.batch", "badges", "K15") == -1 &&
	       field("entry.refused.batch", "badges", "BB") == -1,
	   "16 badges named (AA, K00..K14)");
	ok(field("entry.refused.batch", "other_badges", NULL) == 9,
	   "K15..K19, BB twice and 2 with no badge counted together (9)");
	ok(count("reader.flood_ended", NULL) == 0,
	   "the flood goes on: a refusal within the window");

	/* 4. One refusal in the next window: a second batch; then a quiet
	 * window ends the flood. */
	flood_take(f, VAULT_R_PIN_LOCKED, "CC");
	run_for(d.loop, 1000);
	ok(count("entry.refused.batch", NULL) == 2 &&
	       field("entry.refused.batch", "badges", "CC") == 1 &&
	       count("reader.flood_ended", NULL) == 0,
	   "the next window's batch: CC once; the flood goes on");
	run_for(d.loop, 1100);
	ok(count("reader.flood_ended", NULL) == 1 &&
	       field("reader.flood_ended", "counted", NULL) == 26,
	   "a quiet window: reader.flood_ended, 26 counted in all");
	ok(count("entry.refused.batch", NULL) == 2, "no empty batch");
	ok(flood_take(f, VAULT_R_BADGE_UNKNOWN, "DD") == 1,
	   "after the end a refusal is ledgered alone");

	/* 5. A stop in a flood ledgers the open batch. */
	reset();
	flood_take(f, VAULT_R_BADGE_UNKNOWN, "CC");
	flood_take(f, VAULT_R_BADGE_UNKNOWN, "CC");
	ok(flood_take(f, VAULT_R_BADGE_UNKNOWN, "CC") == 0, "a second flood");
	flood_flush_all(&d);
	ok(count("entry.refused.batch", NULL) == 1 &&
	       field("entry.refused.batch", "refused", NULL) == 1,
	   "flood_flush_all ledgers the open batch (1)");
	flood_free(f);
	ok(count("entry.refused.batch", NULL) == 1, "freeing after the flush adds nothing");
	ok(d.floods == NULL, "and unlinks the budget");

	/* 6. Two budgets, and what a non-reader budget names. */
	struct flood_spec h = {.source = "http",
			       .kind = "http.refused",
			       .what = "http",
			       .keys = "remotes",
			       .limit = 1,
			       .window_s = 60};
	struct flood *g = NULL, *f2 = NULL;
	ok(flood_new(&d, &h, &g) == 0 && flood_new(&d, &s, &f2) == 0, "two budgets");
	reset();
	flood_take(g, VAULT_R_HTTP_HOST, "10.0.0.1");
	flood_take(g, VAULT_R_HTTP_HOST, "10.0.0.1");
	flood_free(g);
	ok(count("alarm.http_flood", NULL) == 1 &&
	       field("http.refused.batch", "remotes", "10.0.0.1") == 1,
	   "alarm.http_flood, and the batch counts by remote address");
	const char *js = NULL;
	count("alarm.http_flood", &js);
	ok(js && strstr(js, "\"source\":\"http\""), "entries name their source");
	ok(d.floods == f2, "freeing one leaves the other linked");
	flood_free(f2);
	reset();
	vault_loop_free(d.loop);
	return tap_done();
}
