/* SPDX-License-Identifier: MIT */
/*
 * The Modbus buses of smart shelves, the kiosk pad and the shredder throat,
 * from the [bus.NAME] sections. Tag arrivals and departures become sensor
 * events; a shelf fault or recovery becomes a ledger entry (the shelf's last
 * known contents are kept: a silent shelf is never "tags gone").
 */
#ifndef VAULTD_SHELVES_H
#define VAULTD_SHELVES_H
#include <stddef.h>
#include <stdint.h>
struct vaultd;
struct shelves;

struct vault_config;
/* Check the [bus.NAME] sections without opening anything (--check-config).
 * Returns 0 or -EINVAL with err naming the bus and what is wrong. */
int shelves_check(const struct vault_config *cfg, char *err, size_t errlen);
/* Returns 0 or -errno; *err names the bus and what is wrong. */
int shelves_start(struct vaultd *d, struct shelves **ret, char *err, size_t errlen);
void shelves_free(struct shelves *s);
/* Poll counters of the shelf named `name` (lock-free snapshot of the bus
 * worker's counters): successful polls and all polls. An inventory sweep waits
 * for fresh answers with these. Returns 0 or -ENOENT (no such shelf). */
int shelves_poll_counts(const struct shelves *s, const char *name, uint64_t *ok,
			uint64_t *polls);
#endif
