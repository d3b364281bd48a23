/* SPDX-License-Identifier: MIT */
#include "vault/schema.h"
#include "vault/caldate.h"
#include "vault/policy.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ROLES "custodian staff supervisor admin technician visitor"
#define CLASSES "top-secret secret confidential"

static const struct vault_field unit_f[] = {
	{"name", VAULT_F_TEXT, NULL, NULL, 1, "unit name"},
	{"first_time", VAULT_F_BOOL, NULL, "1", 1, "first-time unit (needs on-site verification)"},
	{"status", VAULT_F_ENUM, "active suspended", "active", 0, "set by unit suspend/reinstate"},
	{"status_reason", VAULT_F_TEXT, NULL, "", 0, "why suspended"},
	{0},
};
static const struct vault_field person_f[] = {
	{"name", VAULT_F_TEXT, NULL, NULL, 1, "full name"},
	{"role", VAULT_F_ENUM, ROLES, NULL, 1, "role"},
	{"unit", VAULT_F_REF, "unit", "", 1, "unit id (empty for none)"},
	{"status", VAULT_F_ENUM, "active inactive", "active", 1, "active or inactive"},
	{"unix_user", VAULT_F_TEXT, NULL, "", 1, "Unix login that may use vaultctl as this person"},
	{0},
};
static const struct vault_field badge_f[] = {
	{"person", VAULT_F_REF, "person", NULL, 1, "holder"},
	{"key_version", VAULT_F_INT, NULL, "1", 1, "key version on the card"},
	{"status", VAULT_F_ENUM, "active revoked", "active", 0, "set by badge revoke"},
	{"enrolled_by", VAULT_F_TEXT, NULL, "", 0, "set by vaultd: who enrolled it"},
	{0},
};
static const struct vault_field cert_f[] = {
	{"person", VAULT_F_REF, "person", NULL, 1, "holder"},
	{"issued", VAULT_F_DATE, NULL, NULL, 1, "issue date"},
	{"expires", VAULT_F_DATE, NULL, "", 1, "expiry date (default: issued + cert_years)"},
	{"revoked", VAULT_F_BOOL, NULL, "0", 1, "revoked"},
	{0},
};
static const struct vault_field training_f[] = {
	{"person", VAULT_F_REF, "person", NULL, 1, "trainee"},
	{"date", VAULT_F_DATE, NULL, NULL, 1, "date of the training"},
	{"kind", VAULT_F_ENUM, "initial annual refresher", "annual", 1, "kind of training"},
	{0},
};
static const struct vault_field inspection_f[] = {
	{"unit", VAULT_F_REF, "unit", NULL, 1, "inspected unit"},
	{"date", VAULT_F_DATE, NULL, NULL, 1, "date"},
	{"result", VAULT_F_ENUM, "pass fail refused", NULL, 1, "result"},
	{"notes", VAULT_F_TEXT, NULL, "", 1, "notes"},
	{0},
};
static const struct vault_field project_f[] = {
	{"name", VAULT_F_TEXT, NULL, NULL, 1, "project name"},
	{"unit", VAULT_F_REF, "unit", "", 1, "unit"},
	{"start", VAULT_F_DATE, NULL, NULL, 1, "start date"},
	{"end", VAULT_F_DATE, NULL, NULL, 1, "end date"},
	{"closed", VAULT_F_BOOL, NULL, "0", 0, "set by project close"},
	{0},
};
static const struct vault_field approval_f[] = {
	{"unit", VAULT_F_REF, "unit", NULL, 1, "requesting unit"},
	{"person", VAULT_F_REF, "person", NULL, 1, "person who will hold the media"},
	{"requester", VAULT_F_TEXT, NULL, "", 0, "set by vaultd: who requested"},
	{"approver", VAULT_F_TEXT, NULL, "", 0, "set by approval approve"},
	{"purpose", VAULT_F_TEXT, NULL, NULL, 1, "purpose"},
	{"scope", VAULT_F_TEXT, NULL, NULL, 1, "media ids and/or dataset:NAME, comma-separated"},
	{"project", VAULT_F_REF, "project", "", 1, "project the media are for"},
	{"max_out", VAULT_F_INT, NULL, "1", 1, "media out at once"},
	{"valid_from", VAULT_F_DATE, NULL, NULL, 1, "first valid day"},
	{"valid_to", VAULT_F_DATE, NULL, NULL, 1, "last valid day"},
	{"due_days", VAULT_F_INT, NULL, "30", 1, "days each checkout may last"},
	{"quantity", VAULT_F_INT, NULL, "1", 1, "media requested in all"},
	{"onsite_verified_by", VAULT_F_TEXT, NULL, "", 0, "set by approval verify-onsite"},
	{"authority_ref", VAULT_F_TEXT, NULL, "", 1, "authority's approval reference (nav-map)"},
	{"state", VAULT_F_ENUM, "requested approved active revoked expired", "requested", 0,
	 "set by approval verbs"},
	{0},
};
static const struct vault_field medium_f[] = {
	{"tag", VAULT_F_TEXT, NULL, NULL, 1, "RFID tag id (hex)"},
	{"title", VAULT_F_TEXT, NULL, NULL, 1, "title"},
	{"dataset", VAULT_F_TEXT, NULL, "", 1, "dataset name"},
	{"category", VAULT_F_ENUM, "survey map nav-map imagery other", "survey", 1, "category"},
	{"classification", VAULT_F_ENUM, CLASSES, NULL, 1, "classification"},
	{"home_shelf", VAULT_F_TEXT, NULL, NULL, 1, "home shelf id"},
	{"status", VAULT_F_ENUM, "in-vault checked-out pending-return destroyed handed-over missing at-destruction",
	 "in-vault", 0, "set by custody flows"},
	{"borrower", VAULT_F_TEXT, NULL, "", 0, "set by checkout"},
	{"approval", VAULT_F_TEXT, NULL, "", 0, "set by checkout"},
	{"due", VAULT_F_TEXT, NULL, "", 0, "set by checkout"},
	{"deadline", VAULT_F_TEXT, NULL, "", 0, "destruction deadline (set when project closes)"},
	{"project", VAULT_F_REF, "project", "", 1, "project"},
	{0},
};
static const struct vault_field schedule_f[] = {
	{"role", VAULT_F_ENUM, ROLES, NULL, 1, "role the window applies to"},
	{"days", VAULT_F_TEXT, NULL, "1-5", 1, "ISO weekdays, e.g. 1-5 or 1,3,5"},
	{"start", VAULT_F_TEXT, NULL, "08:00", 1, "local start HH:MM"},
	{"end", VAULT_F_TEXT, NULL, "18:00", 1, "local end HH:MM"},
	{0},
};
static const struct vault_field holiday_f[] = {
	{"name", VAULT_F_TEXT, NULL, NULL, 1, "holiday name (the id is the date)"},
	{"open", VAULT_F_BOOL, NULL, "0", 1, "vault open anyway"},
	{0},
};
static const struct vault_field dorder_f[] = {
	{"medium", VAULT_F_REF, "medium", NULL, 1, "medium to destroy"},
	{"orderer", VAULT_F_TEXT, NULL, "", 0, "set by vaultd"},
	{"approver", VAULT_F_TEXT, NULL, "", 0, "set by destroy-order approve"},
	{"state", VAULT_F_ENUM, "requested approved done cancelled", "requested", 0, "state"},
	{0},
};
static const struct vault_field device_f[] = {
	{"kind", VAULT_F_ENUM, "door-reader exit-reader kiosk-reader shredder-reader shelf pad "
			       "throat gpio", NULL, 1, "device kind"},
	{"address", VAULT_F_TEXT, NULL, "", 1, "bus address"},
	{"status", VAULT_F_ENUM, "active retired", "active", 1, "status"},
	{0},
};

const struct vault_entity vault_entities[] = {
	{"unit", "unit", unit_f, "units (organisations) that hold approvals"},
	{"person", "person", person_f, "people and their roles"},
	{"badge", "badge", badge_f, "NFC badges (id = card UID hex)"},
	{"certificate", "cert", cert_f, "confidentiality certificates (id = number)"},
	{"training", "training", training_f, "training records"},
	{"inspection", "inspection", inspection_f, "unit inspections"},
	{"project", "project", project_f, "projects"},
	{"approval", "approval", approval_f, "provision approvals"},
	{"medium", "medium", medium_f, "media"},
	{"schedule", "schedule", schedule_f, "access windows per role"},
	{"holiday", "holiday", holiday_f, "holidays (id = YYYY-MM-DD)"},
	{"destruction_order", "destroy-order", dorder_f, "destruction orders"},
	{"device", "device", device_f, "devices"},
	{0},
};

const struct vault_entity *vault_entity_by_noun(const char *noun)
{
	for (const struct vault_entity *e = vault_entities; e->table; e++)
		if (!strcmp(e->noun, noun))
			return e;
	return NULL;
}

const struct vault_entity *vault_entity_by_table(const char *table)
{
	for (const struct vault_entity *e = vault_entities; e->table; e++)
		if (!strcmp(e->table, table))
			return e;
	return NULL;
}

const struct vault_field *vault_entity_field(const struct vault_entity *e, const char *name)
{
	for (const struct vault_field *f = e->fields; f->name; f++)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

int vault_date_check(const char *s)
{
	struct vault_date d;
	return vault_date_parse(s, &d);
}

cJSON *vault_field_value(const struct vault_field *f, const char *v, const char **ret_err)
{
	size_t n = strlen(v);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
			*ret_err = "control characters are not allowed";
			return NULL;
		}
	switch (f->type) {
	case VAULT_F_TEXT:
	case VAULT_F_REF:
		if (n >= VAULT_TEXT_SIZE) { /* bytes: what a loaded record holds */
			*ret_err = "value longer than 256 bytes";
			return NULL;
		}
		return cJSON_CreateString(v);
	case VAULT_F_INT: {
		char *end;
		errno = 0;
		long x = strtol(v, &end, 10);
		if (!n || errno || *end || x < 0 || x > 1000000) {
			*ret_err = "not an integer in 0..1000000";
			return NULL;
		}
		return cJSON_CreateNumber((double)x);
	}
	case VAULT_F_BOOL:
		if (!strcmp(v, "1") || !strcmp(v, "yes") || !strcmp(v, "true"))
			return cJSON_CreateNumber(1);
		if (!strcmp(v, "0") || !strcmp(v, "no") || !strcmp(v, "false"))
			return cJSON_CreateNumber(0);
		*ret_err = "not a yes/no value";
		return NULL;
	case VAULT_F_DATE:
		if (vault_date_check(v) < 0) {
			*ret_err = "not a valid date (YYYY-MM-DD)";
			return NULL;
		}
		return cJSON_CreateString(v);
	case VAULT_F_ENUM:
		for (const char *p = f->choices; *p;) {
			size_t l = strcspn(p, " ");
			if (l == n && !strncmp(p, v, n))
				return cJSON_CreateString(v);
			p += l + (p[l] == ' ');
		}
		*ret_err = "not one of the allowed values";
		return NULL;
	}
	*ret_err = "unknown field type";
	return NULL;
}
