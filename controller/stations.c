/* SPDX-License-Identifier: MIT */
#include "stations.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "flood.h"
#include "vault/badge.h"
#include "vault/db.h"
#include "vault/util.h"
#include "vaultd.h"

#define NSTATIONS 3

struct stations {
	struct vaultd *d;
	struct vault_badge_reader *rd[NSTATIONS];
	struct flood *fl[NSTATIONS]; /* their refusal budgets */
	char badge[NSTATIONS][32]; /* present badge per station (for departures) */
};

static const char *const station_names[NSTATIONS] = {"kiosk", "shredder", "console"};

enum vault_reason vaultd_identify(struct vaultd *d, const struct vault_badge_event *ev,
				  char hex[32], char person[64])
{
	hex[0] = person[0] = 0;
	if (ev->id.uid_len)
		vault_hex_upper(ev->id.uid, ev->id.uid_len, hex);
	if (ev->reason != VAULT_R_OK &&
	    !(ev->reason == VAULT_R_BADGE_UNAUTHENTICATED && d->cfg.legacy_uid_only))
		return ev->reason;
	sqlite3_stmt *st;
	if (vault_db_cached(d->db, "SELECT person, status, key_version FROM badge WHERE upper(id)=?",
			    &st) < 0)
		return VAULT_R_DB_ERROR;
	enum vault_reason r = VAULT_R_BADGE_UNKNOWN;
	sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(person, 64, "%s", sqlite3_column_text(st, 0));
		if (strcmp((const char *)sqlite3_column_text(st, 1), "active") != 0)
			r = VAULT_R_BADGE_REVOKED;
		else if (ev->id.authenticated && sqlite3_column_int(st, 2) != ev->id.key_version)
			r = VAULT_R_BADGE_KEY_VERSION;
		else
			r = VAULT_R_OK;
	}
	vault_db_done(st);
	if (r != VAULT_R_OK || ev->id.authenticated)
		return r;
	/* A UID proves nothing: never where top-secret media are held. */
	int ts = 1;
	if (vault_db_cached(d->db, "SELECT count(*) FROM medium WHERE classification='top-secret' "
				   "AND status NOT IN ('destroyed','handed-over')",
			    &st) == 0) {
		ts = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) > 0 : 1;
		vault_db_done(st);
	}
	r = vault_policy_legacy_badge(ts);
	if (r == VAULT_R_OK)
		vault_log(LOG_WARNING, "badge",
			  "legacy UID-only badge %s used by %s at %s: a UID can be copied", hex,
			  person, ev->reader);
	return r;
}

int vaultd_start_badge_reader(struct vaultd *d, const char *name, const char *connstring,
			      void (*cb)(const struct vault_badge_event *, void *), void *ud,
			      struct vault_badge_reader **ret)
{
	struct vault_badge_config bc = {0};
	snprintf(bc.name, sizeof bc.name, "%s", name);
	if (vault_strlcpy(bc.connstring, connstring, sizeof bc.connstring) < 0)
		return -ENAMETOOLONG;
	memcpy(bc.master_key, d->nfc_key, sizeof bc.master_key);
	const char *sysid = d->cfg.sysid[0] ? d->cfg.sysid : d->cfg.name;
	bc.sysid_len = strlen(sysid) > VAULT_BADGE_SYSID_MAX ? VAULT_BADGE_SYSID_MAX : strlen(sysid);
	memcpy(bc.sysid, sysid, bc.sysid_len);
	bc.legacy_uid_only = d->cfg.legacy_uid_only;
	int r = vault_badge_reader_start(d->loop, &vault_badge_nfc_ops, &bc, cb, ud, ret);
	sodium_memzero(bc.master_key, sizeof bc.master_key);
	return r;
}

static int station_index(const char *name)
{
	for (int i = 0; i < NSTATIONS; i++)
		if (!strcmp(station_names[i], name))
			return i;
	return -1;
}

static void on_badge(const struct vault_badge_event *ev, void *ud)
{
	struct stations *s = ud;
	struct vaultd *d = s->d;
	int i = station_index(ev->reader);
	if (i < 0)
		return;
	if (ev->kind == VAULT_BADGE_OFFLINE || ev->kind == VAULT_BADGE_ONLINE) {
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "reader", ev->reader);
		if (ev->kind == VAULT_BADGE_OFFLINE)
			cJSON_AddNumberToObject(p, "errno", -ev->error);
		struct vault_record r = {
			.kind = ev->kind == VAULT_BADGE_OFFLINE ? "reader.offline" : "reader.online",
			.payload = p};
		vaultd_record(d, &r, NULL);
		cJSON_Delete(p);
		return;
	}
	char hex[32] = "", person[64] = "", data[160];
	if (ev->kind == VAULT_BADGE_DEPARTURE) {
		if (!s->badge[i][0])
			return;
		snprintf(data, sizeof data, "badge=%s", s->badge[i]);
		struct vaultd_event e = {.kind = VEV_BADGE_GONE, .source = ev->reader,
					 .badge = s->badge[i]};
		e.sensor_id = vaultd_sensor_event(d, ev->reader, "badge.departed", data);
		vaultd_emit(d, &e);
		s->badge[i][0] = 0;
		return;
	}
	if (ev->kind != VAULT_BADGE_ARRIVAL)
		return;
	enum vault_reason r = vaultd_identify(d, ev, hex, person);
	/* A refusal the reader's flood counts is not stored as a sensor event
	 * either: a probed reader costs no write per presentation. */
	int alone = r == VAULT_R_OK || !s->fl[i] || flood_take(s->fl[i], r, hex);
	snprintf(data, sizeof data, "badge=%s person=%s result=%s", hex, person,
		 vault_reason_id(r));
	struct vaultd_event e = {.kind = VEV_BADGE,
				 .source = ev->reader,
				 .badge = hex,
				 .person = r == VAULT_R_OK ? person : "",
				 .reason = r,
				 .counted = !alone};
	if (alone)
		e.sensor_id = vaultd_sensor_event(d, ev->reader, "badge.arrived", data);
	snprintf(s->badge[i], sizeof s->badge[i], "%s", hex);
	if (r != VAULT_R_OK && alone) {
		char detail[96];
		snprintf(detail, sizeof detail, "badge %s at the %s reader", hex, ev->reader);
		vaultd_record_refusal(d, "station", person, ev->reader, r, detail, NULL);
	}
	vaultd_emit(d, &e);
}

int stations_start(struct vaultd *d, struct stations **ret)
{
	struct stations *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->d = d;
	const char *conn[NSTATIONS] = {d->cfg.reader_kiosk, d->cfg.reader_shredder,
				       d->cfg.reader_console};
	for (int i = 0; i < NSTATIONS; i++) {
		if (!conn[i][0])
			continue;
		int r = flood_new_reader(d, station_names[i], "station.refused", &s->fl[i]);
		if (r == 0)
			r = vaultd_start_badge_reader(d, station_names[i], conn[i], on_badge, s,
						      &s->rd[i]);
		if (r < 0) {
			vault_log(LOG_ERR, "stations", "%s reader %s: %s", station_names[i],
				  conn[i], strerror(-r));
			stations_free(s);
			return r;
		}
	}
	*ret = s;
	return 0;
}

void stations_free(struct stations *s)
{
	if (!s)
		return;
	for (int i = 0; i < NSTATIONS; i++) {
		vault_badge_reader_stop(s->rd[i]);
		flood_free(s->fl[i]);
	}
	free(s);
}
