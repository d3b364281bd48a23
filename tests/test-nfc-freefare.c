/* SPDX-License-Identifier: MIT */
/* The DESFire card model answers libfreefare 0.4.0's own calls through libnfc and
 * the emulated PN532, EV1 secure messaging included: CMAC'd answers after AES
 * authentication (GetKeyVersion, GetVersion over three frames), ChangeKey of the
 * session key and of another key, legacy PICC auth, CreateApplication, FormatPICC. */
#include "lib-pn532emu.h"
#include "tap.h"

#include <freefare.h>
#include <nfc/nfc.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	struct emu_proc emu;
	nfc_context *ctx = NULL;
	nfc_device *dev = NULL;
	nfc_connstring cs;

	if (emu_setup(&emu) < 0)
		tap_skip_all("build/pn532-emu not built");
	if (emu_start(&emu) < 0)
		tap_skip_all("cannot start the PN532 emulator");
	emu_cmd(&emu, NULL, 0, "place desfire-blank 04d00dfeed0001");
	memset(cs, 0, sizeof cs);
	snprintf(cs, sizeof cs, "%s", emu.connstring);
	nfc_init(&ctx);
	dev = ctx ? nfc_open(ctx, cs) : NULL;
	ok(dev != NULL, "nfc_open on the emulated PN532");
	if (!dev) {
		emu_cleanup(&emu);
		return tap_done();
	}
	MifareTag *tags = freefare_get_tags(dev);
	ok(tags && tags[0] && !tags[1] && freefare_get_tag_type(tags[0]) == DESFIRE,
	   "freefare_get_tags finds exactly one DESFire");
	if (!tags || !tags[0]) {
		nfc_close(dev);
		nfc_exit(ctx);
		emu_cleanup(&emu);
		return tap_done();
	}
	MifareTag t = tags[0];
	char *uid = freefare_get_tag_uid(t);
	ok(uid && !strcmp(uid, "04d00dfeed0001"), "UID 04d00dfeed0001");
	free(uid);
	ok(mifare_desfire_connect(t) == 0, "mifare_desfire_connect");
	struct mifare_desfire_version_info vi;
	ok(mifare_desfire_get_version(t, &vi) == 0 && vi.hardware.vendor_id == 0x04 &&
		   vi.uid[0] == 0x04 && vi.uid[6] == 0x01,
	   "GetVersion (three frames): NXP, UID echoed");

	uint8_t z[16] = {0}, k0[16], k1[16];
	memset(k0, 0x5C, 16);
	memset(k1, 0xC5, 16);
	MifareDESFireKey des0 = mifare_desfire_des_key_new(z);
	MifareDESFireKey aes0 = mifare_desfire_aes_key_new(z);
	MifareDESFireKey nk0 = mifare_desfire_aes_key_new_with_version(k0, 3);
	MifareDESFireKey nk1 = mifare_desfire_aes_key_new_with_version(k1, 7);
	MifareDESFireAID aid = mifare_desfire_aid_new(0x112233);

	ok(mifare_desfire_select_application(t, NULL) == 0 && mifare_desfire_authenticate(t, 0, des0) == 0,
	   "legacy DES authentication with the factory PICC key");
	ok(mifare_desfire_create_application_aes(t, aid, 0x0F, 2) == 0, "CreateApplication, 2 AES keys");
	MifareDESFireAID *aids = NULL;
	size_t n = 0;
	ok(mifare_desfire_get_application_ids(t, &aids, &n) == 0 && n == 1 &&
		   mifare_desfire_aid_get_aid(aids[0]) == 0x112233,
	   "GetApplicationIDs lists 0x112233");
	if (aids)
		mifare_desfire_free_application_ids(aids);
	ok(mifare_desfire_select_application(t, aid) == 0 && mifare_desfire_authenticate_aes(t, 0, aes0) == 0,
	   "AES authentication with the application's zero key");
	uint8_t v = 0xFF;
	ok(mifare_desfire_get_key_version(t, 0, &v) == 0 && v == 0,
	   "GetKeyVersion after AES auth: CMAC verified by libfreefare, version 0");
	ok(mifare_desfire_change_key(t, 1, nk1, aes0) == 0,
	   "ChangeKey of key 1 (XOR with old key, two CRC32s), CMAC'd answer verified");
	ok(mifare_desfire_get_key_version(t, 1, &v) == 0 && v == 7,
	   "GetKeyVersion(1) = 7 with the session IV chained across commands");
	ok(mifare_desfire_change_key(t, 0, nk0, NULL) == 0, "ChangeKey of the session key 0 (session ends)");
	ok(mifare_desfire_authenticate_aes(t, 0, aes0) < 0 &&
		   mifare_desfire_last_picc_error(t) == 0xAE,
	   "the old key no longer authenticates (PICC error 0xAE)");
	ok(mifare_desfire_select_application(t, aid) == 0 && mifare_desfire_authenticate_aes(t, 0, nk0) == 0,
	   "the new key 0 authenticates");
	ok(mifare_desfire_get_version(t, &vi) == 0, "GetVersion after AES auth: multi-frame CMAC verified");
	ok(mifare_desfire_select_application(t, NULL) == 0 && mifare_desfire_authenticate(t, 0, des0) == 0 &&
		   mifare_desfire_format_picc(t) == 0,
	   "FormatPICC after PICC authentication");
	n = 99;
	aids = NULL;
	ok(mifare_desfire_get_application_ids(t, &aids, &n) == 0 && n == 0, "no application left");
	if (aids)
		mifare_desfire_free_application_ids(aids);
	mifare_desfire_disconnect(t);
	mifare_desfire_key_free(des0);
	mifare_desfire_key_free(aes0);
	mifare_desfire_key_free(nk0);
	mifare_desfire_key_free(nk1);
	free(aid);
	freefare_free_tags(tags);
	nfc_close(dev);
	nfc_exit(ctx);
	emu_cleanup(&emu);
	return tap_done();
}
