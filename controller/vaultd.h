/* SPDX-License-Identifier: MIT */
/* vaultd's private state. Owned by the event loop thread. */
#ifndef VAULTD_H
#define VAULTD_H
#include <cjson/cJSON.h>
#include <stddef.h>
#include <sqlite3.h>
#include <stdint.h>
#include <sys/types.h>

#include "vault/config.h"
#include "vault/ledger.h"
#include "vault/loop.h"
#include "vault/policy.h"
#include "vault/reason.h"
#include "pinlock.h"

#define VAULT_PEPPER_LEN 32
#define VAULTD_SENSOR_SOURCES 64 /* sensor budgets (source/kind family) */

struct admin_server;
struct custody;
struct destruction;
struct inventory;
struct stations;
struct vault_badge_event;
struct vault_badge_reader;
struct vaultd_world;
struct integrity;
struct warnings;
struct health;
struct web;
struct door;
struct mqtt;
struct shelves;
struct vault_gpio;

struct vaultd {
	struct vault_config cfg;
	struct vault_loop *loop;
	sqlite3 *db;
	struct vault_ledger *ledger;
	struct admin_server *admin;
	uint8_t pepper[VAULT_PEPPER_LEN];
	int have_pepper;
	uint8_t nfc_key[16]; /* site master key for badge key diversification */
	struct vault_gpio *gpio;
	struct door *door;
	struct shelves *shelves;
	struct walckpt *walckpt;
	struct kdf *kdf; /* the PIN hashing thread */
	struct mqtt *mqtt; /* NULL unless [mqtt] enabled */
	struct vaultd_world *world; /* events.h: listeners and what sensors last said */
	struct flood *floods;	    /* the readers' refusal budgets (flood.h) */
	/* Sensor events' budgets, one per source (vaultd_sensor_event). */
	struct {
		char source[32];
		struct flood *f;
	} sensor_floods[VAULTD_SENSOR_SOURCES];
	int nsensor_floods;
	struct stations *stations;  /* kiosk, shredder, console badge readers */
	struct custody *custody;    /* removal, checkout, return */
	struct destruction *destruction;
	struct inventory *inventory;
	struct integrity *integrity; /* the ledger verifying itself */
	struct warnings *warnings;
	struct health *health; /* clock jumps, free space: controller/health.c */
	struct web *web; /* NULL unless [http] enabled */
	struct pinlock pinlock; /* wrong-PIN lockout per badge: door, kiosk, console */
	struct vault_policy_config pc;
	struct vault_tz *tz; /* the site time zone: calendar-day rules */
	uint64_t watchdog_usec;
	/* Bumped whenever a recorded entry changes a registry table the policy
	 * reads (vaultd_sets_policy: a "set" of any table but pin): policy inputs
	 * loaded at generation g are current while registry_gen == g. A PIN
	 * change, several a second under load, leaves them current. */
	uint64_t registry_gen;
	int64_t last_checkpoint_seq;
	/* Why the loop was asked to stop on a fault (a reason code name, "" for a
	 * normal stop): vaultd then exits 1 so that systemd restarts it. */
	const char *fault;
};

/* The person behind an admin-socket connection. */
struct vault_caller {
	uid_t uid;
	pid_t pid;
	char user[64];    /* Unix user name, or "uid:N" */
	char person[129]; /* "" when no person is mapped */
	char role[32];
	char status[16];
	char lang[8]; /* web callers: the language of the page that asked */
};

/* The outcome of an admin action. */
struct action_result {
	enum vault_reason reason; /* VAULT_R_OK or the refusal */
	char detail[256];         /* what exactly (e.g. which field) */
	int64_t seq;              /* ledger entry written, 0 if none */
	cJSON *data;              /* extra reply fields (owned; may be NULL) */
	int pending;              /* completes later through admin_complete() */
};

/* controller/actions.c */
/* Append {"t": table, "k": id, "row": row} to the "set" list of an entry's
 * payload, adding the list if it has none (takes row): the registry change the
 * entry carries. */
void vaultd_set_add(cJSON *payload, const char *table, const char *id, cJSON *row);
/* Whether an entry's payload carries registry changes (a non-empty "set"). */
int vaultd_has_set(const cJSON *payload);
int vaultd_sets_policy(const cJSON *payload);
void vaultd_dispatch(struct vaultd *d, const struct vault_caller *who, const char *action,
		     const cJSON *args, struct action_result *res, uint64_t client_id);
int vaultd_action_known(const char *action);
/* 1 if `role` may perform `action` */
int vaultd_role_allows(const char *action, const char *role);

/* controller/admin.c */
int admin_server_new(struct vaultd *d, const char *path, struct admin_server **ret);
void admin_server_free(struct admin_server *s);
/* Finish a pending request for client `id` (which may have gone away). */
void admin_complete(struct vaultd *d, uint64_t client_id, const char *action,
		    const struct vault_caller *who, struct action_result *res);

/* Module actions: "custody.*", "destroy.*", "inventory.*", "alert.*". Each
 * module's known() says whether it has the action; act() works like
 * vaultd_dispatch(). */
typedef void vaultd_action_fn(struct vaultd *d, const struct vault_caller *who,
			      const char *action, const cJSON *args, struct action_result *res,
			      uint64_t client_id);
/* controller/custody.c */
int custody_start(struct vaultd *d, struct custody **ret);
void custody_free(struct custody *c);
int custody_action_known(const char *action);
vaultd_action_fn custody_action;
/* Whether the kiosk pad's reads are current: it is not in fault and answered
 * within [custody] pad_window_s. OK, or PAD_NOT_ANSWERING with why for a person.
 * A pad that is not answering keeps its last known contents; they count for
 * nothing. */
enum vault_reason custody_pad_answering(struct custody *c, char *why, size_t n);
/* controller/destruction.c */
int destruction_start(struct vaultd *d, struct destruction **ret);
void destruction_free(struct destruction *x);
int destruction_action_known(const char *action);
vaultd_action_fn destruction_action;
/* controller/inventory.c */
int inventory_start(struct vaultd *d, struct inventory **ret);
void inventory_free(struct inventory *x);
int inventory_action_known(const char *action);
vaultd_action_fn inventory_action;
/* controller/warnings.c: early warnings as ledger entries */
int warnings_start(struct vaultd *d, struct warnings **ret);
void warnings_free(struct warnings *x);
int warnings_action_known(const char *action);
vaultd_action_fn warnings_action;
/* The open alerts — raised and not cleared, plus ledgered alarms — that no
 * `alert.acked` names, oldest first; with limit > 0 only the newest `limit`.
 * Each {seq, time (UTC), kind, severity, code, subject, text, ..., ts_us}. The one
 * list `alert.list` and the console's /api/alerts both give. */
int warnings_open(struct vaultd *d, long long limit, cJSON *arr, char *err, size_t errlen);
/* An entry was recorded: a registry change ("set") makes the warnings be
 * computed again soon (a zero-delay timer). Accepts NULL. */
void warnings_notify(struct warnings *w, const struct vault_record *r);
/* controller/web.c: the HTTP service (kiosk and console) */
int web_start(struct vaultd *d, struct web **ret, char *err, size_t errlen);
void web_free(struct web *w);
/* Actions the web service dispatches carry client ids with this bit set; a
 * module finishing one of them late through admin_complete() is routed to
 * web_complete(), which answers the HTTP request. */
#define VAULTD_WEB_CLIENT (1ULL << 62)
void web_complete(struct vaultd *d, uint64_t client_id, const char *action,
		  const struct vault_caller *who, struct action_result *res);

/* controller/stations.c: identify a badge presentation like the door does
 * (key proof, active badge, key version, the legacy rule). hex and person are
 * filled when known. */
enum vault_reason vaultd_identify(struct vaultd *d, const struct vault_badge_event *ev,
				  char hex[32], char person[64]);
int vaultd_start_badge_reader(struct vaultd *d, const char *name, const char *connstring,
			      void (*cb)(const struct vault_badge_event *, void *), void *ud,
			      struct vault_badge_reader **ret);

/* Today's local date / time in the site time zone. */
struct vault_date vaultd_today(const struct vaultd *d);
int vaultd_localtime(const struct vaultd *d, struct vault_localtime *ret);

/* Store a sensor event (evidence a ledger entry may cite). Returns its id,
 * or 0 if it could not be stored (logged). */
int64_t vaultd_sensor_event(struct vaultd *d, const char *source, const char *kind,
			    const char *data);

/* Record an entry, logging failures. Returns 0 or -errno. */
int vaultd_record(struct vaultd *d, const struct vault_record *r, int64_t *ret_seq);
/* Ledger a refusal (kind "<what>.refused"). */
void vaultd_record_refusal(struct vaultd *d, const char *kind, const char *actors,
			   const char *action, enum vault_reason reason, const char *detail,
			   const struct vault_caller *who);
#endif
