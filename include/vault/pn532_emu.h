/* SPDX-License-Identifier: MIT */
/*
 * A PN532 emulator on a pseudo-terminal, spoken to by libnfc's own pn532_uart
 * driver (connstring "pn532_uart:<slave path>"), with ISO 14443A card models:
 * plain cards (4-, 7- or 10-byte UID) and DESFire EV1 (see vault/desfire_model.h).
 *
 * Frames: host 00 00 FF LEN LCS D4 cmd data DCS 00, chip ACK 00 00 FF 00 FF 00 then
 * 00 00 FF LEN LCS D5 cmd+1 data DCS 00. A frame with a bad length or data checksum
 * gets no ACK and no answer, as the chip behaves; host ACK/NACK frames and the HSU
 * wake-up preamble (55 55 00..) are skipped.
 *
 * The emulator object is single-threaded: the owner calls dispatch when the fd is
 * readable, and control lines from the same thread. No logging.
 */
#ifndef VAULT_PN532_EMU_H
#define VAULT_PN532_EMU_H
#include <stddef.h>
#include <stdint.h>

/* ---- frame parser (pure; used by the emulator and the fuzz harness) ---- */
enum vault_pn532_frame_kind {
	VAULT_PN532_F_NEED_MORE = 0, /* consumed 0: wait for more bytes */
	VAULT_PN532_F_GARBAGE,	     /* skip `consumed` bytes (preamble, wake-up, noise) */
	VAULT_PN532_F_ACK,
	VAULT_PN532_F_NACK,
	VAULT_PN532_F_ERROR,	     /* application error frame 00 00 FF 01 FF 7F 81 00 */
	VAULT_PN532_F_BAD_CHECKSUM,  /* skip it, answer nothing */
	VAULT_PN532_F_FRAME,	     /* tfi + data/len valid (data points into buf) */
};

struct vault_pn532_frame {
	enum vault_pn532_frame_kind kind;
	uint8_t tfi;
	const uint8_t *data; /* bytes after TFI: command code and parameters */
	size_t len;
};

/* Look at buf[0..len). Returns the bytes consumed (0 only with NEED_MORE) and fills
 * *ret. Never reads outside buf; every length field is checked. */
size_t vault_pn532_parse(const uint8_t *buf, size_t len, struct vault_pn532_frame *ret);

/* Build a normal (len+1 <= 255) or extended frame into out. Returns the frame length,
 * or -ENOBUFS / -EMSGSIZE. */
int vault_pn532_build(uint8_t tfi, const uint8_t *data, size_t n, uint8_t *out, size_t outmax);

/* ---- emulator ---- */
struct vault_pn532_emu;

/* openpty() + raw mode. The emulator keeps its own slave fd open so the master
 * never sees a hang-up between host sessions. Returns 0, -errno. */
int vault_pn532_emu_new(struct vault_pn532_emu **ret);
/* The same chip without a pty, for feeding bytes directly (tests, fuzzing);
 * vault_pn532_emu_fd() returns -1 and dispatch fails with -EBADF. */
int vault_pn532_emu_new_detached(struct vault_pn532_emu **ret);
/* Accepts NULL. Closes the pty: an attached host then reads EIO. */
void vault_pn532_emu_free(struct vault_pn532_emu *e);
int vault_pn532_emu_fd(const struct vault_pn532_emu *e);
const char *vault_pn532_emu_slave_path(const struct vault_pn532_emu *e);

/* Read what the host sent and answer every complete frame. Returns 0 or -errno. */
int vault_pn532_emu_dispatch(struct vault_pn532_emu *e);

/* Feed host bytes without a pty (tests, fuzzing): answers are written into out.
 * Returns the number of answer bytes, or -ENOBUFS if out is too small. */
int vault_pn532_emu_feed(struct vault_pn532_emu *e, const uint8_t *in, size_t n, uint8_t *out,
			 size_t outmax);

/* Handle one control line (no newline) and write "ok [data]" or "err <reason>" into
 * reply. Lines: place iso14443a <uid>; place desfire <uid> <aeskey> <keyver>;
 * place desfire-blank <uid>; place clone <uid>; remove; status;
 * fault none|badcsum|garble|truncate|errframe|cut [count]; getkey <aid> <keyno>.
 * Faults hit the next `count` answers (all while set without a count): badcsum
 * corrupts the frame's data checksum, garble flips the card's answer bytes, truncate
 * halves the card's answer in a well-formed frame, errframe sends the chip's error
 * frame, cut stops the frame half-way (the host times out).
 * Returns 0, or 1 for "quit" (the caller exits). */
int vault_pn532_emu_control(struct vault_pn532_emu *e, const char *line, char *reply,
			    size_t replymax);
#endif
