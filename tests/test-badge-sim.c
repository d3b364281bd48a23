/* SPDX-License-Identifier: MIT */
/* The reader worker on the sim backend: events reach the loop thread, one arrival and
 * one departure per presentation, offline after N failed polls, online after reopen. */
#include "lib-badgeevents.h"
#include "tap.h"
#include "vault/util.h"

#include <errno.h>
#include <string.h>
#include <time.h>

static void ms(int n)
{
	struct timespec ts = {n / 1000, (long)(n % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

int main(void)
{
	struct evrec rec;
	struct vault_badge_sim *sim;
	struct vault_badge_reader *rd;
	struct vault_badge_config cfg;
	uint8_t uid[4] = {0xDE, 0xAD, 0xBE, 0xEF}, uid2[7] = {4, 9, 9, 9, 9, 9, 9};

	memset(&cfg, 0, sizeof cfg);
	strcpy(cfg.name, "sim-door");
	strcpy(cfg.connstring, "sim:door");
	cfg.poll_interval_ms = 10;
	cfg.offline_after = 3;
	cfg.backoff_min_ms = 10;
	cfg.backoff_max_ms = 40;
	if (vault_badge_sim_new("door", &sim) < 0 || evrec_start(&rec) < 0)
		tap_skip_all("setup failed");
	ok(vault_badge_reader_start(rec.loop, &vault_badge_sim_ops, &cfg, evrec_cb, &rec, &rd) == 0,
	   "sim reader started");
	int on = evrec_wait(&rec, 0, VAULT_BADGE_ONLINE, 2000);
	ok(on >= 0, "ONLINE first");
	vault_badge_sim_place(sim, uid, 4, 2, VAULT_R_OK);
	int a = evrec_wait(&rec, on, VAULT_BADGE_ARRIVAL, 2000);
	struct vault_badge_event ev = evrec_get(&rec, a);
	ok(a >= 0 && ev.reason == VAULT_R_OK && ev.id.authenticated && ev.id.key_version == 2 &&
		   ev.id.uid_len == 4 && !memcmp(ev.id.uid, uid, 4),
	   "ARRIVAL with the authenticated identity");
	ms(100);
	ok(evrec_count_kind(&rec, 0, VAULT_BADGE_ARRIVAL) == 1, "one arrival for a resting card");
	/* Card swap without an empty field in between: departure of the first, arrival of the second. */
	vault_badge_sim_place(sim, uid2, 7, 1, VAULT_R_BADGE_AUTH_FAILED);
	int a2 = evrec_wait(&rec, a + 1, VAULT_BADGE_ARRIVAL, 2000);
	ev = evrec_get(&rec, a2);
	ok(a2 >= 0 && evrec_count_kind(&rec, a, VAULT_BADGE_DEPARTURE) == 1 &&
		   ev.reason == VAULT_R_BADGE_AUTH_FAILED && !ev.id.authenticated && ev.id.uid_len == 7,
	   "swapping cards gives a departure then a refused arrival (BADGE_AUTH_FAILED)");
	vault_badge_sim_remove(sim);
	int d = evrec_wait(&rec, a2, VAULT_BADGE_DEPARTURE, 2000);
	ok(d >= 0 && evrec_get(&rec, d).id.uid_len == 7, "DEPARTURE of the second card");

	vault_badge_sim_place(sim, uid, 4, 2, VAULT_R_OK);
	a = evrec_wait(&rec, d, VAULT_BADGE_ARRIVAL, 2000);
	vault_badge_sim_set_broken(sim, 1);
	int off = evrec_wait(&rec, a, VAULT_BADGE_OFFLINE, 2000);
	ev = evrec_get(&rec, off);
	ok(off >= 0 && ev.error == -EIO && ev.reason == VAULT_R_READER_OFFLINE,
	   "OFFLINE after failed polls (-EIO)");
	ok(evrec_count_kind(&rec, a, VAULT_BADGE_DEPARTURE) == 1,
	   "the presentation in progress ends with a departure when the reader goes offline");
	ms(150);
	ok(evrec_count_kind(&rec, off, VAULT_BADGE_OFFLINE) == 1, "OFFLINE is posted once while reopening fails");
	vault_badge_sim_set_broken(sim, 0);
	on = evrec_wait(&rec, off, VAULT_BADGE_ONLINE, 2000);
	ok(on >= 0, "ONLINE again after automatic reopen");
	a = evrec_wait(&rec, on, VAULT_BADGE_ARRIVAL, 2000);
	ok(a >= 0 && evrec_get(&rec, a).reason == VAULT_R_OK, "card still on the reader arrives again");
	vault_badge_reader_stop(rd);

	cfg.legacy_uid_only = 1;
	int base = evrec_count(&rec);
	ok(vault_badge_reader_start(rec.loop, &vault_badge_sim_ops, &cfg, evrec_cb, &rec, &rd) == 0,
	   "legacy reader started");
	a = evrec_wait(&rec, base, VAULT_BADGE_ARRIVAL, 2000);
	ev = evrec_get(&rec, a);
	ok(a >= 0 && ev.reason == VAULT_R_BADGE_UNAUTHENTICATED && !ev.id.authenticated &&
		   ev.id.uid_len == 4,
	   "legacy UID-only: identity marked unauthenticated with reason BADGE_UNAUTHENTICATED");
	vault_badge_reader_stop(rd);
	vault_badge_reader_stop(NULL);

	struct vault_badge_config c3 = cfg;
	strcpy(c3.connstring, "sim:nobody");
	base = evrec_count(&rec);
	vault_badge_reader_start(rec.loop, &vault_badge_sim_ops, &c3, evrec_cb, &rec, &rd);
	off = evrec_wait(&rec, base, VAULT_BADGE_OFFLINE, 2000);
	ok(off >= 0 && evrec_get(&rec, off).error == -ENODEV, "unknown sim device: OFFLINE (-ENODEV)");
	vault_badge_reader_stop(rd);
	evrec_stop(&rec);
	vault_badge_sim_free(sim);
	return tap_done();
}
