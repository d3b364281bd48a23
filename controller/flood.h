/* SPDX-License-Identifier: MIT */
/*
 * A badge reader's refusal budget ([reader] refusal_limit, refusal_window_s).
 *
 * A person refused at a reader is ledgered, one entry per refusal. Someone
 * probing a reader (a card emulator cycling UIDs, a cloned card tried again
 * and again) would make that an entry and an fdatasync per presentation, for
 * as long as they keep at it. So: while a reader has had fewer than
 * refusal_limit refusals in the last refusal_window_s, each is ledgered as
 * before. The one beyond the limit floods the reader: alarm.reader_flood is
 * ledgered (an alarm: published on the alarm topic, in the alerts), and from
 * then on the reader's refusals are counted, by reason and by badge, and
 * ledgered as one "<kind>.batch" entry per window (kind: entry.refused,
 * exit.refused, station.refused). A window without a refusal ends the flood
 * (reader.flood_ended, with the total counted). Every refusal is in the
 * ledger, alone or counted in a batch; a clean stop ledgers the open batch,
 * a crash loses at most one window's counts (never a grant: only refusals
 * are counted). The reader still signals each refusal.
 */
#ifndef VAULTD_FLOOD_H
#define VAULTD_FLOOD_H
#include <cjson/cJSON.h>

#include "vault/reason.h"

struct vaultd;
struct flood;

/* A budget for READER, whose refusals are ledgered as KIND (the batch is
 * KIND.batch). Both strings are copied. 0 or -ENOMEM. */
int flood_new(struct vaultd *d, const char *reader, const char *kind, struct flood **ret);
/* Ledgers every reader's open batch: at a clean stop, before vaultd.stop. */
void flood_flush_all(struct vaultd *d);
/* Ledgers the open batch and frees. */
void flood_free(struct flood *f);
/* {"flooded", "counted" (in this flood), "batch" (not yet ledgered)}. */
cJSON *flood_stats(const struct flood *f);
/* A refusal at the reader: 1 if the caller ledgers it as usual, 0 if it was
 * counted into the flood's batch. */
int flood_take(struct flood *f, enum vault_reason why, const char *badge);
#endif
