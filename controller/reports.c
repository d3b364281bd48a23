/* SPDX-License-Identifier: MIT */
/*
 * Supervisor reports (vault/reports.h). Read-only: every function only SELECTs.
 * Rows are gathered as cJSON objects with a fixed column list, then written as a
 * table, CSV or JSON by one emitter, so the three formats cannot disagree.
 */
#include "vault/reports.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "vault/ledger.h"
#include "vault/reason.h"
#include "vault/regload.h"
#include "vault/util.h"
#include "vault/verify.h"

/* ---- small helpers ------------------------------------------------------- */

static const char *txt(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	return t ? t : "";
}

static struct vault_date ctx_today(const struct vault_report_ctx *c)
{
	struct vault_date d = c->today;
	if (!vault_date_is_set(&d) && vault_tz_date(c->tz, c->now_utc_us, &d) < 0)
		memset(&d, 0, sizeof d);
	return d;
}

/* Local "YYYY-MM-DD HH:MM:SS" of a UTC instant in the site zone. */
static void local_time(const struct vault_report_ctx *c, int64_t utc_us, char buf[32])
{
	struct vault_localtime lt;
	if (vault_tz_localtime(c->tz, utc_us, &lt) < 0) {
		snprintf(buf, 32, "?");
		return;
	}
	snprintf(buf, 32, "%04d-%02d-%02d %02d:%02d:%02d", lt.date.year, lt.date.month,
		 lt.date.day, lt.minute_of_day / 60, lt.minute_of_day % 60, lt.second);
}

static void hash_hex(sqlite3_stmt *st, int i, char out[2 * VAULT_HASH_LEN + 1])
{
	out[0] = 0;
	if (sqlite3_column_bytes(st, i) == VAULT_HASH_LEN)
		vault_hex(sqlite3_column_blob(st, i), VAULT_HASH_LEN, out);
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
	return sqlite3_prepare_v2(db, sql, -1, st, NULL) == SQLITE_OK ? 0 : -EIO;
}

/* Finalize and turn the last step's code into 0 / -EIO. */
static int finish(sqlite3_stmt *st, int rc)
{
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* The destruction deadline of a medium: its own (set by the project's end or
 * inherited by a copy), else project end + destruction_months. */
static int medium_deadline(const struct vault_report_ctx *c, const char *own,
			   const char *project_end, struct vault_date *ret)
{
	if (*own && vault_date_parse(own, ret) == 0)
		return 0;
	struct vault_date end;
	if (*project_end && vault_date_parse(project_end, &end) == 0)
		return vault_policy_destruction_deadline(end, c->policy, ret);
	return -ENOENT;
}

static void add_str(cJSON *o, const char *k, const char *v)
{
	cJSON_AddStringToObject(o, k, v ? v : "");
}

static void add_date(cJSON *o, const char *k, struct vault_date d)
{
	char b[VAULT_DATE_STRLEN] = "";
	if (vault_date_is_set(&d))
		vault_date_format(d, b, sizeof b);
	add_str(o, k, b);
}

/* ---- the emitter ----------------------------------------------------------- */

struct tab {
	const char *const *cols;
	size_t ncols;
	cJSON *rows; /* array of objects keyed by cols */
};

static void cell(const cJSON *row, const char *col, char *buf, size_t size)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, col);
	if (cJSON_IsString(v))
		snprintf(buf, size, "%s", v->valuestring);
	else if (cJSON_IsNumber(v))
		snprintf(buf, size, "%" PRId64, (int64_t)v->valuedouble);
	else
		buf[0] = 0;
}

/* RFC 4180: quote a field holding a comma, quote, CR or LF; double quotes. A
 * leading = + - @ is prefixed with ' so that a spreadsheet never evaluates a
 * registry value as a formula. */
static void csv_field(FILE *out, const char *s)
{
	int formula = (*s == '=' || *s == '+' || *s == '-' || *s == '@') &&
		      !(s[0] == '-' && s[1] >= '0' && s[1] <= '9');
	if (!formula && !strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	if (formula)
		fputc('\'', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

/* Display width in code points (CJK is wider on a terminal; good enough). */
static size_t width(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void csv_row(FILE *out, const struct tab *t, const cJSON *row)
{
	char buf[4096];
	for (size_t i = 0; i < t->ncols; i++) {
		if (i)
			fputc(',', out);
		cell(row, t->cols[i], buf, sizeof buf);
		csv_field(out, buf);
	}
	fputs("\r\n", out);
}

#define MAX_COLS 32
#define MAX_WIDTH 48

static void table_widths(const struct tab *t, size_t w[MAX_COLS])
{
	char buf[4096];
	for (size_t i = 0; i < t->ncols; i++)
		w[i] = strlen(t->cols[i]);
	const cJSON *row;
	cJSON_ArrayForEach(row, t->rows) for (size_t i = 0; i < t->ncols; i++)
	{
		cell(row, t->cols[i], buf, sizeof buf);
		size_t l = width(buf);
		if (l > w[i])
			w[i] = l > MAX_WIDTH ? MAX_WIDTH : l;
	}
}

/* One table line: the header (row NULL, upper case) or a row. */
static void table_line(FILE *out, const struct tab *t, const size_t w[MAX_COLS],
		       const cJSON *row)
{
	char buf[4096];
	for (size_t i = 0; i < t->ncols; i++) {
		if (row) {
			cell(row, t->cols[i], buf, sizeof buf);
		} else {
			snprintf(buf, sizeof buf, "%s", t->cols[i]);
			for (char *p = buf; *p; p++)
				if (*p >= 'a' && *p <= 'z')
					*p = (char)(*p - 32);
		}
		fputs(i ? "  " : "", out);
		fputs(buf, out);
		size_t l = width(buf);
		if (i + 1 < t->ncols && l < w[i])
			fprintf(out, "%*s", (int)(w[i] - l), "");
	}
	fputc('\n', out);
}

/*
 * Printable pages: PAGE_ROWS rows each, a header naming the vault, the ledger and
 * the page, and a footer with the page hash and signature lines. The page hash
 * is SHA-256 over the previous page's hash (hex; "" for page 1), a newline, and
 * this page's rows exactly as the CSV output writes them (no header): a printed
 * page can be checked against a later printout, and a removed page breaks the
 * chain. docs/ledgers.md describes it.
 */
#define PAGE_ROWS 40

static int emit_pages(const struct vault_report_ctx *c, const struct tab *t, const char *title,
		      FILE *out)
{
	size_t w[MAX_COLS];
	table_widths(t, w);
	int n = cJSON_GetArraySize(t->rows);
	int pages = n ? (n + PAGE_ROWS - 1) / PAGE_ROWS : 1;
	char printed[32], prev[2 * crypto_hash_sha256_BYTES + 1] = "";
	local_time(c, c->now_utc_us, printed);
	const cJSON *row = t->rows->child;
	for (int pg = 1; pg <= pages; pg++) {
		char *csv = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&csv, &len);
		if (!m)
			return -ENOMEM;
		fprintf(out, "%s%s — %s\npage %d of %d, printed %.16s (%s)\n\n",
			pg > 1 ? "\f" : "", c->vault_name ? c->vault_name : "vault", title, pg,
			pages, printed, vault_tz_name(c->tz));
		table_line(out, t, w, NULL);
		for (int i = 0; i < PAGE_ROWS && row; i++, row = row->next) {
			table_line(out, t, w, row);
			csv_row(m, t, row);
		}
		if (!n)
			fputs("(no entries)\n", out);
		if (fclose(m) != 0) {
			free(csv);
			return -ENOMEM;
		}
		crypto_hash_sha256_state h;
		uint8_t dig[crypto_hash_sha256_BYTES];
		crypto_hash_sha256_init(&h);
		crypto_hash_sha256_update(&h, (const uint8_t *)prev, strlen(prev));
		crypto_hash_sha256_update(&h, (const uint8_t *)"\n", 1);
		crypto_hash_sha256_update(&h, (const uint8_t *)csv, len);
		crypto_hash_sha256_final(&h, dig);
		free(csv);
		vault_hex(dig, sizeof dig, prev);
		fprintf(out,
			"\npage hash %s\n\nCustodian: ____________________  Supervisor: "
			"____________________  Date: ____________\n",
			prev);
	}
	return ferror(out) ? -EIO : n;
}

static int emit(const struct tab *t, enum vault_report_format fmt, bool bom, FILE *out)
{
	int n = cJSON_GetArraySize(t->rows);
	if (t->ncols > MAX_COLS)
		return -EINVAL;
	if (fmt == VAULT_REPORT_JSON) {
		char *s = cJSON_Print(t->rows);
		if (!s)
			return -ENOMEM;
		fprintf(out, "%s\n", s);
		free(s);
	} else if (fmt == VAULT_REPORT_CSV) {
		if (bom)
			fputs("\xef\xbb\xbf", out);
		for (size_t i = 0; i < t->ncols; i++)
			fprintf(out, "%s%s", i ? "," : "", t->cols[i]);
		fputs("\r\n", out);
		const cJSON *row;
		cJSON_ArrayForEach(row, t->rows) csv_row(out, t, row);
	} else {
		size_t w[MAX_COLS];
		table_widths(t, w);
		table_line(out, t, w, NULL);
		const cJSON *row;
		cJSON_ArrayForEach(row, t->rows) table_line(out, t, w, row);
		if (!n)
			fputs("(none)\n", out);
	}
	return ferror(out) ? -EIO : n;
}

/* ---- names ----------------------------------------------------------------- */

int vault_ledger_view_from_name(const char *s, enum vault_ledger_view *ret)
{
	static const char *const names[] = {"custody", "checkout", "copy", "destruction"};
	for (size_t i = 0; s && i < VAULT_ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i])) {
			*ret = (enum vault_ledger_view)i;
			return 0;
		}
	return -EINVAL;
}

int vault_report_format_from_name(const char *s, enum vault_report_format *ret)
{
	static const char *const names[] = {"table", "csv", "json", "text"};
	for (size_t i = 0; s && i < VAULT_ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i])) {
			*ret = (enum vault_report_format)i;
			return 0;
		}
	return -EINVAL;
}

/* ---- media register (custody ledger, medium list) ----------------------- */

static const char *const media_cols[] = {
    "id",	  "tag",    "title",  "dataset", "category", "classification",
    "home_shelf", "status", "holder", "due",	 "project",  "deadline",
    "seq",
};

#define MEDIA_SQL                                                                              \
	"SELECT m.id, m.tag, m.title, m.dataset, m.category, m.classification, m.home_shelf, " \
	"m.status, m.borrower, m.due, ifnull(m.project,''), m.deadline, m.seq, "               \
	"ifnull(p.\"end\",''), m.approval FROM medium m LEFT JOIN project p ON p.id = "        \
	"m.project "

static cJSON *media_row(const struct vault_report_ctx *c, sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	for (int i = 0; i <= 10; i++)
		add_str(o, media_cols[i], txt(st, i));
	struct vault_date dl = {0};
	medium_deadline(c, txt(st, 11), txt(st, 13), &dl);
	add_date(o, "deadline", dl);
	cJSON_AddNumberToObject(o, "seq", (double)sqlite3_column_int64(st, 12));
	return o;
}

static int media_rows(const struct vault_report_ctx *c, const struct vault_media_filter *f,
		      struct tab *t)
{
	static const struct vault_media_filter none;
	if (!f)
		f = &none;
	sqlite3_stmt *st;
	int r = prepare(c->db,
			MEDIA_SQL "WHERE (ifnull(?1,'') = '' OR m.status = ?1) "
				  "AND (ifnull(?2,'') = '' OR m.classification = ?2) "
				  "AND (ifnull(?3,'') = '' OR m.home_shelf = ?3) "
				  "AND (ifnull(?4,'') = '' OR m.dataset = ?4) "
				  "AND (ifnull(?5,'') = '' OR m.project = ?5) ORDER BY m.id",
			&st);
	if (r < 0)
		return r;
	const char *v[] = {f->status, f->classification, f->shelf, f->dataset, f->project};
	for (int i = 0; i < 5; i++)
		if (v[i])
			sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_STATIC);
	t->cols = media_cols;
	t->ncols = VAULT_ARRAY_SIZE(media_cols);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cJSON_AddItemToArray(t->rows, media_row(c, st));
	return finish(st, rc);
}

int vault_report_media(const struct vault_report_ctx *c, const struct vault_media_filter *f,
		       enum vault_report_format fmt, bool bom, FILE *out)
{
	if (!c || !c->db || !c->tz || !c->policy || !out)
		return -EINVAL;
	struct tab t = {NULL, 0, cJSON_CreateArray()};
	int r = media_rows(c, f, &t);
	if (r == 0)
		r = emit(&t, fmt, bom, out);
	cJSON_Delete(t.rows);
	return r;
}

/* ---- checkout / return ledger ------------------------------------------- */

/* json_extract on the payload, NULL when the payload is not JSON (the query
 * must not fail on one odd entry). */
#define J(path) "(CASE WHEN json_valid(p) THEN json_extract(p, '" path "') END)"
#define JLIST(path)                                                                            \
	"(CASE WHEN json_valid(p) THEN (SELECT group_concat(value, ' ') FROM "                 \
	"json_each(p, '" path "')) END)"

/* First element of a comma-separated actors list. */
static void first_actor(const char *actors, char *buf, size_t size)
{
	size_t n = strcspn(actors, ",");
	snprintf(buf, size, "%.*s", (int)(n < size ? n : size - 1), actors);
}

static int ledger_checkout(const struct vault_report_ctx *c, struct tab *t)
{
	static const char *const cols[] = {"seq",    "time",	 "kind", "medium",
					   "person", "approval", "due",	 "received_by",
					   "actors", "hash"};
	t->cols = cols;
	t->ncols = VAULT_ARRAY_SIZE(cols);
	sqlite3_stmt *st;
	int r =
	    prepare(c->db,
		    "SELECT seq, ts_utc, kind, medium, actors, approval, "
		    "ifnull(" J("$.person") ", ifnull(" J(
			"$.borrower") ", '')), "
				      "ifnull(" J("$.due") ", ''), ifnull(" J(
					  "$.received_by") ", ''), hash "
							   "FROM (SELECT *, CAST(payload AS "
							   "TEXT) AS p FROM ledger "
							   "WHERE kind GLOB 'checkout.*' OR "
							   "kind GLOB 'return.*') ORDER BY seq",
		    &st);
	if (r < 0)
		return r;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();
		char ts[32], h[65], person[VAULT_ID_SIZE];
		local_time(c, sqlite3_column_int64(st, 1), ts);
		hash_hex(st, 9, h);
		if (*txt(st, 6))
			snprintf(person, sizeof person, "%s", txt(st, 6));
		else
			first_actor(txt(st, 4), person, sizeof person);
		cJSON_AddNumberToObject(o, "seq", (double)sqlite3_column_int64(st, 0));
		add_str(o, "time", ts);
		add_str(o, "kind", txt(st, 2));
		add_str(o, "medium", txt(st, 3));
		add_str(o, "person", person);
		add_str(o, "approval", txt(st, 5));
		add_str(o, "due", txt(st, 7));
		add_str(o, "received_by", txt(st, 8));
		add_str(o, "actors", txt(st, 4));
		add_str(o, "hash", h);
		cJSON_AddItemToArray(t->rows, o);
	}
	return finish(st, rc);
}

/* ---- copy / scan ledger -------------------------------------------------- */

static int ledger_copy(const struct vault_report_ctx *c, struct tab *t)
{
	static const char *const cols[] = {
	    "seq",    "time",	  "kind",     "medium", "title", "parents", "classification",
	    "person", "approval", "deadline", "hash"};
	t->cols = cols;
	t->ncols = VAULT_ARRAY_SIZE(cols);
	/* copy.* entries, then lineage rows of media registered without one; the
	 * parents come from the lineage table (the registry's truth), else from the
	 * entry's payload. */
	sqlite3_stmt *st;
	int r = prepare(
	    c->db,
	    "SELECT seq, ts_utc, kind, medium, actors, approval, parents, hash FROM ("
	    " SELECT seq, ts_utc, kind, medium, actors, approval, hash, "
	    "  ifnull((SELECT group_concat(parent, ' ') FROM lineage WHERE child = medium), "
	    "         ifnull(" JLIST(
		"$.parents") ", '')) AS parents "
			     " FROM (SELECT *, CAST(payload AS TEXT) AS p FROM ledger WHERE "
			     "kind GLOB 'copy.*') "
			     " UNION ALL "
			     " SELECT max(lg.seq), l.ts_utc, 'lineage.' || lg.kind, lg.child, "
			     "l.actors, "
			     "  l.approval, l.hash, group_concat(lg.parent, ' ') "
			     " FROM lineage lg JOIN ledger l ON l.seq = lg.seq "
			     " WHERE NOT EXISTS (SELECT 1 FROM ledger c WHERE c.kind GLOB "
			     "'copy.*' "
			     "                   AND c.medium = lg.child) GROUP BY lg.child"
			     ") ORDER BY seq",
	    &st);
	if (r < 0)
		return r;
	sqlite3_stmt *m;
	if ((r = prepare(c->db,
			 "SELECT m.title, m.classification, m.deadline, ifnull(p.\"end\",'') "
			 "FROM medium m LEFT JOIN project p ON p.id = m.project WHERE m.id = ?",
			 &m)) < 0) {
		sqlite3_finalize(st);
		return r;
	}
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();
		char ts[32], h[65], person[VAULT_ID_SIZE];
		local_time(c, sqlite3_column_int64(st, 1), ts);
		hash_hex(st, 7, h);
		first_actor(txt(st, 4), person, sizeof person);
		cJSON_AddNumberToObject(o, "seq", (double)sqlite3_column_int64(st, 0));
		add_str(o, "time", ts);
		add_str(o, "kind", txt(st, 2));
		add_str(o, "medium", txt(st, 3));
		sqlite3_reset(m);
		sqlite3_bind_text(m, 1, txt(st, 3), -1, SQLITE_TRANSIENT);
		struct vault_date dl = {0};
		if (sqlite3_step(m) == SQLITE_ROW) {
			add_str(o, "title", txt(m, 0));
			add_str(o, "classification", txt(m, 1));
			medium_deadline(c, txt(m, 2), txt(m, 3), &dl);
		}
		add_str(o, "parents", txt(st, 6));
		add_str(o, "person", person);
		add_str(o, "approval", txt(st, 5));
		add_date(o, "deadline", dl);
		add_str(o, "hash", h);
		cJSON_AddItemToArray(t->rows, o);
	}
	sqlite3_finalize(m);
	return finish(st, rc);
}

/* ---- destruction ledger -------------------------------------------------- */

static int ledger_destruction(const struct vault_report_ctx *c, struct tab *t)
{
	static const char *const cols[] = {
	    "seq",	   "time",	"kind",	       "medium",   "order", "ordered_by",
	    "approved_by", "witnesses", "certificate", "facility", "state", "hash"};
	t->cols = cols;
	t->ncols = VAULT_ARRAY_SIZE(cols);
	/* destruction.* entries (what the sensors proved) and the orders (who
	 * ordered and approved), one ledger in seq order. */
	sqlite3_stmt *st;
	int r = prepare(
	    c->db,
	    "SELECT x.seq, x.ts_utc, x.kind, x.medium, x.ord, x.witnesses, x.cert, x.facility, "
	    " x.state, x.hash, ifnull(o.orderer,''), ifnull(o.approver,'') FROM ("
	    " SELECT seq, ts_utc, kind, medium, hash, ifnull(" J(
		"$.order") ", '') AS ord, "
			   "  ifnull(" JLIST(
			       "$.witnesses") ", '') AS witnesses, "
					      "  ifnull(" J(
						  "$.certificate") ", '') AS cert, "
								   "  ifnull(" J(
								       "$.facility") ", '') AS "
										     "facility,"
										     " '' AS "
										     "state "
										     " FROM "
										     "(SELECT "
										     "*, "
										     "CAST("
										     "payload "
										     "AS TEXT) "
										     "AS p "
										     "FROM "
										     "ledger "
										     "       "
										     "WHERE "
										     "kind "
										     "GLOB "
										     "'destruct"
										     "ion.*') "
										     " UNION "
										     "ALL "
										     " SELECT "
										     "d.seq, "
										     "l.ts_utc,"
										     " 'order.'"
										     " || "
										     "d.state, "
										     "d.medium,"
										     " l.hash, "
										     "d.id, "
										     "'', '', "
										     "'', "
										     "  "
										     "d.state "
										     "FROM "
										     "destructi"
										     "on_order "
										     "d JOIN "
										     "ledger l "
										     "ON l.seq "
										     "= d.seq"
										     ") AS x "
										     "LEFT "
										     "JOIN "
										     "destructi"
										     "on_order "
										     "o ON "
										     "o.id = "
										     "x.ord "
										     "ORDER BY "
										     "x.seq",
	    &st);
	if (r < 0)
		return r;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();
		char ts[32], h[65];
		local_time(c, sqlite3_column_int64(st, 1), ts);
		hash_hex(st, 9, h);
		cJSON_AddNumberToObject(o, "seq", (double)sqlite3_column_int64(st, 0));
		add_str(o, "time", ts);
		add_str(o, "kind", txt(st, 2));
		add_str(o, "medium", txt(st, 3));
		add_str(o, "order", txt(st, 4));
		add_str(o, "ordered_by", txt(st, 10));
		add_str(o, "approved_by", txt(st, 11));
		add_str(o, "witnesses", txt(st, 5));
		add_str(o, "certificate", txt(st, 6));
		add_str(o, "facility", txt(st, 7));
		add_str(o, "state", txt(st, 8));
		add_str(o, "hash", h);
		cJSON_AddItemToArray(t->rows, o);
	}
	return finish(st, rc);
}

int vault_report_ledger(const struct vault_report_ctx *c, enum vault_ledger_view view,
			enum vault_report_format fmt, bool bom, FILE *out)
{
	if (!c || !c->db || !c->tz || !c->policy || !out)
		return -EINVAL;
	static const char *const titles[] = {"custody ledger (media register)",
					     "checkout and return ledger",
					     "copy and scan ledger", "destruction ledger"};
	struct tab t = {NULL, 0, cJSON_CreateArray()};
	int r;
	switch (view) {
	case VAULT_LEDGER_CUSTODY:
		r = media_rows(c, NULL, &t);
		break;
	case VAULT_LEDGER_CHECKOUT:
		r = ledger_checkout(c, &t);
		break;
	case VAULT_LEDGER_COPY:
		r = ledger_copy(c, &t);
		break;
	case VAULT_LEDGER_DESTRUCTION:
		r = ledger_destruction(c, &t);
		break;
	default:
		r = -EINVAL;
	}
	if (r == 0)
		r = fmt == VAULT_REPORT_TEXT ? emit_pages(c, &t, titles[view], out)
					     : emit(&t, fmt, bom, out);
	cJSON_Delete(t.rows);
	return r;
}

/* ---- alarm kinds ------------------------------------------------------------ */

/* A name ending in '.' is a prefix. */
static const struct {
	const char *kind, *severity;
} alarm_kinds[] = {
	{"alarm.", "alarm"},		 /* door: duress, tamper, two-person alone, ... */
	{"door.forced", "alarm"},	 {"door.held", "alarm"},
	{"door.contacts_fault", "alarm"}, {"gpio.fault", "alarm"},
	{"power.fail", "alarm"},	 {"fire.alarm", "alarm"},
	{"clock.jump", "alarm"}, {"storage.low", "warning"}, {"storage.critical", "alarm"},
	{"storage.unknown", "warning"}, {"reader.offline", "warning"}, {"shelf.fault", "warning"},
	{"mqtt.verifier_mismatch", "alarm"}, {"mqtt.command.refused", "warning"},
	{"ledger.verify_failed", "alarm"},
	{"medium.unaccounted", "alarm"}, {"medium.off_path", "alarm"},
	{"return.missing", "alarm"},
	{"return.wrong_shelf", "warning"}, {"destruction.aborted", "alarm"},
	{"destruction.failed", "alarm"},  {"destruction.interrupted", "alarm"},
	{"destruction.no_motor", "alarm"}, {"destruction.one_witness", "alarm"},
	{"destruction.unexpected", "alarm"}, {"destruction.witness_refused", "warning"},
	{"inventory.missing", "alarm"},	 {"inventory.unexpected", "alarm"},
	{"inventory.misplaced", "warning"},
};

const char *vault_alarm_kind(const char *kind)
{
	for (size_t i = 0; kind && i < VAULT_ARRAY_SIZE(alarm_kinds); i++) {
		const char *k = alarm_kinds[i].kind;
		size_t n = strlen(k);
		if (k[n - 1] == '.' ? !strncmp(kind, k, n) : !strcmp(kind, k))
			return alarm_kinds[i].severity;
	}
	return NULL;
}

const char *vault_alarm_kinds_sql(void)
{
	static char sql[1024];
	if (sql[0])
		return sql;
	size_t o = 0;
	o += (size_t)snprintf(sql + o, sizeof sql - o, "(kind IN (''");
	for (size_t i = 0; i < VAULT_ARRAY_SIZE(alarm_kinds); i++) {
		const char *k = alarm_kinds[i].kind;
		if (k[strlen(k) - 1] != '.')
			o += (size_t)snprintf(sql + o, sizeof sql - o, ",'%s'", k);
	}
	o += (size_t)snprintf(sql + o, sizeof sql - o, ")");
	for (size_t i = 0; i < VAULT_ARRAY_SIZE(alarm_kinds); i++) {
		const char *k = alarm_kinds[i].kind;
		size_t n = strlen(k);
		/* a prefix "p." as the range ['p.', 'p/') */
		if (k[n - 1] == '.')
			o += (size_t)snprintf(sql + o, sizeof sql - o,
					      " OR (kind >= '%s' AND kind < '%.*s/')", k, (int)(n - 1),
					      k);
	}
	snprintf(sql + o, sizeof sql - o, ")");
	return sql;
}

/* ---- alerts -------------------------------------------------------------- */

enum sev { SEV_ALARM, SEV_WARNING, SEV_NOTICE };
static const char *const sev_names[] = {"alarm", "warning", "notice"};

struct alert_item {
	enum sev sev;
	enum vault_reason code;
	char code_s[48]; /* a ledgered alarm's code when no reason id ("" = code) */
	char subject[VAULT_ID_SIZE + 16];
	struct vault_date date;
	int64_t days_left;
	int band;
	char detail[512];
};

struct alerts {
	struct alert_item *v;
	size_t n, cap;
	int err;
};

static bool is_zh(const char *lang)
{
	return lang && (!strcmp(lang, "zh-CN") || !strcmp(lang, "zh"));
}

/* Detail text in the report's language; both literals are format-checked. */
#define TR(en, zh) (is_zh(c->lang) ? (zh) : (en))

__attribute__((format(printf, 7, 8))) static void
push(struct alerts *a, enum sev sev, enum vault_reason code, const char *subject,
     const struct vault_alert *al, const char *lang, const char *fmt, ...)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 32;
		struct alert_item *v = realloc(a->v, cap * sizeof *v);
		if (!v) {
			a->err = -ENOMEM;
			return;
		}
		a->v = v;
		a->cap = cap;
	}
	struct alert_item *it = &a->v[a->n++];
	memset(it, 0, sizeof *it);
	it->sev = sev;
	it->code = code;
	snprintf(it->subject, sizeof it->subject, "%s", subject);
	if (al) {
		it->date = al->last;
		it->days_left = al->days_left;
		it->band = al->level == VAULT_ALERT_SOON ? al->band_days : 0;
	}
	char extra[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(extra, sizeof extra, fmt, ap);
	va_end(ap);
	snprintf(it->detail, sizeof it->detail, "%s%s%s", vault_reason_text(code, lang),
		 !*extra       ? ""
		 : is_zh(lang) ? "："
			       : ": ",
		 extra);
}

/* A SOON alert's severity by its band: the last week is a warning, 30 days a
 * warning, 90 days a notice. */
static enum sev soon_sev(const struct vault_alert *al)
{
	return al->band_days <= 30 ? SEV_WARNING : SEV_NOTICE;
}

static int alerts_people(const struct vault_report_ctx *c, struct vault_date today,
			 struct alerts *a)
{
	sqlite3_stmt *st;
	int r = prepare(c->db,
			"SELECT id FROM person WHERE status = 'active' AND role <> 'visitor' "
			"ORDER BY id",
			&st);
	if (r < 0)
		return r;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct vault_actor_rec ar;
		if (vault_load_actor(c->db, txt(st, 0), &ar) < 0) {
			push(a, SEV_WARNING, VAULT_R_INVALID_VALUE, txt(st, 0), NULL, c->lang,
			     TR("the person's records do not load", "人员记录无法读取"));
			continue;
		}
		const struct vault_person *p = &ar.person;
		struct vault_alert al;
		char d[VAULT_DATE_STRLEN];
		if (!ar.actor.cert) {
			push(a, SEV_WARNING, VAULT_R_CERT_MISSING, p->id, NULL, c->lang,
			     "%s (%s)", p->name, vault_role_name(p->role));
		} else if (ar.cert.revoked) {
			push(a, SEV_WARNING, VAULT_R_CERT_REVOKED, p->id, NULL, c->lang,
			     TR("%s, certificate %s", "%s，证书 %s"), p->name, ar.cert.number);
		} else if (vault_policy_cert_alert(&ar.cert, c->policy, today, &al) == 0 &&
			   al.level != VAULT_ALERT_NONE) {
			vault_date_format(al.last, d, sizeof d);
			if (al.level == VAULT_ALERT_PAST)
				push(a, SEV_ALARM, VAULT_R_CERT_EXPIRED, p->id, &al, c->lang,
				     TR("%s, certificate %s expired %s",
					"%s，证书 %s 已于 %s 到期"),
				     p->name, ar.cert.number, d);
			else
				push(a, soon_sev(&al), VAULT_R_CERT_EXPIRING, p->id, &al,
				     c->lang,
				     TR("%s, certificate %s expires %s (in %" PRId64 " days)",
					"%s，证书 %s 将于 %s 到期（剩 %" PRId64 " 天）"),
				     p->name, ar.cert.number, d, al.days_left);
		}
		if (!vault_date_is_set(&ar.training.last)) {
			push(a, SEV_WARNING, VAULT_R_TRAINING_MISSING, p->id, NULL, c->lang,
			     "%s", p->name);
		} else if (vault_policy_training_alert(&ar.training, c->policy, today, &al) ==
			       0 &&
			   al.level != VAULT_ALERT_NONE) {
			vault_date_format(al.last, d, sizeof d);
			if (al.level == VAULT_ALERT_PAST)
				push(a, SEV_ALARM, VAULT_R_TRAINING_EXPIRED, p->id, &al,
				     c->lang,
				     TR("%s, training was due %s", "%s，培训应于 %s 前完成"),
				     p->name, d);
			else
				push(a, soon_sev(&al), VAULT_R_TRAINING_DUE, p->id, &al,
				     c->lang,
				     TR("%s, training due %s (in %" PRId64 " days)",
					"%s，培训应于 %s 前完成（剩 %" PRId64 " 天）"),
				     p->name, d, al.days_left);
		}
	}
	return finish(st, rc);
}

static int alerts_media(const struct vault_report_ctx *c, struct vault_date today,
			struct alerts *a)
{
	sqlite3_stmt *st;
	int r = prepare(c->db,
			"SELECT m.id, m.title, m.status, m.borrower, m.due, m.deadline, "
			"ifnull(p.\"end\",''), ifnull(m.project,'') FROM medium m "
			"LEFT JOIN project p ON p.id = m.project "
			"WHERE m.status NOT IN ('destroyed','handed-over') ORDER BY m.id",
			&st);
	if (r < 0)
		return r;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = txt(st, 0), *title = txt(st, 1), *status = txt(st, 2);
		struct vault_alert al;
		struct vault_date due, dl;
		char d[VAULT_DATE_STRLEN];
		int out = !strcmp(status, "checked-out") || !strcmp(status, "pending-return");
		if (out && vault_date_parse(txt(st, 4), &due) == 0 &&
		    vault_policy_return_alert(due, c->policy, today, &al) == 0 &&
		    al.level != VAULT_ALERT_NONE) {
			vault_date_format(due, d, sizeof d);
			if (al.level == VAULT_ALERT_PAST)
				push(a, SEV_ALARM, VAULT_R_RETURN_OVERDUE, id, &al, c->lang,
				     TR("%s, held by %s, was due %s (%" PRId64 " days overdue)",
					"%s，借用人 %s，应于 %s 归还（已逾期 %" PRId64 " 天）"),
				     title, txt(st, 3), d, -al.days_left);
			else
				push(
				    a, SEV_WARNING, VAULT_R_RETURN_DUE, id, &al, c->lang,
				    TR("%s, held by %s, due %s", "%s，借用人 %s，应于 %s 归还"),
				    title, txt(st, 3), d);
		}
		if (medium_deadline(c, txt(st, 5), txt(st, 6), &dl) == 0 &&
		    vault_policy_alert(dl, today, c->policy->warn_days,
				       VAULT_ARRAY_SIZE(c->policy->warn_days), &al) == 0 &&
		    al.level != VAULT_ALERT_NONE) {
			vault_date_format(dl, d, sizeof d);
			if (al.level == VAULT_ALERT_PAST)
				push(a, SEV_ALARM, VAULT_R_DESTRUCTION_OVERDUE, id, &al,
				     c->lang,
				     TR("%s (project %s, %s), deadline %s",
					"%s（项目 %s，%s），销毁期限 %s"),
				     title, txt(st, 7), status, d);
			else
				push(a, soon_sev(&al), VAULT_R_DESTRUCTION_DUE, id, &al,
				     c->lang,
				     TR("%s (project %s), deadline %s (in %" PRId64 " days)",
					"%s（项目 %s），销毁期限 %s（剩 %" PRId64 " 天）"),
				     title, txt(st, 7), d, al.days_left);
		}
	}
	return finish(st, rc);
}

static int alerts_units_approvals(const struct vault_report_ctx *c, struct vault_date today,
				  struct alerts *a)
{
	sqlite3_stmt *st;
	int r = prepare(c->db,
			"SELECT id, name, status_reason FROM unit WHERE status = 'suspended' "
			"ORDER BY id",
			&st);
	if (r < 0)
		return r;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		push(a, SEV_WARNING, VAULT_R_UNIT_SUSPENDED, txt(st, 0), NULL, c->lang,
		     TR("%s: %s", "%s：%s"), txt(st, 1), txt(st, 2));
	if ((r = finish(st, rc)) < 0)
		return r;
	if ((r = prepare(c->db,
			 "SELECT id, unit, person, state, valid_to, approver FROM approval "
			 "WHERE state IN ('approved','active') ORDER BY id",
			 &st)) < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct vault_date to = {0};
		vault_date_parse(txt(st, 4), &to);
		struct vault_alert al = {.last = to};
		if (vault_date_is_set(&to))
			al.days_left = vault_date_diff_days(today, to);
		if (!strcmp(txt(st, 3), "approved"))
			push(a, SEV_NOTICE, VAULT_R_APPROVAL_AWAITING_ONSITE, txt(st, 0), &al,
			     c->lang,
			     TR("unit %s, person %s, approved by %s",
				"单位 %s，人员 %s，审批人 %s"),
			     txt(st, 1), txt(st, 2), txt(st, 5));
		else if (vault_date_is_set(&to) && al.days_left < 0)
			push(a, SEV_WARNING, VAULT_R_APPROVAL_PAST_VALIDITY, txt(st, 0), &al,
			     c->lang,
			     TR("unit %s, person %s, valid to %s",
				"单位 %s，人员 %s，有效期至 %s"),
			     txt(st, 1), txt(st, 2), txt(st, 4));
	}
	return finish(st, rc);
}

/* Ledgered alarms (vault_alarm_kind) that no alert.acked entry names. */
static int alerts_ledger(const struct vault_report_ctx *c, struct vault_date today,
			 struct alerts *a)
{
	char sql[1536];
	snprintf(sql, sizeof sql,
		 "SELECT seq, ts_utc, kind, medium, ifnull(json_extract(payload,'$.code'),''), "
		 "ifnull(json_extract(payload,'$.text'),''), ifnull(json_extract(payload,"
		 "'$.tag'),'') FROM ledger WHERE %s AND seq NOT IN (SELECT "
		 "json_extract(payload,'$.entry') FROM ledger WHERE kind = 'alert.acked') "
		 "ORDER BY seq",
		 vault_alarm_kinds_sql());
	sqlite3_stmt *st;
	int r = prepare(c->db, sql, &st);
	if (r < 0)
		return r;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *kind = txt(st, 2), *sev = vault_alarm_kind(kind);
		enum vault_reason code;
		int known = *txt(st, 4) && vault_reason_from_id(txt(st, 4), &code) == 0;
		const char *subject = *txt(st, 3) ? txt(st, 3) : *txt(st, 6) ? txt(st, 6) : kind;
		struct vault_alert al = {0};
		vault_tz_date(c->tz, sqlite3_column_int64(st, 1), &al.last);
		al.days_left = vault_date_diff_days(today, al.last);
		size_t before = a->n;
		push(a, sev && !strcmp(sev, "warning") ? SEV_WARNING : SEV_ALARM,
		     known ? code : VAULT_R_OK, subject, &al, c->lang, "%s #%lld", kind,
		     (long long)sqlite3_column_int64(st, 0));
		if (a->n > before && !known) {
			struct alert_item *it = &a->v[a->n - 1];
			snprintf(it->code_s, sizeof it->code_s, "%s", *txt(st, 4) ? txt(st, 4) : kind);
			/* no reason text to start the detail with */
			snprintf(it->detail, sizeof it->detail, "%s #%lld%s%s", kind,
				 (long long)sqlite3_column_int64(st, 0), *txt(st, 5) ? ": " : "",
				 txt(st, 5));
		}
	}
	return finish(st, rc);
}

static const char *item_code(const struct alert_item *it)
{
	return it->code_s[0] ? it->code_s : vault_reason_id(it->code);
}

static int alert_cmp(const void *x, const void *y)
{
	const struct alert_item *a = x, *b = y;
	if (a->sev != b->sev)
		return (int)a->sev - (int)b->sev;
	int as = vault_date_is_set(&a->date), bs = vault_date_is_set(&b->date);
	if (as != bs)
		return bs - as;
	if (as) {
		int r = vault_date_cmp(a->date, b->date);
		if (r)
			return r;
	}
	int r = strcmp(item_code(a), item_code(b));
	return r ? r : strcmp(a->subject, b->subject);
}

static int collect_alerts(const struct vault_report_ctx *c, struct alerts *a)
{
	struct vault_date today = ctx_today(c);
	if (!vault_date_is_set(&today))
		return -EINVAL;
	int r = alerts_people(c, today, a);
	if (r == 0)
		r = alerts_media(c, today, a);
	if (r == 0)
		r = alerts_units_approvals(c, today, a);
	if (r == 0 && !c->computed_only)
		r = alerts_ledger(c, today, a);
	if (r == 0 && a->err)
		r = a->err;
	if (r == 0 && a->n)
		qsort(a->v, a->n, sizeof *a->v, alert_cmp);
	return r;
}

static cJSON *alert_json(const struct alert_item *it)
{
	cJSON *o = cJSON_CreateObject();
	add_str(o, "severity", sev_names[it->sev]);
	add_str(o, "code", item_code(it));
	add_str(o, "subject", it->subject);
	add_date(o, "date", it->date);
	if (vault_date_is_set(&it->date))
		cJSON_AddNumberToObject(o, "days_left", (double)it->days_left);
	else
		cJSON_AddNullToObject(o, "days_left");
	if (it->band)
		cJSON_AddNumberToObject(o, "band", it->band);
	else
		cJSON_AddNullToObject(o, "band");
	add_str(o, "detail", it->detail);
	return o;
}

int vault_report_alerts(const struct vault_report_ctx *c, enum vault_report_format fmt,
			bool bom, FILE *out)
{
	static const char *const cols[] = {"severity",	"code", "subject", "date",
					   "days_left", "band", "detail"};
	if (!c || !c->db || !c->tz || !c->policy || !out)
		return -EINVAL;
	struct alerts a = {0};
	int r = collect_alerts(c, &a);
	if (r == 0) {
		struct tab t = {cols, VAULT_ARRAY_SIZE(cols), cJSON_CreateArray()};
		for (size_t i = 0; i < a.n; i++)
			cJSON_AddItemToArray(t.rows, alert_json(&a.v[i]));
		r = emit(&t, fmt, bom, out);
		cJSON_Delete(t.rows);
	}
	free(a.v);
	return r;
}

/* ---- self-inspection ----------------------------------------------------- */

/* "SELECT key, count" -> JSON object {key: n}. */
static int counts(sqlite3 *db, const char *sql, cJSON *obj)
{
	sqlite3_stmt *st;
	int r = prepare(db, sql, &st);
	if (r < 0)
		return r;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cJSON_AddNumberToObject(obj, txt(st, 0), sqlite3_column_int(st, 1));
	return finish(st, rc);
}

/* "SELECT a, b, ..." -> array of {keys[0]: a, keys[1]: b, ...} (text). */
static int rows_of(sqlite3 *db, const char *sql, const char *const *keys, cJSON *arr)
{
	sqlite3_stmt *st;
	int r = prepare(db, sql, &st);
	if (r < 0)
		return r;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();
		for (int i = 0; keys[i]; i++)
			add_str(o, keys[i], txt(st, i));
		cJSON_AddItemToArray(arr, o);
	}
	return finish(st, rc);
}

static int inspection_units(const struct vault_report_ctx *c, cJSON *sec)
{
	static const char *const susp[] = {"unit", "name", "reason", NULL};
	static const char *const last[] = {"unit", "name", "date", "result", NULL};
	int r =
	    counts(c->db, "SELECT status, count(*) FROM unit GROUP BY status ORDER BY status",
		   cJSON_AddObjectToObject(sec, "by_status"));
	if (r == 0)
		r = rows_of(
		    c->db,
		    "SELECT id, name, status_reason FROM unit WHERE status = 'suspended' "
		    "ORDER BY id",
		    susp, cJSON_AddArrayToObject(sec, "suspended"));
	/* The inspection history's latest entry per unit ("" = never inspected). */
	if (r == 0)
		r = rows_of(
		    c->db,
		    "SELECT u.id, u.name, ifnull(i.date, 'never'), ifnull(i.result, '') "
		    "FROM unit u LEFT JOIN inspection i ON i.id = (SELECT id FROM inspection "
		    "WHERE unit = u.id ORDER BY date DESC, id DESC LIMIT 1) ORDER BY u.id",
		    last, cJSON_AddArrayToObject(sec, "last_inspection"));
	return r;
}

/* Problems reported by vault_verify, kept for the report (first 50). */
struct verify_lines {
	cJSON *arr;
	int n;
};

static void verify_say(void *ud, const char *line)
{
	struct verify_lines *v = ud;
	if (v->n++ < 50)
		cJSON_AddItemToArray(v->arr, cJSON_CreateString(line));
}

static int inspection_personnel(const struct vault_report_ctx *c, struct vault_date today,
				cJSON *sec)
{
	int r = counts(c->db,
		       "SELECT role, count(*) FROM person WHERE status = 'active' "
		       "GROUP BY role ORDER BY role",
		       cJSON_AddObjectToObject(sec, "active_by_role"));
	if (r < 0)
		return r;
	cJSON *certs = cJSON_AddArrayToObject(sec, "certificate_invalid");
	cJSON *train = cJSON_AddArrayToObject(sec, "training_invalid");
	sqlite3_stmt *st;
	if ((r = prepare(c->db,
			 "SELECT id FROM person WHERE status = 'active' AND role <> 'visitor' "
			 "ORDER BY id",
			 &st)) < 0)
		return r;
	int rc, n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct vault_actor_rec ar;
		n++;
		if (vault_load_actor(c->db, txt(st, 0), &ar) < 0)
			continue;
		enum vault_reason cr =
		    vault_policy_check_certificate(ar.actor.cert, c->policy, today);
		enum vault_reason tr =
		    vault_policy_check_training(&ar.training, c->policy, today);
		if (cr != VAULT_R_OK) {
			cJSON *o = cJSON_CreateObject();
			add_str(o, "person", ar.person.id);
			add_str(o, "name", ar.person.name);
			add_str(o, "reason", vault_reason_id(cr));
			cJSON_AddItemToArray(certs, o);
		}
		if (tr != VAULT_R_OK) {
			cJSON *o = cJSON_CreateObject();
			add_str(o, "person", ar.person.id);
			add_str(o, "name", ar.person.name);
			add_str(o, "reason", vault_reason_id(tr));
			cJSON_AddItemToArray(train, o);
		}
	}
	cJSON_AddNumberToObject(sec, "certified_roles_checked", n);
	return finish(st, rc);
}

static int inspection_custody(const struct vault_report_ctx *c, struct vault_date today,
			      cJSON *custody, cJSON *destr)
{
	int r =
	    counts(c->db, "SELECT status, count(*) FROM medium GROUP BY status ORDER BY status",
		   cJSON_AddObjectToObject(custody, "media_by_status"));
	if (r == 0)
		r = counts(c->db,
			   "SELECT classification, count(*) FROM medium "
			   "WHERE status NOT IN ('destroyed','handed-over') "
			   "GROUP BY classification ORDER BY classification",
			   cJSON_AddObjectToObject(custody, "held_by_classification"));
	if (r == 0)
		r = counts(c->db,
			   "SELECT state, count(*) FROM destruction_order GROUP BY state "
			   "ORDER BY state",
			   cJSON_AddObjectToObject(destr, "orders_by_state"));
	if (r < 0)
		return r;
	cJSON *overdue = cJSON_AddArrayToObject(custody, "out_past_due");
	cJSON *past = cJSON_AddArrayToObject(destr, "past_deadline");
	cJSON *soon = cJSON_AddArrayToObject(destr, "deadline_within_30_days");
	sqlite3_stmt *st;
	if ((r = prepare(
		 c->db,
		 "SELECT m.id, m.status, m.borrower, m.due, m.deadline, "
		 "ifnull(p.\"end\",'') FROM medium m LEFT JOIN project p ON p.id = "
		 "m.project WHERE m.status NOT IN ('destroyed','handed-over') ORDER BY m.id",
		 &st)) < 0)
		return r;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct vault_date due, dl;
		const char *status = txt(st, 1);
		if ((!strcmp(status, "checked-out") || !strcmp(status, "pending-return")) &&
		    vault_date_parse(txt(st, 3), &due) == 0 && vault_date_cmp(due, today) < 0) {
			cJSON *o = cJSON_CreateObject();
			add_str(o, "medium", txt(st, 0));
			add_str(o, "holder", txt(st, 2));
			add_str(o, "due", txt(st, 3));
			cJSON_AddItemToArray(overdue, o);
		}
		if (medium_deadline(c, txt(st, 4), txt(st, 5), &dl) == 0) {
			int64_t left = vault_date_diff_days(today, dl);
			cJSON *o = NULL;
			if (left < 0)
				cJSON_AddItemToArray(past, o = cJSON_CreateObject());
			else if (left <= 30)
				cJSON_AddItemToArray(soon, o = cJSON_CreateObject());
			if (o) {
				add_str(o, "medium", txt(st, 0));
				add_str(o, "status", status);
				add_date(o, "deadline", dl);
			}
		}
	}
	return finish(st, rc);
}

static void md_counts(FILE *out, const char *title, const cJSON *obj)
{
	fprintf(out, "\n%s\n\n", title);
	if (!obj || !obj->child) {
		fputs("- none\n", out);
		return;
	}
	const cJSON *it;
	cJSON_ArrayForEach(it, obj) fprintf(out, "- %s: %d\n", it->string, it->valueint);
}

/* A list of objects as "- a, b, c" lines. */
static void md_list(FILE *out, const char *title, const cJSON *arr)
{
	fprintf(out, "\n%s: %d\n%s", title, cJSON_GetArraySize(arr),
		arr && arr->child ? "\n" : "");
	const cJSON *row;
	int i = 0;
	cJSON_ArrayForEach(row, arr)
	{
		if (i++ == 100) {
			fprintf(out, "- ... (%d more)\n", cJSON_GetArraySize(arr) - 100);
			break;
		}
		fputs("- ", out);
		const cJSON *f;
		int first = 1;
		cJSON_ArrayForEach(f, row)
		{
			fprintf(out, "%s%s", first ? "" : ", ",
				cJSON_IsString(f) ? f->valuestring : "");
			first = 0;
		}
		fputc('\n', out);
	}
}

static void inspection_markdown(FILE *out, const cJSON *rep)
{
	const cJSON *pe = cJSON_GetObjectItemCaseSensitive(rep, "personnel");
	const cJSON *un = cJSON_GetObjectItemCaseSensitive(rep, "units");
	const cJSON *ap = cJSON_GetObjectItemCaseSensitive(rep, "approvals");
	const cJSON *cu = cJSON_GetObjectItemCaseSensitive(rep, "custody");
	const cJSON *de = cJSON_GetObjectItemCaseSensitive(rep, "destruction");
	const cJSON *le = cJSON_GetObjectItemCaseSensitive(rep, "ledger");
#define S(o, k) cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k))
#define N(o, k) ((int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, k)))
#define O(o, k) cJSON_GetObjectItemCaseSensitive(o, k)
	fprintf(out, "# Self-inspection report — %s\n\n", S(rep, "vault"));
	fprintf(out, "- date: %s (%s)\n- generated: %s\n", S(rep, "date"), S(rep, "timezone"),
		S(rep, "generated"));
	fputs("\n## 1. Personnel\n", out);
	md_counts(out, "Active persons by role:", O(pe, "active_by_role"));
	md_list(out, "Without a valid certificate", O(pe, "certificate_invalid"));
	md_list(out, "Training missing or overdue", O(pe, "training_invalid"));
	fputs("\n## 2. Units\n", out);
	md_counts(out, "Units by status:", O(un, "by_status"));
	md_list(out, "Suspended", O(un, "suspended"));
	md_list(out, "Last inspection per unit", O(un, "last_inspection"));
	fputs("\n## 3. Approvals\n", out);
	md_counts(out, "Approvals by state:", O(ap, "by_state"));
	md_list(out, "Approved, waiting for on-site verification", O(ap, "awaiting_onsite"));
	md_list(out, "Active past their validity", O(ap, "active_past_validity"));
	fputs("\n## 4. Custody\n", out);
	md_counts(out, "Media by status:", O(cu, "media_by_status"));
	md_counts(out, "Media held, by classification:", O(cu, "held_by_classification"));
	md_list(out, "Out past their due date", O(cu, "out_past_due"));
	fputs("\n## 5. Destruction\n", out);
	md_counts(out, "Destruction orders by state:", O(de, "orders_by_state"));
	md_list(out, "Media past their destruction deadline", O(de, "past_deadline"));
	md_list(out, "Media within 30 days of their deadline",
		O(de, "deadline_within_30_days"));
	fputs("\n## 6. Ledger\n\n", out);
	fprintf(out,
		"- result: **%s**\n- entries: %" PRId64 "\n- checkpoints verified: %" PRId64
		"\n- registry rows compared: %" PRId64 "\n- tip: seq %" PRId64 ", hash %s\n",
		S(le, "result"), N(le, "entries"), N(le, "checkpoints"), N(le, "rows"),
		N(le, "tip_seq"), S(le, "tip_hash"));
	if (N(le, "first_bad_seq"))
		fprintf(out, "- first bad seq: %" PRId64 "\n", N(le, "first_bad_seq"));
	const cJSON *pr;
	cJSON_ArrayForEach(pr, O(le, "problems"))
	    fprintf(out, "- problem: %s\n", pr->valuestring);
	fputs("\n## Signatures\n\n"
	      "Inspector: ______________________    Date: ____________\n\n"
	      "Supervisor: _____________________    Date: ____________\n",
	      out);
#undef S
#undef N
#undef O
}

int vault_report_self_inspection(const struct vault_report_ctx *c, enum vault_report_format fmt,
				 FILE *out, int *ret_problems)
{
	if (!c || !c->db || !c->tz || !c->policy || !out)
		return -EINVAL;
	struct vault_date today = ctx_today(c);
	if (!vault_date_is_set(&today))
		return -EINVAL;
	cJSON *rep = cJSON_CreateObject();
	char d[VAULT_DATE_STRLEN], ts[32];
	vault_date_format(today, d, sizeof d);
	local_time(c, c->now_utc_us, ts);
	add_str(rep, "vault", c->vault_name ? c->vault_name : "");
	add_str(rep, "date", d);
	add_str(rep, "timezone", vault_tz_name(c->tz));
	add_str(rep, "generated", ts);
	cJSON *pe = cJSON_AddObjectToObject(rep, "personnel");
	cJSON *un = cJSON_AddObjectToObject(rep, "units");
	cJSON *ap = cJSON_AddObjectToObject(rep, "approvals");
	cJSON *cu = cJSON_AddObjectToObject(rep, "custody");
	cJSON *de = cJSON_AddObjectToObject(rep, "destruction");
	cJSON *le = cJSON_AddObjectToObject(rep, "ledger");
	int r = inspection_personnel(c, today, pe);
	if (r == 0)
		r = inspection_units(c, un);
	if (r == 0)
		r = counts(c->db,
			   "SELECT state, count(*) FROM approval GROUP BY state ORDER BY state",
			   cJSON_AddObjectToObject(ap, "by_state"));
	struct alerts al = {0};
	if (r == 0)
		r = alerts_units_approvals(c, today, &al);
	if (r == 0) {
		cJSON *wait = cJSON_AddArrayToObject(ap, "awaiting_onsite");
		cJSON *past = cJSON_AddArrayToObject(ap, "active_past_validity");
		for (size_t i = 0; i < al.n; i++) {
			cJSON *dst = al.v[i].code == VAULT_R_APPROVAL_AWAITING_ONSITE ? wait
				     : al.v[i].code == VAULT_R_APPROVAL_PAST_VALIDITY ? past
										      : NULL;
			if (!dst)
				continue;
			cJSON *o = cJSON_CreateObject();
			add_str(o, "approval", al.v[i].subject);
			add_str(o, "detail", al.v[i].detail);
			cJSON_AddItemToArray(dst, o);
		}
	}
	free(al.v);
	if (r == 0)
		r = inspection_custody(c, today, cu, de);
	struct vault_verify_result vr = {0};
	struct verify_lines vl = {cJSON_AddArrayToObject(le, "problems"), 0};
	if (r == 0)
		r = vault_verify(c->db, NULL, 0, verify_say, &vl, &vr);
	int64_t tip = 0;
	uint8_t th[VAULT_HASH_LEN] = {0};
	char thx[2 * VAULT_HASH_LEN + 1];
	if (r == 0)
		r = vault_ledger_tip(c->db, &tip, th);
	if (r < 0) {
		cJSON_Delete(rep);
		return r;
	}
	vault_hex(th, sizeof th, thx);
	add_str(le, "result", vr.problems ? "VERIFICATION FAILED" : "verified");
	cJSON_AddNumberToObject(le, "entries", (double)vr.entries);
	cJSON_AddNumberToObject(le, "checkpoints", (double)vr.checkpoints);
	cJSON_AddNumberToObject(le, "rows", (double)vr.rows);
	cJSON_AddNumberToObject(le, "problem_count", vr.problems);
	cJSON_AddNumberToObject(le, "first_bad_seq", (double)vr.first_bad_seq);
	cJSON_AddNumberToObject(le, "tip_seq", (double)tip);
	add_str(le, "tip_hash", thx);
	if (fmt == VAULT_REPORT_JSON) {
		cJSON *sig = cJSON_AddObjectToObject(rep, "signatures");
		add_str(sig, "inspector", "");
		add_str(sig, "date", "");
		char *s = cJSON_Print(rep);
		if (s)
			fprintf(out, "%s\n", s);
		else
			r = -ENOMEM;
		free(s);
	} else {
		inspection_markdown(out, rep);
	}
	cJSON_Delete(rep);
	if (r == 0 && ferror(out))
		r = -EIO;
	if (r == 0 && ret_problems)
		*ret_problems = vr.problems;
	return r;
}

/* ---- medium show --------------------------------------------------------- */

int vault_report_medium_show(const struct vault_report_ctx *c, const char *id,
			     enum vault_report_format fmt, FILE *out)
{
	if (!c || !c->db || !c->tz || !c->policy || !id || !out)
		return -EINVAL;
	sqlite3_stmt *st;
	int r = prepare(c->db, MEDIA_SQL "WHERE m.id = ?", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	cJSON *m = media_row(c, st);
	add_str(m, "approval", txt(st, 14));
	sqlite3_finalize(st);
	cJSON *parents = cJSON_AddArrayToObject(m, "parents");
	cJSON *children = cJSON_AddArrayToObject(m, "children");
	cJSON *entries = cJSON_AddArrayToObject(m, "entries");
	r = prepare(c->db,
		    "SELECT 'parent', parent, kind FROM lineage WHERE child = ?1 UNION ALL "
		    "SELECT 'child', child, kind FROM lineage WHERE parent = ?1 ORDER BY 1, 2",
		    &st);
	if (r == 0) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			cJSON *o = cJSON_CreateObject();
			add_str(o, "medium", txt(st, 1));
			add_str(o, "kind", txt(st, 2));
			cJSON_AddItemToArray(!strcmp(txt(st, 0), "parent") ? parents : children,
					     o);
		}
		r = finish(st, rc);
	}
	/* Entries naming it as their medium, or writing a row that refers to it
	 * (lineage, destruction orders): instr() prunes before parsing JSON. */
	if (r == 0)
		r = prepare(c->db,
			    "SELECT seq, ts_utc, kind, actors, approval, hash FROM ledger "
			    "WHERE medium = ?1 OR (instr(payload, ?1) > 0 AND "
			    " json_valid(CAST(payload AS TEXT)) AND EXISTS (SELECT 1 FROM "
			    " json_each(CAST(payload AS TEXT), '$.set') s WHERE "
			    " json_extract(s.value, '$.row.medium') = ?1 OR "
			    " json_extract(s.value, '$.row.child') = ?1 OR "
			    " json_extract(s.value, '$.row.parent') = ?1)) ORDER BY seq",
			    &st);
	if (r == 0) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			cJSON *o = cJSON_CreateObject();
			char ts[32], h[65];
			local_time(c, sqlite3_column_int64(st, 1), ts);
			hash_hex(st, 5, h);
			cJSON_AddNumberToObject(o, "seq", (double)sqlite3_column_int64(st, 0));
			add_str(o, "time", ts);
			add_str(o, "kind", txt(st, 2));
			add_str(o, "actors", txt(st, 3));
			add_str(o, "approval", txt(st, 4));
			add_str(o, "hash", h);
			cJSON_AddItemToArray(entries, o);
		}
		r = finish(st, rc);
	}
	if (r == 0 && fmt == VAULT_REPORT_JSON) {
		char *s = cJSON_Print(m);
		if (s)
			fprintf(out, "%s\n", s);
		else
			r = -ENOMEM;
		free(s);
	} else if (r == 0) {
		const cJSON *f;
		cJSON_ArrayForEach(f, m)
		{
			if (cJSON_IsString(f))
				fprintf(out, "%-15s %s\n", f->string, f->valuestring);
			else if (cJSON_IsNumber(f))
				fprintf(out, "%-15s %" PRId64 "\n", f->string,
					(int64_t)f->valuedouble);
		}
		const cJSON *o;
		fprintf(out, "parents:        %s\n", parents->child ? "" : "(none)");
		cJSON_ArrayForEach(o, parents)
		    fprintf(out, "  %s (%s)\n", cJSON_GetStringValue(o->child),
			    cJSON_GetStringValue(o->child->next));
		fprintf(out, "children:       %s\n", children->child ? "" : "(none)");
		cJSON_ArrayForEach(o, children)
		    fprintf(out, "  %s (%s)\n", cJSON_GetStringValue(o->child),
			    cJSON_GetStringValue(o->child->next));
		fprintf(out, "ledger entries: %d\n", cJSON_GetArraySize(entries));
		cJSON_ArrayForEach(o, entries)
		{
			const char *k[] = {"time", "kind", "actors", "hash"};
			const char *v[4];
			for (int i = 0; i < 4; i++)
				v[i] = cJSON_GetStringValue(
				    cJSON_GetObjectItemCaseSensitive(o, k[i]));
			fprintf(out, "  %6" PRId64 "  %s  %-28s %-10s %.16s\n",
				(int64_t)cJSON_GetNumberValue(
				    cJSON_GetObjectItemCaseSensitive(o, "seq")),
				v[0], v[1], v[2], v[3]);
		}
	}
	cJSON_Delete(m);
	if (r == 0 && ferror(out))
		r = -EIO;
	return r;
}
