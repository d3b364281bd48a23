/* SPDX-License-Identifier: MIT */
/*
 * A refusal budget: a badge reader's ([reader] refusal_limit,
 * refusal_window_s) or the HTTP layer's (controller/web.c).
 *
 * Every refusal is ledgered, one entry each. Someone probing a reader (a card
 * emulator cycling UIDs, a cloned card tried again and again) or the HTTP
 * port would make that an entry and an fdatasync per attempt, for as long as
 * they keep at it. So: while a source has had fewer than `limit` refusals in
 * the last `window_s`, each is ledgered as before. The one beyond the limit
 * floods the source: alarm.<what>_flood is ledgered (an alarm: published on
 * the alarm topic, in `vaultctl alerts`), and from then on its refusals are
 * counted, by reason and by key (the badge; the remote address), and ledgered
 * as one "<kind>.batch" entry per window (kind: entry.refused, exit.refused,
 * station.refused, http.refused). A window without a refusal ends the flood
 * (<what>.flood_ended, with the total counted). Every refusal is in the
 * ledger, alone or counted in a batch; a clean stop ledgers the open batch
 * before vaultd.stop; a crash loses at most one window's counts (never a
 * grant: only refusals are counted). The caller still answers each refusal
 * (the reader's LED, the HTTP status).
 */
#ifndef VAULTD_FLOOD_H
#define VAULTD_FLOOD_H
#include <cjson/cJSON.h>

#include "vault/reason.h"

struct vaultd;
struct flood;

struct flood_spec {
	const char *source; /* "door", "kiosk", "http": named in every entry */
	const char *kind;   /* the refusals' kind; the batch is <kind>.batch */
	const char *what;   /* alarm.<what>_flood, <what>.flood_ended */
	const char *keys;   /* what a refusal's key is: "badges", "remotes" */
	int limit, window_s;
	/* What is counted, named in the alarm and the batches: NULL "refused";
	 * "events" for sensor events (vaultd_sensor_event). */
	const char *counted_as;
};

/* The strings are copied. 0, -EINVAL (limit or window below 1), -ENOMEM. */
int flood_new(struct vaultd *d, const struct flood_spec *spec, struct flood **ret);
/* READER's budget from [reader] refusal_limit and refusal_window_s. */
int flood_new_reader(struct vaultd *d, const char *reader, const char *kind,
		     struct flood **ret);
/* Ledgers every open batch: at a clean stop, before vaultd.stop. */
void flood_flush_all(struct vaultd *d);
/* Ledgers the open batch and frees. */
void flood_free(struct flood *f);
/* {"flooded", "counted" (in this flood), "batch" (not yet ledgered)}. */
cJSON *flood_stats(const struct flood *f);
/* A refusal (KEY: its badge or remote address, may be NULL): 1 if the caller
 * ledgers it as usual, 0 if it was counted into the flood's batch. WHY
 * VAULT_R_OK counts no reason (sensor events: KEY is their kind). */
int flood_take(struct flood *f, enum vault_reason why, const char *key);
#endif
