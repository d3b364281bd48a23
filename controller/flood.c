/* SPDX-License-Identifier: MIT */
/* A badge reader's refusal budget: see flood.h. */
#include "flood.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vault/ledger.h"
#include "vault/loop.h"
#include "vault/util.h"
#include "vaultd.h"

/* Badges named in one batch; the rest are counted together. */
#define FLOOD_BADGES 16

struct flood {
	struct vaultd *d;
	struct flood *next; /* d->floods */
	char reader[32], kind[48];
	int limit;
	int64_t window_us;
	/* The times (monotonic) of the reader's last `limit` refusals, a ring. */
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
		char badge[32];
		unsigned n;
	} badges[FLOOD_BADGES];
	int nbadges;
	unsigned other_badges; /* refusals of badges beyond FLOOD_BADGES, or none read */
};

static void ledger(struct flood *f, const char *kind, cJSON *p)
{
	cJSON_AddStringToObject(p, "reader", f->reader);
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
	cJSON_AddNumberToObject(p, "refused", f->counted);
	cJSON *rs = cJSON_AddObjectToObject(p, "reasons");
	for (int i = 0; i < VAULT_R__COUNT; i++)
		if (f->by_reason[i])
			cJSON_AddNumberToObject(rs, vault_reason_id((enum vault_reason)i),
						f->by_reason[i]);
	cJSON *bs = cJSON_AddObjectToObject(p, "badges");
	for (int i = 0; i < f->nbadges; i++)
		cJSON_AddNumberToObject(bs, f->badges[i].badge, f->badges[i].n);
	if (f->other_badges)
		cJSON_AddNumberToObject(p, "other_badges", f->other_badges);
	cJSON_AddNumberToObject(p, "from_utc", (double)f->from_utc);
	cJSON_AddNumberToObject(p, "to_utc", (double)f->to_utc);
	ledger(f, kind, p);
	vault_log(LOG_NOTICE, "reader", "%s: %u refusals at the %s reader counted in one entry",
		  kind, f->counted, f->reader);
	f->counted = 0;
	memset(f->by_reason, 0, sizeof f->by_reason);
	f->nbadges = 0;
	f->other_badges = 0;
}

static void count(struct flood *f, enum vault_reason why, const char *badge, int64_t now)
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
	while (badge && *badge && i < f->nbadges && strcmp(f->badges[i].badge, badge))
		i++;
	if (!badge || !*badge || i == FLOOD_BADGES) {
		f->other_badges++;
		return;
	}
	if (i == f->nbadges) {
		snprintf(f->badges[i].badge, sizeof f->badges[i].badge, "%s", badge);
		f->badges[i].n = 0;
		f->nbadges++;
	}
	f->badges[i].n++;
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
	cJSON *p = cJSON_CreateObject();
	cJSON_AddNumberToObject(p, "counted", f->total);
	cJSON_AddNumberToObject(p, "since_utc", (double)f->since_utc);
	ledger(f, "reader.flood_ended", p);
	vault_log(LOG_NOTICE, "reader", "the %s reader is quiet again (%u refusals counted)",
		  f->reader, f->total);
	f->on = 0;
	f->n = 0; /* the next refusals are ledgered one by one again */
}

int flood_take(struct flood *f, enum vault_reason why, const char *badge)
{
	int64_t now = vault_now_mono_us();
	if (f->on) {
		count(f, why, badge, now);
		return 0;
	}
	int recent = 0;
	for (int i = 0; i < f->n; i++)
		recent += now - f->at[i] < f->window_us;
	f->at[f->head] = now;
	f->head = (f->head + 1) % f->limit;
	if (f->n < f->limit)
		f->n++;
	if (recent < f->limit)
		return 1;
	f->on = 1;
	f->total = 0;
	f->since_utc = vault_now_utc_us();
	cJSON *p = cJSON_CreateObject();
	cJSON_AddNumberToObject(p, "refusals", recent);
	cJSON_AddNumberToObject(p, "window_s", (double)(f->window_us / 1000000));
	ledger(f, "alarm.reader_flood", p);
	vault_log(LOG_WARNING, "reader",
		  "alarm.reader_flood: %d refusals at the %s reader within "
		  "%lld s; further ones are counted, one entry per window",
		  recent, f->reader, (long long)(f->window_us / 1000000));
	count(f, why, badge, now);
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

int flood_new(struct vaultd *d, const char *reader, const char *kind, struct flood **ret)
{
	struct flood *f = calloc(1, sizeof *f);
	if (!f)
		return -ENOMEM;
	f->limit = d->cfg.refusal_limit;
	f->at = calloc((size_t)f->limit, sizeof *f->at);
	if (!f->at) {
		free(f);
		return -ENOMEM;
	}
	f->d = d;
	snprintf(f->reader, sizeof f->reader, "%s", reader);
	snprintf(f->kind, sizeof f->kind, "%s", kind);
	f->window_us = (int64_t)d->cfg.refusal_window_s * 1000000;
	f->next = d->floods;
	d->floods = f;
	*ret = f;
	return 0;
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
