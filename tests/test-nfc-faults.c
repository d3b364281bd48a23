/* SPDX-License-Identifier: MIT */
/* Bad input on the NFC path: wrong checksums, garbled and truncated answers, error
 * frames, a missing or silent serial device. Each gives an error or a named refusal,
 * never a crash and never an authenticated identity; the reader recovers after. */
#include "lib-badgeevents.h"
#include "lib-pn532emu.h"
#include "tap.h"
#include "vault/util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <pty.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static struct emu_proc emu;
static struct vault_badge_config cfg;
static char key[33];

/* One presentation with a fresh reader session. Returns 1 if an authenticated
 * identity came out, 0 otherwise; *why gets the reason (or BADGE_IO_ERROR). */
static int attempt(enum vault_reason *why)
{
	void *st = NULL;
	struct vault_badge_card card;
	struct vault_badge_identity id;
	*why = VAULT_R_BADGE_IO_ERROR;
	memset(&id, 0, sizeof id);
	if (vault_badge_nfc_ops.open(&cfg, &st) < 0)
		return 0;
	int authed = 0;
	if (vault_badge_nfc_ops.poll(st, &card) == 1 &&
	    vault_badge_nfc_ops.authenticate(st, &cfg, &id, why) == 0)
		authed = *why == VAULT_R_OK && id.authenticated;
	vault_badge_nfc_ops.close(st);
	return authed;
}

int main(void)
{
	enum vault_reason why;
	uint8_t uid[7], k[16];
	void *st = NULL;

	if (emu_setup(&emu) < 0)
		tap_skip_all("build/pn532-emu not built");
	if (emu_start(&emu) < 0)
		tap_skip_all("cannot start the PN532 emulator");
	memset(&cfg, 0, sizeof cfg);
	strcpy(cfg.name, "door");
	snprintf(cfg.connstring, sizeof cfg.connstring, "%s", emu.connstring);
	RAND_bytes(cfg.master_key, 16);
	vault_unhex("04aabbccddeeff", uid, 7);
	vault_badge_derive_key(cfg.master_key, uid, 7, cfg.sysid, 0, 1, k);
	vault_hex(k, 16, key);
	emu_cmd(&emu, NULL, 0, "place desfire 04aabbccddeeff %s 1", key);
	ok(attempt(&why) == 1, "baseline: the enrolled card authenticates");

	static const char *faults[] = {"badcsum", "garble", "truncate", "errframe"};
	for (size_t i = 0; i < 4; i++) {
		emu_cmd(&emu, NULL, 0, "fault %s", faults[i]);
		int a = attempt(&why);
		emu_cmd(&emu, NULL, 0, "fault none");
		ok(a == 0, "fault %s on every answer: no authenticated identity (reason %s)", faults[i],
		   vault_reason_id(why));
		ok(attempt(&why) == 1, "after fault %s clears the card authenticates again", faults[i]);
	}
	/* A frame cut half-way: libnfc times out, no identity, the next attempt works. */
	for (int n = 1; n <= 3; n += 2) {
		emu_cmd(&emu, NULL, 0, "fault cut %d", n);
		int a = attempt(&why);
		emu_cmd(&emu, NULL, 0, "fault none");
		ok(a == 0, "the first %d answers cut half-way: an error, no identity (%s)", n,
		   vault_reason_id(why));
	}
	{
		void *s2 = NULL;
		struct vault_badge_card card;
		struct vault_badge_identity id;
		int got = -1;
		memset(&id, 0, sizeof id);
		if (vault_badge_nfc_ops.open(&cfg, &s2) == 0 && vault_badge_nfc_ops.poll(s2, &card) == 1) {
			emu_cmd(&emu, NULL, 0, "fault cut 1");
			why = VAULT_R__COUNT;
			got = vault_badge_nfc_ops.authenticate(s2, &cfg, &id, &why) == 0 && why == VAULT_R_OK;
		}
		emu_cmd(&emu, NULL, 0, "fault none");
		vault_badge_nfc_ops.close(s2);
		ok(got == 0 && !id.authenticated,
		   "an answer cut half-way during authentication: %s, no identity", vault_reason_id(why));
	}
	ok(attempt(&why) == 1, "after cut frames the card authenticates again");

	/* Single corrupted answers at different points of the exchange. */
	for (int n = 1; n <= 6; n++) {
		int any = 0;
		for (size_t f = 0; f < 4; f++) {
			void *s2 = NULL;
			struct vault_badge_card card;
			struct vault_badge_identity id;
			memset(&id, 0, sizeof id);
			if (vault_badge_nfc_ops.open(&cfg, &s2) < 0)
				continue;
			if (vault_badge_nfc_ops.poll(s2, &card) == 1) {
				/* Corrupt the next n answers, so each step of the exchange gets hit. */
				emu_cmd(&emu, NULL, 0, "fault %s %d", faults[f], n);
				why = VAULT_R__COUNT;
				if (vault_badge_nfc_ops.authenticate(s2, &cfg, &id, &why) == 0 &&
				    why == VAULT_R_OK && id.authenticated)
					any++;
			}
			emu_cmd(&emu, NULL, 0, "fault none");
			vault_badge_nfc_ops.close(s2);
		}
		ok(any == 0, "faults on the first %d answers of an authentication never yield an identity", n);
	}

	ok(vault_badge_nfc_ops.open(&(struct vault_badge_config){.connstring = "pn532_uart:/nonexistent/tty"},
				    &st) == -ENODEV,
	   "missing serial device: open returns -ENODEV");

	/* A pty nobody answers on: libnfc gives up after its timeouts (about 1.4 s). */
	int m, s;
	char name[128];
	if (openpty(&m, &s, name, NULL, NULL) == 0) {
		struct vault_badge_config c2 = cfg;
		snprintf(c2.connstring, sizeof c2.connstring, "pn532_uart:%s", name);
		st = NULL;
		int r = vault_badge_nfc_ops.open(&c2, &st);
		ok(r < 0 && st == NULL, "silent serial device: open fails (%d)", r);
		close(m);
		close(s);
	} else {
		tap_skip("openpty failed");
	}

	/* Worker on a missing device: an OFFLINE event, no crash. */
	struct evrec rec;
	struct vault_badge_reader *rd = NULL;
	struct vault_badge_config c3 = cfg;
	snprintf(c3.connstring, sizeof c3.connstring, "pn532_uart:%s/none", emu.dir);
	c3.backoff_min_ms = 20;
	if (evrec_start(&rec) == 0 &&
	    vault_badge_reader_start(rec.loop, &vault_badge_nfc_ops, &c3, evrec_cb, &rec, &rd) == 0) {
		int off = evrec_wait(&rec, 0, VAULT_BADGE_OFFLINE, 3000);
		struct vault_badge_event ev = evrec_get(&rec, off);
		ok(off >= 0 && ev.error == -ENODEV, "worker on a missing device posts OFFLINE (-ENODEV)");
		vault_badge_reader_stop(rd);
		evrec_stop(&rec);
	} else {
		ok(0, "worker on a missing device started");
	}
	emu_cleanup(&emu);
	return tap_done();
}
