/* SPDX-License-Identifier: MIT */
/*
 * Admin actions: registry changes through vaultd. Each action validates its
 * arguments against the schema (vault/schema.h), applies the separation-of-
 * duties rules, and records ONE ledger entry that carries the full new rows.
 */
#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vault/db.h"
#include "vault/pin.h"
#include "vault/regload.h"
#include "vault/registry.h"
#include "vault/schema.h"
#include "vault/tagdecode.h"
#include "vault/util.h"
#include "door.h"
#include "events.h"
#include "integrity.h"
#include "kdf.h"
#include "mqtt.h"
#include "vaultd.h"

/* Who may do what. Prefix match on "noun." covers every verb of a noun
 * unless a more specific row comes first. */
static const struct {
	const char *action;
	const char *roles;
} role_table[] = {
	{"whoami", "admin supervisor custodian staff technician visitor"},
	{"checkpoint.now", "admin supervisor"},
	{"door.stats", "admin supervisor"},
	{"vault.check", "custodian supervisor admin"},
	{"occupancy.clear", "supervisor admin"},
	{"unit.", "admin"},
	{"person.", "admin"},
	{"badge.", "admin custodian"},
	{"pin.set", "admin"},
	{"cert.", "admin supervisor"},
	{"training.", "admin supervisor"},
	{"inspection.", "admin supervisor"},
	{"project.", "admin supervisor"},
	{"approval.add", "staff custodian supervisor admin"},
	{"approval.", "supervisor admin"},
	{"medium.", "custodian admin"},
	{"schedule.", "admin"},
	{"holiday.", "admin"},
	{"destroy-order.add", "custodian supervisor admin"},
	{"destroy-order.", "supervisor admin"},
	{"device.", "admin technician"},
	{"copy.register", "staff custodian supervisor admin"},
	{"custody.checkout", "staff custodian supervisor admin"},
	{"custody.return", "staff custodian supervisor admin"},
	{"custody.", "custodian supervisor admin"},
	{"destroy.", "custodian supervisor admin"},
	{"inventory.", "custodian supervisor admin"},
	{"alert.", "supervisor admin"},
	{"ledger.verify", "supervisor admin"},
	/* Sign-in at the web stations (controller/web.c); not actions. */
	{"web.kiosk", "staff custodian supervisor admin"},
	{"web.console", "supervisor admin"},
};

/* Actions owned by the workflow modules. */
static const struct {
	const char *prefix;
	int (*known)(const char *action);
	vaultd_action_fn *act;
} modules[] = {
	{"custody.", custody_action_known, custody_action},
	{"destroy.", destruction_action_known, destruction_action},
	{"inventory.", inventory_action_known, inventory_action},
	{"alert.", warnings_action_known, warnings_action},
	{"ledger.", integrity_action_known, integrity_action},
};

static int module_of(const char *action)
{
	for (size_t i = 0; i < sizeof modules / sizeof modules[0]; i++)
		if (!strncmp(action, modules[i].prefix, strlen(modules[i].prefix)))
			return modules[i].known(action) ? (int)i : -1;
	return -1;
}

static int word_in(const char *word, const char *list)
{
	size_t n = strlen(word);
	for (const char *p = list; *p;) {
		size_t l = strcspn(p, " ");
		if (l == n && !strncmp(p, word, n))
			return 1;
		p += l + (p[l] == ' ');
	}
	return 0;
}

int vaultd_role_allows(const char *action, const char *role)
{
	for (size_t i = 0; i < VAULT_ARRAY_SIZE(role_table); i++) {
		const char *a = role_table[i].action;
		size_t n = strlen(a);
		int match = a[n - 1] == '.' ? !strncmp(action, a, n) : !strcmp(action, a);
		if (match)
			return word_in(role, role_table[i].roles);
	}
	return 0;
}

/* ---- helpers ---------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static void refuse(struct action_result *res,
							  enum vault_reason r, const char *fmt,
							  ...)
{
	res->reason = r;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof res->detail, fmt, ap);
	va_end(ap);
}

static const char *arg_str(const cJSON *args, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int valid_id(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n < 1 || n >= VAULT_ID_SIZE)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = id[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == ':'))
			return 0;
	}
	return 1;
}

static int row_exists(struct vaultd *d, const char *table, const char *id)
{
	cJSON *r = vault_registry_get(d->db, table, id);
	cJSON_Delete(r);
	return r != NULL;
}

/* Append {"t","k","row"} to the payload's set list, adding it if missing (takes row). */
void vaultd_set_add(cJSON *payload, const char *table, const char *id, cJSON *row)
{
	cJSON *set = cJSON_GetObjectItemCaseSensitive(payload, "set");
	if (!set)
		set = cJSON_AddArrayToObject(payload, "set");
	cJSON *ch = cJSON_CreateObject();
	cJSON_AddStringToObject(ch, "t", table);
	cJSON_AddStringToObject(ch, "k", id);
	cJSON_AddItemToObject(ch, "row", row);
	cJSON_AddItemToArray(set, ch);
}

int vaultd_has_set(const cJSON *payload)
{
	return payload && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(payload, "set")) > 0;
}

/* Whether the payload sets a row of a table the policy reads: any table but
 * "pin" (a PIN is read at each presentation, never kept). An entry without a
 * table name counts as one that does. */
int vaultd_sets_policy(const cJSON *payload)
{
	const cJSON *ch, *set = cJSON_GetObjectItemCaseSensitive(payload, "set");
	cJSON_ArrayForEach(ch, set) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(ch, "t");
		if (!cJSON_IsString(t) || strcmp(t->valuestring, "pin"))
			return 1;
	}
	return 0;
}

/* Record one entry whose payload (taken) lists its rows in "set"; fills res. */
static void record_cited(struct vaultd *d, const struct vault_caller *who, const char *kind,
			 cJSON *payload, const char *medium, const char *approval, const char *cites,
			 struct action_result *res)
{
	struct vault_record r = {.kind = kind, .actors = who->person, .medium = medium,
				 .approval = approval, .cites = cites, .payload = payload};
	if (vaultd_record(d, &r, &res->seq) < 0)
		refuse(res, VAULT_R_DB_ERROR, "the change was not recorded");
	cJSON_Delete(payload);
}

static void record_payload(struct vaultd *d, const struct vault_caller *who, const char *kind,
			   cJSON *payload, const char *medium, const char *approval,
			   struct action_result *res)
{
	record_cited(d, who, kind, payload, medium, approval, NULL, res);
}

/* Record one entry that sets one row (takes row); fills res. */
static void record_set(struct vaultd *d, const struct vault_caller *who, const char *kind,
		       const char *table, const char *id, cJSON *row, const char *medium,
		       const char *approval, struct action_result *res)
{
	cJSON *payload = cJSON_CreateObject();
	vaultd_set_add(payload, table, id, row);
	record_payload(d, who, kind, payload, medium, approval, res);
}

/* Refuse with a policy reason unless it is OK. Returns 1 if refused. */
static int policy_refuses(struct action_result *res, enum vault_reason r, const char *what)
{
	if (r == VAULT_R_OK)
		return 0;
	refuse(res, r, "%s", what);
	return 1;
}

/* Fill `row` from args for entity e: given fields validated, others from the
 * existing row (update) or defaults (add). Returns 0 or refuses. */
static int build_row(struct vaultd *d, const struct vault_entity *e, const cJSON *args,
		     const cJSON *existing, cJSON *row, struct action_result *res)
{
	const cJSON *a;
	cJSON_ArrayForEach(a, args)
	{
		if (!strcmp(a->string, "id"))
			continue;
		const struct vault_field *f = vault_entity_field(e, a->string);
		if (!f) {
			refuse(res, VAULT_R_INVALID_VALUE, "unknown field '%s'", a->string);
			return -1;
		}
		if (!f->settable) {
			refuse(res, VAULT_R_INVALID_VALUE, "field '%s' is set by its own verb",
			       a->string);
			return -1;
		}
		if (!cJSON_IsString(a)) {
			refuse(res, VAULT_R_INVALID_VALUE, "field '%s' must be a string", a->string);
			return -1;
		}
	}
	for (const struct vault_field *f = e->fields; f->name; f++) {
		const char *v = f->settable ? arg_str(args, f->name) : NULL;
		const cJSON *old = existing ? cJSON_GetObjectItemCaseSensitive(existing, f->name)
					    : NULL;
		if (!v && old) {
			cJSON_AddItemToObject(row, f->name, cJSON_Duplicate(old, 1));
			continue;
		}
		if (!v)
			v = f->def;
		if (!v) {
			refuse(res, VAULT_R_INVALID_VALUE, "missing field '%s'", f->name);
			return -1;
		}
		const char *err;
		/* An optional date left empty stays empty (e.g. a certificate's
		 * expiry, computed from its issue date). */
		cJSON *val = f->type == VAULT_F_DATE && !*v && f->def && !*f->def
				     ? cJSON_CreateString("")
				     : vault_field_value(f, v, &err);
		if (!val) {
			refuse(res, VAULT_R_INVALID_VALUE, "%s: %s", f->name, err);
			return -1;
		}
		if (f->type == VAULT_F_REF && *v && !row_exists(d, f->choices, v)) {
			cJSON_Delete(val);
			refuse(res, VAULT_R_NOT_FOUND, "%s '%s' does not exist", f->choices, v);
			return -1;
		}
		/* An empty reference is "none": NULL satisfies the foreign key. */
		if (f->type == VAULT_F_REF && !*v) {
			cJSON_Delete(val);
			val = cJSON_CreateNull();
		}
		cJSON_AddItemToObject(row, f->name, val);
	}
	return 0;
}

static void set_str(cJSON *row, const char *name, const char *v)
{
	cJSON_ReplaceItemInObjectCaseSensitive(row, name, cJSON_CreateString(v));
}

static const char *row_str(const cJSON *row, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, name);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static int row_int(const cJSON *row, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, name);
	return cJSON_IsNumber(v) ? v->valueint : 0;
}

/* An update must not get around what an add or a verb enforces: who may do
 * it (separation of duties), approvals and orders changed once approved, a
 * classification lowered, nav-map data recategorised. EXISTING: the row as it
 * is; ROW: as it would be. Returns 0 or refuses. */
static int guard_update(const struct vault_caller *who, const struct vault_entity *e,
			const cJSON *existing, cJSON *row, struct action_result *res)
{
	const char *t = e->table;
	if (!strcmp(t, "approval") || !strcmp(t, "destruction_order")) {
		/* What was approved stays what was approved. While still a
		 * request, whoever changes it is its author: they cannot approve it. */
		const char *state = row_str(existing, "state");
		if (strcmp(state, "requested")) {
			refuse(res, VAULT_R_NOT_EDITABLE, "%s is %s", e->noun, state);
			return -1;
		}
		set_str(row, !strcmp(t, "approval") ? "requester" : "orderer", who->person);
	} else if (!strcmp(t, "medium")) {
		enum vault_classification was = VAULT_CLASS_NONE, now = VAULT_CLASS_NONE;
		vault_classification_from_name(row_str(existing, "classification"), &was);
		vault_classification_from_name(row_str(row, "classification"), &now);
		char what[96];
		snprintf(what, sizeof what, "%s %s to %s %s",
			 row_str(existing, "classification"), row_str(existing, "category"),
			 row_str(row, "classification"), row_str(row, "category"));
		if (policy_refuses(res,
				   vault_policy_medium_change(was, now,
							      row_str(existing, "category"),
							      row_str(row, "category")),
				   what))
			return -1;
	} else if (!strcmp(t, "certificate") || !strcmp(t, "training")) {
		if (policy_refuses(res,
				   vault_policy_may_record_clearance(
				       who->person, row_str(existing, "person")),
				   who->person))
			return -1;
	} else if (!strcmp(t, "badge")) {
		/* Nor handed on by its holder (fixup_row checks the new holder). */
		if (!strcmp(row_str(existing, "person"), who->person)) {
			refuse(res, VAULT_R_SELF_ENROL, "%s", who->person);
			return -1;
		}
	}
	return 0;
}

/* Tags and badge UIDs are read as upper-case hex; one physical tag is one
 * row. A medium's tag is stored upper-case; a badge id keeps its spelling
 * but may not differ from another only in case. Returns 0 or refuses. */
/* A tag as stored and read: upper-case, at most 64 characters. */
static void tag_upper(const char *tag, char out[65])
{
	size_t i = 0;
	for (; tag[i] && i < 64; i++)
		out[i] = (char)toupper((unsigned char)tag[i]);
	out[i] = 0;
}

static int check_hex_id(struct vaultd *d, const char *table, const char *id, cJSON *row,
			struct action_result *res)
{
	int medium = !strcmp(table, "medium");
	const char *v = medium ? row_str(row, "tag") : id;
	char up[65];
	size_t n = strlen(v);
	/* A medium's tag is what the shelves read (a 96-bit EPC, never all
	 * zero), or no reader could ever confirm it; a badge UID is 4-32 bytes. */
	int ok = medium ? n == 2 * VAULT_TAG_ID_BYTES && strspn(v, "0") < n
			: n >= 4 && n < sizeof up && n % 2 == 0;
	for (size_t i = 0; ok && i < n; i++)
		ok = isxdigit((unsigned char)v[i]) != 0;
	if (!ok) {
		if (medium)
			refuse(res, VAULT_R_TAG_INVALID, "tag '%s': %d hex digits, not all zero", v,
			       2 * VAULT_TAG_ID_BYTES);
		else
			refuse(res, VAULT_R_INVALID_VALUE,
			       "badge id '%s': 4-64 hex digits, an even number", v);
		return -1;
	}
	tag_upper(v, up);
	if (medium)
		set_str(row, "tag", up);
	sqlite3_stmt *st;
	if (vault_db_cached(d->db,
			    medium ? "SELECT id FROM medium WHERE upper(tag)=? AND id<>?"
				   : "SELECT id FROM badge WHERE upper(id)=? AND id<>?",
			    &st) < 0) {
		refuse(res, VAULT_R_DB_ERROR, "the registry could not be read");
		return -1;
	}
	sqlite3_bind_text(st, 1, up, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
	int taken = sqlite3_step(st) == SQLITE_ROW;
	if (taken)
		refuse(res, medium ? VAULT_R_TAG_TAKEN : VAULT_R_ALREADY_EXISTS, "%s is %s %s's", up,
		       table, (const char *)sqlite3_column_text(st, 0));
	vault_db_done(st);
	return taken ? -1 : 0;
}

/* A shelf's read counts only while that shelf answers: one in fault keeps its
 * last known contents (events.c: a silent shelf is never "tags gone"), which
 * may have left it since. */
static int shelf_answering(struct vaultd *d, const char *shelf)
{
	const struct vaultd_shelf *sh;
	size_t n = vaultd_shelves(d, &sh);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(sh[i].name, shelf))
			return sh[i].state == VSHELF_OK;
	return 0;
}

/* A home shelf is where custody watches a medium, so it is never the kiosk pad
 * or the shredder throat (departures from those are not removals), and where
 * storage shelves are configured it is one of them. A site without any (a
 * registry-only site, or a kiosk pad alone) has nothing to check a name
 * against: any name but "" is accepted. Returns 0 or refuses. */
static int check_home_shelf(struct vaultd *d, const char *shelf, struct action_result *res)
{
	if (!vaultd_is_storage(d, shelf)) {
		const char *is = !*shelf ? "empty"
				 : !strcmp(shelf, d->cfg.custody_pad) ? "the kiosk pad"
								      : "the shredder throat";
		refuse(res, VAULT_R_HOME_SHELF_INVALID,
		       "home shelf '%s' is %s, not a storage shelf", shelf, is);
		return -1;
	}
	const struct vaultd_shelf *sh;
	size_t n = vaultd_shelves(d, &sh), storage = 0;
	char known[160] = "";
	for (size_t i = 0; i < n; i++) {
		if (!vaultd_is_storage(d, sh[i].name))
			continue;
		if (!strcmp(sh[i].name, shelf))
			return 0;
		size_t l = strlen(known);
		snprintf(known + l, sizeof known - l, "%s%s", storage++ ? ", " : "", sh[i].name);
	}
	if (!storage)
		return 0;
	refuse(res, VAULT_R_HOME_SHELF_INVALID,
	       "home shelf '%s' is not a configured storage shelf (%s)", shelf, known);
	return -1;
}

/* An open (requested, approved or active) approval whose scope names dataset
 * DS, into OUT ("" if none). Returns 0 or -EIO. */
static int open_approval_naming(struct vaultd *d, const char *ds, char out[VAULT_ID_SIZE])
{
	char ids[8][VAULT_ID_SIZE];
	int n = 0;
	out[0] = 0;
	sqlite3_stmt *st;
	if (!*ds)
		return 0;
	if (vault_db_cached(d->db,
			    "SELECT id FROM approval WHERE state IN ('requested','approved','active') "
			    "AND instr(scope, 'dataset:' || ?) > 0 ORDER BY id",
			    &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, ds, -1, SQLITE_TRANSIENT);
	while (n < 8 && sqlite3_step(st) == SQLITE_ROW)
		snprintf(ids[n++], VAULT_ID_SIZE, "%.63s", (const char *)sqlite3_column_text(st, 0));
	vault_db_done(st);
	/* instr() finds "dataset:coast" in "dataset:coastline" too: compare exactly. */
	for (int i = 0; i < n && !out[0]; i++) {
		struct vault_approval_rec a;
		if (vault_load_approval(d->db, ids[i], &a) < 0) {
			memcpy(out, ids[i], VAULT_ID_SIZE); /* unreadable: assume it does */
			break;
		}
		for (size_t j = 0; j < a.a.n_scope_datasets; j++)
			if (!strcmp(a.a.scope_datasets[j], ds))
				memcpy(out, ids[i], VAULT_ID_SIZE);
	}
	return 0;
}

/* A medium's dataset, project and tag (vault_policy_medium_rescope). On a
 * re-tag, CITES gets the new tag's read on the home shelf. Returns 0 or
 * refuses. */
static int guard_medium(struct vaultd *d, const cJSON *existing, const cJSON *row, char *cites,
			size_t cites_len, struct action_result *res)
{
	struct vault_medium_rescope c = {
	    .dataset_was = row_str(existing, "dataset"),
	    .dataset_now = row_str(row, "dataset"),
	    .project_was = row_str(existing, "project"),
	    .project_now = row_str(row, "project"),
	    .tag_was = row_str(existing, "tag"),
	    .tag_now = row_str(row, "tag"),
	    .home_shelf = row_str(row, "home_shelf"),
	    .old_tag_at = "",
	    .new_tag_at = "",
	};
	char open[VAULT_ID_SIZE] = "";
	if (vault_medium_status_from_name(row_str(existing, "status"), &c.status) < 0 ||
	    (strcmp(c.dataset_was, c.dataset_now) &&
	     open_approval_naming(d, c.dataset_now, open) < 0)) {
		refuse(res, VAULT_R_DB_ERROR, "the registry could not be read");
		return -1;
	}
	c.open_approval = open;
	char old_up[65];
	tag_upper(c.tag_was, old_up);
	const struct vaultd_tag_place *was = vaultd_tag_where(d, old_up),
				      *now = vaultd_tag_where(d, c.tag_now);
	/* The old tag's last known read blocks even from a shelf in fault: it
	 * may still be there (fail secure). The new tag's counts only from a
	 * shelf that answers. */
	if (was)
		c.old_tag_at = was->where;
	int stale = now && *now->where && !shelf_answering(d, now->where);
	if (now && !stale)
		c.new_tag_at = now->where;
	char what[160];
	snprintf(what, sizeof what, "dataset %s to %s, project %s to %s, tag %s to %s",
		 *c.dataset_was ? c.dataset_was : "-", *c.dataset_now ? c.dataset_now : "-",
		 *c.project_was ? c.project_was : "-", *c.project_now ? c.project_now : "-",
		 c.tag_was, c.tag_now);
	enum vault_reason r = vault_policy_medium_rescope(&c);
	if (r == VAULT_R_MEDIUM_SCOPE_APPROVED)
		snprintf(what, sizeof what, "dataset %s is named by approval %s", c.dataset_now,
			 open);
	else if (r == VAULT_R_RETAG_OLD_TAG_READ)
		snprintf(what, sizeof what, "%s is read on %s", old_up, c.old_tag_at);
	else if (r == VAULT_R_RETAG_NEW_TAG_UNREAD && stale && !strcmp(now->where, c.home_shelf))
		snprintf(what, sizeof what,
			 "%s is not answering (shelf fault): its last read of %s does not count",
			 c.home_shelf, c.tag_now);
	else if (r == VAULT_R_RETAG_NEW_TAG_UNREAD)
		snprintf(what, sizeof what, "%s is not read on %s", c.tag_now, c.home_shelf);
	if (policy_refuses(res, r, what))
		return -1;
	if (strcmp(old_up, c.tag_now) && now)
		snprintf(cites, cites_len, "%lld", (long long)now->sensor_id);
	return 0;
}

/* A medium raised to a higher classification takes its copies with it: a copy
 * is never classified lower than its parents (nor a copy of a copy: every
 * descendant in the lineage). Each one raised is set in PAYLOAD and listed in
 * its "raised_copies". Returns 0 or refuses (DB_ERROR). */
static int raise_copies(struct vaultd *d, const char *id, const cJSON *row, cJSON *payload,
			struct action_result *res)
{
	enum vault_classification now;
	if (vault_classification_from_name(row_str(row, "classification"), &now) < 0)
		return 0;
	sqlite3_stmt *st;
	if (vault_db_cached(d->db,
			    "WITH RECURSIVE copies(id) AS (SELECT child FROM lineage WHERE parent=?1 "
			    "UNION SELECT l.child FROM lineage l JOIN copies c ON l.parent=c.id) "
			    "SELECT id FROM copies WHERE id <> ?1 ORDER BY id",
			    &st) < 0)
		goto fail;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	cJSON *raised = NULL;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *cid = (const char *)sqlite3_column_text(st, 0);
		cJSON *m = vault_registry_get(d->db, "medium", cid);
		enum vault_classification was;
		if (!m || vault_classification_from_name(row_str(m, "classification"), &was) < 0) {
			cJSON_Delete(m);
			rc = SQLITE_ERROR;
			break;
		}
		if (was >= now) {
			cJSON_Delete(m);
			continue;
		}
		set_str(m, "classification", vault_classification_name(now));
		vaultd_set_add(payload, "medium", cid, m);
		if (!raised)
			raised = cJSON_AddArrayToObject(payload, "raised_copies");
		cJSON_AddItemToArray(raised, cJSON_CreateString(cid));
	}
	vault_db_done(st);
	if (rc == SQLITE_DONE)
		return 0;
fail:
	refuse(res, VAULT_R_DB_ERROR, "the copies of %s could not be read", id);
	return -1;
}

/* Table-specific rules on add/update (EXISTING: NULL on add). */
static int fixup_row(struct vaultd *d, const struct vault_caller *who,
		     const struct vault_entity *e, const char *id, const cJSON *existing,
		     cJSON *row, struct action_result *res)
{
	int adding = !existing;
	if (existing && guard_update(who, e, existing, row, res) < 0)
		return -1;
	if (!strcmp(e->table, "person")) {
		/* An empty unix_user means none: NULL keeps the unique index happy. */
		if (!*row_str(row, "unix_user"))
			cJSON_ReplaceItemInObjectCaseSensitive(row, "unix_user", cJSON_CreateNull());
	} else if (!strcmp(e->table, "certificate") || !strcmp(e->table, "training")) {
		/* Nobody vouches for their own clearance. */
		if (policy_refuses(
			res,
			vault_policy_may_record_clearance(who->person, row_str(row, "person")),
			who->person))
			return -1;
		if (!strcmp(e->table, "training"))
			return 0;
		if (!*row_str(row, "expires")) {
			struct vault_certificate c = {0};
			struct vault_date exp;
			char buf[16];
			vault_date_parse(row_str(row, "issued"), &c.issued);
			if (vault_policy_cert_expiry(&c, &d->pc, &exp) < 0 ||
			    vault_date_format(exp, buf, sizeof buf) < 0) {
				refuse(res, VAULT_R_INVALID_VALUE, "cannot compute the expiry date");
				return -1;
			}
			set_str(row, "expires", buf);
		}
		if (strcmp(row_str(row, "expires"), row_str(row, "issued")) <= 0) {
			refuse(res, VAULT_R_INVALID_VALUE, "expires must be after issued");
			return -1;
		}
		/* A certificate's own expiry may be earlier than the directive's
		 * validity, never later. */
		struct vault_certificate c = {0};
		struct vault_date max;
		char buf[16];
		vault_date_parse(row_str(row, "issued"), &c.issued);
		if (vault_policy_cert_expiry(&c, &d->pc, &max) == 0 &&
		    vault_date_format(max, buf, sizeof buf) == 0 &&
		    strcmp(row_str(row, "expires"), buf) > 0) {
			refuse(res, VAULT_R_CERT_TOO_LONG, "expires %s: at most %s (%d years)",
			       row_str(row, "expires"), buf, d->cfg.cert_years);
			return -1;
		}
	} else if (!strcmp(e->table, "badge")) {
		/* Changing a badge (its holder, its key version) is enrolling it. */
		struct vault_person op, subject;
		if (vault_load_person(d->db, who->person, &op) < 0 ||
		    vault_load_person(d->db, row_str(row, "person"), &subject) < 0) {
			refuse(res, VAULT_R_NOT_FOUND, "person");
			return -1;
		}
		if (policy_refuses(res, vault_policy_may_enrol_badge(&op, &subject, &d->pc),
				   row_str(row, "person")))
			return -1;
		set_str(row, "enrolled_by", who->person);
		return adding ? check_hex_id(d, "badge", id, row, res) : 0;
	} else if (!strcmp(e->table, "approval")) {
		if (adding)
			set_str(row, "requester", who->person);
		if (strcmp(row_str(row, "valid_to"), row_str(row, "valid_from")) < 0) {
			refuse(res, VAULT_R_INVALID_VALUE, "valid_to is before valid_from");
			return -1;
		}
		/* quantity is what the on-site rule counts: never fewer than may be out. */
		if (row_int(row, "max_out") < 1 || row_int(row, "quantity") < row_int(row, "max_out")) {
			refuse(res, VAULT_R_INVALID_VALUE,
			       "max_out (%d) must be at least 1 and quantity (%d, the media requested "
			       "in all) at least max_out",
			       row_int(row, "max_out"), row_int(row, "quantity"));
			return -1;
		}
	} else if (!strcmp(e->table, "project")) {
		if (strcmp(row_str(row, "end"), row_str(row, "start")) < 0) {
			refuse(res, VAULT_R_INVALID_VALUE, "end is before start");
			return -1;
		}
	} else if (!strcmp(e->table, "destruction_order") && adding) {
		set_str(row, "orderer", who->person);
	} else if (!strcmp(e->table, "medium")) {
		/* A home shelf set before the rule (or the shelves) stays until changed. */
		const char *home = row_str(row, "home_shelf");
		if ((adding || strcmp(row_str(existing, "home_shelf"), home)) &&
		    check_home_shelf(d, home, res) < 0)
			return -1;
		return check_hex_id(d, "medium", id, row, res);
	} else if (!strcmp(e->table, "schedule")) {
		/* A row the door cannot read would refuse everyone: check it now. */
		struct vault_schedule_window w;
		if (vault_schedule_window_parse(row_str(row, "role"), row_str(row, "days"),
						row_str(row, "start"), row_str(row, "end"), &w) < 0) {
			refuse(res, VAULT_R_INVALID_VALUE,
			       "days: ISO weekdays 1-7 as 1-5 or 1,3,5; start and end: HH:MM "
			       "(end up to 24:00; end before start: overnight), not equal");
			return -1;
		}
		sqlite3_stmt *st;
		int n = VAULT_SCHEDULE_MAX;
		if (adding && vault_db_cached(d->db, "SELECT count(*) FROM schedule", &st) == 0) {
			n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0)
							   : VAULT_SCHEDULE_MAX;
			vault_db_done(st);
		}
		if (adding && n >= VAULT_SCHEDULE_MAX) {
			refuse(res, VAULT_R_INVALID_VALUE, "at most %d schedule windows",
			       VAULT_SCHEDULE_MAX);
			return -1;
		}
	} else if (!strcmp(e->table, "holiday")) {
		if (vault_date_check(id) < 0) {
			refuse(res, VAULT_R_INVALID_VALUE, "a holiday's id is its date YYYY-MM-DD");
			return -1;
		}
	}
	return 0;
}

static void do_put(struct vaultd *d, const struct vault_caller *who, const struct vault_entity *e,
		   int adding, const cJSON *args, struct action_result *res)
{
	const char *id = arg_str(args, "id");
	if (!valid_id(id)) {
		refuse(res, VAULT_R_INVALID_VALUE,
		       "id: 1-63 characters of letters, digits, - _ . :");
		return;
	}
	cJSON *existing = vault_registry_get(d->db, e->table, id);
	if (adding && existing) {
		cJSON_Delete(existing);
		refuse(res, VAULT_R_ALREADY_EXISTS, "%s %s", e->noun, id);
		return;
	}
	if (!adding && !existing) {
		refuse(res, VAULT_R_NOT_FOUND, "%s %s", e->noun, id);
		return;
	}
	cJSON *row = cJSON_CreateObject();
	int medium = !strcmp(e->table, "medium");
	char cites[24] = "";
	if (build_row(d, e, args, existing, row, res) < 0 ||
	    fixup_row(d, who, e, id, adding ? NULL : existing, row, res) < 0 ||
	    (medium && !adding && guard_medium(d, existing, row, cites, sizeof cites, res) < 0)) {
		cJSON_Delete(row);
		cJSON_Delete(existing);
		return;
	}
	cJSON_Delete(existing);
	char kind[96];
	snprintf(kind, sizeof kind, "registry.%s.%s", e->table, adding ? "add" : "update");
	cJSON *payload = cJSON_CreateObject();
	vaultd_set_add(payload, e->table, id, row);
	if (medium && !adding && raise_copies(d, id, row, payload, res) < 0) {
		cJSON_Delete(payload);
		return;
	}
	/* A re-tag cites the new tag's read on the home shelf. */
	record_cited(d, who, kind, payload, medium ? id : NULL,
		     !strcmp(e->table, "approval") ? id : NULL, cites, res);
}

/* A verb that changes given fields of one existing row. */
static cJSON *load_for_verb(struct vaultd *d, const char *table, const cJSON *args,
			    struct action_result *res, const char **ret_id)
{
	const char *id = arg_str(args, "id");
	if (!valid_id(id)) {
		refuse(res, VAULT_R_INVALID_VALUE, "missing or invalid id");
		return NULL;
	}
	cJSON *row = vault_registry_get(d->db, table, id);
	if (!row)
		refuse(res, VAULT_R_NOT_FOUND, "%s %s", table, id);
	*ret_id = id;
	return row;
}

static void verb_unit(struct vaultd *d, const struct vault_caller *who, const char *verb,
		      const cJSON *args, struct action_result *res)
{
	const char *id;
	cJSON *row = load_for_verb(d, "unit", args, res, &id);
	if (!row)
		return;
	const char *reason = arg_str(args, "reason");
	if (!strcmp(verb, "suspend")) {
		if (!reason || !*reason || strlen(reason) > 256) {
			cJSON_Delete(row);
			refuse(res, VAULT_R_INVALID_VALUE, "a suspension needs --reason");
			return;
		}
		set_str(row, "status", "suspended");
		set_str(row, "status_reason", reason);
	} else {
		set_str(row, "status", "active");
		set_str(row, "status_reason", "");
	}
	char kind[64];
	snprintf(kind, sizeof kind, "registry.unit.%s", verb);
	record_set(d, who, kind, "unit", id, row, NULL, NULL, res);
}

static void verb_simple_status(struct vaultd *d, const struct vault_caller *who,
			       const char *table, const char *field, const char *value,
			       const char *kind, const cJSON *args, struct action_result *res)
{
	const char *id;
	cJSON *row = load_for_verb(d, table, args, res, &id);
	if (!row)
		return;
	if (!strcmp(row_str(row, field), value)) {
		cJSON_Delete(row);
		refuse(res, VAULT_R_INVALID_VALUE, "%s %s is already %s", table, id, value);
		return;
	}
	set_str(row, field, value);
	record_set(d, who, kind, table, id, row, NULL, NULL, res);
}

static void verb_approval(struct vaultd *d, const struct vault_caller *who, const char *verb,
			  const cJSON *args, struct action_result *res)
{
	const char *id;
	cJSON *row = load_for_verb(d, "approval", args, res, &id);
	if (!row)
		return;
	struct vault_approval_rec a;
	struct vault_person approver;
	struct vault_unit unit;
	int have_unit = vault_load_unit(d->db, row_str(row, "unit"), &unit) == 0;
	if (vault_load_approval(d->db, id, &a) < 0 ||
	    vault_load_person(d->db, who->person, &approver) < 0) {
		refuse(res, VAULT_R_INVALID_VALUE, "approval %s cannot be read", id);
		goto out;
	}
	enum vault_approval_state to;
	if (!strcmp(verb, "approve")) {
		/* First-time units and large requests stay "approved" until an
		 * on-site verification is recorded. */
		int wait = have_unit && vault_policy_onsite_required(&a.a, &unit, &d->pc) &&
			   !a.a.onsite_verified;
		to = wait ? VAULT_APPROVAL_APPROVED : VAULT_APPROVAL_ACTIVE;
		set_str(row, "approver", who->person);
	} else if (!strcmp(verb, "verify-onsite")) {
		if (policy_refuses(res, vault_policy_may_verify_onsite(&approver, &a.a, &d->pc),
				   id))
			goto out;
		a.a.onsite_verified = true;
		set_str(row, "onsite_verified_by", who->person);
		to = a.a.state == VAULT_APPROVAL_APPROVED ? VAULT_APPROVAL_ACTIVE : a.a.state;
	} else {
		to = VAULT_APPROVAL_REVOKED;
	}
	/* Approval without a pending on-site check goes requested -> approved ->
	 * active in one entry: each step is checked by the policy. */
	if (to == VAULT_APPROVAL_ACTIVE && a.a.state == VAULT_APPROVAL_REQUESTED) {
		if (policy_refuses(res,
				   vault_policy_may_approve(&approver, &a.a,
							    have_unit ? &unit : NULL,
							    VAULT_APPROVAL_APPROVED, &d->pc),
				   id))
			goto out;
		a.a.state = VAULT_APPROVAL_APPROVED;
	}
	if (to != a.a.state &&
	    policy_refuses(res,
			   vault_policy_may_approve(&approver, &a.a, have_unit ? &unit : NULL, to,
						    &d->pc),
			   id))
		goto out;
	set_str(row, "state", vault_approval_state_name(to));
	char kind[64];
	snprintf(kind, sizeof kind, "registry.approval.%s", verb);
	record_set(d, who, kind, "approval", id, row, NULL, id, res);
	return;
out:
	cJSON_Delete(row);
}

/* ---- PIN setting: argon2id off the loop -------------------------------- */

struct pin_job {
	struct vaultd *d;
	uint64_t client_id;
	struct vault_caller who;
	char person[129];
	char pin[64], duress[64];
	int ops;
	size_t mem;
	uint8_t pepper[VAULT_PEPPER_LEN];
	char hash[VAULT_PIN_HASH_MAX], dhash[VAULT_PIN_HASH_MAX];
	int failed;
};

static void pin_done(struct vault_loop *l, void *msg, int quitting)
{
	struct pin_job *j = msg;
	if (!quitting) {
		struct action_result res = {.reason = VAULT_R_OK};
		if (j->failed) {
			refuse(&res, VAULT_R_DB_ERROR, "PIN hashing failed (memory)");
		} else {
			cJSON *row = cJSON_CreateObject();
			cJSON_AddStringToObject(row, "hash", j->hash);
			cJSON_AddStringToObject(row, "duress_hash", j->dhash);
			record_set(j->d, &j->who, "registry.pin.set", "pin", j->person, row, NULL,
				   NULL, &res);
		}
		admin_complete(j->d, j->client_id, "pin.set", &j->who, &res);
	}
	sodium_memzero(j, sizeof *j);
	free(j);
}

static void pin_work(void *arg)
{
	struct pin_job *j = arg;
	if (vault_pin_hash(j->pepper, j->pin, j->ops, j->mem, j->hash) < 0 ||
	    (j->duress[0] && vault_pin_hash(j->pepper, j->duress, j->ops, j->mem, j->dhash) < 0))
		j->failed = 1;
	sodium_memzero(j->pin, sizeof j->pin);
	sodium_memzero(j->duress, sizeof j->duress);
	vault_loop_post(j->d->loop, pin_done, j);
}

static void pin_drop(void *arg)
{
	sodium_memzero(arg, sizeof(struct pin_job));
	free(arg);
}

static void verb_pin(struct vaultd *d, const struct vault_caller *who, const cJSON *args,
		     struct action_result *res, uint64_t client_id)
{
	const char *person = arg_str(args, "id");
	const char *pin = arg_str(args, "pin");
	const char *duress = arg_str(args, "duress_pin");
	if (!valid_id(person) || !row_exists(d, "person", person)) {
		refuse(res, VAULT_R_NOT_FOUND, "person %s", person ? person : "(none)");
		return;
	}
	if (!vault_pin_valid(pin) || (duress && !vault_pin_valid(duress))) {
		refuse(res, VAULT_R_INVALID_VALUE, "a PIN is 4 to 12 digits");
		return;
	}
	if (duress && !strcmp(duress, pin)) {
		refuse(res, VAULT_R_INVALID_VALUE, "the duress PIN must differ from the PIN");
		return;
	}
	if (!d->have_pepper) {
		refuse(res, VAULT_R_DB_ERROR, "no PIN pepper key loaded");
		return;
	}
	struct pin_job *j = calloc(1, sizeof *j);
	if (!j) {
		refuse(res, VAULT_R_DB_ERROR, "out of memory");
		return;
	}
	j->d = d;
	j->client_id = client_id;
	j->who = *who;
	snprintf(j->person, sizeof j->person, "%s", person);
	snprintf(j->pin, sizeof j->pin, "%s", pin);
	snprintf(j->duress, sizeof j->duress, "%s", duress ? duress : "");
	j->ops = d->cfg.argon2_ops;
	j->mem = (size_t)d->cfg.argon2_mem_kib * 1024;
	memcpy(j->pepper, d->pepper, sizeof j->pepper);
	if (kdf_submit(d->kdf, KDF_BACKGROUND, pin_work, pin_drop, j) < 0) {
		pin_drop(j);
		refuse(res, VAULT_R_DB_ERROR, "cannot queue PIN hashing");
	} else {
		res->pending = 1;
	}
}

/* ---- copies and scans ---------------------------------------------------- */

/* Register a derived medium: its classification is the highest of its
 * parents' (never lower), it inherits dataset, category, project and the
 * earliest destruction deadline, and one lineage row links it to each parent. */
static void verb_copy(struct vaultd *d, const struct vault_caller *who, const cJSON *args,
		      struct action_result *res)
{
	static const char *const allowed[] = {"id", "parents", "tag", "title", "kind", "approval",
					      "home_shelf", "classification", NULL};
	const cJSON *a;
	cJSON_ArrayForEach(a, args)
	{
		int known = 0;
		for (int i = 0; allowed[i]; i++)
			known |= !strcmp(a->string, allowed[i]);
		if (!known || !cJSON_IsString(a)) {
			refuse(res, VAULT_R_INVALID_VALUE, "copy: bad field '%s'", a->string);
			return;
		}
	}
	const char *id = arg_str(args, "id"), *parents = arg_str(args, "parents");
	const char *tag = arg_str(args, "tag"), *title = arg_str(args, "title");
	const char *kind = arg_str(args, "kind"), *apid = arg_str(args, "approval");
	const char *shelf = arg_str(args, "home_shelf"), *cls = arg_str(args, "classification");
	if (!valid_id(id) || !parents || !tag || !title || !apid || !shelf) {
		refuse(res, VAULT_R_INVALID_VALUE,
		       "copy needs --id --parents --tag --title --approval --home-shelf");
		return;
	}
	if (!kind)
		kind = "copy";
	if (strcmp(kind, "copy") && strcmp(kind, "scan")) {
		refuse(res, VAULT_R_INVALID_VALUE, "kind: copy or scan");
		return;
	}
	if (row_exists(d, "medium", id)) {
		refuse(res, VAULT_R_ALREADY_EXISTS, "medium %s", id);
		return;
	}
	enum vault_classification requested = VAULT_CLASS_NONE;
	if (cls && vault_classification_from_name(cls, &requested) < 0) {
		refuse(res, VAULT_R_INVALID_VALUE, "classification: %s", cls);
		return;
	}
	if (check_home_shelf(d, shelf, res) < 0)
		return;
	struct vault_actor_rec actor;
	struct vault_approval_rec ap;
	if (vault_load_actor(d->db, who->person, &actor) < 0 ||
	    vault_load_approval(d->db, apid, &ap) < 0) {
		refuse(res, VAULT_R_NOT_FOUND, "approval %s", apid);
		return;
	}
	enum { MAXP = 8 };
	struct vault_medium pm[MAXP];
	const struct vault_medium *pp[MAXP];
	char list[512], *save = NULL;
	size_t np = 0;
	if (vault_strlcpy(list, parents, sizeof list) < 0) {
		refuse(res, VAULT_R_INVALID_VALUE, "parents: too long");
		return;
	}
	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (np == MAXP || vault_load_medium(d->db, t, &pm[np]) < 0) {
			refuse(res, np == MAXP ? VAULT_R_INVALID_VALUE : VAULT_R_NOT_FOUND,
			       np == MAXP ? "at most 8 parents" : "parent medium %s", t);
			return;
		}
		pp[np] = &pm[np];
		np++;
	}
	struct vault_project proj, *projp = NULL;
	if (np && pm[0].project_id[0] && vault_load_project(d->db, pm[0].project_id, &proj) == 0)
		projp = &proj;
	struct vault_localtime now;
	vaultd_localtime(d, &now);
	/* Sensor-confirmed: the copy's tag (valid, nobody else's) on its home
	 * shelf, cited. */
	cJSON *row = cJSON_CreateObject();
	cJSON_AddStringToObject(row, "tag", tag);
	if (check_hex_id(d, "medium", id, row, res) < 0) {
		cJSON_Delete(row);
		return;
	}
	const char *up = row_str(row, "tag");
	const struct vaultd_tag_place *at = vaultd_tag_where(d, up);
	/* A read from a shelf in fault does not count (shelf_answering). */
	int stale = at && *at->where && !shelf_answering(d, at->where);
	struct vault_copy_request rq = {.who = actor.actor, .approval = &ap.a, .parents = pp,
					.n_parents = np, .project = projp, .requested = requested,
					.home_shelf = shelf};
	rq.tag_at = at && !stale ? at->where : "";
	rq.who.person = &actor.person;
	enum vault_classification c;
	enum vault_reason r = vault_policy_may_copy(&rq, &d->pc, &now, &c);
	char what[160];
	snprintf(what, sizeof what, "%s", id);
	if (r == VAULT_R_COPY_TAG_UNREAD && stale && !strcmp(at->where, shelf))
		snprintf(what, sizeof what,
			 "%s is not answering (shelf fault): its last read of %s does not count",
			 shelf, up);
	else if (r == VAULT_R_COPY_TAG_UNREAD)
		snprintf(what, sizeof what, "%s is not read on %s", up, shelf);
	if (policy_refuses(res, r, what)) {
		cJSON_Delete(row);
		return;
	}
	char cites[24];
	snprintf(cites, sizeof cites, "%lld", (long long)at->sensor_id);
	char deadline[16] = "";
	const char *category = pm[0].category;
	for (size_t i = 0; i < np; i++) {
		char dl[16];
		if (vault_date_is_set(&pm[i].destroy_by) &&
		    vault_date_format(pm[i].destroy_by, dl, sizeof dl) == 0 &&
		    (!deadline[0] || strcmp(dl, deadline) < 0))
			snprintf(deadline, sizeof deadline, "%s", dl);
		if (!strcmp(pm[i].category, VAULT_CATEGORY_NAVMAP))
			category = VAULT_CATEGORY_NAVMAP;
	}
	cJSON_AddStringToObject(row, "title", title);
	cJSON_AddStringToObject(row, "dataset", pm[0].dataset);
	cJSON_AddStringToObject(row, "category", category);
	cJSON_AddStringToObject(row, "classification", vault_classification_name(c));
	cJSON_AddStringToObject(row, "home_shelf", shelf);
	cJSON_AddStringToObject(row, "status", "in-vault");
	cJSON_AddStringToObject(row, "borrower", "");
	cJSON_AddStringToObject(row, "approval", "");
	cJSON_AddStringToObject(row, "due", "");
	cJSON_AddStringToObject(row, "deadline", deadline);
	if (pm[0].project_id[0])
		cJSON_AddStringToObject(row, "project", pm[0].project_id);
	else
		cJSON_AddNullToObject(row, "project");
	cJSON *payload = cJSON_CreateObject();
	cJSON_AddStringToObject(payload, "kind", kind);
	cJSON_AddStringToObject(payload, "parents", parents);
	cJSON_AddStringToObject(payload, "classification", vault_classification_name(c));
	vaultd_set_add(payload, "medium", id, row);
	for (size_t i = 0; i < np; i++) {
		char lid[160];
		snprintf(lid, sizeof lid, "%.64s<%.64s", id, pm[i].id);
		cJSON *l = cJSON_CreateObject();
		cJSON_AddStringToObject(l, "child", id);
		cJSON_AddStringToObject(l, "parent", pm[i].id);
		cJSON_AddStringToObject(l, "kind", kind);
		vaultd_set_add(payload, "lineage", lid, l);
	}
	res->data = cJSON_CreateObject();
	cJSON_AddStringToObject(res->data, "classification", vault_classification_name(c));
	record_cited(d, who, "copy.registered", payload, id, apid, cites, res);
}

/* ---- dispatch ------------------------------------------------------------ */

static const char *const special[] = {
	"whoami",	  "checkpoint.now",	  "unit.suspend",	  "unit.reinstate",
	"badge.revoke",	  "project.close",	  "approval.approve",	  "approval.verify-onsite",
	"approval.revoke", "pin.set",		  "destroy-order.approve", "copy.register",
	"door.stats",	  "vault.check",	  "destroy-order.cancel", "occupancy.clear",
	NULL,
};

int vaultd_action_known(const char *action)
{
	if (module_of(action) >= 0)
		return 1;
	for (int i = 0; special[i]; i++)
		if (!strcmp(special[i], action))
			return 1;
	const char *dot = strrchr(action, '.');
	if (!dot || (strcmp(dot, ".add") && strcmp(dot, ".update")))
		return 0;
	char noun[64];
	if ((size_t)(dot - action) >= sizeof noun)
		return 0;
	snprintf(noun, sizeof noun, "%.*s", (int)(dot - action), action);
	return vault_entity_by_noun(noun) != NULL;
}

void vaultd_dispatch(struct vaultd *d, const struct vault_caller *who, const char *action,
		     const cJSON *args, struct action_result *res, uint64_t client_id)
{
	int mod = module_of(action);
	if (mod >= 0) {
		modules[mod].act(d, who, action, args, res, client_id);
		return;
	}
	if (!strcmp(action, "whoami")) {
		res->data = cJSON_CreateObject();
		cJSON_AddStringToObject(res->data, "person", who->person);
		cJSON_AddStringToObject(res->data, "role", who->role);
		cJSON_AddStringToObject(res->data, "user", who->user);
		return;
	}
	if (!strcmp(action, "vault.check")) {
		/* The open/close check sheet's "checked by": a person's inspection
		 * of the closed vault, with an optional note. */
		const char *note = arg_str(args, "note");
		if (note && strlen(note) > 512) {
			refuse(res, VAULT_R_INVALID_VALUE, "note longer than 512 characters");
			return;
		}
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "note", note ? note : "");
		struct vault_record r = {.kind = "vault.checked", .actors = who->person, .payload = p};
		if (vaultd_record(d, &r, &res->seq) < 0)
			refuse(res, VAULT_R_DB_ERROR, "the check was not recorded");
		cJSON_Delete(p);
		return;
	}
	if (!strcmp(action, "occupancy.clear"))
		return door_occupancy_clear(d, who, args, res);
	if (!strcmp(action, "door.stats")) {
		res->data = cJSON_CreateObject();
		cJSON_AddItemToObject(res->data, "door", door_stats(d->door));
		return;
	}
	if (!strcmp(action, "checkpoint.now")) {
		int64_t seq;
		int r = vault_ledger_checkpoint(d->ledger, &seq);
		if (r == -ENODATA) {
			refuse(res, VAULT_R_ALREADY_EXISTS, "the ledger tip is already checkpointed");
		} else if (r < 0) {
			refuse(res, VAULT_R_DB_ERROR, "checkpoint failed: %s", strerror(-r));
		} else {
			res->data = cJSON_CreateObject();
			cJSON_AddNumberToObject(res->data, "checkpoint", (double)seq);
			mqtt_notify(d->mqtt); /* published once its entry is acknowledged */
		}
		return;
	}
	if (!strcmp(action, "unit.suspend"))
		return verb_unit(d, who, "suspend", args, res);
	if (!strcmp(action, "unit.reinstate"))
		return verb_unit(d, who, "reinstate", args, res);
	if (!strcmp(action, "badge.revoke"))
		return verb_simple_status(d, who, "badge", "status", "revoked",
					  "registry.badge.revoke", args, res);
	if (!strcmp(action, "destroy-order.approve")) {
		const char *id;
		cJSON *row = load_for_verb(d, "destruction_order", args, res, &id);
		if (!row)
			return;
		struct vault_person orderer;
		struct vault_medium m;
		struct vault_destruction_order o = {0};
		snprintf(o.id, sizeof o.id, "%s", id);
		snprintf(o.medium_id, sizeof o.medium_id, "%s", row_str(row, "medium"));
		snprintf(o.requester_id, sizeof o.requester_id, "%s", row_str(row, "orderer"));
		if (strcmp(row_str(row, "state"), "requested") != 0) {
			refuse(res, VAULT_R_INVALID_VALUE, "destruction order %s is %s", id,
			       row_str(row, "state"));
			cJSON_Delete(row);
			return;
		}
		if (vault_load_person(d->db, who->person, &orderer) < 0 ||
		    vault_load_medium(d->db, o.medium_id, &m) < 0 ||
		    policy_refuses(res, vault_policy_may_order_destruction(&orderer, &o, &m, &d->pc),
				   id)) {
			if (res->reason == VAULT_R_OK)
				refuse(res, VAULT_R_NOT_FOUND, "destruction order %s", id);
			cJSON_Delete(row);
			return;
		}
		set_str(row, "approver", who->person);
		set_str(row, "state", "approved");
		return record_set(d, who, "registry.destruction_order.approve",
				  "destruction_order", id, row, row_str(row, "medium"), NULL, res);
	}
	/* The destruction module knows whether a destruction of the order is
	 * under way at the station, which refuses the cancellation. */
	if (!strcmp(action, "destroy-order.cancel"))
		return destruction_action(d, who, action, args, res, client_id);
	if (!strcmp(action, "project.close")) {
		const char *id;
		cJSON *row = load_for_verb(d, "project", args, res, &id);
		if (!row)
			return;
		if (row_int(row, "closed")) {
			cJSON_Delete(row);
			refuse(res, VAULT_R_INVALID_VALUE, "project %s is already closed", id);
			return;
		}
		cJSON_ReplaceItemInObjectCaseSensitive(row, "closed", cJSON_CreateNumber(1));
		/* Every medium of the project gets its destruction deadline:
		 * project end + destruction_months (calendar, site dates). */
		struct vault_date end, deadline;
		char dl[16];
		if (vault_date_parse(row_str(row, "end"), &end) < 0 ||
		    vault_policy_destruction_deadline(end, &d->pc, &deadline) < 0 ||
		    vault_date_format(deadline, dl, sizeof dl) < 0) {
			cJSON_Delete(row);
			refuse(res, VAULT_R_INVALID_VALUE, "project %s has no valid end date", id);
			return;
		}
		cJSON *payload = cJSON_CreateObject();
		cJSON_AddStringToObject(payload, "deadline", dl);
		vaultd_set_add(payload, "project", id, row);
		/* All of them or nothing: a close that missed a medium would leave
		 * it without its deadline, and the entry would say otherwise. */
		sqlite3_stmt *st;
		int n = 0, rc = sqlite3_prepare_v2(d->db,
						   "SELECT id FROM medium WHERE project=? AND status "
						   "NOT IN ('destroyed','handed-over') ORDER BY id",
						   -1, &st, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
			while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
				const char *mid = (const char *)sqlite3_column_text(st, 0);
				cJSON *m = vault_registry_get(d->db, "medium", mid);
				if (!m) {
					rc = SQLITE_ERROR;
					break;
				}
				set_str(m, "deadline", dl);
				vaultd_set_add(payload, "medium", mid, m);
				n++;
			}
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			cJSON_Delete(payload);
			refuse(res, VAULT_R_DB_ERROR, "the media of project %s could not be read", id);
			return;
		}
		cJSON_AddNumberToObject(payload, "media", n);
		res->data = cJSON_CreateObject();
		cJSON_AddStringToObject(res->data, "deadline", dl);
		cJSON_AddNumberToObject(res->data, "media", n);
		return record_payload(d, who, "registry.project.close", payload, NULL, NULL, res);
	}
	if (!strncmp(action, "approval.", 9) && strcmp(action + 9, "add") &&
	    strcmp(action + 9, "update"))
		return verb_approval(d, who, action + 9, args, res);
	if (!strcmp(action, "pin.set"))
		return verb_pin(d, who, args, res, client_id);
	if (!strcmp(action, "copy.register"))
		return verb_copy(d, who, args, res);

	const char *dot = strrchr(action, '.');
	char noun[64];
	snprintf(noun, sizeof noun, "%.*s", (int)(dot - action), action);
	const struct vault_entity *e = vault_entity_by_noun(noun);
	do_put(d, who, e, !strcmp(dot, ".add"), args, res);
}
