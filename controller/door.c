/* SPDX-License-Identifier: MIT */
#include "door.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "flood.h"
#include "kdf.h"
#include "vault/pin.h"
#include "vault/regload.h"
#include "vault/util.h"
#include "vaultd.h"
#include "walckpt.h"

#define MAX_OCC 32
#define ID 64
#define STATS_MAX 2048

struct door {
	struct vaultd *d;
	struct vault_badge_reader *rd_door, *rd_exit;
	struct flood *fl_door, *fl_exit; /* their refusal budgets */
	uint64_t gen; /* bumps whenever a pending PIN presentation ends */

	/* A presentation at the door reader waiting for its PIN. */
	int pending, verifying;
	char p_badge[32], p_person[ID];
	uint64_t p_timer;
	/* The policy inputs of that person, loaded while the PIN is typed so that
	 * the decision after the PIN pays no registry reads; valid while
	 * d->registry_gen == p_regen. */
	int p_loaded;
	uint64_t p_regen;
	struct vault_actor_rec p_who;
	struct vault_schedule_rec p_sched;

	/* Two-person rule: the first custodian, waiting for a second. */
	char first[ID];
	int first_duress;
	uint64_t first_timer;

	/* An unlock pulse in progress. */
	int unlocked;
	uint64_t unlock_timer;
	char admitted[2][ID];
	int nadmitted;
	int64_t grant_seq;

	/* Door state. */
	int open;
	uint64_t held_timer;
	int held;
	int exit_window, rex_window;
	uint64_t exit_timer;
	char exiting[ID];
	int fire;
	uint64_t keepalive_timer;
	int keepalive_level;

	char occ[MAX_OCC][ID];
	int nocc;

	/* Decision latency: PIN verified (result on the loop) -> lock driven,
	 * with the durable ledger commit in between; and the PIN KDF alone. */
	int64_t t_decide;
	int64_t decision_us[STATS_MAX], kdf_us[STATS_MAX], ledger_us[STATS_MAX];
	int64_t pre_us[STATS_MAX]; /* PIN verified on the loop -> the ledger append starts */
	unsigned ndecision, nkdf;
	unsigned policy_loads; /* prefetches: at a badge, or again at the decision */
};

static struct door *the_door; /* for door_db_failed() */

/* The keep-alive output ([gpio] keepalive, toggled every keepalive_ms by the
 * loop): a relay in the lock's supply that needs the toggling (a
 * retriggerable monostable or a charge pump) drops, and the fail-secure
 * strike locks, when the loop stalls with the lock energised, not only when
 * the process dies (the pull-down) or the kernel hangs (the hardware
 * watchdog). */
static int keepalive_wired(const struct vaultd *d)
{
	const char *v = d->cfg.gpio_line[VAULT_GPIO_KEEPALIVE];
	return d->gpio && v[0] && strcmp(v, "none");
}

/* ---- outputs ----------------------------------------------------------- */

void door_lock_safe(struct vaultd *d)
{
	if (d && d->gpio)
		vault_gpio_set(d->gpio, VAULT_GPIO_LOCK, 0);
}

static void keepalive_tick(struct vault_loop *l, uint64_t id, void *ud)
{
	(void)id;
	struct door *door = ud;
	door->keepalive_timer = 0;
	door->keepalive_level ^= 1;
	vault_gpio_set(door->d->gpio, VAULT_GPIO_KEEPALIVE, door->keepalive_level);
	vault_loop_timer_in(l, (int64_t)door->d->cfg.gpio_keepalive_ms * 1000, keepalive_tick,
			    door, &door->keepalive_timer);
}

/* The lock's level at rest: off, unless the fire input holds the door
 * released where the site's fire rules require it ([door] fire_release). */
static int lock_rest(const struct door *door)
{
	return door->fire && door->d->cfg.fire_release;
}

void door_db_failed(struct vaultd *d)
{
	struct door *door = the_door && the_door->d == d ? the_door : NULL;
	if (!door) {
		door_lock_safe(d);
		return;
	}
	if (door->unlocked) {
		door->unlocked = 0;
		vault_loop_timer_cancel(d->loop, door->unlock_timer);
		door->unlock_timer = 0;
		vault_log(LOG_ERR, "door", "the ledger failed: the unlock for %s ends now",
			  door->admitted[0]);
	}
	if (d->gpio)
		vault_gpio_set(d->gpio, VAULT_GPIO_LOCK, lock_rest(door));
}

static void set_line(struct door *door, enum vault_gpio_line l, int v)
{
	if (door->d->gpio)
		vault_gpio_set(door->d->gpio, l, v);
}

static void led_off(struct vault_loop *l, uint64_t id, void *ud)
{
	struct door *door = ud;
	set_line(door, VAULT_GPIO_LED_GREEN, 0);
	set_line(door, VAULT_GPIO_LED_RED, 0);
	set_line(door, VAULT_GPIO_BUZZER, 0);
}

/* Generic accept/refuse at the door: the reason is ledgered, never shown. */
static void signal_result(struct door *door, int accept)
{
	set_line(door, accept ? VAULT_GPIO_LED_GREEN : VAULT_GPIO_LED_RED, 1);
	if (!accept)
		set_line(door, VAULT_GPIO_BUZZER, 1);
	vault_loop_timer_in(door->d->loop, 1000000, led_off, door, NULL);
}

static void siren(struct door *door, int on)
{
	if (door->d->cfg.siren)
		set_line(door, VAULT_GPIO_SIREN, on);
}

/* ---- ledger -------------------------------------------------------------- */

/* Record a door entry. A failure to record drives the lock off: the door
 * never opens on a decision that is not in the ledger. */
static int record(struct door *door, const char *kind, const char *actors, cJSON *payload,
		  const char *cites, int64_t *ret_seq)
{
	struct vault_record r = {.kind = kind, .actors = actors, .cites = cites,
				 .payload = payload};
	int e = vaultd_record(door->d, &r, ret_seq); /* fails secure: door_db_failed() */
	cJSON_Delete(payload);
	return e;
}

static cJSON *p_reason(enum vault_reason why, const char *badge, const char *reader)
{
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "code", vault_reason_id(why));
	cJSON_AddStringToObject(p, "text", vault_reason_text(why, "en"));
	if (badge && *badge)
		cJSON_AddStringToObject(p, "badge", badge);
	if (reader)
		cJSON_AddStringToObject(p, "reader", reader);
	return p;
}

static void refuse(struct door *door, const char *kind, const char *person, const char *badge,
		   const char *reader, enum vault_reason why)
{
	struct flood *f = reader && !strcmp(reader, "exit") ? door->fl_exit : door->fl_door;
	if (f && !flood_take(f, why, badge)) { /* counted: the reader is flooded */
		signal_result(door, 0);
		return;
	}
	vault_log(LOG_NOTICE, "door", "%s %s: %s", kind, person && *person ? person : "-",
		  vault_reason_id(why));
	record(door, kind, person, p_reason(why, badge, reader), NULL, NULL);
	signal_result(door, 0);
}

/* ---- occupancy ----------------------------------------------------------- */

static int inside(const struct door *door, const char *person)
{
	for (int i = 0; i < door->nocc; i++)
		if (!strcmp(door->occ[i], person))
			return 1;
	return 0;
}

static void occ_add(struct door *door, const char *person)
{
	if (!inside(door, person) && door->nocc < MAX_OCC)
		snprintf(door->occ[door->nocc++], ID, "%s", person);
}

static void occ_del(struct door *door, const char *person)
{
	for (int i = 0; i < door->nocc; i++)
		if (!strcmp(door->occ[i], person)) {
			memmove(door->occ[i], door->occ[i + 1], (size_t)(door->nocc - i - 1) * ID);
			door->nocc--;
			return;
		}
}

static void occ_list(const struct door *door, char *buf, size_t n)
{
	buf[0] = 0;
	for (int i = 0; i < door->nocc; i++) {
		size_t l = strlen(buf);
		snprintf(buf + l, n - l, "%s%s", i ? "," : "", door->occ[i]);
	}
}

void door_occupants(const struct door *door, char *buf, size_t n)
{
	if (!door) {
		buf[0] = 0;
		return;
	}
	occ_list(door, buf, n);
}

static int is_custodian(struct door *door, const char *person)
{
	struct vault_person p;
	return vault_load_person(door->d->db, person, &p) == 0 &&
	       p.role == VAULT_ROLE_CUSTODIAN;
}

/* Two-person integrity: one person alone with the vault open. */
static void check_alone(struct door *door)
{
	if (!door->d->cfg.two_person || door->nocc != 1)
		return;
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "code", "TWO_PERSON_ALONE");
	cJSON_AddStringToObject(p, "text", "one person alone in a two-person vault");
	record(door, "alarm.two_person_alone", door->occ[0], p, NULL, NULL);
	siren(door, 1);
}

/* Visitors enter only with a custodian to escort them (admit), but an exit is
 * never refused: the last custodian leaving with visitors inside raises an
 * alarm naming the visitors and that custodian. */
static void check_escort(struct door *door, const char *left, const char *cites)
{
	char actors[MAX_OCC * (ID + 1)] = "";
	if (!is_custodian(door, left))
		return;
	for (int i = 0; i < door->nocc; i++) {
		struct vault_person p;
		if (vault_load_person(door->d->db, door->occ[i], &p) < 0)
			continue;
		if (p.role == VAULT_ROLE_CUSTODIAN)
			return;
		if (p.role == VAULT_ROLE_VISITOR) {
			size_t l = strlen(actors);
			snprintf(actors + l, sizeof actors - l, "%s%s", l ? "," : "", door->occ[i]);
		}
	}
	if (!actors[0])
		return;
	cJSON *p = p_reason(VAULT_R_VISITOR_LEFT_ALONE, NULL, NULL);
	cJSON_AddStringToObject(p, "visitors", actors);
	cJSON_AddStringToObject(p, "escort", left);
	vault_log(LOG_WARNING, "door", "%s left, visitors inside alone: %s", left, actors);
	size_t l = strlen(actors);
	snprintf(actors + l, sizeof actors - l, ",%s", left);
	record(door, "alarm.visitor_alone", actors, p, cites, NULL);
	siren(door, 1);
}

/* ---- the PIN presentation ------------------------------------------------ */

static void end_pending(struct door *door)
{
	door->pending = door->verifying = 0;
	door->gen++;
	vault_loop_timer_cancel(door->d->loop, door->p_timer);
	door->p_timer = 0;
}

static void pin_timeout(struct vault_loop *l, uint64_t id, void *ud)
{
	struct door *door = ud;
	door->p_timer = 0;
	if (!door->pending || door->verifying)
		return;
	char person[ID], badge[32];
	snprintf(person, sizeof person, "%s", door->p_person);
	snprintf(badge, sizeof badge, "%s", door->p_badge);
	end_pending(door);
	refuse(door, "entry.refused", person, badge, "door", VAULT_R_PIN_TIMEOUT);
	walckpt_hold(door->d->walckpt, 0);
}

static void unlock_timeout(struct vault_loop *l, uint64_t id, void *ud);
static void first_timeout(struct vault_loop *l, uint64_t id, void *ud);

/* Everyone checked: ledger the grant, then (and only then) unlock. */
static void grant(struct door *door, const char *a, const char *b, int duress)
{
	char actors[2 * ID + 2];
	snprintf(actors, sizeof actors, "%s%s%s", a, b ? "," : "", b ? b : "");
	if (duress) {
		/* Silent: the door opens as usual; the alarm goes everywhere else. */
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "code", "DURESS");
		cJSON_AddStringToObject(p, "text", "duress PIN entered at the door");
		cJSON_AddBoolToObject(p, "silent", 1);
		record(door, "alarm.duress", actors, p, NULL, NULL);
		vault_log(LOG_ALERT, "door", "DURESS PIN by %s", actors);
	}
	cJSON *p = cJSON_CreateObject();
	cJSON_AddNumberToObject(p, "unlock_s", door->d->cfg.unlock_s);
	cJSON_AddBoolToObject(p, "two_person", b != NULL);
	int64_t seq, t0 = vault_now_mono_us();
	int e = record(door, "entry.granted", actors, p, NULL, &seq);
	int64_t ledger_us = vault_now_mono_us() - t0;
	if (e < 0) {
		vault_log(LOG_ERR, "door", "grant for %s not recorded: door stays locked", actors);
		signal_result(door, 0);
		return;
	}
	door->grant_seq = seq;
	snprintf(door->admitted[0], ID, "%s", a);
	door->nadmitted = 1;
	if (b) {
		snprintf(door->admitted[1], ID, "%s", b);
		door->nadmitted = 2;
	}
	door->unlocked = 1;
	set_line(door, VAULT_GPIO_LOCK, 1);
	if (door->t_decide) {
		door->pre_us[door->ndecision % STATS_MAX] = t0 - door->t_decide;
		door->ledger_us[door->ndecision % STATS_MAX] = ledger_us;
		door->decision_us[door->ndecision++ % STATS_MAX] = vault_now_mono_us() - door->t_decide;
		door->t_decide = 0;
	}
	signal_result(door, 1);
	vault_loop_timer_cancel(door->d->loop, door->unlock_timer);
	vault_loop_timer_in(door->d->loop, (int64_t)door->d->cfg.unlock_s * 1000000,
			    unlock_timeout, door, &door->unlock_timer);
}

static void unlock_timeout(struct vault_loop *l, uint64_t id, void *ud)
{
	struct door *door = ud;
	door->unlock_timer = 0;
	if (!door->unlocked)
		return;
	door->unlocked = 0;
	set_line(door, VAULT_GPIO_LOCK, lock_rest(door));
	char actors[2 * ID + 2];
	snprintf(actors, sizeof actors, "%s%s%s", door->admitted[0], door->nadmitted > 1 ? "," : "",
		 door->nadmitted > 1 ? door->admitted[1] : "");
	cJSON *p = cJSON_CreateObject();
	cJSON_AddNumberToObject(p, "granted_seq", (double)door->grant_seq);
	record(door, "entry.unused", actors, p, NULL, NULL);
}

static void first_timeout(struct vault_loop *l, uint64_t id, void *ud)
{
	struct door *door = ud;
	door->first_timer = 0;
	if (!door->first[0])
		return;
	char first[ID];
	snprintf(first, sizeof first, "%s", door->first);
	door->first[0] = 0;
	refuse(door, "entry.refused", first, NULL, "door", VAULT_R_TWO_PERSON_TIMEOUT);
}

/* PIN verified for door->p_person: apply the policy and the two-person rule. */
static int prefetch(struct door *door, const char *person)
{
	struct vaultd *d = door->d;
	door->p_loaded = 0;
	door->policy_loads++;
	struct vault_date from; /* yesterday: the decision may fall after midnight */
	if (vault_date_add(vaultd_today(d), 0, 0, -1, &from) < 0 ||
	    vault_load_actor(d->db, person, &door->p_who) < 0 ||
	    vault_load_schedule(d->db, from, &door->p_sched) < 0)
		return -EIO;
	door->p_loaded = 1;
	door->p_regen = d->registry_gen;
	return 0;
}

static int prefetched(const struct door *door, const char *person)
{
	return door->p_loaded && door->p_regen == door->d->registry_gen &&
	       !strcmp(door->p_who.person.id, person);
}

static void admit(struct door *door, const char *person, int duress)
{
	struct vaultd *d = door->d;
	struct vault_actor_rec esc;
	struct vault_localtime now;
	vaultd_localtime(d, &now);
	if (!prefetched(door, person) && prefetch(door, person) < 0) {
		refuse(door, "entry.refused", person, NULL, "door", VAULT_R_DB_ERROR);
		return;
	}
	const struct vault_actor_rec *who = &door->p_who;
	const struct vault_actor *escort = NULL;
	if (who->person.role == VAULT_ROLE_VISITOR) {
		/* The escort: a custodian waiting at the door, or one inside. */
		const char *e = door->first[0] ? door->first : NULL;
		for (int i = 0; !e && i < door->nocc; i++)
			if (is_custodian(door, door->occ[i]))
				e = door->occ[i];
		if (e && vault_load_actor(d->db, e, &esc) == 0)
			escort = &esc.actor;
	}
	enum vault_reason r = vault_policy_may_enter(&who->actor, escort, &door->p_sched.s, &d->pc, &now);
	if (r != VAULT_R_OK) {
		refuse(door, "entry.refused", person, NULL, "door", r);
		return;
	}
	if (who->person.role == VAULT_ROLE_VISITOR) {
		/* Escorted: enters with the escort's pair or alone after them, but
		 * never counts as the second person. */
		if (door->first[0]) {
			refuse(door, "entry.refused", person, NULL, "door",
			       VAULT_R_TWO_PERSON_VISITOR);
			return;
		}
		grant(door, person, NULL, duress);
		return;
	}
	if (!d->cfg.two_person) {
		grant(door, person, NULL, duress);
		return;
	}
	if (who->person.role != VAULT_ROLE_CUSTODIAN) {
		refuse(door, "entry.refused", person, NULL, "door", VAULT_R_TWO_PERSON_ROLE);
		return;
	}
	if (!door->first[0]) {
		snprintf(door->first, ID, "%s", person);
		door->first_duress = duress;
		cJSON *p = cJSON_CreateObject();
		cJSON_AddNumberToObject(p, "window_s", d->cfg.two_person_window_s);
		record(door, "entry.first", person, p, NULL, NULL);
		set_line(door, VAULT_GPIO_LED_GREEN, 1);
		vault_loop_timer_in(d->loop, (int64_t)d->cfg.two_person_window_s * 1000000,
				    first_timeout, door, &door->first_timer);
		return;
	}
	if (!strcmp(door->first, person)) {
		refuse(door, "entry.refused", person, NULL, "door", VAULT_R_TWO_PERSON_SAME);
		return;
	}
	char first[ID];
	snprintf(first, sizeof first, "%s", door->first);
	int fd = door->first_duress;
	door->first[0] = 0;
	vault_loop_timer_cancel(d->loop, door->first_timer);
	door->first_timer = 0;
	grant(door, first, person, duress || fd);
}

struct pin_check {
	struct door *door;	 /* read on the loop thread only */
	struct vault_loop *loop; /* the worker posts here (the door may be gone) */
	uint64_t gen;
	char person[ID], badge[32];
	char pin[16];
	char hash[VAULT_PIN_HASH_MAX], dhash[VAULT_PIN_HASH_MAX];
	uint8_t pepper[VAULT_PIN_PEPPER_LEN];
	int result; /* 0 ok, 1 duress, -1 wrong */
	int64_t kdf_us;
};

static void pin_checked(struct vault_loop *l, void *msg, int quitting)
{
	struct pin_check *c = msg;
	struct door *door = c->door;
	if (!quitting && c->gen == door->gen && door->pending) {
		door->t_decide = vault_now_mono_us();
		door->kdf_us[door->nkdf++ % STATS_MAX] = c->kdf_us;
		end_pending(door);
		const struct vault_config *cfg = &door->d->cfg;
		int locked = pinlock_result(&door->d->pinlock, c->badge, c->result >= 0,
					    cfg->pin_lockout_after, cfg->pin_lockout_seconds);
		if (c->result < 0)
			refuse(door, "entry.refused", c->person, c->badge, "door",
			       locked ? VAULT_R_PIN_LOCKED : VAULT_R_PIN_WRONG);
		else
			admit(door, c->person, c->result == 1);
		walckpt_hold(door->d->walckpt, 0);
	}
	/* A cancelled check's late result leaves a newer check's hold alone. */
	if (!quitting && !door->verifying)
		kdf_hold_background(door->d->kdf, 0);
	sodium_memzero(c, sizeof *c);
	free(c);
}

static void pin_work(void *arg)
{
	struct pin_check *c = arg;
	int64_t t0 = vault_now_mono_us();
	if (vault_pin_verify(c->pepper, c->pin, c->hash) == 0)
		c->result = 0;
	else if (c->dhash[0] && vault_pin_verify(c->pepper, c->pin, c->dhash) == 0)
		c->result = 1;
	else
		c->result = -1;
	c->kdf_us = vault_now_mono_us() - t0;
	sodium_memzero(c->pin, sizeof c->pin);
	vault_loop_post(c->loop, pin_checked, c);
}

static void pin_drop(void *arg)
{
	sodium_memzero(arg, sizeof(struct pin_check));
	free(arg);
}

static void on_pin(struct door *door, const char *pin)
{
	if (!door->pending || door->verifying) {
		vault_log(LOG_INFO, "door", "PIN typed with no badge waiting: ignored");
		return;
	}
	struct pin_check *c = calloc(1, sizeof *c);
	if (!c)
		return;
	c->door = door;
	c->loop = door->d->loop;
	c->gen = door->gen;
	snprintf(c->person, sizeof c->person, "%s", door->p_person);
	snprintf(c->badge, sizeof c->badge, "%s", door->p_badge);
	snprintf(c->pin, sizeof c->pin, "%.15s", pin);
	memcpy(c->pepper, door->d->pepper, sizeof c->pepper);
	/* No PIN set verifies as a wrong one; a lookup that fails is no wrong PIN
	 * and does not count toward the lockout. */
	if (vault_load_pin(door->d->db, c->person, c->hash, c->dhash) < 0) {
		vault_log(LOG_ERR, "door", "PIN of %s not read: %s", c->person,
			  sqlite3_errmsg(door->d->db));
		pin_drop(c);
		end_pending(door);
		refuse(door, "entry.refused", door->p_person, door->p_badge, "door",
		       VAULT_R_DB_ERROR);
		walckpt_hold(door->d->walckpt, 0);
		return;
	}
	door->verifying = 1;
	/* argon2id takes tens of milliseconds: never on the loop. A door check
	 * goes ahead of queued PIN changes, and none of them starts until the
	 * decision is committed: a PIN change hashing on one core and an export
	 * on the other leave no core free, and on the build machine a durable
	 * commit then took 3-4 ms instead of under 1 in 1.5 % of cases, against
	 * none with one core busy (bench/cores.sh, README). */
	kdf_hold_background(door->d->kdf, 2000);
	if (kdf_submit(door->d->kdf, KDF_URGENT, pin_work, pin_drop, c) < 0) {
		kdf_hold_background(door->d->kdf, 0);
		pin_drop(c);
		end_pending(door);
		refuse(door, "entry.refused", door->p_person, door->p_badge, "door",
		       VAULT_R_DB_ERROR);
		walckpt_hold(door->d->walckpt, 0);
	}
}

/* ---- badges -------------------------------------------------------------- */

static void exit_timeout(struct vault_loop *l, uint64_t id, void *ud)
{
	struct door *door = ud;
	door->exit_timer = 0;
	door->exit_window = door->rex_window = 0;
	door->exiting[0] = 0;
}

static void open_exit_window(struct door *door)
{
	vault_loop_timer_cancel(door->d->loop, door->exit_timer);
	vault_loop_timer_in(door->d->loop, (int64_t)door->d->cfg.unlock_s * 1000000, exit_timeout,
			    door, &door->exit_timer);
}

static void on_badge(const struct vault_badge_event *ev, void *ud)
{
	struct door *door = ud;
	int at_exit = !strcmp(ev->reader, "exit");
	const char *refused = at_exit ? "exit.refused" : "entry.refused";
	if (ev->kind == VAULT_BADGE_OFFLINE || ev->kind == VAULT_BADGE_ONLINE) {
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "reader", ev->reader);
		if (ev->kind == VAULT_BADGE_OFFLINE)
			cJSON_AddNumberToObject(p, "errno", -ev->error);
		record(door, ev->kind == VAULT_BADGE_OFFLINE ? "reader.offline" : "reader.online",
		       "", p, NULL, NULL);
		return;
	}
	if (ev->kind != VAULT_BADGE_ARRIVAL)
		return;
	char hex[32] = "", person[ID] = "";
	enum vault_reason r = vaultd_identify(door->d, ev, hex, person);
	if (r != VAULT_R_OK) {
		refuse(door, refused, person, hex, ev->reader, r);
		return;
	}
	if (at_exit) {
		if (!inside(door, person)) {
			refuse(door, "exit.refused", person, hex, "exit", VAULT_R_ANTI_PASSBACK);
			return;
		}
		door->exit_window = 1;
		snprintf(door->exiting, ID, "%s", person);
		open_exit_window(door);
		signal_result(door, 1);
		return;
	}
	if (door->pending) {
		/* One presentation at a time: a second badge mid-PIN is refused
		 * and the first presentation continues. */
		refuse(door, "entry.refused", person, hex, "door", VAULT_R_BADGE_MID_PIN);
		return;
	}
	if (pinlock_locked(&door->d->pinlock, hex)) {
		refuse(door, "entry.refused", person, hex, "door", VAULT_R_PIN_LOCKED);
		return;
	}
	if (inside(door, person)) {
		refuse(door, "entry.refused", person, hex, "door", VAULT_R_ANTI_PASSBACK);
		return;
	}
	door->pending = 1;
	door->verifying = 0;
	/* No WAL checkpoint competes with this decision's commit for the disk;
	 * released when the presentation ends (the deadline covers the rest). */
	walckpt_hold(door->d->walckpt, (unsigned)door->d->cfg.pin_timeout_s * 1000 + 1000);
	/* And the decision's commit is not the one that restarts the WAL. */
	if (walckpt_prime(door->d->walckpt, door->d->db) < 0)
		vault_log(LOG_WARNING, "db", "WAL restart before the decision: %s",
			  sqlite3_errmsg(door->d->db));
	snprintf(door->p_badge, sizeof door->p_badge, "%s", hex);
	snprintf(door->p_person, sizeof door->p_person, "%s", person);
	prefetch(door, person); /* a failure is retried at the decision */
	vault_loop_timer_in(door->d->loop, (int64_t)door->d->cfg.pin_timeout_s * 1000000,
			    pin_timeout, door, &door->p_timer);
}

/* ---- door lines ---------------------------------------------------------- */

static void held_timeout(struct vault_loop *l, uint64_t id, void *ud)
{
	struct door *door = ud;
	door->held_timer = 0;
	if (!door->open)
		return;
	door->held = 1;
	cJSON *p = cJSON_CreateObject();
	cJSON_AddNumberToObject(p, "held_s", door->d->cfg.held_s);
	record(door, "door.held", "", p, NULL, NULL);
	siren(door, 1);
}

static void door_opened(struct door *door, int64_t ev_id)
{
	char cites[32];
	snprintf(cites, sizeof cites, "%lld", (long long)ev_id);
	door->open = 1;
	vault_loop_timer_in(door->d->loop, (int64_t)door->d->cfg.held_s * 1000000, held_timeout,
			    door, &door->held_timer);
	if (door->unlocked) {
		door->unlocked = 0;
		vault_loop_timer_cancel(door->d->loop, door->unlock_timer);
		door->unlock_timer = 0;
		set_line(door, VAULT_GPIO_LOCK, lock_rest(door)); /* relock: the door is open */
		int was_empty = door->nocc == 0;
		for (int i = 0; i < door->nadmitted; i++)
			occ_add(door, door->admitted[i]);
		char actors[2 * ID + 2];
		snprintf(actors, sizeof actors, "%s%s%s", door->admitted[0],
			 door->nadmitted > 1 ? "," : "", door->nadmitted > 1 ? door->admitted[1] : "");
		char occ[MAX_OCC * (ID + 1)];
		occ_list(door, occ, sizeof occ);
		cJSON *p = cJSON_CreateObject();
		cJSON_AddNumberToObject(p, "granted_seq", (double)door->grant_seq);
		cJSON_AddStringToObject(p, "occupants", occ);
		record(door, "entry.confirmed", actors, p, cites, NULL);
		if (was_empty) {
			cJSON *q = cJSON_CreateObject();
			cJSON_AddStringToObject(q, "opened_by", actors);
			record(door, "vault.opened", actors, q, cites, NULL);
		}
		return;
	}
	if (door->exit_window && door->exiting[0]) {
		char who[ID];
		snprintf(who, sizeof who, "%s", door->exiting);
		door->exit_window = 0;
		door->exiting[0] = 0;
		occ_del(door, who);
		char occ[MAX_OCC * (ID + 1)];
		occ_list(door, occ, sizeof occ);
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "occupants", occ);
		record(door, "exit.confirmed", who, p, cites, NULL);
		if (door->nocc == 0) {
			cJSON *q = cJSON_CreateObject();
			cJSON_AddStringToObject(q, "closed_by", who);
			record(door, "vault.closed", who, q, cites, NULL);
		}
		check_escort(door, who, cites);
		check_alone(door);
		return;
	}
	if (door->rex_window || door->fire) {
		door->rex_window = 0;
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "by", door->fire ? "fire-release" : "rex");
		record(door, "door.opened_from_inside", "", p, cites, NULL);
		return;
	}
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "code", "DOOR_FORCED");
	cJSON_AddStringToObject(p, "text", "the door opened without an unlock");
	record(door, "door.forced", "", p, cites, NULL);
	siren(door, 1);
}

static void door_closed(struct door *door, int64_t ev_id)
{
	door->open = 0;
	vault_loop_timer_cancel(door->d->loop, door->held_timer);
	door->held_timer = 0;
	if (door->held) {
		door->held = 0;
		char cites[32];
		snprintf(cites, sizeof cites, "%lld", (long long)ev_id);
		record(door, "door.closed_after_held", "", cJSON_CreateObject(), cites, NULL);
	}
}

static void on_gpio(struct vault_gpio *g, const struct vault_gpio_event *ev, void *ud)
{
	struct door *door = ud;
	if (ev->kind == VAULT_GPIO_EV_PIN) {
		on_pin(door, ev->pin);
		return;
	}
	if (ev->kind == VAULT_GPIO_EV_CONTACTS) {
		int64_t id = vaultd_sensor_event(door->d, "gpio", ev->level ? "contacts.disagree" : "contacts.agree", "");
		if (ev->level) {
			char cites[32];
			snprintf(cites, sizeof cites, "%lld", (long long)id);
			cJSON *p = cJSON_CreateObject();
			cJSON_AddStringToObject(p, "code", "DOOR_CONTACTS");
			cJSON_AddStringToObject(p, "text", "the two door contacts disagree");
			record(door, "door.contacts_fault", "", p, cites, NULL);
		}
		return;
	}
	if (ev->kind == VAULT_GPIO_EV_ERROR) {
		/* A dead bank: the door contacts, REX, keypad and the shredder's
		 * sensors are blind, and the lock may not obey. Fail secure: ledger
		 * it, drive the lock off, stop; systemd restarts vaultd, which
		 * reopens the lines (or refuses to start while they stay dead). */
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "code", vault_reason_id(VAULT_R_GPIO_FAULT));
		cJSON_AddStringToObject(p, "text", vault_reason_text(VAULT_R_GPIO_FAULT, "en"));
		cJSON_AddNumberToObject(p, "errno", -ev->level);
		record(door, "gpio.fault", "", p, NULL, NULL);
		vault_log(LOG_CRIT, "door", "GPIO lines failed (%s): stopping with the lock off",
			  strerror(-ev->level));
		door_lock_safe(door->d);
		door->d->fault = vault_reason_id(VAULT_R_GPIO_FAULT);
		vault_loop_quit(door->d->loop);
		return;
	}
	if (ev->kind != VAULT_GPIO_EV_LINE)
		return;
	const char *name = vault_gpio_line_name(ev->line);
	char kind[48];
	snprintf(kind, sizeof kind, "%s.%d", name, ev->level);
	int64_t id = vaultd_sensor_event(door->d, "gpio", kind, "");
	struct vaultd_event e = {.kind = VEV_GPIO, .source = "gpio", .line = ev->line,
				 .level = ev->level, .sensor_id = id};
	vaultd_emit(door->d, &e);
	switch (ev->line) {
	case VAULT_GPIO_DOOR_A:
		if (ev->level && !door->open)
			door_opened(door, id);
		else if (!ev->level && door->open)
			door_closed(door, id);
		break;
	case VAULT_GPIO_REX:
		if (ev->level) {
			door->rex_window = 1;
			open_exit_window(door);
			if (door->nocc == 0) { /* pressed by someone nobody let in */
				char cites[32];
				snprintf(cites, sizeof cites, "%lld", (long long)id);
				record(door, "alarm.rex_unoccupied", "",
				       p_reason(VAULT_R_REX_UNOCCUPIED, NULL, NULL), cites,
				       NULL);
			}
		}
		break;
	case VAULT_GPIO_TAMPER:
		if (ev->level) {
			char cites[32];
			snprintf(cites, sizeof cites, "%lld", (long long)id);
			cJSON *p = cJSON_CreateObject();
			cJSON_AddStringToObject(p, "code", "TAMPER");
			cJSON_AddStringToObject(p, "text", "reader or enclosure tamper switch");
			record(door, "alarm.tamper", "", p, cites, NULL);
			siren(door, 1);
		}
		break;
	case VAULT_GPIO_FIRE: {
		door->fire = ev->level;
		char cites[32];
		snprintf(cites, sizeof cites, "%lld", (long long)id);
		cJSON *p = cJSON_CreateObject();
		cJSON_AddBoolToObject(p, "release", door->d->cfg.fire_release);
		int rc =
		    record(door, ev->level ? "fire.alarm" : "fire.clear", "", p, cites, NULL);
		/* The one unlock that does not wait for the ledger: where the
		 * site's fire rules require the release, they come first. */
		if (rc < 0 && ev->level && door->d->cfg.fire_release)
			vault_log(LOG_CRIT, "door",
				  "fire: released although fire.alarm could not be ledgered");
		if (door->d->cfg.fire_release)
			set_line(door, VAULT_GPIO_LOCK, lock_rest(door) || door->unlocked);
		break;
	}
	case VAULT_GPIO_POWERFAIL:
		if (ev->level) {
			record(door, "power.fail", "", cJSON_CreateObject(), NULL, NULL);
			door_lock_safe(door->d);
			vault_loop_quit(door->d->loop);
		}
		break;
	default:
		break;
	}
}

/* ---- start-up ------------------------------------------------------------ */

static int parse_line(struct vault_gpio_line_config *lc, const char *v, const char *chip)
{
	if (!*v) /* default: the line named like its role, on the configured chip */
		return vault_strlcpy(lc->chip, chip, sizeof lc->chip);
	if (!strcmp(v, "none")) {
		lc->enabled = 0;
		return 0;
	}
	vault_strlcpy(lc->chip, chip, sizeof lc->chip);
	if (!strncmp(v, "name:", 5)) {
		lc->offset = -1;
		return vault_strlcpy(lc->name, v + 5, sizeof lc->name);
	}
	char *end;
	long off = strtol(v, &end, 10);
	if (*end || off < 0 || off > 1023)
		return -EINVAL;
	lc->offset = (int)off;
	return 0;
}

int door_open_gpio(struct vaultd *d, char *err, size_t errlen)
{
	struct vault_gpio_config gc;
	vault_gpio_config_defaults(&gc);
	const struct vault_gpio_ops *ops = &vault_gpio_gpiod_ops;
	if (!strcmp(d->cfg.gpio_backend, "sim")) {
		ops = &vault_gpio_sim_ops;
		vault_strlcpy(gc.sim_socket, d->cfg.gpio_sim_socket, sizeof gc.sim_socket);
	}
	for (int i = 0; i < VAULT_GPIO__COUNT; i++) {
		struct vault_gpio_line_config *lc = &gc.line[i];
		/* The keep-alive relay is optional hardware: wired only if named. */
		if (i == VAULT_GPIO_KEEPALIVE && !d->cfg.gpio_line[i][0]) {
			lc->enabled = 0;
			continue;
		}
		if (parse_line(lc, d->cfg.gpio_line[i], d->cfg.gpio_chip) < 0) {
			snprintf(err, errlen, "[gpio] %s: not an offset, name:NAME or none",
				 vault_gpio_line_name((enum vault_gpio_line)i));
			return -EINVAL;
		}
		if (lc->direction == VAULT_GPIO_IN)
			lc->debounce_ms = (unsigned)d->cfg.gpio_debounce_ms;
		else
			lc->initial = 0; /* the lock, siren, LEDs: off from the first moment */
	}
	char list[256];
	vault_strlcpy(list, d->cfg.gpio_active_low, sizeof list);
	char *save = NULL;
	for (char *t = strtok_r(list, " ,", &save); t; t = strtok_r(NULL, " ,", &save)) {
		enum vault_gpio_line l;
		if (vault_gpio_line_from_name(t, &l) < 0) {
			snprintf(err, errlen, "[gpio] active_low: unknown line '%s'", t);
			return -EINVAL;
		}
		gc.line[l].active_low = 1;
	}
	if (vault_gpio_config_check(&gc, err, errlen) < 0)
		return -EINVAL;
	int r = vault_gpio_open(ops, &gc, &d->gpio, err, errlen);
	if (r == 0)
		vault_gpio_set(d->gpio, VAULT_GPIO_LOCK, 0);
	return r;
}

/* Occupancy and interrupted flows from the ledger, after a restart. -EIO if
 * the ledger cannot be read: vaultd then does not start (lock off) rather than
 * run believing the vault empty. */
static int recover(struct door *door)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(door->d->db,
			       "SELECT seq, kind, actors, CASE kind WHEN 'occupancy.cleared' THEN "
			       "json_extract(payload,'$.cleared') END FROM ledger WHERE kind IN "
			       "('entry.granted','entry.confirmed','entry.unused','entry.interrupted',"
			       "'exit.confirmed','occupancy.cleared') ORDER BY seq",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	int64_t open_grant = 0;
	char grant_actors[2 * ID + 2] = "";
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 1);
		const char *actors = (const char *)sqlite3_column_text(st, 2);
		if (!strcmp(kind, "entry.granted")) {
			open_grant = sqlite3_column_int64(st, 0);
			snprintf(grant_actors, sizeof grant_actors, "%s", actors);
		} else if (!strcmp(kind, "entry.confirmed")) {
			open_grant = 0;
			char buf[2 * ID + 2], *save = NULL;
			snprintf(buf, sizeof buf, "%s", actors);
			for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
				occ_add(door, t);
		} else if (!strcmp(kind, "exit.confirmed")) {
			occ_del(door, actors);
		} else if (!strcmp(kind, "occupancy.cleared")) {
			/* the persons a supervisor cleared; an entry without the
			 * list (none is written so) would clear everyone */
			const char *c = (const char *)sqlite3_column_text(st, 3);
			if (!c) {
				door->nocc = 0;
				continue;
			}
			char buf[MAX_OCC * (ID + 1)], *save = NULL;
			snprintf(buf, sizeof buf, "%s", c);
			for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
				occ_del(door, t);
		} else {
			open_grant = 0;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	if (open_grant) {
		/* The process died inside an unlock pulse: the lock is off now;
		 * the flow ends as an alarm, not silence. */
		cJSON *p = cJSON_CreateObject();
		cJSON_AddNumberToObject(p, "granted_seq", (double)open_grant);
		cJSON_AddStringToObject(p, "text", "vaultd restarted during an unlock; door relocked");
		record(door, "entry.interrupted", grant_actors, p, NULL, NULL);
	}
	if (door->nocc) {
		char occ[MAX_OCC * (ID + 1)];
		occ_list(door, occ, sizeof occ);
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "occupants", occ);
		record(door, "occupancy.restored", occ, p, NULL, NULL);
	}
	return 0;
}

int door_start(struct vaultd *d, struct door **ret)
{
	struct door *door = calloc(1, sizeof *door);
	if (!door)
		return -ENOMEM;
	door->d = d;
	the_door = door;
	if (d->gpio) {
		int r = vault_gpio_attach(d->gpio, d->loop, on_gpio, door);
		if (r < 0) {
			free(door);
			return r;
		}
	}
	if (recover(door) < 0) {
		vault_log(LOG_ERR, "door", "occupancy not recovered from the ledger: %s",
			  sqlite3_errmsg(d->db));
		door_free(door);
		return -EIO;
	}
	/* Before any reader: a restart must not end a PIN lockout. */
	if (pinlock_restore(&d->pinlock, d->db, d->cfg.pin_lockout_seconds) < 0) {
		vault_log(LOG_ERR, "door", "PIN lockouts not restored from the ledger: %s",
			  sqlite3_errmsg(d->db));
		cJSON *p = p_reason(VAULT_R_DB_ERROR, NULL, NULL);
		cJSON_AddStringToObject(p, "detail", "PIN lockouts not restored after the restart");
		record(door, "alarm.pin_lockouts_lost", "", p, NULL, NULL);
	}
	if (keepalive_wired(d))
		keepalive_tick(d->loop, 0, door);
	int r = flood_new_reader(d, "door", "entry.refused", &door->fl_door);
	if (r == 0)
		r = flood_new_reader(d, "exit", "exit.refused", &door->fl_exit);
	if (r == 0 && d->cfg.reader_door[0])
		r = vaultd_start_badge_reader(d, "door", d->cfg.reader_door, on_badge, door,
					      &door->rd_door);
	if (r == 0 && d->cfg.exit_reader && d->cfg.reader_exit[0])
		r = vaultd_start_badge_reader(d, "exit", d->cfg.reader_exit, on_badge, door,
					      &door->rd_exit);
	if (r < 0) {
		door_free(door);
		return r;
	}
	*ret = door;
	return 0;
}

void door_free(struct door *door)
{
	if (!door)
		return;
	door_lock_safe(door->d);
	vault_badge_reader_stop(door->rd_door);
	vault_badge_reader_stop(door->rd_exit);
	/* No timer may fire into a freed door (the loop may outlive it). */
	const uint64_t timers[] = {door->p_timer,    door->first_timer, door->unlock_timer,
				   door->held_timer, door->exit_timer,	door->keepalive_timer};
	for (size_t i = 0; i < sizeof timers / sizeof timers[0]; i++)
		vault_loop_timer_cancel(door->d->loop, timers[i]);
	flood_free(door->fl_door);
	flood_free(door->fl_exit);
	if (the_door == door)
		the_door = NULL;
	free(door);
}

/* The last STATS_MAX samples of a ring, oldest first. */
static void add_samples(cJSON *o, const char *name, const int64_t *ring, unsigned count)
{
	cJSON *a = cJSON_AddArrayToObject(o, name);
	unsigned n = count < STATS_MAX ? count : STATS_MAX;
	for (unsigned i = count - n; i < count; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber((double)ring[i % STATS_MAX]));
}

/* A supervisor's correction: PERSON (or everyone) is no longer inside though
 * no exit read said so (REX or free egress, a reader down). Ledgered as
 * occupancy.cleared with the persons cleared and the note, which recovery
 * replays; the vault closes if nobody is left, and the rules that watch who is
 * inside (an escort's visitors, two-person integrity) look again. */
void door_occupancy_clear(struct vaultd *d, const struct vault_caller *who, const cJSON *args,
			  struct action_result *res)
{
	struct door *door = d->door;
	const cJSON *jp = cJSON_GetObjectItemCaseSensitive(args, "person");
	const cJSON *ja = cJSON_GetObjectItemCaseSensitive(args, "all");
	const cJSON *jn = cJSON_GetObjectItemCaseSensitive(args, "note");
	const char *person = cJSON_IsString(jp) ? jp->valuestring : NULL;
	int all = cJSON_IsString(ja) && (!strcmp(ja->valuestring, "yes") ||
					  !strcmp(ja->valuestring, "1"));
	const char *note = cJSON_IsString(jn) ? jn->valuestring : NULL;
	res->reason = VAULT_R_INVALID_VALUE;
	if (!door) {
		snprintf(res->detail, sizeof res->detail, "this vaultd has no door");
		return;
	}
	if (!!person == all || (person && (!*person || strlen(person) >= ID))) {
		snprintf(res->detail, sizeof res->detail, "--person P or --all yes, one of them");
		return;
	}
	if (!note || !*note || strlen(note) > 512) {
		snprintf(res->detail, sizeof res->detail,
			 "--note: why (1-512 characters), e.g. 'left by the REX button'");
		return;
	}
	if (person && !inside(door, person)) {
		res->reason = VAULT_R_NOT_FOUND;
		snprintf(res->detail, sizeof res->detail, "%s is not recorded inside", person);
		return;
	}
	if (all && !door->nocc) {
		res->reason = VAULT_R_NOT_FOUND;
		snprintf(res->detail, sizeof res->detail, "nobody is recorded inside");
		return;
	}
	char cleared[MAX_OCC * (ID + 1)], occ[MAX_OCC * (ID + 1)];
	int nocc = door->nocc;
	char saved[MAX_OCC][ID];
	memcpy(saved, door->occ, sizeof saved);
	if (all) {
		occ_list(door, cleared, sizeof cleared);
		door->nocc = 0;
	} else {
		snprintf(cleared, sizeof cleared, "%s", person);
		occ_del(door, person);
	}
	occ_list(door, occ, sizeof occ);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "cleared", cleared);
	cJSON_AddStringToObject(p, "occupants", occ);
	cJSON_AddStringToObject(p, "note", note);
	if (record(door, "occupancy.cleared", who->person, p, NULL, &res->seq) < 0) {
		memcpy(door->occ, saved, sizeof saved); /* not ledgered: nothing changed */
		door->nocc = nocc;
		res->reason = VAULT_R_DB_ERROR;
		snprintf(res->detail, sizeof res->detail, "the correction was not recorded");
		return;
	}
	res->reason = VAULT_R_OK;
	vault_log(LOG_NOTICE, "door", "occupancy corrected by %s: %s no longer inside (%s)",
		  who->person, cleared, note);
	if (!door->nocc) {
		cJSON *q = cJSON_CreateObject();
		cJSON_AddStringToObject(q, "closed_by", who->person);
		cJSON_AddStringToObject(q, "by", "correction");
		record(door, "vault.closed", who->person, q, NULL, NULL);
		return;
	}
	char buf[sizeof cleared], *save = NULL;
	snprintf(buf, sizeof buf, "%s", cleared);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		check_escort(door, t, NULL);
	check_alone(door);
}

cJSON *door_stats(const struct door *door)
{
	cJSON *o = cJSON_CreateObject();
	if (!door)
		return o;
	add_samples(o, "decision_us", door->decision_us, door->ndecision);
	add_samples(o, "ledger_us", door->ledger_us, door->ndecision);
	add_samples(o, "pre_us", door->pre_us, door->ndecision);
	add_samples(o, "kdf_us", door->kdf_us, door->nkdf);
	cJSON_AddNumberToObject(o, "decisions", door->ndecision);
	cJSON_AddNumberToObject(o, "policy_loads", door->policy_loads);
	char occ[MAX_OCC * (ID + 1)];
	occ_list(door, occ, sizeof occ);
	cJSON_AddStringToObject(o, "occupants", occ);
	cJSON *rd = cJSON_AddObjectToObject(o, "readers");
	if (door->fl_door)
		cJSON_AddItemToObject(rd, "door", flood_stats(door->fl_door));
	if (door->fl_exit)
		cJSON_AddItemToObject(rd, "exit", flood_stats(door->fl_exit));
	return o;
}
