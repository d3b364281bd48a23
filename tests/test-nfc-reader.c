/* SPDX-License-Identifier: MIT */
/* A reader worker on the libnfc backend posts events to the loop: one arrival and one
 * departure per presentation, offline when the PN532 disappears, online again when
 * a new one appears on the same path. */
#include "lib-badgeevents.h"
#include "lib-pn532emu.h"
#include "tap.h"
#include "vault/util.h"

#include <openssl/rand.h>
#include <string.h>
#include <time.h>

static void ms(int n)
{
	struct timespec ts = {n / 1000, (long)(n % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

int main(void)
{
	struct emu_proc emu;
	struct vault_badge_config cfg;
	struct evrec rec;
	struct vault_badge_reader *rd = NULL;
	uint8_t uid[7], k[16];
	char key[33];

	if (emu_setup(&emu) < 0)
		tap_skip_all("build/pn532-emu not built");
	if (emu_start(&emu) < 0)
		tap_skip_all("cannot start the PN532 emulator");
	memset(&cfg, 0, sizeof cfg);
	strcpy(cfg.name, "door-out");
	snprintf(cfg.connstring, sizeof cfg.connstring, "%s", emu.connstring);
	RAND_bytes(cfg.master_key, 16);
	memcpy(cfg.sysid, "vault", 5);
	cfg.sysid_len = 5;
	cfg.poll_interval_ms = 30;
	cfg.offline_after = 2;
	cfg.backoff_min_ms = 50;
	cfg.backoff_max_ms = 200;
	vault_unhex("04010203040506", uid, 7);
	vault_badge_derive_key(cfg.master_key, uid, 7, cfg.sysid, cfg.sysid_len, 9, k);
	vault_hex(k, 16, key);

	if (evrec_start(&rec) < 0)
		tap_skip_all("cannot start the loop");
	ok(vault_badge_reader_start(rec.loop, &vault_badge_nfc_ops, &cfg, evrec_cb, &rec, &rd) == 0,
	   "reader worker started");
	int on = evrec_wait(&rec, 0, VAULT_BADGE_ONLINE, 5000);
	ok(on >= 0 && !strcmp(evrec_get(&rec, on).reader, "door-out"), "ONLINE event from reader door-out");

	emu_cmd(&emu, NULL, 0, "place desfire 04010203040506 %s 9", key);
	int a = evrec_wait(&rec, on, VAULT_BADGE_ARRIVAL, 5000);
	struct vault_badge_event ev = evrec_get(&rec, a);
	ok(a >= 0 && ev.reason == VAULT_R_OK && ev.id.authenticated && ev.id.key_version == 9 &&
		   !memcmp(ev.id.uid, uid, 7),
	   "ARRIVAL with the authenticated identity (reason %s)", vault_reason_id(ev.reason));
	ms(300); /* about ten polls with the card resting on the reader */
	ok(evrec_count_kind(&rec, on, VAULT_BADGE_ARRIVAL) == 1 &&
		   evrec_count_kind(&rec, on, VAULT_BADGE_DEPARTURE) == 0,
	   "a resting card gives exactly one arrival and no departure");
	emu_cmd(&emu, NULL, 0, "remove");
	int d = evrec_wait(&rec, a, VAULT_BADGE_DEPARTURE, 5000);
	ev = evrec_get(&rec, d);
	ok(d >= 0 && !memcmp(ev.id.uid, uid, 7), "DEPARTURE when the card is taken away");
	ms(150);
	ok(evrec_count_kind(&rec, on, VAULT_BADGE_DEPARTURE) == 1, "exactly one departure");

	emu_cmd(&emu, NULL, 0, "place clone 04010203040506");
	a = evrec_wait(&rec, d, VAULT_BADGE_ARRIVAL, 5000);
	ev = evrec_get(&rec, a);
	ok(a >= 0 && ev.reason == VAULT_R_BADGE_AUTH_FAILED && !ev.id.authenticated,
	   "clone ARRIVAL carries BADGE_AUTH_FAILED and no authenticated identity");
	emu_cmd(&emu, NULL, 0, "remove");
	d = evrec_wait(&rec, a, VAULT_BADGE_DEPARTURE, 5000);

	emu_kill(&emu); /* the PN532 vanishes */
	int off = evrec_wait(&rec, d, VAULT_BADGE_OFFLINE, 5000);
	ev = evrec_get(&rec, off);
	ok(off >= 0 && ev.reason == VAULT_R_READER_OFFLINE && ev.error < 0,
	   "OFFLINE event when the emulator dies (error %d)", ev.error);
	ms(200);
	ok(evrec_count_kind(&rec, off, VAULT_BADGE_OFFLINE) == 1,
	   "reopen attempts with backoff do not repeat the OFFLINE event");

	ok(emu_start(&emu) == 0, "a new emulator appears on the same link path");
	on = evrec_wait(&rec, off, VAULT_BADGE_ONLINE, 5000);
	ok(on >= 0, "ONLINE event after automatic reopen");
	emu_cmd(&emu, NULL, 0, "place desfire 04010203040506 %s 9", key);
	a = evrec_wait(&rec, on, VAULT_BADGE_ARRIVAL, 5000);
	ev = evrec_get(&rec, a);
	ok(a >= 0 && ev.reason == VAULT_R_OK && ev.id.authenticated,
	   "the badge authenticates on the reopened reader");

	vault_badge_reader_stop(rd);
	int n = evrec_count(&rec), bad = 0;
	for (int i = 0; i < n; i++) {
		ev = evrec_get(&rec, i);
		if (ev.id.authenticated && (ev.kind != VAULT_BADGE_ARRIVAL || ev.reason != VAULT_R_OK))
			bad++;
	}
	ok(bad == 0, "no event other than a successful arrival carries an authenticated identity");
	evrec_stop(&rec);
	emu_cleanup(&emu);
	return tap_done();
}
