/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shelves.h"

#include "events.h"
#include "vault/tagreader.h"
#include "vault/util.h"
#include "vaultd.h"

struct shelves {
	struct vaultd *d;
	struct vault_tagbus *bus[VAULT_CONFIG_MAX_BUSES];
	int n;
};

static void on_tag(struct vault_tagbus *bus, const struct vault_tag_event *ev, void *ud)
{
	struct shelves *s = ud;
	struct vaultd *d = s->d;
	char hex[2 * VAULT_TAG_ID_BYTES + 1], data[128];
	switch (ev->kind) {
	case VAULT_TAGEV_ARRIVED:
	case VAULT_TAGEV_DEPARTED:
		vault_hex_upper(ev->tag.id, VAULT_TAG_ID_BYTES, hex);
		snprintf(data, sizeof data, "tag=%s antenna=%u rssi=%d%s", hex, ev->tag.antenna,
			 ev->tag.rssi, ev->initial ? " initial=1" : "");
		{
			struct vaultd_event e = {
				.kind = ev->kind == VAULT_TAGEV_ARRIVED ? VEV_TAG_ARRIVED
									: VEV_TAG_DEPARTED,
				.source = ev->shelf_name, .tag = hex, .initial = ev->initial,
				.mono_us = ev->mono_us};
			e.sensor_id = vaultd_sensor_event(
				d, ev->shelf_name,
				ev->kind == VAULT_TAGEV_ARRIVED ? "tag.arrived" : "tag.departed", data);
			vaultd_emit(d, &e);
		}
		break;
	case VAULT_TAGEV_FAULT:
	case VAULT_TAGEV_RECOVERED: {
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "shelf", ev->shelf_name);
		cJSON_AddNumberToObject(p, "slave", ev->slave_id);
		if (ev->kind == VAULT_TAGEV_FAULT) {
			cJSON_AddStringToObject(p, "code", vault_reason_id(ev->reason));
			cJSON_AddStringToObject(p, "text", vault_reason_text(ev->reason, "en"));
			cJSON_AddStringToObject(p, "contents", "kept (last known)");
		}
		struct vault_record r = {
			.kind = ev->kind == VAULT_TAGEV_FAULT ? "shelf.fault" : "shelf.recovered",
			.payload = p};
		vaultd_record(d, &r, NULL);
		cJSON_Delete(p);
		vault_log(ev->kind == VAULT_TAGEV_FAULT ? LOG_WARNING : LOG_NOTICE, "shelves",
			  "%s (slave %d) %s", ev->shelf_name, ev->slave_id,
			  ev->kind == VAULT_TAGEV_FAULT ? vault_reason_id(ev->reason) : "recovered");
		struct vaultd_event e = {
			.kind = ev->kind == VAULT_TAGEV_FAULT ? VEV_SHELF_FAULT : VEV_SHELF_RECOVERED,
			.source = ev->shelf_name, .reason = ev->reason, .mono_us = ev->mono_us};
		vaultd_emit(d, &e);
		break;
	}
	case VAULT_TAGEV_ONLINE:
		snprintf(data, sizeof data, "slave=%d health=%u", ev->slave_id, ev->health);
		{
			struct vaultd_event e = {.kind = VEV_SHELF_ONLINE, .source = ev->shelf_name,
						 .mono_us = ev->mono_us};
			e.sensor_id = vaultd_sensor_event(d, ev->shelf_name, "shelf.online", data);
			vaultd_emit(d, &e);
		}
		break;
	default:
		break;
	}
}

/* "1:SH-1, 2:SH-2" */
static int parse_shelves(const char *text, struct vault_tagbus_config *c)
{
	char buf[512], *save = NULL;
	if (vault_strlcpy(buf, text, sizeof buf) < 0)
		return -EINVAL;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		char *colon = strchr(t, ':');
		if (!colon || c->nshelves == VAULT_TAGBUS_MAX_SHELVES)
			return -EINVAL;
		*colon = 0;
		char *end;
		long id = strtol(t, &end, 10);
		char *name = colon + 1;
		size_t nl = strcspn(name, " ");
		name[nl] = 0;
		if (*end || id < 0 || id > 255 || !*name ||
		    vault_strlcpy(c->shelves[c->nshelves].name, name, VAULT_TAGBUS_NAME_MAX) < 0)
			return -EINVAL;
		c->shelves[c->nshelves++].slave_id = (int)id;
	}
	return c->nshelves ? 0 : -EINVAL;
}

/* Sweeps of a bus the destruction quiet window must span (shelves_check). */
#define QUIET_SWEEPS 3

int shelves_check(const struct vault_config *cfg, char *err, size_t errlen)
{
	int pad = 0, throat = 0;
	for (int i = 0; i < cfg->nbuses; i++) {
		const struct vault_bus_config *b = &cfg->bus[i];
		struct vault_tagbus_config c = {0};
		if (parse_shelves(b->shelves, &c) < 0) {
			snprintf(err, errlen,
				 "[bus.%s] shelves: expected \"ID:NAME, ID:NAME\" (at most %d)",
				 b->name, VAULT_TAGBUS_MAX_SHELVES);
			return -EINVAL;
		}
		for (unsigned k = 0; k < c.nshelves; k++) {
			pad |= !strcmp(c.shelves[k].name, cfg->custody_pad);
			throat |= !strcmp(c.shelves[k].name, cfg->custody_throat);
		}
		/* destruction.confirmed says no reader read the tag for
		 * quiet_window_s: a tag back on any shelf must have been polled
		 * meanwhile. A sweep of the bus takes at most its pause plus a
		 * response timeout per shelf (a shelf in fault gets one attempt per
		 * sweep); three sweeps leave room for a poll that failed. */
		long sweep_ms = b->poll_interval_ms + (long)c.nshelves * b->response_timeout_ms;
		if ((long)cfg->quiet_window_s * 1000 < QUIET_SWEEPS * sweep_ms) {
			snprintf(err, errlen,
				 "[custody] quiet_window_s = %d is shorter than %d sweeps of "
				 "[bus.%s] (poll_interval_ms %d + %u shelves x "
				 "response_timeout_ms %d = %ld ms a sweep; at least %ld s): "
				 "a tag read again could go unseen while "
				 "destruction.confirmed says no reader read it",
				 cfg->quiet_window_s, QUIET_SWEEPS, b->name,
				 b->poll_interval_ms, c.nshelves, b->response_timeout_ms,
				 sweep_ms, (QUIET_SWEEPS * sweep_ms + 999) / 1000);
			return -EINVAL;
		}
	}
	/* A station named in the file must exist: otherwise no checkout (pad)
	 * or destruction (throat) could ever be confirmed, silently. */
	if ((cfg->custody_pad_line && !pad) || (cfg->custody_throat_line && !throat)) {
		int p = cfg->custody_pad_line && !pad;
		snprintf(err, errlen,
			 "[custody] %s = %s (line %d): no [bus.NAME] section's shelves list "
			 "has a shelf of that name",
			 p ? "pad" : "throat", p ? cfg->custody_pad : cfg->custody_throat,
			 p ? cfg->custody_pad_line : cfg->custody_throat_line);
		return -EINVAL;
	}
	return 0;
}

int shelves_start(struct vaultd *d, struct shelves **ret, char *err, size_t errlen)
{
	struct shelves *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->d = d;
	for (int i = 0; i < d->cfg.nbuses; i++) {
		const struct vault_bus_config *b = &d->cfg.bus[i];
		struct vault_tagbus_config c = {0};
		vault_tagbus_config_defaults(&c);
		c.kind = !strcmp(b->kind, "tcp") ? VAULT_TAGBUS_TCP : VAULT_TAGBUS_RTU;
		vault_strlcpy(c.device, b->device, sizeof c.device);
		c.baud = b->baud;
		c.parity = b->parity[0];
		c.rs485 = b->rs485;
		vault_strlcpy(c.host, b->host, sizeof c.host);
		c.port = b->port;
		c.response_timeout_ms = (unsigned)b->response_timeout_ms;
		c.byte_timeout_ms = (unsigned)b->byte_timeout_ms;
		c.retries = (unsigned)b->retries;
		c.poll_interval_ms = (unsigned)b->poll_interval_ms;
		if (parse_shelves(b->shelves, &c) < 0) {
			snprintf(err, errlen,
				 "[bus.%s] shelves: expected \"ID:NAME, ID:NAME\" (at most %d)",
				 b->name, VAULT_TAGBUS_MAX_SHELVES);
			shelves_free(s);
			return -EINVAL;
		}
		for (unsigned k = 0; k < c.nshelves; k++)
			vaultd_shelf_register(d, c.shelves[k].name);
		int r = vault_tagbus_new(&c, NULL, d->loop, on_tag, s, &s->bus[s->n]);
		if (r < 0) {
			snprintf(err, errlen, "[bus.%s]: %s", b->name, strerror(-r));
			shelves_free(s);
			return r;
		}
		s->n++;
	}
	*ret = s;
	return 0;
}

void shelves_free(struct shelves *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->n; i++)
		vault_tagbus_free(s->bus[i]);
	free(s);
}

int shelves_poll_counts(const struct shelves *s, const char *name, uint64_t *ok,
			uint64_t *polls)
{
	for (int i = 0; s && i < s->n; i++) {
		int k = vault_tagbus_shelf_index(s->bus[i], name);
		struct vault_tagbus_stats st;
		if (k >= 0 && vault_tagbus_stats(s->bus[i], (unsigned)k, &st) == 0) {
			*ok = st.ok;
			*polls = st.polls;
			return 0;
		}
	}
	return -ENOENT;
}
