/* SPDX-License-Identifier: MIT */
/*
 * vaultd's INI configuration (inih). Every key is in one table in config.c and
 * documented in docs/vault.ini.example (a test checks both agree). Unknown
 * sections or keys and bad values are errors that name file:line.
 */
#ifndef VAULT_CONFIG_H
#define VAULT_CONFIG_H
#include <stddef.h>

struct vault_config {
	/* [vault] */
	char name[128];
	char timezone[64];
	char database[512];
	char keys_dir[512];
	char socket[512];
	char lang[16];
	/* [ledger] */
	int checkpoint_every;
	char checkpoint_dir[512];
	/* [pin] */
	int argon2_ops;
	int argon2_mem_kib;
	int pin_lockout_after;
	int pin_lockout_seconds;
	/* [policy] */
	int training_max_days;
	int cert_years;
	int onsite_threshold;
	int destruction_months;
	/* [log] */
	char log_level[16];
};

/* Fill with the documented defaults. */
void vault_config_defaults(struct vault_config *c);

/*
 * Parse `path` over the defaults already in *c. Returns 0, or -ENOENT/-EACCES
 * (cannot read), -EINVAL (a bad line). On -EINVAL, err receives
 * "path:line: what is wrong". *c may be partially updated on failure: callers
 * parse into a scratch copy and exit on error.
 */
int vault_config_load(const char *path, struct vault_config *c, char *err, size_t errsize);

/* For the documentation test: key i as "section.key", NULL past the end. */
const char *vault_config_key_name(size_t i, char *buf, size_t size);
#endif
