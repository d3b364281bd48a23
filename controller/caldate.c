/* SPDX-License-Identifier: MIT */
/*
 * Civil dates and site-time-zone conversion. The zone is read from its TZif file
 * and evaluated here, so nothing depends on (or modifies) the process's TZ.
 */
#include "vault/caldate.h"
#include "vault/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TZ_FILE_MAX (1u << 20)
#define TZ_NAME_MAX 64
#define TZ_TIMECNT_MAX 100000u
#define TZ_TYPECNT_MAX 256u
#define DAY_S 86400

/* ---- civil dates -------------------------------------------------------- */

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int vault_days_in_month(int year, int month)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (month < 1 || month > 12)
		return 0;
	return dim[month - 1] + (month == 2 && is_leap(year));
}

bool vault_date_valid(int year, int month, int day)
{
	return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
	       day <= vault_days_in_month(year, month);
}

bool vault_date_is_set(const struct vault_date *d)
{
	return d && d->year != 0 && vault_date_valid(d->year, d->month, d->day);
}

/* Days since 1970-01-01, by 400-year eras (146097 days each) counted from March
 * so that the leap day falls at the end of the counting year. */
int64_t vault_date_to_days(struct vault_date d)
{
	int64_t y = d.year - (d.month <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (d.month + (d.month > 2 ? -3 : 9)) + 2) / 5 + d.day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

struct vault_date vault_date_from_days(int64_t z)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	struct vault_date r;
	r.day = (int)(doy - (153 * mp + 2) / 5 + 1);
	r.month = (int)(mp < 10 ? mp + 3 : mp - 9);
	r.year = (int)(yoe + era * 400 + (r.month <= 2));
	return r;
}

int vault_date_cmp(struct vault_date a, struct vault_date b)
{
	if (a.year != b.year)
		return a.year < b.year ? -1 : 1;
	if (a.month != b.month)
		return a.month < b.month ? -1 : 1;
	if (a.day != b.day)
		return a.day < b.day ? -1 : 1;
	return 0;
}

int64_t vault_date_diff_days(struct vault_date from, struct vault_date to)
{
	return vault_date_to_days(to) - vault_date_to_days(from);
}

static int weekday_of_days(int64_t days)
{
	/* 1970-01-01 was a Thursday (ISO 4). */
	int64_t r = ((days % 7) + 7) % 7;
	return (int)((r + 3) % 7) + 1;
}

int vault_date_weekday(struct vault_date d)
{
	return weekday_of_days(vault_date_to_days(d));
}

int vault_date_add(struct vault_date d, int years, int months, int days,
		   struct vault_date *ret)
{
	if (!ret || !vault_date_is_set(&d))
		return -EINVAL;
	/* 64-bit so that huge arguments give -ERANGE, not overflow. */
	int64_t m0 = (int64_t)d.year * 12 + (d.month - 1) + (int64_t)years * 12 + months;
	if (m0 < 12 || m0 >= (int64_t)10000 * 12)
		return -ERANGE;
	struct vault_date r = {(int)(m0 / 12), (int)(m0 % 12) + 1, d.day};
	int dim = vault_days_in_month(r.year, r.month);
	if (r.day > dim)
		r.day = dim;
	int64_t n = vault_date_to_days(r) + days;
	if (n < vault_date_to_days((struct vault_date){1, 1, 1}) ||
	    n > vault_date_to_days((struct vault_date){9999, 12, 31}))
		return -ERANGE;
	*ret = vault_date_from_days(n);
	return 0;
}

static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int vault_date_parse(const char *s, struct vault_date *ret)
{
	if (!s || !ret || strnlen(s, 11) != 10 || s[4] != '-' || s[7] != '-')
		return -EINVAL;
	int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
	if (y < 0 || m < 0 || d < 0 || !vault_date_valid(y, m, d))
		return -EINVAL;
	*ret = (struct vault_date){y, m, d};
	return 0;
}

int vault_date_format(struct vault_date d, char *buf, size_t size)
{
	if (!buf || !vault_date_is_set(&d))
		return -EINVAL;
	if (size < VAULT_DATE_STRLEN)
		return -ENOBUFS;
	static const char dig[] = "0123456789";
	int v[3] = {d.year, d.month, d.day}, w[3] = {4, 2, 2};
	char *p = buf;
	for (int i = 0; i < 3; i++) {
		if (i)
			*p++ = '-';
		for (int k = w[i] - 1; k >= 0; k--) {
			p[k] = dig[v[i] % 10];
			v[i] /= 10;
		}
		p += w[i];
	}
	*p = '\0';
	return 0;
}

/* ---- time zones --------------------------------------------------------- */

enum rule_kind { RULE_JULIAN1, RULE_JULIAN0, RULE_MONTH };

struct tz_rule {
	enum rule_kind kind;
	int m, w, d;  /* M rules: month, week 1..5, weekday 0 = Sunday */
	int n;        /* J: 1..365 (Feb 29 never counted); plain: 0..365 */
	int32_t time; /* seconds after local midnight (may be negative or > 24 h) */
};

struct posix_tz {
	int32_t std_off, dst_off; /* local = UTC + off */
	bool has_dst;
	struct tz_rule start, end;
};

struct vault_tz {
	char name[TZ_NAME_MAX + 1];
	size_t ntrans;
	int64_t *trans;  /* ascending UTC seconds */
	uint8_t *idx;    /* type index per transition */
	size_t ntypes;
	int32_t *utoff;  /* per type */
	bool has_footer;
	struct posix_tz footer;
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static bool name_ok(const char *name)
{
	size_t n = strnlen(name, TZ_NAME_MAX + 1);
	if (n == 0 || n > TZ_NAME_MAX || name[0] == '/' || strstr(name, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '+' || c == '-' || c == '/'))
			return false;
	}
	return true;
}

/* [+-]hh[:mm[:ss]], hours <= 167 (RFC 8536 allows that in rule times). */
static const char *parse_hms(const char *p, int32_t *ret)
{
	int sign = 1;
	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	int h = 0, mi = 0, s = 0, nd = 0;
	while (*p >= '0' && *p <= '9' && nd < 3)
		h = h * 10 + (*p++ - '0'), nd++;
	if (nd == 0 || h > 167)
		return NULL;
	if (*p == ':') {
		p++;
		if (digits(p, 2) < 0 || (mi = digits(p, 2)) > 59)
			return NULL;
		p += 2;
		if (*p == ':') {
			p++;
			if (digits(p, 2) < 0 || (s = digits(p, 2)) > 59)
				return NULL;
			p += 2;
		}
	}
	*ret = sign * (h * 3600 + mi * 60 + s);
	return p;
}

static const char *parse_tzname(const char *p)
{
	const char *s = p;
	if (*p == '<') {
		while (*++p && *p != '>')
			;
		return *p == '>' && p - s >= 4 ? p + 1 : NULL;
	}
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
		p++;
	return p - s >= 3 ? p : NULL;
}

static const char *parse_rule(const char *p, struct tz_rule *r)
{
	char *end;
	if (*p == 'M') {
		r->kind = RULE_MONTH;
		long m = strtol(p + 1, &end, 10);
		if (end == p + 1 || *end != '.' || m < 1 || m > 12)
			return NULL;
		p = end + 1;
		long w = strtol(p, &end, 10);
		if (end == p || *end != '.' || w < 1 || w > 5)
			return NULL;
		p = end + 1;
		long d = strtol(p, &end, 10);
		if (end == p || d < 0 || d > 6)
			return NULL;
		r->m = (int)m, r->w = (int)w, r->d = (int)d;
	} else {
		bool julian1 = *p == 'J';
		if (julian1)
			p++;
		if (*p < '0' || *p > '9')
			return NULL;
		long n = strtol(p, &end, 10);
		if (n < (julian1 ? 1 : 0) || n > 365)
			return NULL;
		r->kind = julian1 ? RULE_JULIAN1 : RULE_JULIAN0;
		r->n = (int)n;
	}
	p = end;
	r->time = 2 * 3600;
	if (*p == '/')
		p = parse_hms(p + 1, &r->time);
	return p;
}

static int parse_posix_tz(const char *s, struct posix_tz *ret)
{
	struct posix_tz tz = {0};
	int32_t v;
	const char *p = parse_tzname(s);
	if (!p || !(p = parse_hms(p, &v)))
		return -EINVAL;
	tz.std_off = -v; /* POSIX offsets are west-positive */
	if (*p) {
		if (!(p = parse_tzname(p)))
			return -EINVAL;
		tz.has_dst = true;
		tz.dst_off = tz.std_off + 3600;
		if (*p && *p != ',') {
			if (!(p = parse_hms(p, &v)))
				return -EINVAL;
			tz.dst_off = -v;
		}
		if (*p != ',' || !(p = parse_rule(p + 1, &tz.start)) || *p != ',' ||
		    !(p = parse_rule(p + 1, &tz.end)) || *p)
			return -EINVAL;
	}
	*ret = tz;
	return 0;
}

static int64_t rule_day(const struct tz_rule *r, int year)
{
	int64_t jan1 = vault_date_to_days((struct vault_date){year, 1, 1});
	switch (r->kind) {
	case RULE_JULIAN1:
		return jan1 + r->n - 1 + (is_leap(year) && r->n >= 60);
	case RULE_JULIAN0:
		return jan1 + r->n;
	case RULE_MONTH:
	default: {
		int64_t first = vault_date_to_days((struct vault_date){year, r->m, 1});
		int wd0 = weekday_of_days(first) % 7; /* 0 = Sunday, like POSIX */
		int day = 1 + (r->d - wd0 + 7) % 7 + (r->w - 1) * 7;
		while (day > vault_days_in_month(year, r->m))
			day -= 7;
		return first + day - 1;
	}
	}
}

static int32_t footer_offset(const struct posix_tz *tz, int64_t t)
{
	if (!tz->has_dst)
		return tz->std_off;
	int64_t lday = t + tz->std_off;
	lday = (lday >= 0 ? lday : lday - (DAY_S - 1)) / DAY_S;
	int year = vault_date_from_days(lday).year;
	if (year < 1)
		year = 1;
	if (year > 9999)
		year = 9999;
	int64_t start = rule_day(&tz->start, year) * DAY_S + tz->start.time - tz->std_off;
	int64_t end = rule_day(&tz->end, year) * DAY_S + tz->end.time - tz->dst_off;
	bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
	return dst ? tz->dst_off : tz->std_off;
}

/* Parse a TZif buffer into tz. Returns 0 or -EINVAL. */
static int tzif_parse(const uint8_t *buf, size_t len, struct vault_tz *tz)
{
	const uint8_t *p = buf, *endp = buf + len;
	int tsize = 4;
	for (int pass = 0; pass < 2; pass++) {
		if (endp - p < 44 || memcmp(p, "TZif", 4))
			return -EINVAL;
		uint8_t ver = p[4];
		uint32_t isut = be32(p + 20), isstd = be32(p + 24), leap = be32(p + 28),
			 timecnt = be32(p + 32), typecnt = be32(p + 36), charcnt = be32(p + 40);
		if (timecnt > TZ_TIMECNT_MAX || typecnt == 0 || typecnt > TZ_TYPECNT_MAX ||
		    charcnt > 65536 || leap > 65536 || isut > typecnt || isstd > typecnt)
			return -EINVAL;
		p += 44;
		size_t need = (size_t)timecnt * (tsize + 1) + (size_t)typecnt * 6 + charcnt +
			      (size_t)leap * (tsize + 4) + isstd + isut;
		if ((size_t)(endp - p) < need)
			return -EINVAL;
		if (pass == 0 && ver >= '2') {
			/* Skip the 32-bit block; the 64-bit one follows. */
			p += need;
			tsize = 8;
			continue;
		}
		tz->trans = calloc(timecnt ? timecnt : 1, sizeof *tz->trans);
		tz->idx = calloc(timecnt ? timecnt : 1, 1);
		tz->utoff = calloc(typecnt, sizeof *tz->utoff);
		if (!tz->trans || !tz->idx || !tz->utoff)
			return -ENOMEM;
		tz->ntrans = timecnt;
		tz->ntypes = typecnt;
		for (uint32_t i = 0; i < timecnt; i++) {
			tz->trans[i] = tsize == 8 ? be64(p) : (int32_t)be32(p);
			p += tsize;
			if (i && tz->trans[i] <= tz->trans[i - 1])
				return -EINVAL;
		}
		for (uint32_t i = 0; i < timecnt; i++) {
			if (*p >= typecnt)
				return -EINVAL;
			tz->idx[i] = *p++;
		}
		for (uint32_t i = 0; i < typecnt; i++) {
			int32_t off = (int32_t)be32(p);
			/* RFC 8536: -2^31 is invalid; real offsets are within ±26 h. */
			if (off < -26 * 3600 || off > 26 * 3600)
				return -EINVAL;
			tz->utoff[i] = off;
			p += 6;
		}
		p += charcnt + (size_t)leap * (tsize + 4) + isstd + isut;
		if (tsize == 8) {
			/* Footer: "\n" POSIX-TZ "\n"; an empty string means none. */
			if (p >= endp || *p != '\n')
				return -EINVAL;
			const uint8_t *nl = memchr(p + 1, '\n', (size_t)(endp - p - 1));
			if (!nl || nl - p - 1 > 255)
				return -EINVAL;
			if (nl > p + 1) {
				char s[256];
				memcpy(s, p + 1, (size_t)(nl - p - 1));
				s[nl - p - 1] = '\0';
				if (parse_posix_tz(s, &tz->footer) < 0)
					return -EINVAL;
				tz->has_footer = true;
			}
		}
		return 0;
	}
	return -EINVAL;
}

void vault_tz_free(struct vault_tz *tz)
{
	if (!tz)
		return;
	free(tz->trans);
	free(tz->idx);
	free(tz->utoff);
	free(tz);
}

int vault_tz_from_tzif(const char *name, const void *buf, size_t len, struct vault_tz **ret)
{
	if (!name || !buf || !ret || len > TZ_FILE_MAX || strnlen(name, TZ_NAME_MAX + 1) > TZ_NAME_MAX)
		return -EINVAL;
	struct vault_tz *tz = calloc(1, sizeof *tz);
	if (!tz)
		return -ENOMEM;
	memcpy(tz->name, name, strlen(name) + 1);
	int r = tzif_parse(buf, len, tz);
	if (r < 0) {
		vault_tz_free(tz);
		return r;
	}
	*ret = tz;
	return 0;
}

int vault_tz_load(const char *zoneinfo_dir, const char *name, struct vault_tz **ret)
{
	if (!name || !ret || !name_ok(name))
		return -EINVAL;
	if (!zoneinfo_dir)
		zoneinfo_dir = VAULT_ZONEINFO_DIR;
	char path[4096];
	int n = snprintf(path, sizeof path, "%s/%s", zoneinfo_dir, name);
	if (n < 0 || (size_t)n >= sizeof path)
		return -ENAMETOOLONG;
	char *buf;
	size_t len;
	int r = vault_read_file(path, TZ_FILE_MAX, &buf, &len);
	if (r < 0)
		return r;
	r = vault_tz_from_tzif(name, buf, len, ret);
	free(buf);
	return r;
}

const char *vault_tz_name(const struct vault_tz *tz)
{
	return tz ? tz->name : NULL;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

static int32_t offset_at(const struct vault_tz *tz, int64_t t)
{
	if (tz->ntrans == 0)
		return tz->has_footer ? footer_offset(&tz->footer, t) : tz->utoff[0];
	if (t < tz->trans[0])
		return tz->utoff[0];
	if (t >= tz->trans[tz->ntrans - 1] && tz->has_footer)
		return footer_offset(&tz->footer, t);
	size_t lo = 0, hi = tz->ntrans; /* largest i with trans[i] <= t */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (tz->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return tz->utoff[tz->idx[lo]];
}

int vault_tz_offset(const struct vault_tz *tz, int64_t utc_us, int32_t *ret_offset_s)
{
	if (!tz || !ret_offset_s)
		return -EINVAL;
	*ret_offset_s = offset_at(tz, floor_div(utc_us, 1000000));
	return 0;
}

int vault_tz_localtime(const struct vault_tz *tz, int64_t utc_us, struct vault_localtime *ret)
{
	if (!tz || !ret)
		return -EINVAL;
	int64_t t = floor_div(utc_us, 1000000);
	int32_t off = offset_at(tz, t);
	int64_t lt = t + off;
	int64_t days = floor_div(lt, DAY_S);
	int64_t sod = lt - days * DAY_S;
	struct vault_date d = vault_date_from_days(days);
	if (!vault_date_valid(d.year, d.month, d.day))
		return -ERANGE;
	*ret = (struct vault_localtime){
		.date = d,
		.weekday = weekday_of_days(days),
		.minute_of_day = (int)(sod / 60),
		.second = (int)(sod % 60),
		.utc_offset_s = off,
		.utc_us = utc_us,
	};
	return 0;
}

int vault_tz_date(const struct vault_tz *tz, int64_t utc_us, struct vault_date *ret)
{
	struct vault_localtime lt;
	if (!ret)
		return -EINVAL;
	int r = vault_tz_localtime(tz, utc_us, &lt);
	if (r < 0)
		return r;
	*ret = lt.date;
	return 0;
}

int vault_tz_local_to_utc(const struct vault_tz *tz, struct vault_date d, int minute_of_day,
			  int64_t *ret_utc_us)
{
	if (!tz || !ret_utc_us || !vault_date_is_set(&d) || minute_of_day < 0 ||
	    minute_of_day >= 24 * 60)
		return -EINVAL;
	int64_t local = vault_date_to_days(d) * DAY_S + (int64_t)minute_of_day * 60;
	/* Offsets in effect a day either side bracket any single transition. */
	int32_t before = offset_at(tz, local - DAY_S), after = offset_at(tz, local + DAY_S);
	int64_t best = 0;
	bool found = false;
	int32_t cand[2] = {before, after};
	for (int i = 0; i < 2; i++) {
		int64_t t = local - cand[i];
		if (offset_at(tz, t) == cand[i] && (!found || t < best)) {
			best = t;
			found = true;
		}
	}
	if (!found)
		best = local - before; /* in a gap: the skipped-to instant */
	*ret_utc_us = best * 1000000;
	return 0;
}
