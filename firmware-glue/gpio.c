/* SPDX-License-Identifier: MIT */
/* The GPIO bank: line names, config, debounce, keypad scan, contact supervision. */
#include "vault/gpio.h"
#include "vault/contacts.h"
#include "vault/debounce.h"
#include "vault/keypad.h"
#include "vault/loop.h"
#include "vault/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

static const struct {
	const char *name;
	enum vault_gpio_dir dir;
} roles[] = {
#define VAULT_GPIO_LINE_ROW(id, name, dir) {name, dir},
	VAULT_GPIO_LINES(VAULT_GPIO_LINE_ROW)
#undef VAULT_GPIO_LINE_ROW
};

const char *vault_gpio_line_name(enum vault_gpio_line line)
{
	if ((unsigned)line >= VAULT_GPIO__COUNT)
		return NULL;
	return roles[line].name;
}

int vault_gpio_line_from_name(const char *name, enum vault_gpio_line *ret)
{
	for (unsigned i = 0; i < VAULT_GPIO__COUNT; i++)
		if (strcmp(roles[i].name, name) == 0) {
			*ret = (enum vault_gpio_line)i;
			return 0;
		}
	return -ENOENT;
}

enum vault_gpio_dir vault_gpio_line_default_dir(enum vault_gpio_line line)
{
	if ((unsigned)line >= VAULT_GPIO__COUNT)
		return VAULT_GPIO_IN;
	return roles[line].dir;
}

void vault_gpio_config_defaults(struct vault_gpio_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	for (unsigned i = 0; i < VAULT_GPIO__COUNT; i++) {
		struct vault_gpio_line_config *lc = &cfg->line[i];
		lc->enabled = 1;
		lc->offset = -1;
		snprintf(lc->name, sizeof lc->name, "%s", roles[i].name);
		lc->direction = roles[i].dir;
		lc->debounce_ms = roles[i].dir == VAULT_GPIO_IN ? 20 : 0;
	}
	snprintf(cfg->consumer, sizeof cfg->consumer, "vaultd");
	cfg->contacts_window_ms = 500;
	cfg->keypad_pin_max = 12;
}

#define DEBOUNCE_MAX_MS 10000u

int vault_gpio_config_check(const struct vault_gpio_config *cfg, char *err, size_t errlen)
{
	if (!err)
		errlen = 0;
	for (unsigned i = 0; i < VAULT_GPIO__COUNT; i++) {
		const struct vault_gpio_line_config *lc = &cfg->line[i];
		const char *why = NULL;
		if (!lc->enabled)
			continue;
		if (!memchr(lc->chip, 0, sizeof lc->chip) || !memchr(lc->name, 0, sizeof lc->name))
			why = "chip or line name not terminated";
		else if (lc->offset < 0 && lc->name[0] == 0)
			why = "needs a line offset or a line name";
		else if (lc->direction != roles[i].dir)
			why = roles[i].dir == VAULT_GPIO_OUT ? "must be an output"
							     : "must be an input";
		else if (lc->debounce_ms > DEBOUNCE_MAX_MS)
			why = "debounce_ms above 10000";
		if (why) {
			if (errlen)
				snprintf(err, errlen, "gpio line %s: %s", roles[i].name, why);
			return -EINVAL;
		}
	}
	if (!memchr(cfg->sim_socket, 0, sizeof cfg->sim_socket) ||
	    !memchr(cfg->consumer, 0, sizeof cfg->consumer)) {
		if (errlen)
			snprintf(err, errlen, "gpio: sim socket path or consumer too long");
		return -EINVAL;
	}
	return 0;
}

/* ---- the bank ---- */

struct vault_gpio {
	const struct vault_gpio_ops *ops;
	void *st;
	struct vault_gpio_config cfg;
	struct vault_loop *loop;
	int fd; /* backend event fd while attached, else -1 */
	vault_gpio_cb cb;
	void *ud;
	struct vault_debounce db[VAULT_GPIO__COUNT];
	int out_level[VAULT_GPIO__COUNT];
	uint64_t timer;
	int64_t timer_at;
	struct vault_contacts contacts;
	int contacts_on;
	struct vault_keypad kp;
	int keypad_on;
	int key_down;
};

static int is_kp_col(enum vault_gpio_line l)
{
	return l >= VAULT_GPIO_KP_COL0 && l <= VAULT_GPIO_KP_COL2;
}

static int line_ok(const struct vault_gpio *g, enum vault_gpio_line line)
{
	if ((unsigned)line >= VAULT_GPIO__COUNT)
		return -EINVAL;
	if (!g->cfg.line[line].enabled)
		return -ENODEV;
	return 0;
}

int vault_gpio_open(const struct vault_gpio_ops *ops, const struct vault_gpio_config *cfg,
		    struct vault_gpio **ret, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = 0;
	int r = vault_gpio_config_check(cfg, err, errlen);
	if (r < 0)
		return r;
	if (!ops->open || !ops->get || !ops->set)
		return -EOPNOTSUPP;
	struct vault_gpio *g = calloc(1, sizeof *g);
	if (!g)
		return -ENOMEM;
	g->ops = ops;
	g->cfg = *cfg;
	g->fd = -1;
	r = ops->open(&g->cfg, &g->st, err, errlen);
	if (r < 0) {
		free(g);
		return r;
	}
	for (unsigned i = 0; i < VAULT_GPIO__COUNT; i++) {
		const struct vault_gpio_line_config *lc = &g->cfg.line[i];
		if (!lc->enabled)
			continue;
		if (lc->direction == VAULT_GPIO_OUT) {
			g->out_level[i] = !!lc->initial;
			continue;
		}
		int level = 0;
		r = ops->get(g->st, (enum vault_gpio_line)i, &level);
		if (r < 0) {
			if (err && errlen)
				snprintf(err, errlen, "gpio line %s: cannot read: %s",
					 roles[i].name, strerror(-r));
			vault_gpio_free(g);
			return r;
		}
		vault_debounce_init(&g->db[i], level, (int64_t)lc->debounce_ms * 1000);
	}
	g->keypad_on = 1;
	for (unsigned i = VAULT_GPIO_KP_ROW0; i <= VAULT_GPIO_KP_COL2; i++)
		if (!g->cfg.line[i].enabled)
			g->keypad_on = 0;
	vault_keypad_init(&g->kp, cfg->keypad_pin_max);
	g->contacts_on = g->cfg.line[VAULT_GPIO_DOOR_A].enabled &&
			 g->cfg.line[VAULT_GPIO_DOOR_B].enabled;
	*ret = g;
	return 0;
}

static void emit(struct vault_gpio *g, struct vault_gpio_event *ev)
{
	if (g->cb)
		g->cb(g, ev, g->ud);
}

static void rows_idle(struct vault_gpio *g)
{
	for (unsigned r = VAULT_GPIO_KP_ROW0; r <= VAULT_GPIO_KP_ROW3; r++)
		g->ops->set(g->st, (enum vault_gpio_line)r, 1);
}

/* A column went active with every row driven: find the row by driving one at a
 * time. The scan's own column edges land inside the debounce window and return
 * to the same level, so they collapse and do not start a second scan. */
static void keypad_scan(struct vault_gpio *g, int64_t now)
{
	uint8_t mask[4] = {0};
	for (int r = 0; r < VAULT_GPIO_KP_ROWS; r++) {
		for (int rr = 0; rr < VAULT_GPIO_KP_ROWS; rr++)
			g->ops->set(g->st, (enum vault_gpio_line)(VAULT_GPIO_KP_ROW0 + rr), rr == r);
		for (int c = 0; c < VAULT_GPIO_KP_COLS; c++) {
			int v = 0;
			if (g->ops->get(g->st, (enum vault_gpio_line)(VAULT_GPIO_KP_COL0 + c), &v) == 0 &&
			    v)
				mask[r] |= (uint8_t)(1u << c);
		}
	}
	rows_idle(g);
	char key;
	if (vault_keypad_decode(mask, &key) < 0)
		return;
	struct vault_gpio_event ev = {.kind = VAULT_GPIO_EV_KEY, .key = key, .mono_us = now};
	emit(g, &ev);
	char pin[VAULT_KEYPAD_PIN_MAX + 1];
	if (vault_keypad_key(&g->kp, key, pin, sizeof pin) == VAULT_KEYPAD_PIN) {
		struct vault_gpio_event pe = {.kind = VAULT_GPIO_EV_PIN, .pin = pin, .mono_us = now};
		emit(g, &pe);
	}
	explicit_bzero(pin, sizeof pin);
}

static void contacts_emit(struct vault_gpio *g, int fault, int64_t now)
{
	struct vault_gpio_event ev = {.kind = VAULT_GPIO_EV_CONTACTS, .level = fault, .mono_us = now};
	emit(g, &ev);
}

static void logical_change(struct vault_gpio *g, enum vault_gpio_line line, int level, int64_t now)
{
	if (is_kp_col(line)) {
		/* Column levels are never reported: they would spell the PIN. */
		if (!g->keypad_on)
			return;
		int any = 0;
		for (int c = 0; c < VAULT_GPIO_KP_COLS; c++)
			any |= g->db[VAULT_GPIO_KP_COL0 + c].stable;
		if (level && !g->key_down) {
			g->key_down = 1;
			keypad_scan(g, now);
		} else if (!any && g->key_down) {
			g->key_down = 0;
			struct vault_gpio_event up = {.kind = VAULT_GPIO_EV_KEY_UP, .mono_us = now};
			emit(g, &up);
		}
		return;
	}
	struct vault_gpio_event ev = {
		.kind = VAULT_GPIO_EV_LINE, .line = line, .level = level, .mono_us = now};
	emit(g, &ev);
	if (g->contacts_on && (line == VAULT_GPIO_DOOR_A || line == VAULT_GPIO_DOOR_B)) {
		int fault;
		if (vault_contacts_update(&g->contacts, now, g->db[VAULT_GPIO_DOOR_A].stable,
					  g->db[VAULT_GPIO_DOOR_B].stable, &fault))
			contacts_emit(g, fault, now);
	}
}

static void timer_cb(struct vault_loop *l, uint64_t id, void *ud);

static void poll_deadlines(struct vault_gpio *g)
{
	int64_t now = vault_now_mono_us();
	for (unsigned i = 0; i < VAULT_GPIO__COUNT; i++) {
		int level;
		if (g->cfg.line[i].enabled && g->cfg.line[i].direction == VAULT_GPIO_IN &&
		    vault_debounce_poll(&g->db[i], now, &level))
			logical_change(g, (enum vault_gpio_line)i, level, now);
	}
	int fault;
	if (g->contacts_on && vault_contacts_poll(&g->contacts, now, &fault))
		contacts_emit(g, fault, now);

	int64_t next = 0;
	for (unsigned i = 0; i < VAULT_GPIO__COUNT; i++) {
		int64_t d = vault_debounce_deadline(&g->db[i]);
		if (d && (!next || d < next))
			next = d;
	}
	int64_t d = g->contacts_on ? vault_contacts_deadline(&g->contacts) : 0;
	if (d && (!next || d < next))
		next = d;
	if (next == g->timer_at && g->timer)
		return;
	vault_loop_timer_cancel(g->loop, g->timer);
	g->timer = 0;
	g->timer_at = 0;
	if (next && vault_loop_timer_at(g->loop, next, timer_cb, g, &g->timer) == 0)
		g->timer_at = next;
}

static void timer_cb(struct vault_loop *l, uint64_t id, void *ud)
{
	struct vault_gpio *g = ud;
	g->timer = 0;
	g->timer_at = 0;
	poll_deadlines(g);
}

static void fd_cb(struct vault_loop *l, int fd, uint32_t events, void *ud)
{
	struct vault_gpio *g = ud;
	struct vault_gpio_raw_event ev[32];
	for (;;) {
		int n = g->ops->read_events(g->st, ev, VAULT_ARRAY_SIZE(ev));
		if (n < 0) {
			/* Stop watching rather than spin on a broken fd; the daemon
			 * decides what a dead GPIO bank means (alarm, restart). */
			vault_loop_del_fd(l, g->fd);
			g->fd = -1;
			struct vault_gpio_event e = {.kind = VAULT_GPIO_EV_ERROR, .level = n,
						     .mono_us = vault_now_mono_us()};
			emit(g, &e);
			return;
		}
		for (int i = 0; i < n; i++) {
			enum vault_gpio_line line = ev[i].line;
			int level;
			if ((unsigned)line >= VAULT_GPIO__COUNT || !g->cfg.line[line].enabled ||
			    g->cfg.line[line].direction != VAULT_GPIO_IN)
				continue;
			if (vault_debounce_edge(&g->db[line], ev[i].mono_us, ev[i].level, &level))
				logical_change(g, line, level, ev[i].mono_us);
		}
		if ((size_t)n < VAULT_ARRAY_SIZE(ev))
			break;
	}
	poll_deadlines(g);
}

int vault_gpio_attach(struct vault_gpio *g, struct vault_loop *l, vault_gpio_cb cb, void *ud)
{
	if (g->loop)
		return -EALREADY;
	if (!g->ops->event_fd || !g->ops->read_events)
		return -EOPNOTSUPP;
	int fd = g->ops->event_fd(g->st);
	if (fd < 0)
		return fd;
	int r = vault_loop_add_fd(l, fd, EPOLLIN, fd_cb, g);
	if (r < 0)
		return r;
	g->loop = l;
	g->fd = fd;
	g->cb = cb;
	g->ud = ud;
	if (g->keypad_on)
		rows_idle(g);
	if (g->contacts_on) {
		vault_contacts_init(&g->contacts, (int64_t)g->cfg.contacts_window_ms * 1000,
				    g->db[VAULT_GPIO_DOOR_A].stable, g->db[VAULT_GPIO_DOOR_B].stable,
				    vault_now_mono_us());
	}
	poll_deadlines(g);
	return 0;
}

int vault_gpio_set(struct vault_gpio *g, enum vault_gpio_line line, int level)
{
	int r = line_ok(g, line);
	if (r < 0)
		return r;
	if (g->cfg.line[line].direction != VAULT_GPIO_OUT)
		return -EINVAL;
	r = g->ops->set(g->st, line, !!level);
	if (r < 0)
		return r;
	g->out_level[line] = !!level;
	return 0;
}

int vault_gpio_get(struct vault_gpio *g, enum vault_gpio_line line, int *ret_level)
{
	int r = line_ok(g, line);
	if (r < 0)
		return r;
	*ret_level = g->cfg.line[line].direction == VAULT_GPIO_OUT ? g->out_level[line]
								   : g->db[line].stable;
	return 0;
}

void vault_gpio_free(struct vault_gpio *g)
{
	if (!g)
		return;
	if (g->loop) {
		vault_loop_timer_cancel(g->loop, g->timer);
		if (g->fd >= 0)
			vault_loop_del_fd(g->loop, g->fd);
	}
	if (g->ops && g->ops->close)
		g->ops->close(g->st);
	explicit_bzero(&g->kp, sizeof g->kp);
	free(g);
}
