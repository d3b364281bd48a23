/* SPDX-License-Identifier: MIT */
/*
 * GPIO sim backend: the daemon's lines live in this process; another process
 * drives them over a UNIX stream socket, one command per line, one reply line
 * "ok [data]" or "err <reason>":
 *
 *   set <line> 0|1       input's PHYSICAL level (before active-low)
 *   get <line>           a line's physical level ("ok 1")
 *   watch                later output changes are pushed as "out <line> <level>"
 *   list                 "ok lock=out:0 door_a=in:1 ..." (enabled lines, physical)
 *   key <c> [hold_ms]    press keypad key c, release it after hold_ms (default 100)
 *   press <c> / release  hold a keypad key until "release"
 *   quit                 "ok bye", then the sim closes the connection
 *   fail                 "ok", then the bank fails as a dead chip would: every
 *                        later read_events() returns -EIO (fault injection)
 *
 * Keypad keys are modelled as matrix contacts, not injected as key events: a
 * pressed key connects its column to its row, so the column reads active only
 * while that row is driven, and the daemon's real scan code decodes it.
 *
 * Everything runs from read_events() on the loop thread: the one fd the daemon
 * watches is an internal epoll set (listening socket, clients, key-release timer,
 * and an eventfd raised while raw events are queued). No thread.
 */
#include "vault/gpio.h"
#include "vault/keypad.h"
#include "vault/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#define SIM_LINE_MAX 256 /* longest command accepted, without the newline */
#define SIM_CLIENTS 8
#define SIM_QUEUE 1024
#define SIM_HOLD_MAX_MS 60000

enum { TAG_LISTEN = 1, TAG_TIMER, TAG_EVENT, TAG_CLIENT0 };

struct sim_client {
	int fd; /* -1 = free slot */
	int watch;
	int discarding; /* rest of an overlong line is being skipped */
	size_t n;
	char in[SIM_LINE_MAX + 1];
};

struct sim {
	struct vault_gpio_config cfg;
	int ep, lfd, tfd, efd;
	int efd_raised;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct sim_client cl[SIM_CLIENTS];
	int phys[VAULT_GPIO__COUNT];
	int key_r, key_c; /* pressed key, -1 = none */
	struct vault_gpio_raw_event q[SIM_QUEUE];
	size_t qh, qn;
	int failed; /* the "fail" command: the bank is dead */
};

static int logical(const struct sim *s, int line)
{
	return s->phys[line] ^ !!s->cfg.line[line].active_low;
}

static int enqueue(struct sim *s, enum vault_gpio_line line)
{
	if (s->qn == SIM_QUEUE)
		return -ENOBUFS;
	struct vault_gpio_raw_event *e = &s->q[(s->qh + s->qn) % SIM_QUEUE];
	e->line = line;
	e->level = logical(s, line);
	e->mono_us = vault_now_mono_us();
	s->qn++;
	if (!s->efd_raised) {
		uint64_t one = 1;
		if (write(s->efd, &one, sizeof one) == sizeof one)
			s->efd_raised = 1;
	}
	return 0;
}

/* Set an input's physical level; queue an edge if it changed. */
static int drive_input(struct sim *s, enum vault_gpio_line line, int phys)
{
	if (s->phys[line] == phys)
		return 0;
	if (s->qn == SIM_QUEUE)
		return -ENOBUFS;
	s->phys[line] = phys;
	return enqueue(s, line);
}

/* A column reads active when the pressed key is in it and its row is driven. */
static int matrix_update(struct sim *s)
{
	int r = 0;
	for (int c = 0; c < VAULT_GPIO_KP_COLS; c++) {
		int line = VAULT_GPIO_KP_COL0 + c;
		if (!s->cfg.line[line].enabled)
			continue;
		int row = VAULT_GPIO_KP_ROW0 + s->key_r;
		int on = s->key_r >= 0 && s->key_c == c && s->cfg.line[row].enabled &&
			 logical(s, row);
		int rr = drive_input(s, (enum vault_gpio_line)line,
				     on ^ !!s->cfg.line[line].active_low);
		if (rr < 0)
			r = rr;
	}
	return r;
}

static void client_drop(struct sim *s, struct sim_client *c)
{
	if (c->fd < 0)
		return;
	epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
}

/* Replies are short; a client that does not read its socket is dropped rather
 * than letting it stall the daemon's loop. */
static void client_send(struct sim *s, struct sim_client *c, const char *line)
{
	if (c->fd < 0)
		return;
	size_t len = strlen(line);
	ssize_t w = send(c->fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w != (ssize_t)len)
		client_drop(s, c);
}

static void push_output(struct sim *s, enum vault_gpio_line line)
{
	char buf[64];
	snprintf(buf, sizeof buf, "out %s %d\n", vault_gpio_line_name(line), s->phys[line]);
	for (int i = 0; i < SIM_CLIENTS; i++)
		if (s->cl[i].fd >= 0 && s->cl[i].watch)
			client_send(s, &s->cl[i], buf);
}

static int sim_set(void *st, enum vault_gpio_line line, int level)
{
	struct sim *s = st;
	if ((unsigned)line >= VAULT_GPIO__COUNT || !s->cfg.line[line].enabled)
		return -ENODEV;
	if (s->cfg.line[line].direction != VAULT_GPIO_OUT)
		return -EINVAL;
	int phys = !!level ^ !!s->cfg.line[line].active_low;
	if (s->phys[line] == phys)
		return 0;
	s->phys[line] = phys;
	push_output(s, line);
	if (line >= VAULT_GPIO_KP_ROW0 && line <= VAULT_GPIO_KP_ROW3)
		matrix_update(s);
	return 0;
}

static int sim_get(void *st, enum vault_gpio_line line, int *ret_level)
{
	struct sim *s = st;
	if ((unsigned)line >= VAULT_GPIO__COUNT || !s->cfg.line[line].enabled)
		return -ENODEV;
	*ret_level = logical(s, line);
	return 0;
}

static int parse_line(const struct sim *s, const char *name, enum vault_gpio_line *ret,
		      const char **why)
{
	enum vault_gpio_line l;
	if (!name || vault_gpio_line_from_name(name, &l) < 0) {
		*why = "unknown line";
		return -ENOENT;
	}
	if (!s->cfg.line[l].enabled) {
		*why = "line not configured";
		return -ENODEV;
	}
	*ret = l;
	return 0;
}

static int parse_key(const char *arg, int *ret_r, int *ret_c)
{
	if (!arg || strlen(arg) != 1)
		return -EINVAL;
	return vault_keypad_pos(arg[0], ret_r, ret_c);
}

static const char *press(struct sim *s, const char *arg)
{
	int r, c;
	if (parse_key(arg, &r, &c) < 0)
		return "err not a keypad key";
	for (int i = VAULT_GPIO_KP_ROW0; i <= VAULT_GPIO_KP_COL2; i++)
		if (!s->cfg.line[i].enabled)
			return "err keypad not configured";
	if (s->key_r >= 0)
		return "err a key is already pressed";
	s->key_r = r;
	s->key_c = c;
	if (matrix_update(s) < 0)
		return "err event queue full";
	return NULL;
}

static void release(struct sim *s)
{
	s->key_r = s->key_c = -1;
	matrix_update(s);
}

/* Handle one command line (NUL-terminated, no newline); reply on c. */
static void command(struct sim *s, struct sim_client *c, char *line)
{
	char out[SIM_LINE_MAX + 64];
	const char *why = NULL;
	char *save = NULL;
	char *cmd = strtok_r(line, " \t", &save);
	char *a1 = cmd ? strtok_r(NULL, " \t", &save) : NULL;
	char *a2 = a1 ? strtok_r(NULL, " \t", &save) : NULL;
	char *extra = a2 ? strtok_r(NULL, " \t", &save) : NULL;
	enum vault_gpio_line l;

	if (!cmd) {
		client_send(s, c, "err empty command\n");
		return;
	}
	if (extra) {
		client_send(s, c, "err too many arguments\n");
		return;
	}
	if (strcmp(cmd, "set") == 0) {
		if (parse_line(s, a1, &l, &why) < 0)
			goto fail;
		if (!a2 || (strcmp(a2, "0") && strcmp(a2, "1"))) {
			why = "level must be 0 or 1";
			goto fail;
		}
		if (s->cfg.line[l].direction != VAULT_GPIO_IN) {
			why = "not an input";
			goto fail;
		}
		if (l >= VAULT_GPIO_KP_COL0 && l <= VAULT_GPIO_KP_COL2) {
			why = "keypad columns follow the matrix; use key/press";
			goto fail;
		}
		if (drive_input(s, l, a2[0] == '1') < 0) {
			why = "event queue full";
			goto fail;
		}
		client_send(s, c, "ok\n");
	} else if (strcmp(cmd, "get") == 0) {
		if (a2) {
			why = "too many arguments";
			goto fail;
		}
		if (parse_line(s, a1, &l, &why) < 0)
			goto fail;
		snprintf(out, sizeof out, "ok %d\n", s->phys[l]);
		client_send(s, c, out);
	} else if (strcmp(cmd, "watch") == 0 && !a1) {
		c->watch = 1;
		client_send(s, c, "ok watching\n");
	} else if (strcmp(cmd, "list") == 0 && !a1) {
		size_t n = (size_t)snprintf(out, sizeof out, "ok");
		for (unsigned i = 0; i < VAULT_GPIO__COUNT && n < sizeof out; i++) {
			if (!s->cfg.line[i].enabled)
				continue;
			n += (size_t)snprintf(out + n, sizeof out - n, " %s=%s:%d",
					      vault_gpio_line_name((enum vault_gpio_line)i),
					      s->cfg.line[i].direction == VAULT_GPIO_OUT ? "out" : "in",
					      s->phys[i]);
		}
		if (n + 1 >= sizeof out) {
			why = "list too long";
			goto fail;
		}
		out[n++] = '\n';
		out[n] = 0;
		client_send(s, c, out);
	} else if (strcmp(cmd, "key") == 0) {
		long hold = 100;
		if (a2) {
			char *end;
			errno = 0;
			hold = strtol(a2, &end, 10);
			if (errno || *end || hold < 1 || hold > SIM_HOLD_MAX_MS) {
				why = "hold_ms must be 1..60000";
				goto fail;
			}
		}
		const char *e = press(s, a1);
		if (e) {
			snprintf(out, sizeof out, "%s\n", e);
			client_send(s, c, out);
			return;
		}
		struct itimerspec its = {.it_value = {.tv_sec = hold / 1000,
						      .tv_nsec = (hold % 1000) * 1000000L}};
		timerfd_settime(s->tfd, 0, &its, NULL);
		client_send(s, c, "ok\n");
	} else if (strcmp(cmd, "press") == 0 && !a2) {
		const char *e = press(s, a1);
		if (e) {
			snprintf(out, sizeof out, "%s\n", e);
			client_send(s, c, out);
			return;
		}
		client_send(s, c, "ok\n");
	} else if (strcmp(cmd, "release") == 0 && !a1) {
		struct itimerspec its = {0};
		timerfd_settime(s->tfd, 0, &its, NULL);
		release(s);
		client_send(s, c, "ok\n");
	} else if (strcmp(cmd, "quit") == 0 && !a1) {
		client_send(s, c, "ok bye\n");
		client_drop(s, c);
	} else if (strcmp(cmd, "fail") == 0 && !a1) {
		client_send(s, c, "ok\n");
		s->failed = 1;
	} else {
		why = "unknown command";
		goto fail;
	}
	return;
fail:
	snprintf(out, sizeof out, "err %s\n", why);
	client_send(s, c, out);
}

static void client_read(struct sim *s, struct sim_client *c)
{
	char buf[1024];
	ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		client_drop(s, c);
		return;
	}
	for (ssize_t i = 0; i < n && c->fd >= 0; i++) {
		char ch = buf[i];
		if (ch == '\n') {
			if (c->discarding) {
				c->discarding = 0;
			} else {
				if (c->n && c->in[c->n - 1] == '\r')
					c->n--;
				c->in[c->n] = 0;
				command(s, c, c->in);
			}
			c->n = 0;
		} else if (c->discarding) {
			continue;
		} else if (ch == 0) {
			client_send(s, c, "err NUL byte in command\n");
			c->discarding = 1;
			c->n = 0;
		} else if (c->n >= SIM_LINE_MAX) {
			client_send(s, c, "err line too long\n");
			c->discarding = 1;
			c->n = 0;
		} else {
			c->in[c->n++] = ch;
		}
	}
}

static void accept_client(struct sim *s)
{
	int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	for (int i = 0; i < SIM_CLIENTS; i++) {
		struct sim_client *c = &s->cl[i];
		if (c->fd >= 0)
			continue;
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)(TAG_CLIENT0 + i)};
		if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			break;
		memset(c, 0, sizeof *c);
		c->fd = fd;
		return;
	}
	const char *busy = "err too many clients\n";
	send(fd, busy, strlen(busy), MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

static int sim_read_events(void *st, struct vault_gpio_raw_event *ev, size_t max)
{
	struct sim *s = st;
	struct epoll_event evs[16];
	if (s->failed)
		return -EIO;
	int n = epoll_wait(s->ep, evs, VAULT_ARRAY_SIZE(evs), 0);
	if (n < 0 && errno != EINTR)
		return -errno;
	for (int i = 0; i < n; i++) {
		uint64_t tag = evs[i].data.u64, v;
		if (tag == TAG_LISTEN) {
			accept_client(s);
		} else if (tag == TAG_TIMER) {
			if (read(s->tfd, &v, sizeof v) == sizeof v)
				release(s);
		} else if (tag == TAG_EVENT) {
			/* lowered below once the queue is drained */
		} else if (tag >= TAG_CLIENT0 && tag < TAG_CLIENT0 + SIM_CLIENTS) {
			struct sim_client *c = &s->cl[tag - TAG_CLIENT0];
			if (c->fd >= 0)
				client_read(s, c);
		}
	}
	if (s->failed)
		return -EIO;
	size_t k = 0;
	while (k < max && s->qn) {
		ev[k++] = s->q[s->qh];
		s->qh = (s->qh + 1) % SIM_QUEUE;
		s->qn--;
	}
	if (!s->qn && s->efd_raised) {
		uint64_t v;
		if (read(s->efd, &v, sizeof v) == sizeof v || errno == EAGAIN)
			s->efd_raised = 0;
	}
	return (int)k;
}

static int sim_event_fd(void *st)
{
	return ((struct sim *)st)->ep;
}

static void sim_close(void *st)
{
	struct sim *s = st;
	if (!s)
		return;
	for (int i = 0; i < SIM_CLIENTS; i++)
		if (s->cl[i].fd >= 0)
			close(s->cl[i].fd);
	if (s->lfd >= 0) {
		close(s->lfd);
		if (s->path[0])
			unlink(s->path);
	}
	if (s->tfd >= 0)
		close(s->tfd);
	if (s->efd >= 0)
		close(s->efd);
	if (s->ep >= 0)
		close(s->ep);
	free(s);
}

static int sim_open(const struct vault_gpio_config *cfg, void **ret_st, char *err, size_t errlen)
{
	if (!err)
		errlen = 0;
	size_t plen = strnlen(cfg->sim_socket, sizeof cfg->sim_socket);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (plen == 0 || plen >= sizeof sa.sun_path) {
		if (errlen)
			snprintf(err, errlen, "gpio sim: socket path empty or too long");
		return -EINVAL;
	}
	struct sim *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	s->lfd = s->tfd = s->efd = -1;
	s->key_r = s->key_c = -1;
	for (int i = 0; i < SIM_CLIENTS; i++)
		s->cl[i].fd = -1;
	for (unsigned i = 0; i < VAULT_GPIO__COUNT; i++) {
		const struct vault_gpio_line_config *lc = &cfg->line[i];
		/* Inputs start at their configured logical level (default inactive);
		 * outputs at their initial level. */
		s->phys[i] = !!lc->initial ^ !!lc->active_low;
	}
	memcpy(sa.sun_path, cfg->sim_socket, plen);
	const char *what = "epoll";
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (s->ep < 0)
		goto fail;
	what = "timerfd/eventfd";
	s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	s->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->tfd < 0 || s->efd < 0)
		goto fail;
	what = "socket";
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->lfd < 0)
		goto fail;
	/* A socket file left by a crashed run would make bind fail; remove only a
	 * socket, never a regular file someone pointed us at by mistake. */
	struct stat stt;
	if (lstat(cfg->sim_socket, &stt) == 0 && S_ISSOCK(stt.st_mode))
		unlink(cfg->sim_socket);
	what = "bind";
	if (bind(s->lfd, (struct sockaddr *)&sa, sizeof sa) < 0)
		goto fail;
	memcpy(s->path, cfg->sim_socket, plen + 1);
	what = "listen";
	if (listen(s->lfd, 8) < 0)
		goto fail;
	struct epoll_event e1 = {.events = EPOLLIN, .data.u64 = TAG_LISTEN};
	struct epoll_event e2 = {.events = EPOLLIN, .data.u64 = TAG_TIMER};
	struct epoll_event e3 = {.events = EPOLLIN, .data.u64 = TAG_EVENT};
	what = "epoll_ctl";
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &e1) < 0 ||
	    epoll_ctl(s->ep, EPOLL_CTL_ADD, s->tfd, &e2) < 0 ||
	    epoll_ctl(s->ep, EPOLL_CTL_ADD, s->efd, &e3) < 0)
		goto fail;
	*ret_st = s;
	return 0;
fail:;
	int e = -errno;
	if (errlen)
		snprintf(err, errlen, "gpio sim: %s on '%s': %s", what, cfg->sim_socket,
			 strerror(-e));
	sim_close(s);
	return e;
}

const struct vault_gpio_ops vault_gpio_sim_ops = {
	.name = "sim",
	.open = sim_open,
	.set = sim_set,
	.get = sim_get,
	.event_fd = sim_event_fd,
	.read_events = sim_read_events,
	.close = sim_close,
};
