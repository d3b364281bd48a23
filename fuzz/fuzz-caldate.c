/* SPDX-License-Identifier: MIT */
/*
 * Untrusted-input parsers of the calendar module: TZif zone data (then every
 * conversion on the parsed zone) and YYYY-MM-DD strings.
 */
#include "vault/caldate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[32];
	size_t n = size < sizeof s - 1 ? size : sizeof s - 1;
	memcpy(s, data, n);
	s[n] = '\0';
	struct vault_date d;
	if (vault_date_parse(s, &d) == 0) {
		char out[VAULT_DATE_STRLEN];
		if (vault_date_format(d, out, sizeof out) != 0 || strcmp(out, s))
			abort(); /* a strict parse must round-trip exactly */
	}

	struct vault_tz *tz = NULL;
	if (vault_tz_from_tzif("fuzz", data, size, &tz) == 0) {
		static const int64_t probes[] = {INT64_MIN / 2, -1, 0, 1782777600000000LL,
						 4102444800000000LL, INT64_MAX / 2};
		for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
			struct vault_localtime lt;
			int64_t us;
			if (vault_tz_localtime(tz, probes[i], &lt) == 0)
				vault_tz_local_to_utc(tz, lt.date, lt.minute_of_day, &us);
		}
		vault_tz_free(tz);
	}
	return 0;
}
