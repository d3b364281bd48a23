/* SPDX-License-Identifier: MIT */
#include "vault/pn532_emu.h"

#include "vault/badge.h"
#include "vault/desfire_model.h"
#include "vault/util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define EXT_MAX 265 /* PN53x extended frame data limit (TFI included) */

size_t vault_pn532_parse(const uint8_t *buf, size_t len, struct vault_pn532_frame *ret)
{
	size_t i = 0;
	memset(ret, 0, sizeof *ret);
	/* Find the start code 00 FF. Everything before it (wake-up 55 55, preamble
	 * zeros, line noise) is skipped. */
	while (i + 1 < len && !(buf[i] == 0x00 && buf[i + 1] == 0xFF))
		i++;
	if (i + 1 >= len) {
		/* Keep a trailing 0x00: it may begin a start code. */
		size_t keep = (len && buf[len - 1] == 0x00) ? 1 : 0;
		if (len - keep > 0) {
			ret->kind = VAULT_PN532_F_GARBAGE;
			return len - keep;
		}
		ret->kind = VAULT_PN532_F_NEED_MORE;
		return 0;
	}
	if (i > 0) {
		ret->kind = VAULT_PN532_F_GARBAGE;
		return i;
	}
	/* buf[0..1] = 00 FF */
	if (len < 4) {
		ret->kind = VAULT_PN532_F_NEED_MORE;
		return 0;
	}
	uint8_t l = buf[2], lcs = buf[3];
	size_t hdr, dlen;
	if (l == 0x00 && lcs == 0xFF) {
		ret->kind = VAULT_PN532_F_ACK;
		return (len >= 5 && buf[4] == 0x00) ? 5 : 4;
	}
	if (l == 0xFF && lcs == 0x00) {
		ret->kind = VAULT_PN532_F_NACK;
		return (len >= 5 && buf[4] == 0x00) ? 5 : 4;
	}
	if (l == 0xFF && lcs == 0xFF) {
		if (len < 7) {
			ret->kind = VAULT_PN532_F_NEED_MORE;
			return 0;
		}
		if (((buf[4] + buf[5] + buf[6]) & 0xFF) != 0) {
			ret->kind = VAULT_PN532_F_BAD_CHECKSUM;
			return 2;
		}
		dlen = (size_t)buf[4] << 8 | buf[5];
		hdr = 7;
		if (dlen == 0 || dlen > EXT_MAX) {
			ret->kind = VAULT_PN532_F_GARBAGE;
			return 2;
		}
	} else {
		if (((l + lcs) & 0xFF) != 0) {
			ret->kind = VAULT_PN532_F_BAD_CHECKSUM;
			return 2;
		}
		if (l == 0x01 && len >= 5 && buf[4] == 0x7F) {
			ret->kind = VAULT_PN532_F_ERROR;
			return len >= 8 ? 7 : 5;
		}
		dlen = l;
		hdr = 4;
		if (dlen == 0) {
			/* 00 FF 00 00: a length of zero cannot hold the TFI. */
			ret->kind = VAULT_PN532_F_GARBAGE;
			return 2;
		}
	}
	/* data (TFI included) + DCS + postamble */
	if (len < hdr + dlen + 2) {
		ret->kind = VAULT_PN532_F_NEED_MORE;
		return 0;
	}
	uint8_t sum = 0;
	for (size_t k = 0; k < dlen + 1; k++)
		sum = (uint8_t)(sum + buf[hdr + k]);
	if (sum != 0) {
		ret->kind = VAULT_PN532_F_BAD_CHECKSUM;
		return hdr + dlen + 2;
	}
	ret->kind = VAULT_PN532_F_FRAME;
	ret->tfi = buf[hdr];
	ret->data = buf + hdr + 1;
	ret->len = dlen - 1;
	return hdr + dlen + 2;
}

int vault_pn532_build(uint8_t tfi, const uint8_t *data, size_t n, uint8_t *out, size_t outmax)
{
	size_t dlen = n + 1, k = 0;
	if (dlen > EXT_MAX)
		return -EMSGSIZE;
	size_t need = dlen + (dlen > 254 ? 10 : 7);
	if (need > outmax)
		return -ENOBUFS;
	out[k++] = 0x00;
	out[k++] = 0x00;
	out[k++] = 0xFF;
	if (dlen > 254) {
		out[k++] = 0xFF;
		out[k++] = 0xFF;
		out[k++] = (uint8_t)(dlen >> 8);
		out[k++] = (uint8_t)dlen;
		out[k++] = (uint8_t)(0x100 - ((dlen >> 8) + (dlen & 0xFF)));
	} else {
		out[k++] = (uint8_t)dlen;
		out[k++] = (uint8_t)(0x100 - dlen);
	}
	uint8_t sum = tfi;
	out[k++] = tfi;
	for (size_t i = 0; i < n; i++) {
		out[k++] = data[i];
		sum = (uint8_t)(sum + data[i]);
	}
	out[k++] = (uint8_t)(0x100 - sum);
	out[k++] = 0x00;
	return (int)k;
}

/* ------------------------------------------------------------------------ */

enum card_kind { CARD_NONE, CARD_ISO14443A, CARD_DESFIRE };
enum fault { FAULT_NONE, FAULT_BADCSUM, FAULT_GARBLE, FAULT_TRUNCATE, FAULT_ERRFRAME, FAULT_CUT };
static const char *const fault_names[] = {"none", "badcsum", "garble", "truncate", "errframe", "cut"};

struct vault_pn532_emu {
	int master, slave;
	char path[128];
	uint8_t in[1024];
	size_t inlen;
	uint8_t regs[65536];
	enum card_kind kind;
	const char *label;
	uint8_t uid[10];
	size_t uid_len;
	int active; /* selected by InListPassiveTarget */
	struct vault_desfire_card *df;
	enum fault fault;
	int fault_left; /* -1: until cleared */
	unsigned frames;
};

int vault_pn532_emu_fd(const struct vault_pn532_emu *e)
{
	return e->master;
}

const char *vault_pn532_emu_slave_path(const struct vault_pn532_emu *e)
{
	return e->path;
}

static int emu_alloc(struct vault_pn532_emu **ret)
{
	struct vault_pn532_emu *e = calloc(1, sizeof *e);
	if (!e)
		return -ENOMEM;
	e->master = e->slave = -1;
	e->fault_left = -1;
	*ret = e;
	return 0;
}

int vault_pn532_emu_new_detached(struct vault_pn532_emu **ret)
{
	return emu_alloc(ret);
}

int vault_pn532_emu_new(struct vault_pn532_emu **ret)
{
	struct vault_pn532_emu *e;
	struct termios t;
	int r = emu_alloc(&e);
	if (r < 0)
		return r;
	if (openpty(&e->master, &e->slave, NULL, NULL, NULL) < 0) {
		r = -errno;
		free(e);
		return r;
	}
	if (ttyname_r(e->slave, e->path, sizeof e->path) != 0) {
		r = -ENAMETOOLONG;
		goto fail;
	}
	/* Raw on both sides: no echo, no line discipline rewriting frame bytes. */
	if (tcgetattr(e->master, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(e->master, TCSANOW, &t);
	}
	if (tcgetattr(e->slave, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(e->slave, TCSANOW, &t);
	}
	fcntl(e->master, F_SETFL, fcntl(e->master, F_GETFL) | O_NONBLOCK);
	fcntl(e->master, F_SETFD, FD_CLOEXEC);
	fcntl(e->slave, F_SETFD, FD_CLOEXEC);
	*ret = e;
	return 0;
fail:
	close(e->master);
	close(e->slave);
	free(e);
	return r;
}

void vault_pn532_emu_free(struct vault_pn532_emu *e)
{
	if (!e)
		return;
	if (e->master >= 0)
		close(e->master);
	if (e->slave >= 0)
		close(e->slave);
	vault_desfire_card_free(e->df);
	free(e);
}

/* ---- answers ---- */
struct out {
	uint8_t *p;
	size_t max, len;
	int overflow;
};

static void out_put(struct out *o, const uint8_t *p, size_t n)
{
	if (o->len + n > o->max) {
		o->overflow = 1;
		return;
	}
	if (n)
		memcpy(o->p + o->len, p, n);
	o->len += n;
}

static int fault_take(struct vault_pn532_emu *e, enum fault f)
{
	if (e->fault != f || e->fault_left == 0)
		return 0;
	if (e->fault_left > 0 && --e->fault_left == 0)
		e->fault = FAULT_NONE;
	return 1;
}

static void answer(struct vault_pn532_emu *e, struct out *o, uint8_t cmd, const uint8_t *data,
		   size_t n)
{
	uint8_t buf[300], frame[320];
	if (fault_take(e, FAULT_ERRFRAME)) {
		static const uint8_t err[] = {0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00};
		out_put(o, err, sizeof err);
		return;
	}
	if (n + 1 > sizeof buf)
		n = sizeof buf - 1;
	buf[0] = (uint8_t)(cmd + 1);
	if (n)
		memcpy(buf + 1, data, n);
	int fl = vault_pn532_build(0xD5, buf, n + 1, frame, sizeof frame);
	if (fl < 0)
		return;
	if (fault_take(e, FAULT_BADCSUM))
		frame[fl - 2] ^= 0x5A;
	if (fault_take(e, FAULT_CUT))
		fl /= 2; /* the frame stops mid-way: the host must time out */
	out_put(o, frame, (size_t)fl);
}

static const uint8_t ack[] = {0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00};

/* Target data as InListPassiveTarget / InAutoPoll report it. */
static size_t target_data(struct vault_pn532_emu *e, uint8_t *p)
{
	size_t k = 0;
	p[k++] = 0x01; /* Tg */
	if (e->kind == CARD_DESFIRE) {
		p[k++] = 0x03; /* SENS_RES (ATQA) of an EV1 */
		p[k++] = 0x44;
		p[k++] = 0x20; /* SAK: ISO 14443-4 */
	} else {
		p[k++] = 0x00;
		p[k++] = e->uid_len == 4 ? 0x04 : e->uid_len == 7 ? 0x44 : 0x84;
		p[k++] = e->uid_len == 4 ? 0x08 : 0x00; /* Classic 1K-like / Ultralight-like */
	}
	p[k++] = (uint8_t)e->uid_len;
	memcpy(p + k, e->uid, e->uid_len);
	k += e->uid_len;
	if (e->kind == CARD_DESFIRE) {
		/* ATS with TL first: TL T0 TA TB TC + historical byte, as an EV1 sends */
		static const uint8_t ats[] = {0x06, 0x75, 0x77, 0x81, 0x02, 0x80};
		memcpy(p + k, ats, sizeof ats);
		k += sizeof ats;
	}
	return k;
}

/* Undo ISO 14443 cascade tags in InListPassiveTarget initiator data. */
static int uid_matches(struct vault_pn532_emu *e, const uint8_t *d, size_t n)
{
	uint8_t u[10];
	size_t ul;
	if (n == 4) {
		memcpy(u, d, 4);
		ul = 4;
	} else if (n == 8 && d[0] == 0x88) {
		memcpy(u, d + 1, 7);
		ul = 7;
	} else if (n == 12 && d[0] == 0x88 && d[4] == 0x88) {
		memcpy(u, d + 1, 3);
		memcpy(u + 3, d + 5, 7);
		ul = 10;
	} else {
		return 0;
	}
	return ul == e->uid_len && !memcmp(u, e->uid, ul);
}

static void card_exchange(struct vault_pn532_emu *e, struct out *o, uint8_t cmd,
			  const uint8_t *d, size_t n, int raw)
{
	uint8_t r[VAULT_DESFIRE_MAX_RESP + 8];
	if (e->kind == CARD_NONE || !e->active) {
		uint8_t st = e->kind == CARD_NONE ? 0x01 : 0x27; /* timeout / wrong context */
		answer(e, o, cmd, &st, 1);
		return;
	}
	r[0] = 0x00;
	size_t rl = 1;
	if (e->kind == CARD_DESFIRE) {
		if (raw && n == 1 && (d[0] & 0xF6) == 0xB2) {
			/* R(NAK) presence check: the card answers R(ACK) with the block number. */
			r[rl++] = (uint8_t)(0xA2 | (d[0] & 0x01));
		} else if (raw) {
			r[0] = 0x01; /* no answer to raw frames we do not model */
		} else {
			int k = vault_desfire_card_apdu(e->df, d, n, r + 1, sizeof r - 1);
			if (k < 0)
				r[0] = 0x01;
			else
				rl += (size_t)k;
		}
	} else {
		r[0] = 0x01; /* plain card: no ISO 14443-4, any exchange times out */
	}
	if (rl > 1 && fault_take(e, FAULT_TRUNCATE))
		rl = 1 + (rl - 1) / 2;
	if (rl > 1 && fault_take(e, FAULT_GARBLE)) {
		for (size_t i = 1; i < rl; i++)
			r[i] ^= (uint8_t)(0xA5 + i);
	}
	answer(e, o, cmd, r, rl);
}

static void handle(struct vault_pn532_emu *e, const uint8_t *d, size_t n, struct out *o)
{
	uint8_t cmd = d[0], r[300];
	const uint8_t *p = d + 1;
	size_t pn = n - 1, rl = 0;
	e->frames++;
	out_put(o, ack, sizeof ack);
	switch (cmd) {
	case 0x00: /* Diagnose */
		if (pn >= 1 && p[0] == 0x00) {
			answer(e, o, cmd, p, pn); /* communication test: echo */
		} else if (pn >= 1 && p[0] == 0x06) {
			r[0] = (e->kind != CARD_NONE && e->active) ? 0x00 : 0x01;
			answer(e, o, cmd, r, 1);
		} else {
			r[0] = 0x00;
			answer(e, o, cmd, r, 1);
		}
		return;
	case 0x02: { /* GetFirmwareVersion: PN532 v1.6, ISO14443A/B + 18092 */
		static const uint8_t fw[] = {0x32, 0x01, 0x06, 0x07};
		answer(e, o, cmd, fw, sizeof fw);
		return;
	}
	case 0x04: /* GetGeneralStatus */
		r[rl++] = 0x00;
		r[rl++] = 0x01;
		r[rl++] = (e->kind != CARD_NONE && e->active) ? 1 : 0;
		if (r[2]) {
			r[rl++] = 0x01;
			r[rl++] = 0x00;
			r[rl++] = 0x00;
			r[rl++] = 0x00;
		}
		r[rl++] = 0x00;
		answer(e, o, cmd, r, rl);
		return;
	case 0x06: /* ReadRegister: big-endian addresses */
		for (size_t i = 0; i + 1 < pn && rl < sizeof r; i += 2)
			r[rl++] = e->regs[(size_t)p[i] << 8 | p[i + 1]];
		answer(e, o, cmd, r, rl);
		return;
	case 0x08: /* WriteRegister: address, value */
		for (size_t i = 0; i + 2 < pn; i += 3) {
			if (i + 2 >= pn)
				break;
			e->regs[(size_t)p[i] << 8 | p[i + 1]] = p[i + 2];
		}
		answer(e, o, cmd, NULL, 0);
		return;
	case 0x0C: /* ReadGPIO */
		r[0] = 0xFF;
		r[1] = 0xFF;
		r[2] = 0x00;
		answer(e, o, cmd, r, 3);
		return;
	case 0x0E: /* WriteGPIO */
	case 0x12: /* SetParameters */
	case 0x14: /* SAMConfiguration */
	case 0x32: /* RFConfiguration */
		answer(e, o, cmd, NULL, 0);
		return;
	case 0x16: /* PowerDown */
		r[0] = 0x00;
		answer(e, o, cmd, r, 1);
		return;
	case 0x4A: /* InListPassiveTarget: MaxTg BrTy [InitiatorData] */
		if (pn < 2) {
			static const uint8_t err[] = {0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00};
			out_put(o, err, sizeof err);
			return;
		}
		if (e->kind == CARD_NONE || p[1] != 0x00 || (pn > 2 && !uid_matches(e, p + 2, pn - 2))) {
			r[0] = 0x00;
			answer(e, o, cmd, r, 1);
			return;
		}
		r[0] = 0x01;
		rl = 1 + target_data(e, r + 1);
		e->active = 1;
		if (e->df)
			vault_desfire_card_reset(e->df); /* a new selection loses authentication */
		answer(e, o, cmd, r, rl);
		return;
	case 0x40: /* InDataExchange: Tg data */
		if (pn < 1) {
			r[0] = 0x27;
			answer(e, o, cmd, r, 1);
			return;
		}
		card_exchange(e, o, cmd, p + 1, pn - 1, 0);
		return;
	case 0x42: /* InCommunicateThru: data */
		card_exchange(e, o, cmd, p, pn, 1);
		return;
	case 0x44: /* InDeselect */
	case 0x52: /* InRelease */
		if (cmd == 0x52)
			e->active = 0;
		if (e->df)
			vault_desfire_card_reset(e->df);
		r[0] = 0x00;
		answer(e, o, cmd, r, 1);
		return;
	case 0x60: /* InAutoPoll: PollNr Period Type... */
		if (e->kind == CARD_NONE) {
			r[0] = 0x00;
			answer(e, o, cmd, r, 1);
			return;
		}
		r[rl++] = 0x01;
		r[rl++] = 0x10; /* type: passive 106 kbps ISO/IEC14443-4A / Mifare */
		rl++;
		{
			size_t tl = target_data(e, r + rl);
			r[2] = (uint8_t)tl;
			rl += tl;
		}
		e->active = 1;
		if (e->df)
			vault_desfire_card_reset(e->df);
		answer(e, o, cmd, r, rl);
		return;
	default: {
		/* Unknown command: the chip's syntax error frame. */
		static const uint8_t err[] = {0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00};
		out_put(o, err, sizeof err);
		return;
	}
	}
}

static void process(struct vault_pn532_emu *e, struct out *o)
{
	size_t off = 0;
	for (;;) {
		struct vault_pn532_frame f;
		size_t used = vault_pn532_parse(e->in + off, e->inlen - off, &f);
		if (used == 0)
			break;
		off += used;
		if (f.kind == VAULT_PN532_F_FRAME && f.tfi == 0xD4 && f.len >= 1)
			handle(e, f.data, f.len, o);
		/* ACK/NACK from the host (abort), error frames, bad checksums and frames
		 * for the other direction get no answer. */
	}
	memmove(e->in, e->in + off, e->inlen - off);
	e->inlen -= off;
	/* A buffer full of an incomplete frame: drop it rather than stall forever. */
	if (e->inlen == sizeof e->in)
		e->inlen = 0;
}

int vault_pn532_emu_feed(struct vault_pn532_emu *e, const uint8_t *in, size_t n, uint8_t *outb,
			 size_t outmax)
{
	struct out o = {.p = outb, .max = outmax};
	while (n > 0) {
		size_t room = sizeof e->in - e->inlen, k = n < room ? n : room;
		memcpy(e->in + e->inlen, in, k);
		e->inlen += k;
		in += k;
		n -= k;
		process(e, &o);
	}
	return o.overflow ? -ENOBUFS : (int)o.len;
}

int vault_pn532_emu_dispatch(struct vault_pn532_emu *e)
{
	uint8_t buf[512], outb[4096];
	for (;;) {
		ssize_t k = read(e->master, buf, sizeof buf);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -errno;
		}
		if (k == 0)
			return 0;
		int ol = vault_pn532_emu_feed(e, buf, (size_t)k, outb, sizeof outb);
		if (ol < 0)
			return ol;
		for (size_t w = 0; w < (size_t)ol;) {
			ssize_t x = write(e->master, outb + w, (size_t)ol - w);
			if (x < 0) {
				if (errno == EINTR || errno == EAGAIN)
					continue;
				return -errno;
			}
			w += (size_t)x;
		}
	}
}

/* ---- control lines ---- */
static int parse_uid(const char *h, uint8_t *uid, size_t *len)
{
	size_t l = h ? strlen(h) : 0;
	if (l != 8 && l != 14 && l != 20)
		return -EINVAL;
	if (vault_unhex(h, uid, l / 2) < 0)
		return -EINVAL;
	*len = l / 2;
	return 0;
}

static int place(struct vault_pn532_emu *e, enum card_kind kind, const char *label,
		 const char *uidh, struct vault_desfire_card **df)
{
	uint8_t uid[10];
	size_t ul;
	if (parse_uid(uidh, uid, &ul) < 0)
		return -EINVAL;
	if (kind == CARD_DESFIRE) {
		int r = vault_desfire_card_new(uid, ul, df);
		if (r < 0)
			return r;
	}
	vault_desfire_card_free(e->df);
	e->df = kind == CARD_DESFIRE ? *df : NULL;
	e->kind = kind;
	e->label = label;
	memcpy(e->uid, uid, ul);
	e->uid_len = ul;
	e->active = 0;
	return 0;
}

#define REPLY(...) (snprintf(reply, replymax, __VA_ARGS__), 0)

int vault_pn532_emu_control(struct vault_pn532_emu *e, const char *line, char *reply,
			    size_t replymax)
{
	char buf[256], *save = NULL;
	char *tok[6] = {0};
	int nt = 0;
	if (vault_strlcpy(buf, line, sizeof buf) < 0)
		return REPLY("err line too long");
	for (char *t = strtok_r(buf, " \t\r\n", &save); t && nt < 6; t = strtok_r(NULL, " \t\r\n", &save))
		tok[nt++] = t;
	if (nt == 0)
		return REPLY("err empty");
	static const uint8_t aid[3] = VAULT_BADGE_AID_BYTES;
	if (!strcmp(tok[0], "quit")) {
		snprintf(reply, replymax, "ok bye");
		return 1;
	}
	if (!strcmp(tok[0], "remove")) {
		vault_desfire_card_free(e->df);
		e->df = NULL;
		e->kind = CARD_NONE;
		e->active = 0;
		return REPLY("ok");
	}
	if (!strcmp(tok[0], "status")) {
		char u[21] = "-";
		if (e->kind != CARD_NONE)
			vault_hex(e->uid, e->uid_len, u);
		return REPLY("ok card=%s uid=%s active=%d fault=%s frames=%u",
			     e->kind == CARD_NONE ? "none" : e->label, u, e->active,
			     fault_names[e->fault], e->frames);
	}
	if (!strcmp(tok[0], "fault") && nt >= 2) {
		for (size_t i = 0; i < VAULT_ARRAY_SIZE(fault_names); i++)
			if (!strcmp(tok[1], fault_names[i])) {
				e->fault = (enum fault)i;
				e->fault_left = nt >= 3 ? atoi(tok[2]) : -1;
				if (e->fault_left == 0)
					e->fault_left = -1;
				return REPLY("ok");
			}
		return REPLY("err unknown fault");
	}
	if (!strcmp(tok[0], "getkey") && nt == 3) {
		uint8_t a[3], key[16], ver;
		char h[33];
		if (!e->df || vault_unhex(tok[1], a, 3) < 0)
			return REPLY("err no desfire card");
		if (vault_desfire_card_get_key(e->df, a, (uint8_t)atoi(tok[2]), key, &ver) < 0)
			return REPLY("err no such key");
		vault_hex(key, 16, h);
		return REPLY("ok %s %u", h, ver);
	}
	if (!strcmp(tok[0], "place") && nt >= 3) {
		struct vault_desfire_card *df = NULL;
		if (!strcmp(tok[1], "iso14443a") && nt == 3) {
			if (place(e, CARD_ISO14443A, "iso14443a", tok[2], &df) < 0)
				return REPLY("err bad uid");
			return REPLY("ok");
		}
		if (!strcmp(tok[1], "desfire-blank") && nt == 3) {
			if (place(e, CARD_DESFIRE, "desfire-blank", tok[2], &df) < 0)
				return REPLY("err bad uid");
			return REPLY("ok");
		}
		if (!strcmp(tok[1], "clone") && nt == 3) {
			uint8_t key[16];
			if (RAND_bytes(key, 16) != 1)
				return REPLY("err no randomness");
			if (place(e, CARD_DESFIRE, "clone", tok[2], &df) < 0)
				return REPLY("err bad uid");
			/* Same UID and our application, but the cloner cannot know the key. */
			vault_desfire_card_add_aes_app(df, aid, 0x0B, 1, key, 1);
			return REPLY("ok");
		}
		if (!strcmp(tok[1], "desfire") && nt == 5) {
			uint8_t key[16];
			char *end = NULL;
			long ver = strtol(tok[4], &end, 0);
			if (strlen(tok[3]) != 32 || vault_unhex(tok[3], key, 16) < 0)
				return REPLY("err bad key");
			if (!end || *end || ver < 0 || ver > 255)
				return REPLY("err bad key version");
			if (place(e, CARD_DESFIRE, "desfire", tok[2], &df) < 0)
				return REPLY("err bad uid");
			vault_desfire_card_add_aes_app(df, aid, 0x0B, 1, key, (uint8_t)ver);
			return REPLY("ok");
		}
		return REPLY("err bad place arguments");
	}
	return REPLY("err unknown command");
}
