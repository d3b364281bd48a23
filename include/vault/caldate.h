/* SPDX-License-Identifier: MIT */
/*
 * Calendar days in the site's time zone.
 *
 * The directive's rules count calendar days where the vault stands (Asia/Shanghai
 * by default), not UTC days: a certificate "expiring 2026-03-01" is valid until
 * local midnight, which is 2026-02-28T16:00Z in Shanghai.
 *
 * struct vault_date is a plain civil date (proleptic Gregorian, years 1..9999).
 * A zeroed struct (year 0) means "not set"; every function that takes a date
 * rejects it with -EINVAL unless it says otherwise.
 *
 * struct vault_tz is an immutable zone loaded from a TZif file (RFC 8536), with the
 * POSIX TZ footer used past the last transition. It never touches the process
 * environment (no setenv("TZ")/tzset/localtime_r), so a loaded zone may be used
 * from any thread at once without locks; only load and free must not race with
 * users of the same object.
 */
#ifndef VAULT_CALDATE_H
#define VAULT_CALDATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VAULT_TZ_DEFAULT "Asia/Shanghai"
#define VAULT_ZONEINFO_DIR "/usr/share/zoneinfo"
/* "YYYY-MM-DD" plus NUL. */
#define VAULT_DATE_STRLEN 11

struct vault_date {
	int year;  /* 1..9999; 0 = not set */
	int month; /* 1..12 */
	int day;   /* 1..days in month */
};

/* True if y-m-d is a real calendar date in 1..9999. */
bool vault_date_valid(int year, int month, int day);
/* True if d is set (year != 0) and valid. */
bool vault_date_is_set(const struct vault_date *d);
/* Days in a month of a year (0 if month is out of range). */
int vault_days_in_month(int year, int month);

/* Day number: days since 1970-01-01 (may be negative). d must be valid. */
int64_t vault_date_to_days(struct vault_date d);
/* Inverse of vault_date_to_days(). */
struct vault_date vault_date_from_days(int64_t days);
/* <0, 0, >0 like strcmp. Both must be valid. */
int vault_date_cmp(struct vault_date a, struct vault_date b);
/* to - from, in calendar days (positive when `to` is later). Both must be valid. */
int64_t vault_date_diff_days(struct vault_date from, struct vault_date to);
/* ISO weekday: 1 = Monday .. 7 = Sunday. */
int vault_date_weekday(struct vault_date d);

/*
 * Add years and months first, clamping the day to the end of the resulting month
 * (2026-08-31 + 6 months = 2027-02-28; 2027-08-31 + 6 months = 2028-02-29), then
 * add days. Negative values go back. Returns 0, -EINVAL if d is not a valid set
 * date, -ERANGE if the result leaves years 1..9999.
 */
int vault_date_add(struct vault_date d, int years, int months, int days,
		   struct vault_date *ret);

/*
 * Strict "YYYY-MM-DD": exactly 10 characters, 4-2-2 digits, a real date, no
 * leading/trailing space or junk. Returns 0 or -EINVAL (also for NULL).
 */
int vault_date_parse(const char *s, struct vault_date *ret);
/* Format as "YYYY-MM-DD"; size must be >= VAULT_DATE_STRLEN. Returns 0, -EINVAL,
 * or -ENOBUFS. */
int vault_date_format(struct vault_date d, char *buf, size_t size);

/* A local instant, as the policy rules see it. */
struct vault_localtime {
	struct vault_date date; /* the local calendar day */
	int weekday;            /* ISO 1 = Monday .. 7 = Sunday */
	int minute_of_day;      /* 0..1439, local wall clock */
	int second;             /* 0..59 */
	int32_t utc_offset_s;   /* local = UTC + offset */
	int64_t utc_us;         /* the instant it was computed from */
};

struct vault_tz;

/*
 * Load zone `name` (an IANA name such as "Asia/Shanghai", or "UTC") from
 * `zoneinfo_dir` (NULL = VAULT_ZONEINFO_DIR). The name is checked: no leading '/',
 * no "..", only [A-Za-z0-9_+-/], at most 64 characters. The file is read whole
 * (at most 1 MiB) and validated. Blocks on file I/O. Returns 0 and a new zone in
 * *ret (free with vault_tz_free), -EINVAL for a bad name or malformed file,
 * -ENOENT if there is no such zone, or another -errno from reading.
 */
int vault_tz_load(const char *zoneinfo_dir, const char *name, struct vault_tz **ret);
/* The same from TZif bytes already in memory (len <= 1 MiB; `name` is only
 * recorded, at most 64 characters). Returns 0, -EINVAL or -ENOMEM. Never blocks. */
int vault_tz_from_tzif(const char *name, const void *buf, size_t len, struct vault_tz **ret);
void vault_tz_free(struct vault_tz *tz);
/* The name it was loaded under (owned by tz). */
const char *vault_tz_name(const struct vault_tz *tz);

/* UTC offset in seconds in effect at utc_us. Returns 0 or -EINVAL. */
int vault_tz_offset(const struct vault_tz *tz, int64_t utc_us, int32_t *ret_offset_s);
/* The local calendar day, weekday and wall-clock time at utc_us. Returns 0 or
 * -EINVAL (NULL arguments) / -ERANGE (outside years 1..9999). */
int vault_tz_localtime(const struct vault_tz *tz, int64_t utc_us, struct vault_localtime *ret);
/* Shorthand: just the local calendar day at utc_us. */
int vault_tz_date(const struct vault_tz *tz, int64_t utc_us, struct vault_date *ret);
/*
 * The UTC instant of local wall-clock time `d` + `minute_of_day` minutes. In a gap
 * (spring forward) the result is the instant the wall clock reading is skipped to
 * (the earlier offset is applied); in an overlap the earlier instant is returned.
 * Returns 0 or -EINVAL.
 */
int vault_tz_local_to_utc(const struct vault_tz *tz, struct vault_date d, int minute_of_day,
			  int64_t *ret_utc_us);
#endif
