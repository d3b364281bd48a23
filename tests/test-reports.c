/* SPDX-License-Identifier: MIT */
/*
 * Reports over a vault whose ledger holds the flow entries documented in
 * docs/ledgers.md (checkout.confirmed, copy.registered, destruction.confirmed),
 * recorded here the way vaultd's flows will record them, since no flow writes
 * them yet: the views, the alerts and medium show must read them back.
 */
#include "lib-vault.h"
#include "tap.h"
#include "vault/db.h"
#include "vault/reports.h"
#include "vault/util.h"

#include <errno.h>

#include <string.h>

static struct vault_ledger *L;

static void rec(const char *kind, const char *actors, const char *medium, const char *approval,
		cJSON *payload)
{
	struct vault_record r = {.kind = kind,
				 .actors = actors,
				 .medium = medium,
				 .approval = approval,
				 .payload = payload};
	const char *err = NULL;
	int rc = vault_ledger_record(L, &r, NULL, NULL, &err);
	if (rc < 0)
		printf("# record %s: %d %s\n", kind, rc, err ? err : "");
	cJSON_Delete(payload);
}

static void add_set(cJSON *payload, const char *t, const char *k, cJSON *row)
{
	cJSON *set = cJSON_GetObjectItemCaseSensitive(payload, "set");
	if (!set)
		set = cJSON_AddArrayToObject(payload, "set");
	cJSON *ch = cJSON_CreateObject();
	cJSON_AddStringToObject(ch, "t", t);
	cJSON_AddStringToObject(ch, "k", k);
	cJSON_AddItemToObject(ch, "row", row);
	cJSON_AddItemToArray(set, ch);
}

static cJSON *obj(const char *const *kv)
{
	cJSON *o = cJSON_CreateObject();
	for (; kv[0]; kv += 2)
		cJSON_AddStringToObject(o, kv[0], kv[1]);
	return o;
}

static cJSON *medium(const char *title, const char *cls, const char *status,
		     const char *borrower, const char *approval, const char *due,
		     const char *project)
{
	const char *kv[] = {
	    "tag",	title,	  "title",	    title,    "dataset",    "coast",
	    "category", "survey", "classification", cls,      "home_shelf", "SH-1",
	    "status",	status,	  "borrower",	    borrower, "approval",   approval,
	    "due",	due,	  "deadline",	    "",	      NULL};
	cJSON *o = obj(kv);
	if (project)
		cJSON_AddStringToObject(o, "project", project);
	else
		cJSON_AddNullToObject(o, "project");
	return o;
}

static cJSON *person(const char *name, const char *role)
{
	const char *kv[] = {"name", name, "role", role, "status", "active", NULL};
	cJSON *o = obj(kv);
	cJSON_AddNullToObject(o, "unit");
	cJSON_AddNullToObject(o, "unix_user");
	return o;
}

/* Run a report into memory and parse its JSON. */
static cJSON *run(int (*fn)(const struct vault_report_ctx *, FILE *, void *), void *arg,
		  const struct vault_report_ctx *c, char **ret_text)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r = fn(c, f, arg);
	fclose(f);
	if (r < 0)
		printf("# report failed: %d\n", r);
	cJSON *j = cJSON_Parse(buf);
	if (ret_text)
		*ret_text = buf;
	else
		free(buf);
	return j;
}

static int do_ledger(const struct vault_report_ctx *c, FILE *f, void *arg)
{
	return vault_report_ledger(c, *(enum vault_ledger_view *)arg, VAULT_REPORT_JSON, false,
				   f);
}
static int do_alerts(const struct vault_report_ctx *c, FILE *f, void *arg)
{
	(void)arg;
	return vault_report_alerts(c, VAULT_REPORT_JSON, false, f);
}
static int do_show(const struct vault_report_ctx *c, FILE *f, void *arg)
{
	return vault_report_medium_show(c, arg, VAULT_REPORT_JSON, f);
}
static int do_inspect(const struct vault_report_ctx *c, FILE *f, void *arg)
{
	return vault_report_self_inspection(c, VAULT_REPORT_JSON, f, arg);
}

static const char *s(const cJSON *o, const char *k)
{
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
	return v ? v : "";
}
static double n(const cJSON *o, const char *k)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* The first array element with key == val. */
static const cJSON *find(const cJSON *arr, const char *key, const char *val)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, arr) if (!strcmp(s(it, key), val)) return it;
	return NULL;
}

static const cJSON *find2(const cJSON *arr, const char *k1, const char *v1, const char *k2,
			  const char *v2)
{
	const cJSON *it;
	cJSON_ArrayForEach(it,
			   arr) if (!strcmp(s(it, k1), v1) && !strcmp(s(it, k2), v2)) return it;
	return NULL;
}

int main(void)
{
	char *dir = tv_tmpdir(), path[512];
	snprintf(path, sizeof path, "%s/v.db", dir);
	sqlite3 *db;
	if (tv_new_vault(path, NULL, &db, &L, NULL) < 0)
		tap_skip_all("cannot create a vault database in %s", dir);
	struct vault_tz *tz;
	if (vault_tz_load(NULL, "Asia/Shanghai", &tz) < 0)
		tap_skip_all("no Asia/Shanghai zone in /usr/share/zoneinfo (tzdata)");

	cJSON *p = cJSON_CreateObject();
	add_set(p, "person", "P1", person("Li Wei", "custodian"));
	add_set(p, "person", "P2", person("Chen Jing", "custodian"));
	const char *cert[] = {"person",	 "P1",	       "issued", "2021-06-20",
			      "expires", "2026-06-20", NULL};
	cJSON *c1 = obj(cert);
	cJSON_AddNumberToObject(c1, "revoked", 0);
	add_set(p, "certificate", "C-1", c1);
	const char *pr[] = {"name", "Old survey", "start", "2025-01-01",
			    "end",  "2025-11-01", NULL};
	cJSON *prj = obj(pr);
	cJSON_AddNullToObject(prj, "unit");
	cJSON_AddNumberToObject(prj, "closed", 0);
	add_set(p, "project", "PR-OLD", prj);
	add_set(p, "medium", "M1", medium("Sheet 1", "secret", "in-vault", "", "", "", NULL));
	add_set(p, "medium", "M2",
		medium("Sheet 2", "top-secret", "in-vault", "", "", "", NULL));
	add_set(p, "medium", "M4",
		medium("Sheet 4", "secret", "in-vault", "", "", "", "PR-OLD"));
	add_set(p, "medium", "M5",
		medium("Sheet 5", "secret", "in-vault", "", "", "", "PR-OLD"));
	rec("registry.setup", "admin", NULL, NULL, p);

	/* checkout.confirmed as docs/ledgers.md asks */
	p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "person", "P1");
	cJSON_AddStringToObject(p, "due", "2026-06-10");
	add_set(p, "medium", "M1",
		medium("Sheet 1", "secret", "checked-out", "P1", "A1", "2026-06-10", NULL));
	rec("checkout.confirmed", "P1", "M1", "A1", p);

	/* copy.registered: the new medium and its lineage row */
	p = cJSON_CreateObject();
	cJSON_AddItemToObject(p, "parents", cJSON_CreateStringArray((const char *[]){"M2"}, 1));
	add_set(p, "medium", "M3",
		medium("Scan of 2", "top-secret", "in-vault", "", "", "", NULL));
	const char *lg[] = {"child", "M3", "parent", "M2", "kind", "scan", NULL};
	add_set(p, "lineage", "M3<M2", obj(lg));
	rec("copy.registered", "P1", "M3", "A1", p);

	/* destruction: the order, then the confirmed destruction */
	p = cJSON_CreateObject();
	const char *ord[] = {"medium", "M4",	"orderer",  "P2", "approver",
			     "SV",     "state", "approved", NULL};
	add_set(p, "destruction_order", "D1", obj(ord));
	rec("registry.destruction_order.approve", "SV", "M4", NULL, p);
	p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "order", "D1");
	cJSON_AddItemToObject(p, "witnesses",
			      cJSON_CreateStringArray((const char *[]){"P1", "P2"}, 2));
	cJSON_AddStringToObject(p, "certificate", "DC-2026-001");
	add_set(p, "medium", "M4",
		medium("Sheet 4", "secret", "destroyed", "", "", "", "PR-OLD"));
	const char *ord2[] = {"medium", "M4",	 "orderer", "P2", "approver",
			      "SV",	"state", "done",    NULL};
	add_set(p, "destruction_order", "D1", obj(ord2));
	rec("destruction.confirmed", "P1,P2", "M4", NULL, p);

	struct vault_policy_config pc;
	vault_policy_config_default(&pc);
	struct vault_report_ctx c = {.db = db,
				     .tz = tz,
				     .now_utc_us = vault_now_utc_us(),
				     .today = {2026, 6, 15},
				     .policy = &pc,
				     .lang = "en",
				     .vault_name = "test"};

	enum vault_ledger_view v = VAULT_LEDGER_CHECKOUT;
	cJSON *j = run(do_ledger, &v, &c, NULL);
	const cJSON *row = find(j, "kind", "checkout.confirmed");
	ok(cJSON_GetArraySize(j) == 1 && row, "checkout ledger: exactly the checkout entry");
	ok(row && !strcmp(s(row, "medium"), "M1") && !strcmp(s(row, "person"), "P1") &&
	       !strcmp(s(row, "approval"), "A1") && !strcmp(s(row, "due"), "2026-06-10"),
	   "checkout row: medium, borrower, approval and due date from the entry");
	ok(row && strlen(s(row, "hash")) == 64, "checkout row carries the entry's ledger hash");
	cJSON_Delete(j);

	v = VAULT_LEDGER_COPY;
	j = run(do_ledger, &v, &c, NULL);
	row = find(j, "medium", "M3");
	ok(cJSON_GetArraySize(j) == 1 && row && !strcmp(s(row, "kind"), "copy.registered"),
	   "copy ledger: the copy.registered entry");
	ok(row && !strcmp(s(row, "parents"), "M2") &&
	       !strcmp(s(row, "classification"), "top-secret"),
	   "copy row names its parent and keeps the top-secret classification");
	cJSON_Delete(j);

	v = VAULT_LEDGER_DESTRUCTION;
	j = run(do_ledger, &v, &c, NULL);
	row = find(j, "kind", "destruction.confirmed");
	ok(row && !strcmp(s(row, "witnesses"), "P1 P2") && !strcmp(s(row, "order"), "D1") &&
	       !strcmp(s(row, "certificate"), "DC-2026-001"),
	   "destruction row: order, both witnesses and the certificate");
	ok(row && !strcmp(s(row, "ordered_by"), "P2") && !strcmp(s(row, "approved_by"), "SV"),
	   "destruction row names who ordered and who approved (from the order)");
	ok(find(j, "kind", "order.done") != NULL,
	   "the destruction order is listed with its state");
	cJSON_Delete(j);

	v = VAULT_LEDGER_CUSTODY;
	j = run(do_ledger, &v, &c, NULL);
	row = find(j, "id", "M1");
	ok(cJSON_GetArraySize(j) == 5, "custody ledger lists all 5 media, destroyed ones too");
	ok(row && !strcmp(s(row, "status"), "checked-out") && !strcmp(s(row, "holder"), "P1"),
	   "custody: M1 is checked out, held by P1");
	row = find(j, "id", "M5");
	ok(row && !strcmp(s(row, "deadline"), "2026-05-01"),
	   "custody: the deadline is project end + 6 months when the medium has none");
	cJSON_Delete(j);

	j = run(do_alerts, NULL, &c, NULL);
	row = find2(j, "code", "RETURN_OVERDUE", "subject", "M1");
	ok(row && !strcmp(s(row, "severity"), "alarm") && n(row, "days_left") == -5,
	   "M1 past its due date is an overdue-return alarm, 5 days late");
	row = find2(j, "code", "CERT_EXPIRING", "subject", "P1");
	ok(row && n(row, "band") == 7 && n(row, "days_left") == 5,
	   "P1's certificate expiring in 5 days is in band 7");
	row = find2(j, "code", "DESTRUCTION_OVERDUE", "subject", "M5");
	ok(row && !strcmp(s(row, "date"), "2026-05-01"), "M5 is past its destruction deadline");
	ok(!find2(j, "code", "DESTRUCTION_OVERDUE", "subject", "M4"),
	   "the destroyed M4 raises no deadline alert");
	ok(find2(j, "code", "CERT_MISSING", "subject", "P2") != NULL &&
	       find2(j, "code", "TRAINING_MISSING", "subject", "P2") != NULL,
	   "P2 without certificate and training is listed");
	ok(!strcmp(s(cJSON_GetArrayItem(j, 0), "severity"), "alarm"), "alarms come first");
	cJSON_Delete(j);
	c.today = (struct vault_date){2026, 6, 21};
	j = run(do_alerts, NULL, &c, NULL);
	ok(find2(j, "code", "CERT_EXPIRED", "subject", "P1") != NULL,
	   "the day after its expiry the certificate is expired");
	cJSON_Delete(j);
	c.today = (struct vault_date){2026, 6, 15};

	j = run(do_show, "M2", &c, NULL);
	ok(j && find(cJSON_GetObjectItemCaseSensitive(j, "children"), "medium", "M3"),
	   "medium show M2 lists the scan M3 as its child");
	ok(j && find(cJSON_GetObjectItemCaseSensitive(j, "entries"), "kind", "copy.registered"),
	   "medium show M2 lists the copy entry that names it as a parent");
	cJSON_Delete(j);
	j = run(do_show, "M3", &c, NULL);
	ok(j && find(cJSON_GetObjectItemCaseSensitive(j, "parents"), "medium", "M2"),
	   "medium show M3 lists M2 as its parent");
	cJSON_Delete(j);
	FILE *devnull = fopen("/dev/null", "w");
	ok(vault_report_medium_show(&c, "NOPE", VAULT_REPORT_TEXT, devnull) == -ENOENT,
	   "medium show of an unknown id is -ENOENT");
	fclose(devnull);

	int problems = -1;
	j = run(do_inspect, &problems, &c, NULL);
	const cJSON *le = cJSON_GetObjectItemCaseSensitive(j, "ledger");
	ok(problems == 0 && !strcmp(s(le, "result"), "verified"),
	   "self-inspection: the ledger verifies");
	int64_t tip = 0;
	vault_ledger_tip(db, &tip, (uint8_t[VAULT_HASH_LEN]){0});
	ok(n(le, "tip_seq") == (double)tip, "self-inspection names the ledger tip seq");
	const cJSON *cu = cJSON_GetObjectItemCaseSensitive(j, "custody");
	ok(find(cJSON_GetObjectItemCaseSensitive(cu, "out_past_due"), "medium", "M1") != NULL,
	   "self-inspection lists M1 as out past its due date");
	const cJSON *de = cJSON_GetObjectItemCaseSensitive(j, "destruction");
	ok(find(cJSON_GetObjectItemCaseSensitive(de, "past_deadline"), "medium", "M5") != NULL,
	   "self-inspection lists M5 past its destruction deadline");
	cJSON_Delete(j);

	vault_ledger_free(L);
	vault_db_close(db);
	vault_tz_free(tz);
	tv_rmrf(dir);
	free(dir);
	return tap_done();
}
