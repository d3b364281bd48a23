/* SPDX-License-Identifier: MIT */
/* A refusal budget (a badge reader's, the HTTP layer's): see flood.h. */
#include "flood.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vault/ledger.h"
#include "vault/loop.h"
#include "vault/util.h"
#include "vaultd.h"

/* Keys (badges, remote addresses) named in one batch; the rest are counted
 * together. */
#define FLOOD_KEYS 16

struct flood {
	struct vaultd *d;
	struct flood *next; /* d->floods */
	char source[32], kind[48], what[16], keys[16], counted_as[16];
	int limit;
	int64_t window_us;
	/* The times (monotonic) of the source's last `limit` refusals, a ring. */
	int64_t *at;
	int head, n;
	/* Flooded: refusals are counted, not ledgered one by one. */
	int on;
	uint64_t timer;
	int64_t last_us;	  /* the last refusal (monotonic) */
	int64_t since_utc;	  /* the flood began */
	int64_t from_utc, to_utc; /* the open batch's first and last refusal */
	unsigned counted, total;  /* in the open batch; in the whole flood */
	unsigned by_reason[VAULT_R__COUNT];
	struct {
		char key[64];
		unsigned n;
	} key[FLOOD_KEYS];
	int nkeys;
	unsigned other_keys; /* refusals of keys beyond FLOOD_KEYS, or with none */
};

static void ledger(struct flood *f, const char *kind, cJSON *p)
{
	cJSON_AddStringToObject(p, "source", f->source);
	struct vault_record r = {.kind = kind, .actors = "", .payload = p};
	vaultd_record(f->d, &r, NULL); /* a failure is logged there */
	cJSON_Delete(p);
}

/* Ledger the open batch, if it counted anything. */
static void flush(struct flood *f)
{
	if (!f->counted)
		return;
	char kind[64];
	snprintf(kind, sizeof kind, "%s.batch", f->kind);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddNumberToObject(p, f->counted_as, f->counted);
	cJSON *rs = NULL;
	for (int i = 0; i < VAULT_R__COUNT; i++) {
		if (!f->by_reason[i] || i == VAULT_R_OK)
			continue;
		if (!rs)
			rs = cJSON_AddObjectToObject(p, "reasons");
		cJSON_AddNumberToObject(rs, vault_reason_id((enum vault_reason)i),
					f->by_reason[i]);
	}
	cJSON *ks = cJSON_AddObjectToObject(p, f->keys);
	for (int i = 0; i < f->nkeys; i++)
		cJSON_AddNumberToObject(ks, f->key[i].key, f->key[i].n);
	if (f->other_keys) {
		char other[32];
		snprintf(other, sizeof other, "other_%s", f->keys);
		cJSON_AddNumberToObject(p, other, f->other_keys);
	}
	cJSON_AddNumberToObject(p, "from_utc", (double)f->from_utc);
	cJSON_AddNumberToObject(p, "to_utc", (double)f->to_utc);
	ledger(f, kind, p);
	vault_log(LOG_NOTICE, f->what, "%s: %u %s (%s) counted in one entry", kind, f->counted,
		  f->counted_as, f->source);
	f->counted = 0;
	memset(f->by_reason, 0, sizeof f->by_reason);
	f->nkeys = 0;
	f->other_keys = 0;
}

static void count(struct flood *f, enum vault_reason why, const char *key, int64_t now)
{
	int64_t utc = vault_now_utc_us();
	if (!f->counted)
		f->from_utc = utc;
	f->to_utc = utc;
	f->counted++;
	f->total++;
	f->last_us = now;
	if ((int)why >= 0 && why < VAULT_R__COUNT)
		f->by_reason[why]++;
	int i = 0;
	while (key && *key && i < f->nkeys && strcmp(f->key[i].key, key))
		i++;
	if (!key || !*key || i == FLOOD_KEYS) {
		f->other_keys++;
		return;
	}
	if (i == f->nkeys) {
		snprintf(f->key[i].key, sizeof f->key[i].key, "%s", key);
		f->key[i].n = 0;
		f->nkeys++;
	}
	f->key[i].n++;
}

/* Every window while flooded: the batch, and the end of a flood that had
 * no refusal for a whole window. */
static void tick(struct vault_loop *l, uint64_t id, void *ud)
{
	(void)id;
	struct flood *f = ud;
	f->timer = 0;
	flush(f);
	if (vault_now_mono_us() - f->last_us < f->window_us) {
		vault_loop_timer_in(l, f->window_us, tick, f, &f->timer);
		return;
	}
	char kind[48];
	snprintf(kind, sizeof kind, "%s.flood_ended", f->what);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddNumberToObject(p, "counted", f->total);
	cJSON_AddNumberToObject(p, "since_utc", (double)f->since_utc);
	ledger(f, kind, p);
	vault_log(LOG_NOTICE, f->what, "%s: %s is quiet again (%u %s counted)", kind, f->source,
		  f->total, f->counted_as);
	f->on = 0;
	f->n = 0; /* the next refusals are ledgered one by one again */
}

int flood_take(struct flood *f, enum vault_reason why, const char *key)
{
	int64_t now = vault_now_mono_us();
	if (f->on) {
		count(f, why, key, now);
		return 0;
	}
	/* The ring holds the last `limit` times in order: once full, its oldest
	 * (at head) inside the window means `limit` within it. O(1): every
	 * sensor reading passes here. */
	int flooded = f->n == f->limit && now - f->at[f->head] < f->window_us;
	f->at[f->head] = now;
	f->head = (f->head + 1) % f->limit;
	if (f->n < f->limit)
		f->n++;
	if (!flooded)
		return 1;
	int recent = f->limit;
	f->on = 1;
	f->total = 0;
	f->since_utc = vault_now_utc_us();
	char kind[48];
	snprintf(kind, sizeof kind, "alarm.%s_flood", f->what);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddNumberToObject(
	    p, strcmp(f->counted_as, "refused") ? f->counted_as : "refusals", recent);
	cJSON_AddNumberToObject(p, "window_s", (double)(f->window_us / 1000000));
	ledger(f, kind, p);
	vault_log(LOG_WARNING, f->what,
		  "%s: %d %s (%s) within %lld s; further ones are counted, one entry "
		  "per window",
		  kind, recent, strcmp(f->counted_as, "refused") ? f->counted_as : "refusals",
		  f->source, (long long)(f->window_us / 1000000));
	count(f, why, key, now);
	vault_loop_timer_in(f->d->loop, f->window_us, tick, f, &f->timer);
	return 0;
}

cJSON *flood_stats(const struct flood *f)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "flooded", f->on);
	cJSON_AddNumberToObject(o, "counted", f->on ? f->total : 0);
	cJSON_AddNumberToObject(o, "batch", f->counted);
	return o;
}

void flood_flush_all(struct vaultd *d)
{
	for (struct flood *f = d->floods; f; f = f->next)
		flush(f);
}

int flood_new(struct vaultd *d, const struct flood_spec *spec, struct flood **ret)
{
	if (spec->limit < 1 || spec->window_s < 1)
		return -EINVAL;
	struct flood *f = calloc(1, sizeof *f);
	if (!f)
		return -ENOMEM;
	f->limit = spec->limit;
	f->at = calloc((size_t)f->limit, sizeof *f->at);
	if (!f->at) {
		free(f);
		return -ENOMEM;
	}
	f->d = d;
	snprintf(f->source, sizeof f->source, "%s", spec->source);
	snprintf(f->kind, sizeof f->kind, "%s", spec->kind);
	snprintf(f->what, sizeof f->what, "%s", spec->what);
	snprintf(f->keys, sizeof f->keys, "%s", spec->keys);
	snprintf(f->counted_as, sizeof f->counted_as, "%s",
		 spec->counted_as ? spec->counted_as : "refused");
	f->window_us = (int64_t)spec->window_s * 1000000;
	f->next = d->floods;
	d->floods = f;
	*ret = f;
	return 0;
}

int flood_new_reader(struct vaultd *d, const char *reader, const char *kind, struct flood **ret)
{
	struct flood_spec s = {.source = reader,
			       .kind = kind,
			       .what = "reader",
			       .keys = "badges",
			       .limit = d->cfg.refusal_limit,
			       .window_s = d->cfg.refusal_window_s};
	return flood_new(d, &s, ret);
}

void flood_free(struct flood *f)
{
	if (!f)
		return;
	if (f->timer)
		vault_loop_timer_cancel(f->d->loop, f->timer);
	flush(f);
	for (struct flood **p = &f->d->floods; *p; p = &(*p)->next)
		if (*p == f) {
			*p = f->next;
			break;
		}
	free(f->at);
	free(f);
}
