/* SPDX-License-Identifier: MIT */
/*
 * The box's own health as ledger entries: wall-clock jumps (`clock.jump`) and
 * free space on the database's file system (`storage.low`, `storage.critical`,
 * `storage.ok`). Runs on vaultd's loop; controller/health.c says how.
 */
#ifndef VAULT_HEALTH_H
#define VAULT_HEALTH_H

struct vaultd;
struct health;

/* Reads back what the ledger last said (the newest storage level, the time
 * the clock must not fall behind) and arms the checks; the first ones run as
 * soon as the loop runs. Returns 0 or -errno (-EIO: the ledger could not be
 * read). */
int health_start(struct vaultd *d, struct health **ret);
/* Accepts NULL. */
void health_free(struct health *h);
#endif
