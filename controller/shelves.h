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
struct vaultd;
struct shelves;

struct vault_config;
/* Check the [bus.NAME] sections without opening anything (--check-config).
 * Returns 0 or -EINVAL with err naming the bus and what is wrong. */
int shelves_check(const struct vault_config *cfg, char *err, size_t errlen);
/* Returns 0 or -errno; *err names the bus and what is wrong. */
int shelves_start(struct vaultd *d, struct shelves **ret, char *err, size_t errlen);
void shelves_free(struct shelves *s);
#endif
