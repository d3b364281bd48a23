/* SPDX-License-Identifier: MIT */
/*
 * The MQTT publisher ([mqtt] enabled = 1): the ledger is the outbox.
 *
 * Ledger entries after the durable cursor (table mqtt_cursor) are published in
 * seq order, at most MQTT_BATCH in flight, as JSON on <prefix>/ledger (alarms
 * also on <prefix>/alarm). When the broker has acknowledged an entry and every
 * one before it, the cursor advances in the database and the retained
 * <prefix>/tip is updated. A lost connection or a vaultd restart resumes from
 * the cursor: delivery is at least once, consumers dedupe by seq. The retained
 * <prefix>/state is "online" while connected and "offline" (the last will)
 * otherwise. Signed checkpoints go out retained on <prefix>/checkpoint, in seq
 * order, each once the entry it covers is acknowledged, from their own durable
 * position (mqtt_cursor.checkpoint_seq).
 *
 * Paho runs its own threads; its callbacks only post messages to the loop
 * (vault_loop_post). Everything else runs on the loop thread.
 */
#ifndef VAULTD_MQTT_H
#define VAULTD_MQTT_H
#include <stddef.h>

struct vaultd;
struct mqtt;

/* Start publishing (connects in the background; a broker that is down is
 * retried every reconnect_ms). Call after the ledger is open, the loop exists
 * and signals are blocked (Paho's threads inherit the mask). *ret is NULL when
 * [mqtt] enabled = 0. Returns 0 or -errno; *err says what is wrong. */
int mqtt_start(struct vaultd *d, struct mqtt **ret, char *err, size_t errlen);

/* A ledger entry or a checkpoint was recorded: publish it soon (from a
 * zero-delay timer, not inside the caller). Accepts NULL. */
void mqtt_notify(struct mqtt *m);

/* Publish "offline" (waits up to 1 s), disconnect, stop Paho. Call before the
 * loop is freed. Accepts NULL. */
void mqtt_free(struct mqtt *m);
#endif
