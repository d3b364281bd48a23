/* SPDX-License-Identifier: MIT */
/*
 * The registry's entities as the admin API and the CLI see them: fields with
 * types, allowed values, defaults and help. vaultd validates every change
 * against this table; vaultctl builds its options and --help from it.
 */
#ifndef VAULT_SCHEMA_H
#define VAULT_SCHEMA_H
#include <cjson/cJSON.h>

enum vault_field_type {
	VAULT_F_TEXT, /* 1..256 printable characters */
	VAULT_F_INT,  /* 0..1000000 */
	VAULT_F_BOOL, /* 0/1, yes/no, true/false */
	VAULT_F_DATE, /* YYYY-MM-DD, a real calendar date */
	VAULT_F_ENUM, /* one of `choices` */
	VAULT_F_REF,  /* id of a row in table `choices` */
};

struct vault_field {
	const char *name;
	enum vault_field_type type;
	const char *choices; /* ENUM: space-separated values; REF: table */
	const char *def;     /* default when absent on add; NULL = required */
	int settable;        /* may be given by the caller (else set by a verb) */
	const char *help;
};

struct vault_entity {
	const char *table; /* registry table */
	const char *noun;  /* CLI noun, e.g. "cert" for certificate */
	const struct vault_field *fields;
	const char *help;
};

extern const struct vault_entity vault_entities[];
const struct vault_entity *vault_entity_by_noun(const char *noun);
const struct vault_entity *vault_entity_by_table(const char *table);
const struct vault_field *vault_entity_field(const struct vault_entity *e, const char *name);

/*
 * Check and normalise one value for field f (text in, typed JSON out).
 * Returns a new cJSON item, or NULL with *ret_err set (a static message).
 */
cJSON *vault_field_value(const struct vault_field *f, const char *text, const char **ret_err);

/* Strict YYYY-MM-DD check of a real calendar date. 0 or -EINVAL. */
int vault_date_check(const char *s);
#endif
