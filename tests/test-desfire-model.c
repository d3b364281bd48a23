/* SPDX-License-Identifier: MIT */
/* The DESFire EV1 card model replays a published AES authentication and ChangeKey
 * trace (the "DESFire EV1 Communication Examples" debug log from the RFDoorLock
 * project, PN532 + EV1 card): same RndB in, same bytes out. */
#include "tap.h"
#include "vault/desfire_model.h"
#include "vault/util.h"

#include <string.h>

static const char *rng_hex;

static void fixed_rng(void *ud, uint8_t *buf, size_t n)
{
	if (!rng_hex || vault_unhex(rng_hex, buf, n) < 0)
		memset(buf, 0x55, n);
}

static size_t hx(const char *h, uint8_t *out)
{
	size_t n = strlen(h) / 2;
	if (vault_unhex(h, out, n) < 0)
		exit(2);
	return n;
}

/* Send APDU given as hex, compare the answer with exp (hex). */
static int xfer_is(struct vault_desfire_card *c, const char *apdu, const char *exp)
{
	uint8_t in[300], out[128], e[128];
	size_t n = hx(apdu, in), en = hx(exp, e);
	int r = vault_desfire_card_apdu(c, in, n, out, sizeof out);
	if (r < 0 || (size_t)r != en || memcmp(out, e, en)) {
		char got[260] = "";
		if (r > 0)
			vault_hex(out, (size_t)r, got);
		printf("# got %s (r=%d)\n", got, r);
		return 0;
	}
	return 1;
}

int main(void)
{
	struct vault_desfire_card *c;
	uint8_t uid[7], aid[3] = {0x16, 0xAE, 0x00}, zero[16] = {0}, key[16], exp[16], ver = 0;
	hx("04112233445566", uid);
	ok(vault_desfire_card_new(uid, 7, &c) == 0, "card model created");
	vault_desfire_card_set_rng(c, fixed_rng, NULL);
	ok(vault_desfire_card_add_aes_app(c, aid, 0x0F, 2, zero, 0) == 0, "app 0x00AE16 with 2 AES keys");

	ok(xfer_is(c, "905A00000316AE0000", "9100"), "SelectApplication 00AE16 answers 9100");
	rng_hex = "C05DDD714FD788A6B7B754F3C4D066E8";
	ok(xfer_is(c, "90AA0000010000", "B969FDFE56FD91FC9DE6F6F213B8FD1E91AF"),
	   "AuthenticateAES step 1: E(K0=0, RndB) matches the published RndB_enc");
	ok(xfer_is(c,
		   "90AF00002036AAD7DF6E436BA08D18613830A70D5AD43E3D3F4A8D47541EEE623A934E477400",
		   "800DB680BC146BD121D6578F2D2E20599100"),
	   "AuthenticateAES step 2: published RndAB_enc accepted, E(RndA') matches");
	ok(xfer_is(c,
		   "90C400002100E9F85E219496C2B58C1090DC3935FAE9E840CF61B383D9531946256B1F110C1000",
		   "9100"),
	   "ChangeKey(0) with the published cryptogram (session key F44B26F5...) accepted");
	hx("00102030405060708090A0B0B0A09080", exp);
	ok(vault_desfire_card_get_key(c, aid, 0, key, &ver) == 0 && !memcmp(key, exp, 16) &&
		   ver == 0x10,
	   "key 0 is now 00102030...B0A09080 with version 0x10");

	rng_hex = "271047125A2AA58178F5C51B1177A19B";
	ok(xfer_is(c, "90AA0000010000", "CCC8316C2B2613FE9A189BAC9CC89D0391AF"),
	   "second AuthenticateAES with the new key: RndB_enc as published");
	ok(xfer_is(c,
		   "90AF000020C02E061E72E17726489CAEEC997C523758BF863EFE7671C55B4665D06ACCD97B00",
		   "72ACCC0BDEA482B53185BB5AD00862469100"),
	   "second AuthenticateAES step 2 as published");

	/* A wrong token is refused with AUTHENTICATION_ERROR (0xAE). */
	rng_hex = "271047125A2AA58178F5C51B1177A19B";
	ok(xfer_is(c, "90AA0000010000", "CCC8316C2B2613FE9A189BAC9CC89D0391AF"), "auth restart");
	ok(xfer_is(c,
		   "90AF000020C12E061E72E17726489CAEEC997C523758BF863EFE7671C55B4665D06ACCD97B00",
		   "91AE"),
	   "tampered RndAB_enc refused with 91 AE");

	/* Malformed APDUs: status words, no crash. */
	ok(xfer_is(c, "90AA00", "6700"), "short APDU answered 67 00");
	ok(xfer_is(c, "00A4040000", "6E00"), "ISO CLA 00 answered 6E 00");
	ok(xfer_is(c, "905A0000050102", "6700"), "Lc larger than the data answered 67 00");
	ok(xfer_is(c, "905A000003AABBCC00", "91A0"), "unknown application answered 91 A0");
	ok(xfer_is(c, "90AF000000", "911C"), "stray continuation frame answered 91 1C");

	uint8_t crcin[] = {0xC4, 0x00, 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80,
			   0x90, 0xA0, 0xB0, 0xB0, 0xA0, 0x90, 0x80, 0x10};
	ok(vault_desfire_crc32(crcin, sizeof crcin) == 0x6BE6C6D2,
	   "DESFire CRC32 of the published ChangeKey input is 0x6BE6C6D2");
	vault_desfire_card_free(c);
	vault_desfire_card_free(NULL);
	return tap_done();
}
