/* SPDX-License-Identifier: MIT */
/* Enrolment end to end through libnfc + libfreefare: a blank DESFire card on the
 * emulated PN532 is personalised (PICC DES auth, CreateApplication AES, AES auth,
 * ChangeKey with version) and then authenticates at a reader. */
#include "lib-pn532emu.h"
#include "tap.h"
#include "vault/badge.h"
#include "vault/util.h"

#include <errno.h>
#include <openssl/rand.h>
#include <string.h>

int main(void)
{
	struct emu_proc emu;
	struct vault_badge_config cfg;
	struct vault_badge_identity id;
	struct vault_badge_card card;
	enum vault_reason why = VAULT_R__COUNT;
	char reply[256], want[33];
	void *st = NULL;
	uint8_t k[16];

	if (emu_setup(&emu) < 0)
		tap_skip_all("build/pn532-emu not built");
	if (emu_start(&emu) < 0)
		tap_skip_all("cannot start the PN532 emulator");
	memset(&cfg, 0, sizeof cfg);
	strcpy(cfg.name, "kiosk");
	snprintf(cfg.connstring, sizeof cfg.connstring, "%s", emu.connstring);
	RAND_bytes(cfg.master_key, 16);
	memcpy(cfg.sysid, "site-7", 6);
	cfg.sysid_len = 6;

	ok(vault_badge_enrol(emu.connstring, cfg.master_key, cfg.sysid, cfg.sysid_len, 1, &id, &why) ==
		   -ENOENT,
	   "enrolment with an empty field returns -ENOENT");

	emu_cmd(&emu, NULL, 0, "place desfire-blank 04c0ffee001122");
	memset(&id, 0, sizeof id);
	int r = vault_badge_enrol(emu.connstring, cfg.master_key, cfg.sysid, cfg.sysid_len, 5, &id, &why);
	char h[21];
	vault_hex(id.uid, id.uid_len, h);
	ok(r == 0 && why == VAULT_R_OK && id.authenticated && id.key_version == 5,
	   "blank card enrolled with key version 5 (r=%d reason=%s)", r, vault_reason_id(why));
	ok(!strcmp(h, "04c0ffee001122"), "enrolment returns the card's UID (%s)", h);

	vault_badge_derive_key(cfg.master_key, id.uid, id.uid_len, cfg.sysid, cfg.sysid_len, 5, k);
	vault_hex(k, 16, want);
	emu_cmd(&emu, reply, sizeof reply, "getkey 564c54 0");
	ok(strstr(reply, want) != NULL && strstr(reply, " 5") != NULL,
	   "the card's application key 0 is the AN10922-diversified key, version 5");

	ok(vault_badge_nfc_ops.open(&cfg, &st) == 0, "reader opens");
	if (st) {
		r = vault_badge_nfc_ops.poll(st, &card);
		why = VAULT_R__COUNT;
		int a = r == 1 ? vault_badge_nfc_ops.authenticate(st, &cfg, &id, &why) : -1;
		ok(a == 0 && why == VAULT_R_OK && id.authenticated && id.key_version == 5,
		   "the freshly enrolled card authenticates at the reader (reason %s)",
		   vault_reason_id(why));
		vault_badge_nfc_ops.close(st);
	}

	r = vault_badge_enrol(emu.connstring, cfg.master_key, cfg.sysid, cfg.sysid_len, 6, &id, &why);
	ok(r == 0 && why == VAULT_R_BADGE_NOT_BLANK && !id.authenticated,
	   "enrolling an already enrolled card is refused as BADGE_NOT_BLANK (got %s)",
	   vault_reason_id(why));

	emu_cmd(&emu, NULL, 0, "place iso14443a 04c0ffee001122");
	r = vault_badge_enrol(emu.connstring, cfg.master_key, cfg.sysid, cfg.sysid_len, 1, &id, &why);
	ok(r == 0 && why == VAULT_R_BADGE_NOT_DESFIRE, "enrolling a plain ISO14443A card is refused (%s)",
	   vault_reason_id(why));

	static const char *faults[] = {"truncate", "garble", "badcsum", "errframe"};
	int bad = 0, odd = 0;
	for (int i = 0; i < 4; i++)
		for (int n = 1; n <= 9; n += 2) {
			emu_cmd(&emu, NULL, 0, "place desfire-blank 04c0ffee0011%02x", 0x30 + i * 10 + n);
			emu_cmd(&emu, NULL, 0, "fault %s %d", faults[i], n);
			memset(&id, 0, sizeof id);
			r = vault_badge_enrol(emu.connstring, cfg.master_key, cfg.sysid, cfg.sysid_len, 1,
					      &id, &why);
			emu_cmd(&emu, NULL, 0, "fault none");
			if (r < 0 && r != -ENODEV && r != -ENOENT && r != -EIO && r != -ETIMEDOUT)
				odd++;
			if (r == 0 && why == VAULT_R_OK) {
				/* a reported success must be real */
				uint8_t kk[16];
				char w[33];
				vault_badge_derive_key(cfg.master_key, id.uid, id.uid_len, cfg.sysid,
						       cfg.sysid_len, 1, kk);
				vault_hex(kk, 16, w);
				emu_cmd(&emu, reply, sizeof reply, "getkey 564c54 0");
				bad += strstr(reply, w) == NULL;
			}
		}
	ok(bad == 0 && odd == 0,
	   "enrolment under 20 injected faults: errors or refusals, any reported success is real");

	ok(vault_badge_enrol("pn532_uart:/nonexistent/tty", cfg.master_key, cfg.sysid, cfg.sysid_len,
			     1, &id, &why) == -ENODEV,
	   "enrolment on a missing serial device returns -ENODEV");
	emu_cleanup(&emu);
	return tap_done();
}
