/* SPDX-License-Identifier: MIT */
/*
 * The vault door: badge (authenticated) -> PIN -> policy -> two-person rule ->
 * a committed ledger entry -> unlock pulse -> a door contact opens ->
 * entry.confirmed. Supervision: forced, held, tamper, contacts disagreeing,
 * REX, fire, power fail. Occupancy from entry and exit reads, anti-passback.
 * Runs on the loop thread; owns the lock output. Fail secure: the lock is
 * driven off at start, on every exit path and whenever the ledger fails.
 */
#ifndef VAULT_DOOR_H
#define VAULT_DOOR_H
#include "vault/badge.h"
#include "vault/gpio.h"

struct vaultd;
struct door;

/* Opens the GPIO bank with the lock driven off first. Returns 0 or -errno
 * (err says which line). Called before the database is opened. */
int door_open_gpio(struct vaultd *d, char *err, size_t errlen);
/* Everything else: readers, occupancy recovery. After the database. */
int door_start(struct vaultd *d, struct door **ret);
void door_free(struct door *door);
/* Door statistics for `vaultctl door stats`: decision latencies (PIN
 * verified -> lock driven, including the durable ledger commit), PIN KDF
 * times, occupants. A new JSON object (caller owns). */
#include <cjson/cJSON.h>
cJSON *door_stats(const struct door *door);

/* The persons inside now, comma-separated ("" when empty or no door). */
void door_occupants(const struct door *door, char *buf, size_t n);

/* `vaultctl occupancy clear`: a supervisor records that a person (args
 * "person") or everyone ("all": "yes") left without an exit read, with a
 * "note"; occupancy.cleared, replayed by recovery. Fills res. */
struct vault_caller;
struct action_result;
void door_occupancy_clear(struct vaultd *d, const struct vault_caller *who, const cJSON *args,
			  struct action_result *res);

/* Drive the lock off now (exit paths). Safe any time. */
void door_lock_safe(struct vaultd *d);
/* A ledger write failed (vaultd_record): an unlock not yet used ends now and
 * the lock goes to rest (off; released only while the fire input holds it
 * under [door] fire_release). Safe any time, with or without a door. */
void door_db_failed(struct vaultd *d);
#endif
