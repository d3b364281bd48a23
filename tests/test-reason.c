/* SPDX-License-Identifier: MIT */
/* The reason catalog: every code has a stable unique id and English + zh-CN text. */
#include "tap.h"
#include "vault/reason.h"

#include <string.h>

static int upper_snake(const char *s)
{
	if (!s[0] || s[0] == '_')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

static int has_non_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

int main(void)
{
	int bad_id = 0, dup = 0, no_en = 0, no_zh = 0, zh_same = 0, zh_ascii = 0, rev = 0;
	for (int i = 0; i < VAULT_R__COUNT; i++) {
		enum vault_reason r = (enum vault_reason)i, back;
		const char *id = vault_reason_id(r), *en = vault_reason_text(r, "en"),
			   *zh = vault_reason_text(r, "zh-CN");
		if (!id || !upper_snake(id) || !strcmp(id, "UNKNOWN")) {
			printf("# bad id for %d\n", i);
			bad_id++;
		}
		for (int j = 0; j < i; j++)
			if (!strcmp(id, vault_reason_id((enum vault_reason)j))) {
				printf("# duplicate id %s\n", id);
				dup++;
			}
		if (!en || !en[0])
			no_en++;
		if (!zh || !zh[0])
			no_zh++;
		if (en && zh && !strcmp(en, zh)) {
			printf("# %s: zh-CN text equals English\n", id);
			zh_same++;
		}
		if (zh && !has_non_ascii(zh)) {
			printf("# %s: zh-CN text is plain ASCII\n", id);
			zh_ascii++;
		}
		if (vault_reason_from_id(id, &back) != 0 || back != r)
			rev++;
	}
	ok(VAULT_R__COUNT > 40, "the catalog has the policy codes (%d codes)", (int)VAULT_R__COUNT);
	ok(bad_id == 0, "every id is non-empty UPPER_SNAKE");
	ok(dup == 0, "ids are unique");
	ok(no_en == 0, "every code has English text");
	ok(no_zh == 0, "every code has zh-CN text");
	ok(zh_same == 0 && zh_ascii == 0, "zh-CN text differs from English and is not ASCII");
	ok(rev == 0, "every id looks back up to its code");
	ok(vault_reason_id(VAULT_R_OK) && !strcmp(vault_reason_id(VAULT_R_CERT_EXPIRED), "CERT_EXPIRED"),
	   "ids are the enum names (CERT_EXPIRED)");
	ok(!strcmp(vault_reason_text(VAULT_R_CERT_EXPIRED, "fr"),
		   vault_reason_text(VAULT_R_CERT_EXPIRED, "en")),
	   "an unknown language falls back to English");
	ok(!strcmp(vault_reason_id((enum vault_reason)VAULT_R__COUNT), "UNKNOWN"),
	   "an out-of-range code gives UNKNOWN");
	enum vault_reason r = VAULT_R_OK;
	ok(vault_reason_from_id("NO_SUCH_REASON", &r) < 0 && r == VAULT_R_OK,
	   "an unknown id is not found and the output untouched");
	return tap_done();
}
