/* SPDX-License-Identifier: MIT */
/*
 * Badge readers away from the door: the kiosk, the shredder station and the
 * console enrolment reader ([reader] kiosk, shredder, console). A presentation
 * is identified like at the door (key proof, active badge, key version, the
 * legacy rule), stored as a sensor event "badge.arrived"/"badge.departed" with
 * source = the station, and emitted as VEV_BADGE / VEV_BADGE_GONE. What a badge
 * at a station may do (log in at the kiosk, witness a destruction) is decided
 * by the module listening; an unknown or revoked badge is ledgered here as
 * "station.refused", within the reader's refusal budget (flood.h).
 */
#ifndef VAULTD_STATIONS_H
#define VAULTD_STATIONS_H
struct vaultd;
struct stations;
int stations_start(struct vaultd *d, struct stations **ret);
void stations_free(struct stations *s);
#endif
