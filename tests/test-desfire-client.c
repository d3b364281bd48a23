/* SPDX-License-Identifier: MIT */
/* The reader-side DESFire client: against the card model, against the published
 * EV1 AES trace, and against malformed answers (short, wrong SW1, wrong lengths). */
#include "tap.h"
#include "vault/desfire_client.h"
#include "vault/desfire_model.h"
#include "vault/util.h"

#include <errno.h>
#include <string.h>

static struct vault_desfire_card *card;

static int to_model(void *ud, const uint8_t *apdu, size_t n, uint8_t *ans, size_t max)
{
	return vault_desfire_card_apdu(card, apdu, n, ans, max);
}

/* A scripted card: answers from a list, whatever is asked. */
static const char *script[4];
static int script_i;
static int scripted(void *ud, const uint8_t *apdu, size_t n, uint8_t *ans, size_t max)
{
	const char *h = script[script_i++];
	if (!h)
		return -EIO;
	size_t l = strlen(h) / 2;
	if (l > max)
		return -EOVERFLOW;
	if (l && vault_unhex(h, ans, l) < 0)
		return -EIO;
	return (int)l;
}

static uint8_t captured[300];
static size_t captured_n;
static int capture(void *ud, const uint8_t *apdu, size_t n, uint8_t *ans, size_t max)
{
	memcpy(captured, apdu, n);
	captured_n = n;
	ans[0] = 0x91;
	ans[1] = 0x00;
	return 2;
}

static void play(const char *a, const char *b)
{
	script[0] = a;
	script[1] = b;
	script[2] = NULL;
	script_i = 0;
}

static void fixed_rng(void *ud, uint8_t *buf, size_t n)
{
	vault_unhex("C05DDD714FD788A6B7B754F3C4D066E8", buf, n);
}

int main(void)
{
	uint8_t uid[7] = {0x04, 1, 2, 3, 4, 5, 6}, aid[3] = {0x56, 0x4C, 0x54}, key[16], wrong[16],
		rnda[16], ver = 0, sk[16], exp[16];
	memset(key, 0x42, 16);
	memset(wrong, 0x43, 16);
	memset(rnda, 0x11, 16);
	vault_desfire_card_new(uid, 7, &card);
	vault_desfire_card_add_aes_app(card, aid, 0x0B, 1, key, 7);

	uint8_t other[3] = {1, 2, 3};
	ok(vault_desfire_select(to_model, NULL, other, NULL) == -ENOENT,
	   "select of an absent application returns -ENOENT");
	ok(vault_desfire_select(to_model, NULL, aid, NULL) == 0, "select our application");
	ok(vault_desfire_key_version(to_model, NULL, 0, &ver, NULL) == 0 && ver == 7,
	   "key version 7 read");
	ok(vault_desfire_auth_aes(to_model, NULL, 0, key, rnda, NULL, NULL) == 0,
	   "AES authentication with the right key succeeds");
	ok(vault_desfire_auth_aes(to_model, NULL, 0, wrong, rnda, NULL, NULL) == -EACCES,
	   "AES authentication with a wrong key returns -EACCES");

	/* Published EV1 trace: key 0 all zero, RndA F44B26F5..., card RndB C05DDD71... */
	struct vault_desfire_card *c2;
	uint8_t zero[16] = {0}, aid2[3] = {0x16, 0xAE, 0x00};
	vault_desfire_card_new(uid, 7, &c2);
	vault_desfire_card_add_aes_app(c2, aid2, 0x0F, 2, zero, 0);
	vault_desfire_card_set_rng(c2, fixed_rng, NULL);
	struct vault_desfire_card *save = card;
	card = c2;
	vault_unhex("F44B26F5686F3A391CD38EBD10772281", rnda, 16);
	ok(vault_desfire_select(to_model, NULL, aid2, NULL) == 0 &&
		   vault_desfire_auth_aes(to_model, NULL, 0, zero, rnda, sk, NULL) == 0,
	   "published trace: authentication with RndA F44B26F5... succeeds");
	vault_unhex("F44B26F5C05DDD7110772281C4D066E8", exp, 16);
	ok(!memcmp(sk, exp, 16), "session key F44B26F5C05DDD7110772281C4D066E8 as published");
	card = save;
	vault_desfire_card_free(c2);

	/* Malformed answers. */
	uint8_t st = 0;
	play("91", NULL);
	ok(vault_desfire_select(scripted, NULL, aid, NULL) == -EBADMSG, "1-byte answer: -EBADMSG");
	play("", NULL);
	ok(vault_desfire_select(scripted, NULL, aid, NULL) == -EBADMSG, "empty answer: -EBADMSG");
	play("9000", NULL);
	ok(vault_desfire_select(scripted, NULL, aid, NULL) == -EBADMSG, "ISO 90 00 instead of 91 xx: -EBADMSG");
	play("00009100", NULL);
	ok(vault_desfire_select(scripted, NULL, aid, NULL) == -EBADMSG, "select answered with data: -EBADMSG");
	play("9100", NULL);
	ok(vault_desfire_key_version(scripted, NULL, 0, &ver, NULL) == -EBADMSG,
	   "key version answer without the byte: -EBADMSG");
	play("91BE", NULL);
	ok(vault_desfire_key_version(scripted, NULL, 0, &ver, &st) == -EPROTO && st == 0xBE,
	   "other status is -EPROTO with the status reported");
	play("0102030491AF", NULL);
	ok(vault_desfire_auth_aes(scripted, NULL, 0, key, rnda, NULL, NULL) == -EBADMSG,
	   "short challenge: -EBADMSG");
	play("000102030405060708090A0B0C0D0E0F91AF", "9100");
	ok(vault_desfire_auth_aes(scripted, NULL, 0, key, rnda, NULL, NULL) == -EBADMSG,
	   "card proof missing in the second answer: -EBADMSG");
	play("000102030405060708090A0B0C0D0E0F91AF", "000102030405060708090A0B0C0D0E0F9100");
	ok(vault_desfire_auth_aes(scripted, NULL, 0, key, rnda, NULL, NULL) == -EACCES,
	   "well-formed but wrong card proof: -EACCES");
	play("000102030405060708090A0B0C0D0E0F91AF", NULL);
	ok(vault_desfire_auth_aes(scripted, NULL, 0, key, rnda, NULL, NULL) == -EIO,
	   "transport failure mid-authentication is returned");

	/* ChangeKey cryptogram against the published trace: session key F44B26F5...,
	 * new key 00102030..B0A09080 version 0x10, IV zero right after authentication. */
	uint8_t nk[16], want[48];
	vault_unhex("00102030405060708090A0B0B0A09080", nk, 16);
	vault_unhex("90C400002100E9F85E219496C2B58C1090DC3935FAE9E840CF61B383D9531946256B1F110C1000",
		    want, 39);
	ok(vault_desfire_change_own_key_aes(capture, NULL, 0, exp, nk, 0x10, NULL) == 0 &&
		   captured_n == 39 && !memcmp(captured, want, 39),
	   "ChangeKey APDU equals the published cryptogram E9F85E21...0C10");

	/* Enrolment steps against a blank card model. */
	struct vault_desfire_card *blank;
	uint8_t z16[16] = {0}, bad16[16], r8[8], pic[3] = {0, 0, 0}, newk[16];
	memset(bad16, 0x77, 16);
	memset(r8, 0x3C, 8);
	memset(newk, 0x99, 16);
	vault_desfire_card_new(uid, 7, &blank);
	card = blank;
	ok(vault_desfire_select(to_model, NULL, pic, NULL) == 0 &&
		   vault_desfire_auth_legacy(to_model, NULL, 0, bad16, r8, NULL) == -EACCES,
	   "legacy DES authentication with a wrong PICC key: -EACCES");
	ok(vault_desfire_auth_legacy(to_model, NULL, 0, z16, r8, NULL) == 0,
	   "legacy DES authentication with the factory zero key succeeds");
	ok(vault_desfire_create_app_aes(to_model, NULL, aid, 0x0B, 1, NULL) == 0, "CreateApplication (AES)");
	ok(vault_desfire_create_app_aes(to_model, NULL, aid, 0x0B, 1, NULL) == -EEXIST,
	   "second CreateApplication of the same AID: -EEXIST");
	ok(vault_desfire_select(to_model, NULL, aid, NULL) == 0 &&
		   vault_desfire_auth_aes(to_model, NULL, 0, z16, rnda, sk, NULL) == 0 &&
		   vault_desfire_change_own_key_aes(to_model, NULL, 0, sk, newk, 4, NULL) == 0,
	   "AES auth with the zero key, then ChangeKey to the new key version 4");
	ok(vault_desfire_select(to_model, NULL, aid, NULL) == 0 &&
		   vault_desfire_key_version(to_model, NULL, 0, &ver, NULL) == 0 && ver == 4 &&
		   vault_desfire_auth_aes(to_model, NULL, 0, newk, rnda, NULL, NULL) == 0,
	   "the card now reports version 4 and authenticates with the new key");
	vault_desfire_card_free(blank);
	card = save;
	vault_desfire_card_free(card);
	return tap_done();
}
