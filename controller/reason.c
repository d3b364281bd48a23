/* SPDX-License-Identifier: MIT */
#include "vault/reason.h"

#include <errno.h>
#include <string.h>

static const struct {
	const char *id, *en, *zh;
} catalog[] = {
#define VAULT_REASON_ROW(id, en, zh) {#id, en, zh},
	VAULT_REASONS(VAULT_REASON_ROW)
#undef VAULT_REASON_ROW
};

const char *vault_reason_id(enum vault_reason r)
{
	return (unsigned)r < VAULT_R__COUNT ? catalog[r].id : "UNKNOWN";
}

const char *vault_reason_text(enum vault_reason r, const char *lang)
{
	if ((unsigned)r >= VAULT_R__COUNT)
		return "unknown reason";
	if (lang && (!strcmp(lang, "zh-CN") || !strcmp(lang, "zh")))
		return catalog[r].zh;
	return catalog[r].en;
}

int vault_reason_from_id(const char *id, enum vault_reason *ret)
{
	for (unsigned i = 0; i < VAULT_R__COUNT; i++)
		if (!strcmp(catalog[i].id, id)) {
			*ret = (enum vault_reason)i;
			return 0;
		}
	return -ENOENT;
}
