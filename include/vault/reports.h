/* SPDX-License-Identifier: MIT */
/*
 * The supervisor's read-only reports: the four regulation ledgers (custody,
 * checkout/return, copy/scan, destruction), alerts, the self-inspection report,
 * and the media list and detail.
 *
 * Every function reads an open database (read-only is enough: nothing here
 * writes) and prints to `out`. They never log; they block on SQLite reads and on
 * writing `out`. Times are shown in the site zone (ctx->tz), dates are calendar
 * days there. Which ledger entry kinds and payload fields each ledger reads is
 * documented in docs/ledgers.md.
 *
 * Return values: 0 (or a count where said) on success; -EINVAL for a bad
 * argument, -ENOENT for an unknown id, -EIO for a database or output error
 * (ferror(out)), -ENOMEM.
 */
#ifndef VAULT_REPORTS_H
#define VAULT_REPORTS_H
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vault/caldate.h"
#include "vault/policy.h"

/* What every report needs. A plain parameter struct, borrowed for the call. */
struct vault_report_ctx {
	sqlite3 *db;
	const struct vault_tz *tz;		  /* site time zone */
	int64_t now_utc_us;			  /* "now" */
	struct vault_date today;		  /* unset: the local day of now_utc_us */
	const struct vault_policy_config *policy; /* bands, training period, months */
	const char *lang;			  /* "en" or "zh-CN" for alert text */
	const char *vault_name;			  /* shown in report headers */
	bool computed_only; /* alerts: leave out the ledgered alarms (vaultd's own use) */
};

enum vault_report_format {
	VAULT_REPORT_TABLE, /* aligned columns for a terminal */
	VAULT_REPORT_CSV,   /* RFC 4180: CRLF line ends, quoted when needed */
	VAULT_REPORT_JSON,  /* an array of objects (or one object for show/inspection) */
	VAULT_REPORT_TEXT,  /* Markdown text (self-inspection, medium show) */
};

enum vault_ledger_view {
	VAULT_LEDGER_CUSTODY,	  /* the media register */
	VAULT_LEDGER_CHECKOUT,	  /* checkout.* and return.* entries */
	VAULT_LEDGER_COPY,	  /* copy.* entries and lineage */
	VAULT_LEDGER_DESTRUCTION, /* destruction.* entries and destruction orders */
};

/* "custody", "checkout", "copy", "destruction" -> view. 0 or -EINVAL. */
int vault_ledger_view_from_name(const char *s, enum vault_ledger_view *ret);
/* "table", "csv", "json", "text" -> format. 0 or -EINVAL. */
int vault_report_format_from_name(const char *s, enum vault_report_format *ret);

/*
 * One regulation ledger in CSV, JSON, TABLE, or TEXT: printable pages of 40 rows,
 * each ending with a page hash (SHA-256 over the previous page's hash in hex, a
 * newline, and the page's rows as CSV lines) and signature lines. `bom` writes a
 * UTF-8 byte-order mark before CSV so that spreadsheet programs read the text as
 * UTF-8; it is ignored for other formats. Returns the number of rows.
 */
int vault_report_ledger(const struct vault_report_ctx *ctx, enum vault_ledger_view view,
			enum vault_report_format fmt, bool bom, FILE *out);

/*
 * Alerts as of ctx's today: certificates (missing, revoked, expiring within the
 * policy's bands 90/30/7, expired), training (missing, due, overdue) of active
 * persons; returns due soon / overdue and destruction deadlines near / past of
 * media not destroyed; suspended units; approvals waiting for on-site
 * verification; approvals still active past valid_to. Each is
 * {severity, code, subject, date, days_left, band, detail}; code is a reason id
 * (vault/reason.h). Sorted: alarms first, then by date. TABLE, CSV or JSON.
 * Returns the number of alerts.
 */
int vault_report_alerts(const struct vault_report_ctx *ctx, enum vault_report_format fmt,
			bool bom, FILE *out);

/*
 * THE list of ledger entry kinds that are alarms (one definition): the MQTT
 * publisher sends them on the alarm topic too, `vaultctl alerts` and the
 * `alert.list` action list them until an `alert.acked` entry names their seq
 * (payload "entry"). Returns the severity ("alarm" or "warning"), or NULL when
 * `kind` is no alarm. Modules that ledger a new alarm kind add it here.
 */
const char *vault_alarm_kind(const char *kind);
/* An SQL condition on column `kind` true exactly for those kinds (uses the
 * kind index), for `... WHERE <cond>`. Static storage. */
const char *vault_alarm_kinds_sql(void);

/*
 * The self-inspection report (TEXT = Markdown, or JSON): personnel, units, approvals,
 * custody, destruction, and the ledger's verification (vault_verify) with its
 * tip. Ends with signature lines. *ret_problems (may be NULL) receives the
 * number of verification problems. Returns 0.
 */
int vault_report_self_inspection(const struct vault_report_ctx *ctx,
				 enum vault_report_format fmt, FILE *out, int *ret_problems);

/* Filters of the media list; NULL or "" = any. */
struct vault_media_filter {
	const char *status;
	const char *classification;
	const char *shelf;
	const char *dataset;
	const char *project;
};

/* The media register, filtered (TABLE, CSV or JSON). Returns the number of rows. */
int vault_report_media(const struct vault_report_ctx *ctx, const struct vault_media_filter *f,
		       enum vault_report_format fmt, bool bom, FILE *out);

/* One medium: every field, lineage parents and children, and the ledger entries
 * about it (TEXT or JSON). Returns 0 or -ENOENT. */
int vault_report_medium_show(const struct vault_report_ctx *ctx, const char *id,
			     enum vault_report_format fmt, FILE *out);
#endif
