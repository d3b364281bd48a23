/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for our NFC parsing: the PN532 frame parser, the emulated chip
 * fed arbitrary host bytes (frames reach the DESFire card model), the card model's
 * APDU parser, and the reader-side DESFire client fed arbitrary card answers.
 * Build: clang -fsanitize=fuzzer,address,undefined (make fuzz).
 */
#include "vault/desfire_client.h"
#include "vault/desfire_model.h"
#include "vault/pn532_emu.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct script {
	const uint8_t *p;
	size_t n;
};

/* Each answer: one length byte, then that many bytes (clipped to what is left). */
static int scripted(void *ud, const uint8_t *apdu, size_t n, uint8_t *ans, size_t max)
{
	struct script *s = ud;
	if (s->n == 0)
		return -5;
	size_t l = s->p[0];
	s->p++;
	s->n--;
	if (l > s->n)
		l = s->n;
	if (l > max)
		return -75;
	memcpy(ans, s->p, l);
	s->p += l;
	s->n -= l;
	return (int)l;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t sel = data[0] & 3;
	data++;
	size--;
	switch (sel) {
	case 0: {
		struct vault_pn532_frame f;
		size_t off = 0, used;
		while (off < size && (used = vault_pn532_parse(data + off, size - off, &f)) > 0) {
			if (f.kind == VAULT_PN532_F_FRAME && f.len) {
				volatile uint8_t sink = f.data[f.len - 1];
				(void)sink;
			}
			off += used;
		}
		break;
	}
	case 1: {
		struct vault_pn532_emu *e;
		char reply[128];
		static uint8_t out[1 << 16];
		if (vault_pn532_emu_new_detached(&e) < 0)
			return 0;
		vault_pn532_emu_control(e, "place desfire 04010203040506 00112233445566778899aabbccddeeff 1",
					reply, sizeof reply);
		vault_pn532_emu_feed(e, data, size, out, sizeof out);
		vault_pn532_emu_free(e);
		break;
	}
	case 2: {
		struct vault_desfire_card *c;
		uint8_t uid[7] = {4, 1, 2, 3, 4, 5, 6}, key[16] = {0}, aid[3] = {0x56, 0x4C, 0x54};
		uint8_t out[VAULT_DESFIRE_MAX_RESP + 16];
		if (vault_desfire_card_new(uid, 7, &c) < 0)
			return 0;
		vault_desfire_card_add_aes_app(c, aid, 0x0B, 2, key, 0);
		/* APDUs separated by a length byte. */
		size_t off = 0;
		while (off < size) {
			size_t l = data[off++];
			if (l > size - off)
				l = size - off;
			vault_desfire_card_apdu(c, data + off, l, out, sizeof out);
			off += l;
		}
		vault_desfire_card_free(c);
		break;
	}
	case 3: {
		struct script s = {data, size};
		uint8_t key[16] = {0}, rnda[16] = {0}, ver, st, aid[3] = {1, 2, 3}, sk[16];
		vault_desfire_select(scripted, &s, aid, &st);
		vault_desfire_key_version(scripted, &s, 0, &ver, &st);
		vault_desfire_auth_aes(scripted, &s, 0, key, rnda, sk, &st);
		vault_desfire_auth_legacy(scripted, &s, 0, key, rnda, &st);
		vault_desfire_create_app_aes(scripted, &s, aid, 0x0B, 1, &st);
		vault_desfire_change_own_key_aes(scripted, &s, 0, sk, key, 1, &st);
		break;
	}
	}
	return 0;
}
