/* SPDX-License-Identifier: MIT */
/*
 * libmodbus tag-reader backend (RTU and TCP). Runs only on the bus worker thread.
 * libmodbus's -1/errno results are converted here: its private error codes
 * (MODBUS_ENOBASE + n) never leave this file.
 */
#include "vault/tagreader.h"

#include <errno.h>
#include <modbus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mb {
	modbus_t *ctx;
	int rtu;
	struct vault_tagreader_health health;
};

struct mbpoll {
	struct mb *m;
};

static void set_timeouts(modbus_t *ctx, const struct vault_tagbus_config *cfg)
{
	unsigned rt = cfg->response_timeout_ms, bt = cfg->byte_timeout_ms;
	modbus_set_response_timeout(ctx, rt / 1000, (rt % 1000) * 1000);
	/* 0,0 disables the byte timeout in 3.1.6: then only the response timeout counts. */
	modbus_set_byte_timeout(ctx, bt / 1000, (bt % 1000) * 1000);
	/* We recover ourselves (flush, reconnect); libmodbus's recovery sleeps and retries. */
	modbus_set_error_recovery(ctx, MODBUS_ERROR_RECOVERY_NONE);
}

static int mb_open(const struct vault_tagbus_config *cfg, void **ret_handle,
		   enum vault_reason *why)
{
	struct mb *m = calloc(1, sizeof *m);
	if (!m) {
		*why = VAULT_R_SHELF_BUS_ERROR;
		return -ENOMEM;
	}
	int err;
	if (cfg->kind == VAULT_TAGBUS_RTU) {
		m->rtu = 1;
		m->ctx = modbus_new_rtu(cfg->device, cfg->baud, cfg->parity, cfg->data_bits,
					cfg->stop_bits);
	} else if (cfg->kind == VAULT_TAGBUS_TCP) {
		char port[16];
		snprintf(port, sizeof port, "%d", cfg->port);
		m->ctx = modbus_new_tcp_pi(cfg->host, port);
	} else {
		free(m);
		*why = VAULT_R_SHELF_BUS_ERROR;
		return -EINVAL;
	}
	if (!m->ctx) {
		err = errno ? errno : EINVAL;
		goto fail;
	}
	set_timeouts(m->ctx, cfg);
	if (modbus_connect(m->ctx) < 0) {
		err = errno ? errno : EIO;
		goto fail;
	}
	m->health.connected = 1;
	if (m->rtu && cfg->rs485) {
		m->health.rs485_requested = 1;
		/* A pty or a USB adapter with automatic direction control refuses the ioctl
		 * (ENOTTY): keep going, report it through health. */
		if (modbus_rtu_set_serial_mode(m->ctx, MODBUS_RTU_RS485) == 0)
			m->health.rs485_active = 1;
		else
			m->health.rs485_errno = errno;
	}
	*ret_handle = m;
	return 0;
fail:
	if (m->ctx)
		modbus_free(m->ctx);
	free(m);
	*why = VAULT_R_SHELF_BUS_ERROR;
	return -(err >= MODBUS_ENOBASE ? EIO : err);
}

/* Map a libmodbus failure to our errno + reason. */
static int convert(struct mb *m, int e, enum vault_reason *why)
{
	if (e == ETIMEDOUT) {
		*why = VAULT_R_SHELF_TIMEOUT;
		return -ETIMEDOUT;
	}
	if (e >= EMBXILFUN && e <= EMBXGTAR) {
		*why = VAULT_R_SHELF_EXCEPTION;
		return -EREMOTEIO;
	}
	if (e > EMBXGTAR && e < MODBUS_ENOBASE + 64) {
		*why = VAULT_R_SHELF_BAD_REPLY; /* bad CRC, bad data, wrong slave... */
		return -EBADMSG;
	}
	if (e == EMSGSIZE || e == EINVAL) {
		*why = VAULT_R_SHELF_BAD_REPLY;
		return -EBADMSG;
	}
	/* Anything else is the link itself: reset, broken pipe, device gone. */
	m->health.connected = 0;
	*why = VAULT_R_SHELF_BUS_ERROR;
	return -(e ? e : EIO);
}

static int mb_read(void *ctx, unsigned addr, unsigned count, uint16_t *out,
		   enum vault_reason *why)
{
	struct mb *m = ((struct mbpoll *)ctx)->m;
	/* Room for the most a reply's byte count (one byte) can describe, whatever
	 * libmodbus lets through: never trust it to write only `count` words. */
	uint16_t buf[128];
	if (count == 0 || count > MODBUS_MAX_READ_REGISTERS) {
		*why = VAULT_R_SHELF_BAD_REPLY;
		return -EINVAL;
	}
	errno = 0;
	int rc = modbus_read_input_registers(m->ctx, (int)addr, (int)count, buf);
	if (rc < 0) {
		int e = errno;
		int r = convert(m, e, why);
		m->health.last_errno = -r;
		/* Drop whatever half-frame or late reply is left on the line, so it is not
		 * taken for the answer to the next request. */
		if (m->health.connected)
			modbus_flush(m->ctx);
		return r;
	}
	if ((unsigned)rc != count) {
		*why = VAULT_R_SHELF_BAD_REPLY;
		return -EBADMSG;
	}
	memcpy(out, buf, count * sizeof buf[0]);
	return rc;
}

static int mb_poll(void *h, int slave_id, int have_last, uint16_t last_seq,
		   struct vault_shelf_snapshot *snap, enum vault_reason *why)
{
	struct mb *m = h;
	if (!m->health.connected) {
		*why = VAULT_R_SHELF_BUS_ERROR;
		return -ENOTCONN;
	}
	if (modbus_set_slave(m->ctx, slave_id) < 0) {
		*why = VAULT_R_SHELF_BUS_ERROR;
		return -EINVAL;
	}
	struct mbpoll p = {m};
	return vault_tagdecode_poll(mb_read, &p, have_last, last_seq, snap, why);
}

static int mb_health(void *h, struct vault_tagreader_health *ret)
{
	struct mb *m = h;
	*ret = m->health;
	return 0;
}

static void mb_close(void *h)
{
	struct mb *m = h;
	if (!m)
		return;
	modbus_close(m->ctx);
	modbus_free(m->ctx);
	free(m);
}

const struct vault_tagreader_ops vault_tagreader_modbus_ops = {
    .name = "modbus",
    .open = mb_open,
    .poll = mb_poll,
    .health = mb_health,
    .close = mb_close,
};
