/* SPDX-License-Identifier: MIT */
/* PN532 frame parser and emulator chip logic without a pty: checksums both ways,
 * wake-up preamble, host ACK/NACK, registers, cascade UIDs, control lines. */
#include "tap.h"
#include "vault/pn532_emu.h"
#include "vault/util.h"

#include <string.h>

static struct vault_pn532_emu *e;

/* Build a host frame for cmd+params, feed it, return the answer bytes. */
static int cmd(const uint8_t *d, size_t n, uint8_t *out, size_t max)
{
	uint8_t f[300];
	int fl = vault_pn532_build(0xD4, d, n, f, sizeof f);
	if (fl < 0)
		return fl;
	return vault_pn532_emu_feed(e, f, (size_t)fl, out, max);
}

/* Check out = ACK + one valid D5 frame; return its payload (after TFI) length. */
static int answer_payload(const uint8_t *out, int n, const uint8_t **pl)
{
	static const uint8_t ack[] = {0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00};
	struct vault_pn532_frame f;
	if (n < 6 || memcmp(out, ack, 6))
		return -1;
	size_t off = 6, used;
	/* The preamble byte 00 before the start code is skipped as garbage. */
	while ((used = vault_pn532_parse(out + off, (size_t)n - off, &f)) > 0 &&
	       f.kind == VAULT_PN532_F_GARBAGE)
		off += used;
	if (f.kind != VAULT_PN532_F_FRAME || f.tfi != 0xD5 || off + used != (size_t)n)
		return -1;
	*pl = f.data;
	return (int)f.len;
}

int main(void)
{
	uint8_t out[600], frame[300];
	const uint8_t *pl;
	char reply[256];
	struct vault_pn532_frame f;

	int r = vault_pn532_emu_new(&e);
	ok(r == 0 && strncmp(vault_pn532_emu_slave_path(e), "/dev/pts/", 9) == 0,
	   "emulator opens a pty (%s)", r == 0 ? vault_pn532_emu_slave_path(e) : "-");
	if (r < 0)
		return tap_done();

	uint8_t fw[] = {0x02};
	int n = cmd(fw, 1, out, sizeof out);
	int pn = answer_payload(out, n, &pl);
	ok(pn == 5 && pl[0] == 0x03 && pl[1] == 0x32 && pl[2] == 0x01 && pl[3] == 0x06,
	   "GetFirmwareVersion: ACK, then D5 03 32 01 06 07");

	/* Wake-up preamble and zeros before a frame are skipped. */
	uint8_t wake[40] = {0x55, 0x55};
	int fl = vault_pn532_build(0xD4, fw, 1, frame, sizeof frame);
	memcpy(wake + 16, frame, (size_t)fl);
	n = vault_pn532_emu_feed(e, wake, 16 + (size_t)fl, out, sizeof out);
	ok(answer_payload(out, n, &pl) == 5, "a frame after the 55 55 00.. wake-up preamble is answered");

	/* Byte-by-byte delivery. */
	int tot = 0;
	for (int i = 0; i < fl; i++) {
		int k = vault_pn532_emu_feed(e, frame + i, 1, out + tot, sizeof out - (size_t)tot);
		tot += k > 0 ? k : 0;
	}
	ok(answer_payload(out, tot, &pl) == 5, "a frame delivered one byte at a time is answered once");

	frame[fl - 2] ^= 1; /* bad data checksum */
	ok(vault_pn532_emu_feed(e, frame, (size_t)fl, out, sizeof out) == 0,
	   "bad data checksum from the host: no ACK, no answer");
	frame[fl - 2] ^= 1;
	frame[4] ^= 1; /* bad length checksum */
	ok(vault_pn532_emu_feed(e, frame, (size_t)fl, out, sizeof out) == 0,
	   "bad length checksum from the host: no ACK, no answer");
	frame[4] ^= 1;
	static const uint8_t hack[] = {0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00};
	static const uint8_t hnack[] = {0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00};
	ok(vault_pn532_emu_feed(e, hack, 6, out, sizeof out) == 0 &&
		   vault_pn532_emu_feed(e, hnack, 6, out, sizeof out) == 0,
	   "ACK and NACK frames from the host get no answer");
	n = vault_pn532_emu_feed(e, frame, (size_t)fl, out, sizeof out);
	ok(answer_payload(out, n, &pl) == 5, "after the bad frames a good one is answered");

	uint8_t tfi_wrong[] = {0x00, 0x00, 0xFF, 0x02, 0xFE, 0xD5, 0x02, 0x29, 0x00};
	ok(vault_pn532_emu_feed(e, tfi_wrong, sizeof tfi_wrong, out, sizeof out) == 0,
	   "a chip-direction frame (TFI D5) from the host is ignored");

	uint8_t wr[] = {0x08, 0x63, 0x02, 0x80, 0x63, 0x03, 0x81};
	n = cmd(wr, sizeof wr, out, sizeof out);
	uint8_t rd[] = {0x06, 0x63, 0x02, 0x63, 0x03};
	n = cmd(rd, sizeof rd, out, sizeof out);
	pn = answer_payload(out, n, &pl);
	ok(pn == 3 && pl[1] == 0x80 && pl[2] == 0x81, "WriteRegister values read back by ReadRegister");

	uint8_t diag[] = {0x00, 0x00, 'l', 'i', 'b', 'n', 'f', 'c'};
	n = cmd(diag, sizeof diag, out, sizeof out);
	pn = answer_payload(out, n, &pl);
	ok(pn == 8 && !memcmp(pl + 1, diag + 1, 7), "Diagnose communication test echoes its data");

	uint8_t list[] = {0x4A, 0x01, 0x00};
	n = cmd(list, sizeof list, out, sizeof out);
	pn = answer_payload(out, n, &pl);
	ok(pn == 2 && pl[0] == 0x4B && pl[1] == 0x00, "InListPassiveTarget with an empty field: 0 targets");

	vault_pn532_emu_control(e, "place iso14443a 04112233445566778899", reply, sizeof reply);
	uint8_t list10[] = {0x4A, 0x01, 0x00, 0x88, 0x04, 0x11, 0x22, 0x88, 0x33, 0x44, 0x55,
			    0x66, 0x77, 0x88, 0x99};
	n = cmd(list10, sizeof list10, out, sizeof out);
	pn = answer_payload(out, n, &pl);
	ok(pn >= 7 && pl[1] == 1 && pl[6] == 10 && !memcmp(pl + 7, "\x04\x11\x22\x33\x44\x55\x66\x77\x88\x99", 10),
	   "InListPassiveTarget with a cascaded 10-byte UID selects that card");
	list10[14] ^= 1;
	n = cmd(list10, sizeof list10, out, sizeof out);
	pn = answer_payload(out, n, &pl);
	ok(pn == 2 && pl[1] == 0, "InListPassiveTarget with another UID finds nothing");

	vault_pn532_emu_control(e, "place desfire-blank 04010203040506", reply, sizeof reply);
	n = cmd(list, sizeof list, out, sizeof out);
	pn = answer_payload(out, n, &pl);
	ok(pn == 20 && pl[3] == 0x03 && pl[4] == 0x44 && pl[5] == 0x20 && pl[6] == 7 && pl[14] == 6 &&
		   pl[15] == 0x75,
	   "DESFire target: ATQA 03 44, SAK 20, 7-byte UID, ATS 06 75 77 81 02 80");
	uint8_t gv[] = {0x40, 0x01, 0x90, 0x60, 0x00, 0x00, 0x00};
	n = cmd(gv, sizeof gv, out, sizeof out);
	pn = answer_payload(out, n, &pl);
	ok(pn == 11 && pl[1] == 0x00 && pl[2] == 0x04 && pl[9] == 0x91 && pl[10] == 0xAF,
	   "InDataExchange: status 00, then GetVersion part 1 and 91 AF");

	uint8_t autopoll[] = {0x60, 0x01, 0x01, 0x10};
	n = cmd(autopoll, sizeof autopoll, out, sizeof out);
	pn = answer_payload(out, n, &pl);
	ok(pn == 22 && pl[0] == 0x61 && pl[1] == 1 && pl[2] == 0x10 && pl[3] == 18 && pl[8] == 7,
	   "InAutoPoll reports the DESFire as one type-0x10 target");
	uint8_t pres[] = {0x00, 0x06};
	n = cmd(pres, sizeof pres, out, sizeof out);
	pn = answer_payload(out, n, &pl);
	ok(pn == 2 && pl[1] == 0x00, "Diagnose card presence: present");
	uint8_t rnak[] = {0x42, 0xB2};
	n = cmd(rnak, sizeof rnak, out, sizeof out);
	pn = answer_payload(out, n, &pl);
	ok(pn == 3 && pl[1] == 0x00 && (pl[2] & 0xF6) == 0xA2,
	   "InCommunicateThru R(NAK) presence check answered with R(ACK)");
	uint8_t rel[] = {0x52, 0x00};
	n = cmd(rel, sizeof rel, out, sizeof out);
	pn = answer_payload(out, n, &pl);
	ok(pn == 2 && pl[0] == 0x53 && pl[1] == 0x00, "InRelease answers status 00");
	n = cmd(gv, sizeof gv, out, sizeof out);
	pn = answer_payload(out, n, &pl);
	ok(pn == 2 && pl[1] == 0x27, "InDataExchange after InRelease: status 27 (wrong context)");
	vault_pn532_emu_control(e, "remove", reply, sizeof reply);
	n = cmd(pres, sizeof pres, out, sizeof out);
	pn = answer_payload(out, n, &pl);
	ok(pn == 2 && pl[1] == 0x01, "Diagnose card presence after removal: 01 (no card)");
	uint8_t pd[] = {0x16, 0x20};
	n = cmd(pd, sizeof pd, out, sizeof out);
	pn = answer_payload(out, n, &pl);
	ok(pn == 2 && pl[0] == 0x17 && pl[1] == 0x00, "PowerDown answers status 00");

	uint8_t bad[] = {0xFE};
	n = cmd(bad, 1, out, sizeof out);
	ok(n == 14 && !memcmp(out + 6, "\x00\x00\xFF\x01\xFF\x7F\x81\x00", 8),
	   "unknown command: ACK then the syntax error frame");

	/* Long garbage without a start code is dropped, never overflows. */
	uint8_t junk[3000];
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (uint8_t)(i * 7 + 1) | 1;
	ok(vault_pn532_emu_feed(e, junk, sizeof junk, out, sizeof out) == 0, "3000 bytes of noise are skipped");

	/* Parser: extended frame with a length above the PN53x limit is garbage. */
	uint8_t ext[] = {0x00, 0xFF, 0xFF, 0xFF, 0x02, 0x00, 0xFE};
	ok(vault_pn532_parse(ext, sizeof ext, &f) > 0 && f.kind != VAULT_PN532_F_FRAME,
	   "extended frame longer than 265 bytes is refused");
	uint8_t ext_ok[300];
	uint8_t big[260];
	memset(big, 0xAB, sizeof big);
	fl = vault_pn532_build(0xD4, big, sizeof big, ext_ok, sizeof ext_ok);
	ok(fl > 0 && vault_pn532_parse(ext_ok + 1, (size_t)fl - 1, &f) == (size_t)fl - 1 &&
		   f.kind == VAULT_PN532_F_FRAME && f.len == sizeof big,
	   "an extended frame round-trips through build and parse");
	uint8_t zero_len[] = {0x00, 0x00, 0xFF, 0x00, 0x00, 0xD4, 0x02, 0x2A, 0x00};
	ok(vault_pn532_emu_feed(e, zero_len, sizeof zero_len, out, sizeof out) == 0,
	   "a frame with LEN 0 / LCS 0 (no room for the TFI) is skipped (found by fuzzing)");
	ok(vault_pn532_parse(zero_len + 1, sizeof zero_len - 1, &f) > 0 && f.kind != VAULT_PN532_F_FRAME,
	   "the parser never reports a frame with a zero length");
	ok(vault_pn532_parse(ext_ok + 1, 10, &f) == 0 && f.kind == VAULT_PN532_F_NEED_MORE,
	   "a partial frame asks for more bytes");

	static const char *badlines[] = {"place desfire 0411 00 1", "place iso14443a zz112233",
					 "place desfire 04112233445566 0011 1", "frobnicate", "",
					 "fault sideways", "place desfire 04112233445566 00112233445566778899aabbccddeeff 300"};
	int errs = 0;
	for (size_t i = 0; i < VAULT_ARRAY_SIZE(badlines); i++) {
		vault_pn532_emu_control(e, badlines[i], reply, sizeof reply);
		errs += !strncmp(reply, "err ", 4);
	}
	ok(errs == (int)VAULT_ARRAY_SIZE(badlines), "malformed control lines get \"err <reason>\"");
	ok(vault_pn532_emu_control(e, "quit", reply, sizeof reply) == 1, "quit asks the caller to exit");
	vault_pn532_emu_free(e);
	vault_pn532_emu_free(NULL);
	return tap_done();
}
