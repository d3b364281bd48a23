/* SPDX-License-Identifier: MIT */
/*
 * GPIO lines of the door, its sensors, the keypad and the shredder station.
 *
 * Three layers:
 *  - line roles (enum vault_gpio_line) with stable names used in configs, logs and
 *    the sim protocol, and a per-line config;
 *  - backends as const ops tables: vault_gpio_gpiod_ops (libgpiod v1) and
 *    vault_gpio_sim_ops (a UNIX socket driven by another process). Backends speak
 *    LOGICAL levels (1 = active): libgpiod applies active-low through its request
 *    flag, the sim applies it itself (logical = physical XOR active_low);
 *  - the bank (struct vault_gpio): opens a backend, watches its event fd on the
 *    daemon's loop, debounces inputs, scans the keypad matrix, supervises the two
 *    door contacts, and calls one callback with logical events. It runs on the loop
 *    thread only; no backend starts a thread.
 *
 * Errors: 0 / a count on success, -errno on failure; ret_* untouched on failure.
 * Nothing here logs: open failures are described in a caller-supplied buffer.
 */
#ifndef VAULT_GPIO_H
#define VAULT_GPIO_H
#include <stddef.h>
#include <stdint.h>

struct vault_loop;

/* Line roles. Values are stable; append new roles before VAULT_GPIO__COUNT. */
#define VAULT_GPIO_LINES(X)                                                                    \
	X(LOCK, "lock", VAULT_GPIO_OUT)                                                        \
	X(DOOR_A, "door_a", VAULT_GPIO_IN)                                                     \
	X(DOOR_B, "door_b", VAULT_GPIO_IN)                                                     \
	X(REX, "rex", VAULT_GPIO_IN)                                                           \
	X(TAMPER, "tamper", VAULT_GPIO_IN)                                                     \
	X(SIREN, "siren", VAULT_GPIO_OUT)                                                      \
	X(LED_GREEN, "led_green", VAULT_GPIO_OUT)                                              \
	X(LED_RED, "led_red", VAULT_GPIO_OUT)                                                  \
	X(BUZZER, "buzzer", VAULT_GPIO_OUT)                                                    \
	X(KP_ROW0, "kp_row0", VAULT_GPIO_OUT)                                                  \
	X(KP_ROW1, "kp_row1", VAULT_GPIO_OUT)                                                  \
	X(KP_ROW2, "kp_row2", VAULT_GPIO_OUT)                                                  \
	X(KP_ROW3, "kp_row3", VAULT_GPIO_OUT)                                                  \
	X(KP_COL0, "kp_col0", VAULT_GPIO_IN)                                                   \
	X(KP_COL1, "kp_col1", VAULT_GPIO_IN)                                                   \
	X(KP_COL2, "kp_col2", VAULT_GPIO_IN)                                                   \
	X(FIRE, "fire", VAULT_GPIO_IN)                                                         \
	X(POWERFAIL, "powerfail", VAULT_GPIO_IN)                                               \
	X(SHREDDER_MOTOR, "shredder_motor", VAULT_GPIO_IN)                                     \
	X(SHREDDER_BIN, "shredder_bin", VAULT_GPIO_IN)                                         \
	X(KEEPALIVE, "keepalive", VAULT_GPIO_OUT)

enum vault_gpio_dir { VAULT_GPIO_IN = 0, VAULT_GPIO_OUT = 1 };

enum vault_gpio_line {
#define VAULT_GPIO_LINE_ENUM(id, name, dir) VAULT_GPIO_##id,
	VAULT_GPIO_LINES(VAULT_GPIO_LINE_ENUM)
#undef VAULT_GPIO_LINE_ENUM
	VAULT_GPIO__COUNT
};

#define VAULT_GPIO_KP_ROWS 4
#define VAULT_GPIO_KP_COLS 3

/* Stable name ("door_a"); NULL for an out-of-range value. */
const char *vault_gpio_line_name(enum vault_gpio_line line);
/* Reverse lookup; 0 and *ret, or -ENOENT. */
int vault_gpio_line_from_name(const char *name, enum vault_gpio_line *ret);
/* The direction a role has on every board (the lock is always an output...). */
enum vault_gpio_dir vault_gpio_line_default_dir(enum vault_gpio_line line);

#define VAULT_GPIO_CHIP_MAX 64
#define VAULT_GPIO_NAME_MAX 32
#define VAULT_GPIO_SOCK_MAX 108 /* sizeof(sun_path) */

struct vault_gpio_line_config {
	int enabled;			      /* 0: the line is not wired on this board */
	char chip[VAULT_GPIO_CHIP_MAX];       /* chip label, name or /dev path; libgpiod:
					       * "" = search every chip for `name` */
	int offset;			      /* line offset, or -1 to find the line by name */
	char name[VAULT_GPIO_NAME_MAX];       /* line name (used when offset < 0) */
	int active_low;			      /* logical = physical XOR active_low */
	unsigned debounce_ms;		      /* inputs: 0 = report every edge */
	enum vault_gpio_dir direction;
	int initial;			      /* outputs: logical level at open;
					       * sim inputs: starting logical level */
};

struct vault_gpio_config {
	struct vault_gpio_line_config line[VAULT_GPIO__COUNT];
	char consumer[VAULT_GPIO_NAME_MAX];   /* libgpiod consumer label ("vaultd") */
	char sim_socket[VAULT_GPIO_SOCK_MAX]; /* sim backend: control socket path */
	unsigned contacts_window_ms;	      /* door_a/door_b disagreement → fault */
	unsigned keypad_pin_max;	      /* digits kept before '#' (default 12) */
};

/* Fill *cfg with every role enabled, default direction, offset = -1,
 * name = role name, chip "", debounce 20 ms on inputs, contacts window 500 ms. */
void vault_gpio_config_defaults(struct vault_gpio_config *cfg);
/* Check lengths and consistency (a line needs an offset or a name, direction
 * matching its role). 0 or -EINVAL with a message naming the line in err. */
int vault_gpio_config_check(const struct vault_gpio_config *cfg, char *err, size_t errlen);

/* One raw (not debounced) input change as a backend reports it, logical level. */
struct vault_gpio_raw_event {
	enum vault_gpio_line line;
	int level;
	int64_t mono_us;
};

/*
 * Backend contract. `st` is the backend's private state. All calls are made on
 * the loop thread and never block (except open, which may touch the kernel).
 * A NULL op means unsupported: the bank returns -EOPNOTSUPP.
 */
struct vault_gpio_ops {
	const char *name;
	/* Request every enabled line; outputs start at cfg->line[i].initial.
	 * On failure returns -errno, leaves *ret_st untouched, and writes a message
	 * naming the chip and line into err (if errlen > 0). */
	int (*open)(const struct vault_gpio_config *cfg, void **ret_st, char *err, size_t errlen);
	/* Drive an output to a logical level. -EINVAL for an input or unknown line. */
	int (*set)(void *st, enum vault_gpio_line line, int level);
	/* Read a line's current raw logical level (inputs not debounced). */
	int (*get)(void *st, enum vault_gpio_line line, int *ret_level);
	/* A file descriptor that becomes readable when read_events has work. Owned by
	 * the backend: do not close it. */
	int (*event_fd)(void *st);
	/* Non-blocking: do pending backend work and return up to `max` queued raw
	 * input events (a count, 0 when none). Call until it returns < max. */
	int (*read_events)(void *st, struct vault_gpio_raw_event *ev, size_t max);
	/* Release everything. Accepts NULL. */
	void (*close)(void *st);
};

/* libgpiod v1. Lines by chip (label, name, path or number) + offset or line name;
 * with chip "" the line is found by name on any chip. Errors name chip and line. */
extern const struct vault_gpio_ops vault_gpio_gpiod_ops;
/*
 * Simulator. Listens on cfg->sim_socket (a stale socket file there is replaced)
 * for up to 8 clients in other processes; one command per line (at most 256
 * bytes), one reply line "ok [data]" or "err <reason>":
 *   set <line> 0|1     drive an input's PHYSICAL level (before active-low); the
 *                      same level again makes no edge
 *   get <line>         a line's physical level
 *   watch              push later output changes as "out <line> <level>"
 *   list               "ok name=in|out:level ..." for the enabled lines
 *   press <c>/release  hold / let go keypad key c ('0'-'9', '*', '#')
 *   key <c> [hold_ms]  press, released after hold_ms (default 100)
 *   quit               "ok bye", then the connection is closed
 * Keys are modelled as matrix contacts (the column follows the driven row), so
 * the bank's real scan decodes them; no key event is injected. A key held
 * shorter than the column debounce is (correctly) not seen.
 * The event fd is an internal epoll set; all work happens in read_events().
 */
extern const struct vault_gpio_ops vault_gpio_sim_ops;

/* ---- the bank ---- */

struct vault_gpio;

enum vault_gpio_event_kind {
	VAULT_GPIO_EV_LINE,	/* a debounced input changed: line, level */
	VAULT_GPIO_EV_KEY,	/* keypad key pressed: key ('0'-'9', '*', '#') */
	VAULT_GPIO_EV_KEY_UP,	/* every keypad key released (no key data) */
	VAULT_GPIO_EV_PIN,	/* digits then '#': pin (NUL-terminated, valid during cb) */
	VAULT_GPIO_EV_CONTACTS, /* level 1: door contacts disagree (fault); 0: agree again */
	VAULT_GPIO_EV_ERROR,	/* the backend failed reading events: level = -errno */
};

struct vault_gpio_event {
	enum vault_gpio_event_kind kind;
	enum vault_gpio_line line;
	int level;
	char key;
	const char *pin;
	int64_t mono_us;
};

/* KEY and PIN events carry secrets: never log them. Keypad column lines are never
 * reported as LINE events for the same reason. The callback may call
 * vault_gpio_set()/get() but must not free the bank. */
typedef void (*vault_gpio_cb)(struct vault_gpio *g, const struct vault_gpio_event *ev, void *ud);

/* Open the backend (see ops->open for err). The config is copied. Does not watch
 * anything until vault_gpio_attach(). */
int vault_gpio_open(const struct vault_gpio_ops *ops, const struct vault_gpio_config *cfg,
		    struct vault_gpio **ret, char *err, size_t errlen);
/* Watch the backend's event fd on `l` and deliver events to cb on the loop thread.
 * Drives every keypad row active (idle scan state). 0 or -errno. */
int vault_gpio_attach(struct vault_gpio *g, struct vault_loop *l, vault_gpio_cb cb, void *ud);
/* Drive an output (logical level). -EINVAL for inputs, -ENODEV for a disabled line. */
int vault_gpio_set(struct vault_gpio *g, enum vault_gpio_line line, int level);
/* Inputs: the debounced logical level; outputs: the level last driven. */
int vault_gpio_get(struct vault_gpio *g, enum vault_gpio_line line, int *ret_level);
/* Detaches from the loop, cancels timers, closes the backend. Accepts NULL. */
void vault_gpio_free(struct vault_gpio *g);
#endif
