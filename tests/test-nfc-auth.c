/* SPDX-License-Identifier: MIT */
/* The libnfc + libfreefare badge backend against the PN532 emulator on a pty:
 * enrolled cards authenticate, clones / wrong keys / blank cards / plain ISO 14443A
 * cards are refused with named reasons. */
#include "lib-pn532emu.h"
#include "tap.h"
#include "vault/badge.h"
#include "vault/util.h"

#include <openssl/rand.h>
#include <string.h>

static struct emu_proc emu;
static struct vault_badge_config cfg;
static void *st;

/* Place a card, then poll + authenticate it like the worker does. */
static int present(const char *placecmd, struct vault_badge_identity *id, enum vault_reason *why)
{
	struct vault_badge_card card;
	if (emu_cmd(&emu, NULL, 0, "%s", placecmd) < 0)
		return -100;
	int p = vault_badge_nfc_ops.poll(st, &card);
	if (p != 1)
		return -200 + p;
	*why = VAULT_R__COUNT;
	return vault_badge_nfc_ops.authenticate(st, &cfg, id, why);
}

static void hexkey(const uint8_t *uid, size_t ul, uint8_t ver, const uint8_t master[16], char out[33])
{
	uint8_t k[16];
	vault_badge_derive_key(master, uid, ul, cfg.sysid, cfg.sysid_len, ver, k);
	vault_hex(k, 16, out);
}

int main(void)
{
	struct vault_badge_identity id;
	enum vault_reason why;
	struct vault_badge_card card;
	char key[33], reply[256];
	uint8_t uid[7];

	if (emu_setup(&emu) < 0)
		tap_skip_all("build/pn532-emu not built");
	if (emu_start(&emu) < 0)
		tap_skip_all("cannot start the PN532 emulator");
	memset(&cfg, 0, sizeof cfg);
	strcpy(cfg.name, "door");
	snprintf(cfg.connstring, sizeof cfg.connstring, "%s", emu.connstring);
	RAND_bytes(cfg.master_key, 16);
	memcpy(cfg.sysid, "vault-test", 10);
	cfg.sysid_len = 10;

	ok(vault_badge_nfc_ops.open(&cfg, &st) == 0, "libnfc opens the emulated PN532 (%s)",
	   emu.connstring);
	if (!st) {
		emu_cleanup(&emu);
		return tap_done();
	}
	ok(vault_badge_nfc_ops.poll(st, &card) == 0, "poll with an empty field reports no card");

	vault_unhex("04a1b2c3d4e5f6", uid, 7);
	hexkey(uid, 7, 3, cfg.master_key, key);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "place desfire 04a1b2c3d4e5f6 %s 3", key);
	int r = present(cmd, &id, &why);
	ok(r == 0 && why == VAULT_R_OK && id.authenticated == 1,
	   "enrolled DESFire card authenticates (r=%d reason=%s)", r, vault_reason_id(why));
	ok(id.uid_len == 7 && !memcmp(id.uid, uid, 7) && id.key_version == 3,
	   "identity is the card's UID 04a1b2c3d4e5f6 with key version 3");
	ok(vault_badge_nfc_ops.poll(st, &card) == 1 && card.uid_len == 7 && !memcmp(card.uid, uid, 7),
	   "the card stays reported while it stays in the field");
	emu_cmd(&emu, NULL, 0, "remove");
	ok(vault_badge_nfc_ops.poll(st, &card) == 0, "after removal poll reports no card");

	r = present("place clone 04a1b2c3d4e5f6", &id, &why);
	ok(r == 0 && why == VAULT_R_BADGE_AUTH_FAILED && id.authenticated == 0,
	   "clone with the same UID is refused as BADGE_AUTH_FAILED (got %s)", vault_reason_id(why));
	emu_cmd(&emu, NULL, 0, "remove");
	vault_badge_nfc_ops.poll(st, &card);

	uint8_t other[16];
	RAND_bytes(other, 16);
	hexkey(uid, 7, 3, other, key);
	snprintf(cmd, sizeof cmd, "place desfire 04a1b2c3d4e5f6 %s 3", key);
	r = present(cmd, &id, &why);
	ok(r == 0 && why == VAULT_R_BADGE_AUTH_FAILED && id.authenticated == 0,
	   "card keyed from another site's master key is refused as BADGE_AUTH_FAILED (got %s)",
	   vault_reason_id(why));
	emu_cmd(&emu, NULL, 0, "remove");
	vault_badge_nfc_ops.poll(st, &card);

	/* Key for version 2 on a card claiming version 3: the version is bound by the key. */
	hexkey(uid, 7, 2, cfg.master_key, key);
	snprintf(cmd, sizeof cmd, "place desfire 04a1b2c3d4e5f6 %s 3", key);
	r = present(cmd, &id, &why);
	ok(r == 0 && why == VAULT_R_BADGE_AUTH_FAILED,
	   "a card whose key version was altered is refused (got %s)", vault_reason_id(why));
	emu_cmd(&emu, NULL, 0, "remove");
	vault_badge_nfc_ops.poll(st, &card);

	r = present("place desfire-blank 04a1b2c3d4e5f7", &id, &why);
	ok(r == 0 && why == VAULT_R_BADGE_NO_APP && id.authenticated == 0,
	   "blank DESFire card is refused as BADGE_NO_APP (got %s)", vault_reason_id(why));
	emu_cmd(&emu, NULL, 0, "remove");
	vault_badge_nfc_ops.poll(st, &card);

	static const char *plain[] = {"a1b2c3d4", "04a1b2c3d4e5f8", "04a1b2c3d4e5f6a7b8c9"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(cmd, sizeof cmd, "place iso14443a %s", plain[i]);
		r = present(cmd, &id, &why);
		char h[21];
		vault_hex(id.uid, id.uid_len, h);
		ok(r == 0 && why == VAULT_R_BADGE_NOT_DESFIRE && id.authenticated == 0 &&
			   !strcmp(h, plain[i]),
		   "plain ISO14443A card with a %zu-byte UID is refused as BADGE_NOT_DESFIRE, UID %s read",
		   strlen(plain[i]) / 2, plain[i]);
		emu_cmd(&emu, NULL, 0, "remove");
		vault_badge_nfc_ops.poll(st, &card);
	}

	cfg.legacy_uid_only = 1;
	r = present("place iso14443a 04a1b2c3d4e5f8", &id, &why);
	ok(r == 0 && why == VAULT_R_BADGE_UNAUTHENTICATED && id.authenticated == 0 && id.uid_len == 7,
	   "legacy UID-only mode reports the UID marked unauthenticated (got %s)",
	   vault_reason_id(why));
	cfg.legacy_uid_only = 0;
	emu_cmd(&emu, NULL, 0, "remove");
	vault_badge_nfc_ops.poll(st, &card);

	ok(vault_badge_nfc_ops.health(st) == 0, "reader health is good");
	vault_badge_nfc_ops.close(st);
	emu_cmd(&emu, reply, sizeof reply, "status");
	ok(strstr(reply, "card=none") != NULL, "emulator still serves its control socket: %s", reply);
	emu_cleanup(&emu);
	return tap_done();
}
