/* SPDX-License-Identifier: MIT */
/*
 * Calendar days in the site time zone: civil-date arithmetic, strict parsing, and
 * UTC -> local conversion checked at local midnight and against glibc.
 */
#include "tap.h"
#include "vault/caldate.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct vault_date D(const char *s)
{
	struct vault_date d = {0};
	if (vault_date_parse(s, &d) < 0) {
		printf("# bad test date %s\n", s);
		exit(1);
	}
	return d;
}

static int same(struct vault_date a, const char *s)
{
	char buf[VAULT_DATE_STRLEN];
	return vault_date_format(a, buf, sizeof buf) == 0 && !strcmp(buf, s);
}

/* UTC instant of an ISO-8601 "YYYY-MM-DDTHH:MM:SSZ" string. */
static int64_t utc(const char *s)
{
	struct tm tm = {0};
	if (!strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) {
		printf("# bad test instant %s\n", s);
		exit(1);
	}
	return (int64_t)timegm(&tm) * 1000000;
}

static void test_dates(void)
{
	struct vault_date r;
	ok(vault_date_add(D("2026-08-31"), 0, 6, 0, &r) == 0 && same(r, "2027-02-28"),
	   "2026-08-31 + 6 months = 2027-02-28 (month-end clamp)");
	ok(vault_date_add(D("2027-08-31"), 0, 6, 0, &r) == 0 && same(r, "2028-02-29"),
	   "2027-08-31 + 6 months = 2028-02-29 (leap year)");
	ok(vault_date_add(D("2024-02-29"), 5, 0, 0, &r) == 0 && same(r, "2029-02-28"),
	   "2024-02-29 + 5 years = 2029-02-28");
	ok(vault_date_add(D("2026-01-31"), 0, 1, 0, &r) == 0 && same(r, "2026-02-28"),
	   "2026-01-31 + 1 month = 2026-02-28");
	ok(vault_date_add(D("2026-03-31"), 0, -1, 0, &r) == 0 && same(r, "2026-02-28"),
	   "2026-03-31 - 1 month = 2026-02-28");
	ok(vault_date_add(D("2026-12-31"), 0, 0, 1, &r) == 0 && same(r, "2027-01-01"),
	   "2026-12-31 + 1 day = 2027-01-01");
	ok(vault_date_add(D("2026-11-15"), 0, 3, 0, &r) == 0 && same(r, "2027-02-15"),
	   "months roll over the year end");
	ok(vault_date_add(D("2028-02-28"), 0, 0, 1, &r) == 0 && same(r, "2028-02-29"),
	   "2028-02-28 + 1 day = 2028-02-29");
	r = D("2000-01-01");
	ok(vault_date_add(D("9999-12-31"), 0, 0, 1, &r) == -ERANGE && same(r, "2000-01-01"),
	   "adding past year 9999 gives -ERANGE and leaves the output untouched");
	ok(vault_date_add((struct vault_date){0}, 0, 0, 1, &r) == -EINVAL,
	   "an unset date cannot be added to");

	ok(vault_date_diff_days(D("2025-11-25"), D("2026-11-25")) == 365,
	   "2025-11-25 .. 2026-11-25 is 365 days");
	ok(vault_date_diff_days(D("2023-11-25"), D("2024-11-25")) == 366,
	   "2023-11-25 .. 2024-11-25 is 366 days (leap day inside)");
	ok(vault_date_diff_days(D("2026-03-01"), D("2026-02-28")) == -1,
	   "difference is negative when the second date is earlier");
	ok(vault_date_diff_days(D("1969-12-31"), D("1970-01-01")) == 1 &&
		   vault_date_to_days(D("1970-01-01")) == 0,
	   "day numbers are continuous across 1970-01-01");
	int rt_ok = 1;
	for (int64_t n = -719162; n <= 2932896; n += 997) {
		struct vault_date d = vault_date_from_days(n);
		if (!vault_date_valid(d.year, d.month, d.day) || vault_date_to_days(d) != n)
			rt_ok = 0;
	}
	ok(rt_ok, "day number -> date -> day number round-trips over 10000 years");
	ok(vault_date_weekday(D("2026-11-25")) == 3 && vault_date_weekday(D("2026-11-29")) == 7 &&
		   vault_date_weekday(D("1970-01-05")) == 1,
	   "ISO weekday: 2026-11-25 Wednesday, 2026-11-29 Sunday, 1970-01-05 Monday");
	ok(vault_date_cmp(D("2026-02-28"), D("2026-03-01")) < 0 &&
		   vault_date_cmp(D("2026-03-01"), D("2026-03-01")) == 0,
	   "dates compare chronologically");
}

static void test_parse(void)
{
	struct vault_date d = {1, 1, 1};
	ok(vault_date_parse("2026-02-28", &d) == 0 && d.year == 2026 && d.month == 2 && d.day == 28,
	   "2026-02-28 parses");
	ok(vault_date_parse("2028-02-29", &d) == 0, "2028-02-29 parses (leap year)");
	d = (struct vault_date){1, 1, 1};
	const char *bad[] = {"2026-02-30", "2026-02-29", "2026-1-5",    "2026-01-05x",
			     " 2026-01-05", "2026-01-05 ", "2026/01/05", "2026-13-01",
			     "2026-00-10", "2026-01-00", "0000-01-01", "26-01-05",
			     "",           "2026-01-5",  "+026-01-05", "2026-01-32"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ok(vault_date_parse(bad[i], &d) == -EINVAL && d.year == 1,
		   "\"%s\" is rejected and the output untouched", bad[i]);
	ok(vault_date_parse(NULL, &d) == -EINVAL, "NULL is rejected");
	char buf[VAULT_DATE_STRLEN];
	ok(vault_date_format(D("0987-06-05"), buf, sizeof buf) == 0 && !strcmp(buf, "0987-06-05"),
	   "format pads with zeros");
	ok(vault_date_format(D("2026-06-05"), buf, 10) == -ENOBUFS,
	   "format refuses a buffer without room for the NUL");
}

static void test_shanghai(void)
{
	struct vault_tz *tz = NULL;
	int r = vault_tz_load(NULL, VAULT_TZ_DEFAULT, &tz);
	if (r == -ENOENT) {
		tap_skip("no zoneinfo for %s on this machine", VAULT_TZ_DEFAULT);
		return;
	}
	ok(r == 0 && tz && !strcmp(vault_tz_name(tz), "Asia/Shanghai"), "Asia/Shanghai loads");
	if (!tz)
		return;
	struct vault_localtime lt;
	ok(vault_tz_localtime(tz, utc("2026-02-28T16:00:00Z"), &lt) == 0 &&
		   same(lt.date, "2026-03-01") && lt.minute_of_day == 0 && lt.second == 0 &&
		   lt.utc_offset_s == 8 * 3600 && lt.weekday == 7,
	   "2026-02-28T16:00Z is 2026-03-01 00:00 (Sunday) in Shanghai");
	ok(vault_tz_localtime(tz, utc("2026-02-28T15:59:59Z"), &lt) == 0 &&
		   same(lt.date, "2026-02-28") && lt.minute_of_day == 23 * 60 + 59 && lt.second == 59,
	   "one second earlier is still 2026-02-28 23:59:59 local");
	ok(vault_tz_localtime(tz, utc("2026-02-28T15:59:59Z") + 999999, &lt) == 0 &&
		   same(lt.date, "2026-02-28"),
	   "the last microsecond before local midnight is still the old day");
	struct vault_date d;
	ok(vault_tz_date(tz, utc("2026-11-25T15:59:59Z"), &d) == 0 && same(d, "2026-11-25") &&
		   vault_tz_date(tz, utc("2026-11-25T16:00:00Z"), &d) == 0 && same(d, "2026-11-26"),
	   "the local day changes at 16:00Z, not at 00:00Z");
	int64_t us = 0;
	ok(vault_tz_local_to_utc(tz, D("2026-03-01"), 0, &us) == 0 &&
		   us == utc("2026-02-28T16:00:00Z"),
	   "local midnight 2026-03-01 maps back to 2026-02-28T16:00Z");
	ok(vault_tz_date(tz, utc("1988-07-01T00:00:00Z"), &d) == 0 && same(d, "1988-07-01"),
	   "historic China DST period (1988) still yields the right day");
	int32_t off;
	ok(vault_tz_offset(tz, utc("1988-07-01T00:00:00Z"), &off) == 0 && off == 9 * 3600,
	   "1988-07 Shanghai was UTC+9 (from the zone's transitions)");
	vault_tz_free(tz);
}

/* Our zone code against glibc's for the same zone (TZ set only in this test). */
static void test_against_glibc(const char *zone)
{
	struct vault_tz *tz = NULL;
	if (vault_tz_load(NULL, zone, &tz) < 0) {
		tap_skip("no zoneinfo for %s", zone);
		return;
	}
	setenv("TZ", zone, 1);
	tzset();
	int mismatches = 0, checked = 0;
	/* 1950 .. 2120 in steps of a bit under 3 hours: crosses every transition
	 * within a few hours, and reaches past the table into the footer rule. */
	for (int64_t t = -631152000; t < 4733510400; t += 10007) {
		struct tm tm;
		time_t tt = (time_t)t;
		if (!localtime_r(&tt, &tm))
			continue;
		struct vault_localtime lt;
		if (vault_tz_localtime(tz, t * 1000000, &lt) < 0 || lt.utc_offset_s != tm.tm_gmtoff ||
		    lt.date.year != tm.tm_year + 1900 || lt.date.month != tm.tm_mon + 1 ||
		    lt.date.day != tm.tm_mday || lt.minute_of_day != tm.tm_hour * 60 + tm.tm_min ||
		    lt.weekday != (tm.tm_wday == 0 ? 7 : tm.tm_wday))
			mismatches++;
		checked++;
	}
	ok(checked > 500000 && mismatches == 0, "%s: %d instants 1950..2120 agree with glibc (%d differ)",
	   zone, checked, mismatches);
	unsetenv("TZ");
	tzset();
	vault_tz_free(tz);
}

static void test_dst_local_to_utc(void)
{
	struct vault_tz *tz = NULL;
	if (vault_tz_load(NULL, "America/New_York", &tz) < 0) {
		tap_skip("no zoneinfo for America/New_York");
		return;
	}
	int64_t us;
	/* 2030-03-10 02:30 does not exist in New York (clocks jump 02:00 -> 03:00). */
	ok(vault_tz_local_to_utc(tz, D("2030-03-10"), 150, &us) == 0 &&
		   us == utc("2030-03-10T07:30:00Z"),
	   "a wall time in the spring-forward gap maps to the skipped-to instant");
	/* 2030-11-03 01:30 happens twice; the earlier one is EDT (UTC-4). */
	ok(vault_tz_local_to_utc(tz, D("2030-11-03"), 90, &us) == 0 &&
		   us == utc("2030-11-03T05:30:00Z"),
	   "an ambiguous wall time maps to the earlier instant");
	vault_tz_free(tz);
}

static void test_tz_load_errors(void)
{
	struct vault_tz *tz = (struct vault_tz *)&tz;
	ok(vault_tz_load(NULL, "../etc/passwd", &tz) == -EINVAL, "a zone name with .. is refused");
	ok(vault_tz_load(NULL, "/etc/localtime", &tz) == -EINVAL, "an absolute zone path is refused");
	ok(vault_tz_load(NULL, "Asia/Shang hai", &tz) == -EINVAL, "a zone name with a space is refused");
	ok(vault_tz_load(NULL, "Nowhere/Atlantis", &tz) == -ENOENT, "an unknown zone gives -ENOENT");
	char dir[] = "/tmp/test-caldate-XXXXXX";
	if (mkdtemp(dir)) {
		char path[64];
		snprintf(path, sizeof path, "%s/Bad", dir);
		FILE *f = fopen(path, "w");
		if (f) {
			fputs("TZif2 but not really a zone file", f);
			fclose(f);
		}
		ok(vault_tz_load(dir, "Bad", &tz) == -EINVAL, "a truncated TZif file is refused");
		ok(tz == (struct vault_tz *)&tz, "the output is untouched on failure");
		remove(path);
		rmdir(dir);
	}
	vault_tz_free(NULL);
}

/* A TZif v2 file with no transitions: everything comes from the footer. */
static size_t tzif_footer_only(const char *posix, int32_t off, uint8_t *buf, size_t size)
{
	size_t n = 0, plen = strlen(posix);
	if (size < 2 * (44 + 6 + 4) + plen + 2)
		return 0;
	for (int pass = 0; pass < 2; pass++) {
		memset(buf + n, 0, 44);
		memcpy(buf + n, "TZif2", 5);
		buf[n + 39] = 1; /* typecnt */
		buf[n + 43] = 4; /* charcnt */
		n += 44;
		uint32_t u = (uint32_t)off;
		uint8_t ttinfo[6] = {u >> 24, u >> 16, u >> 8, u, 0, 0};
		memcpy(buf + n, ttinfo, 6);
		memcpy(buf + n + 6, "XXX", 4);
		n += 10;
	}
	buf[n++] = '\n';
	memcpy(buf + n, posix, plen);
	n += plen;
	buf[n++] = '\n';
	return n;
}

/* Footer rules (DST by M, J and n rules, southern hemisphere, negative and
 * >24 h transition times) against glibc given the same POSIX TZ string. */
static void test_footer_rules(void)
{
	static const char *const zones[] = {
		"EST5EDT,M3.2.0,M11.1.0",
		"AEST-10AEDT,M10.1.0,M4.1.0/3",
		"<+0330>-3:30",
		"IST-2IDT,M3.4.4/26,M10.5.0",
		"<-03>3<-02>,M3.5.0/-2,M10.5.0/-1",
		"AAA3BBB,J60/2,J300/2",
		"CCC-1DDD-2:30,59/1:30,299",
		"NZST-12NZDT,M9.5.0,M4.1.0/3",
	};
	uint8_t buf[512];
	for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
		size_t n = tzif_footer_only(zones[z], 0, buf, sizeof buf);
		struct vault_tz *tz = NULL;
		if (!ok(n && vault_tz_from_tzif("test", buf, n, &tz) == 0, "footer \"%s\" parses",
			zones[z]))
			continue;
		setenv("TZ", zones[z], 1);
		tzset();
		int bad = 0, checked = 0;
		for (int64_t t = 946684800; t < 4102444800; t += 3607) { /* 2000 .. 2100 */
			struct tm tm;
			time_t tt = (time_t)t;
			if (!localtime_r(&tt, &tm))
				continue;
			int32_t off;
			if (vault_tz_offset(tz, t * 1000000, &off) < 0 || off != tm.tm_gmtoff)
				bad++;
			checked++;
		}
		ok(checked > 800000 && bad == 0, "footer \"%s\": offsets 2000..2100 agree with glibc (%d differ)",
		   zones[z], bad);
		unsetenv("TZ");
		tzset();
		vault_tz_free(tz);
	}
	static const char *const bad_footers[] = {"EST", "EST5EDT,M13.1.0,M11.1.0", "EST5EDT,M3.2.0",
						  "5EST", "EST5EDT,M3.2.0,M11.1.0junk", "<+03"};
	for (size_t z = 0; z < sizeof bad_footers / sizeof bad_footers[0]; z++) {
		size_t n = tzif_footer_only(bad_footers[z], 0, buf, sizeof buf);
		struct vault_tz *tz = NULL;
		ok(vault_tz_from_tzif("test", buf, n, &tz) == -EINVAL && !tz,
		   "malformed footer \"%s\" is refused", bad_footers[z]);
	}
}

/* Every strict prefix of a real zone file is refused, never misread. */
static void test_truncated(void)
{
	char *data;
	size_t len;
	FILE *f = fopen(VAULT_ZONEINFO_DIR "/America/New_York", "rb");
	if (!f) {
		tap_skip("no zoneinfo for America/New_York");
		return;
	}
	data = malloc(1 << 20);
	len = data ? fread(data, 1, 1 << 20, f) : 0;
	fclose(f);
	struct vault_tz *tz = NULL;
	ok(len > 0 && vault_tz_from_tzif("America/New_York", data, len, &tz) == 0,
	   "the whole New York file parses from memory");
	vault_tz_free(tz);
	int accepted = 0;
	for (size_t n = 0; n < len; n++) {
		tz = NULL;
		if (vault_tz_from_tzif("x", data, n, &tz) != -EINVAL || tz)
			accepted++;
		vault_tz_free(tz);
	}
	ok(accepted == 0, "all %zu truncations of it are refused (%d accepted)", len, accepted);
	free(data);
}

int main(void)
{
	test_dates();
	test_parse();
	test_shanghai();
	test_against_glibc("Asia/Shanghai");
	test_against_glibc("America/New_York");
	test_against_glibc("Australia/Sydney");
	test_against_glibc("Europe/London");
	test_against_glibc("UTC");
	test_dst_local_to_utc();
	test_tz_load_errors();
	test_footer_rules();
	test_truncated();
	return tap_done();
}
