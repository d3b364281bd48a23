/* SPDX-License-Identifier: MIT */
/*
 * The GPIO bank on the sim backend, driven from another process: a forked child
 * plays the daemon (loop + bank, writes each logical event as a line to a pipe);
 * this process is the outside world talking to the sim's control socket.
 */
#include "tap.h"
#include "vault/gpio.h"
#include "vault/loop.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define TMO 5000

static char sock_path[108];

/* ---- the daemon side (child) ---- */

static int ev_fd;

static void put(const char *s)
{
	size_t n = strlen(s);
	if (write(ev_fd, s, n) != (ssize_t)n)
		_exit(3);
}

static void on_event(struct vault_gpio *g, const struct vault_gpio_event *ev, void *ud)
{
	char buf[96];
	switch (ev->kind) {
	case VAULT_GPIO_EV_LINE:
		snprintf(buf, sizeof buf, "line %s %d\n", vault_gpio_line_name(ev->line), ev->level);
		/* demo door logic: request-to-exit energises the lock */
		if (ev->line == VAULT_GPIO_REX)
			vault_gpio_set(g, VAULT_GPIO_LOCK, ev->level);
		break;
	case VAULT_GPIO_EV_KEY:
		snprintf(buf, sizeof buf, "key %c\n", ev->key);
		break;
	case VAULT_GPIO_EV_KEY_UP:
		snprintf(buf, sizeof buf, "keyup\n");
		break;
	case VAULT_GPIO_EV_PIN:
		snprintf(buf, sizeof buf, "pin %s\n", ev->pin);
		break;
	case VAULT_GPIO_EV_CONTACTS:
		snprintf(buf, sizeof buf, "contacts %d\n", ev->level);
		break;
	default:
		snprintf(buf, sizeof buf, "error %d\n", ev->level);
	}
	put(buf);
}

static void on_ctl(struct vault_loop *l, int fd, uint32_t events, void *ud)
{
	char c;
	if (read(fd, &c, 1) <= 0)
		vault_loop_quit(l);
}

static int daemon_child(int efd, int ctlfd)
{
	struct vault_gpio_config cfg;
	struct vault_loop *l;
	struct vault_gpio *g;
	char err[256];
	ev_fd = efd;
	vault_gpio_config_defaults(&cfg);
	snprintf(cfg.sim_socket, sizeof cfg.sim_socket, "%s", sock_path);
	cfg.line[VAULT_GPIO_FIRE].debounce_ms = 100;
	cfg.line[VAULT_GPIO_POWERFAIL].debounce_ms = 100;
	cfg.line[VAULT_GPIO_TAMPER].active_low = 1;
	cfg.line[VAULT_GPIO_TAMPER].debounce_ms = 0;
	cfg.line[VAULT_GPIO_LED_RED].active_low = 1;
	cfg.line[VAULT_GPIO_LED_RED].initial = 1;
	cfg.line[VAULT_GPIO_DOOR_A].debounce_ms = 10;
	cfg.line[VAULT_GPIO_DOOR_B].debounce_ms = 10;
	cfg.line[VAULT_GPIO_REX].debounce_ms = 10;
	for (int c = 0; c < 3; c++)
		cfg.line[VAULT_GPIO_KP_COL0 + c].debounce_ms = 10;
	cfg.contacts_window_ms = 300;
	cfg.line[VAULT_GPIO_SHREDDER_BIN].enabled = 0;
	if (vault_loop_new(&l) < 0)
		return 1;
	if (vault_gpio_open(&vault_gpio_sim_ops, &cfg, &g, err, sizeof err) < 0) {
		put("openfail ");
		put(err);
		put("\n");
		return 1;
	}
	if (vault_gpio_attach(g, l, on_event, NULL) < 0 ||
	    vault_loop_add_fd(l, ctlfd, EPOLLIN, on_ctl, NULL) < 0)
		return 1;
	vault_gpio_set(g, VAULT_GPIO_LED_GREEN, 1);
	put("ready\n");
	vault_loop_run(l, NULL);
	vault_gpio_free(g);
	vault_loop_free(l);
	return 0;
}

/* ---- the outside world (parent) ---- */

static int rd_line(int fd, char *buf, size_t n, int timeout_ms)
{
	size_t k = 0;
	while (k + 1 < n) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, timeout_ms) <= 0)
			break;
		char c;
		if (read(fd, &c, 1) != 1)
			break;
		if (c == '\n') {
			buf[k] = 0;
			return 0;
		}
		buf[k++] = c;
	}
	buf[k] = 0;
	return -1;
}

static int evfd_parent;
static char evbuf[128];

static const char *next_event(void)
{
	if (rd_line(evfd_parent, evbuf, sizeof evbuf, TMO) < 0)
		snprintf(evbuf, sizeof evbuf, "(no event)");
	return evbuf;
}

static int connect_sim(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return -1;
	return fd;
}

static void send_all(int fd, const char *s)
{
	size_t n = strlen(s);
	if (write(fd, s, n) != (ssize_t)n)
		perror("write");
}

static char rbuf[512];

/* Send one command line, return the reply line. */
static const char *cmd(int fd, const char *line)
{
	send_all(fd, line);
	send_all(fd, "\n");
	if (rd_line(fd, rbuf, sizeof rbuf, TMO) < 0)
		snprintf(rbuf, sizeof rbuf, "(no reply)");
	return rbuf;
}

static int is(const char *got, const char *want)
{
	return strcmp(got, want) == 0;
}

static void keypad_tests(int s)
{
	const char *seq = "12*4711#";
	int keys_ok = 1;
	char trace[256] = "";
	for (const char *p = seq; *p; p++) {
		char c[16], want[16];
		snprintf(c, sizeof c, "press %c", *p);
		if (!is(cmd(s, c), "ok"))
			keys_ok = 0;
		snprintf(want, sizeof want, "key %c", *p);
		if (!is(next_event(), want))
			keys_ok = 0;
		strncat(trace, evbuf, sizeof trace - strlen(trace) - 2);
		strcat(trace, ",");
		if (*p == '#' && !is(next_event(), "pin 4711"))
			keys_ok = 0;
		if (!is(cmd(s, "release"), "ok") || !is(next_event(), "keyup"))
			keys_ok = 0;
	}
	ok(keys_ok, "matrix presses 1 2 * 4 7 1 1 # decode to the keys, then PIN 4711 (%s %s)",
	   trace, evbuf);
	ok(is(cmd(s, "get kp_row2"), "ok 1"), "after a scan every keypad row is driven again");
	ok(is(cmd(s, "key 9 400"), "ok") && is(next_event(), "key 9") && is(next_event(), "keyup"),
	   "'key 9 400' (timed press) gives key 9 then release");
	ok(is(cmd(s, "press 5"), "ok") && strncmp(cmd(s, "press 6"), "err", 3) == 0,
	   "a second press while one key is held is refused: %s", rbuf);
	ok(is(next_event(), "key 5") && is(cmd(s, "release"), "ok") && is(next_event(), "keyup"),
	   "the held key still decodes");
	ok(strncmp(cmd(s, "press Z"), "err", 3) == 0, "pressing a key not on the pad: %s", rbuf);
	ok(strncmp(cmd(s, "set kp_col1 1"), "err", 3) == 0,
	   "keypad columns cannot be set directly: %s", rbuf);
}

/* In-process API contract on the sim backend (no loop needed). */
static void api_tests(const char *dir)
{
	struct vault_gpio_config cfg;
	struct vault_gpio *g = NULL;
	char err[256];
	vault_gpio_config_defaults(&cfg);
	snprintf(cfg.sim_socket, sizeof cfg.sim_socket, "%s/no-such-dir/gpio.sock", dir);
	int r = vault_gpio_open(&vault_gpio_sim_ops, &cfg, &g, err, sizeof err);
	ok(r == -ENOENT && !g && strstr(err, "no-such-dir/gpio.sock"),
	   "sim socket in a missing directory: -ENOENT naming the path: %s", err);
	cfg.sim_socket[0] = 0;
	r = vault_gpio_open(&vault_gpio_sim_ops, &cfg, &g, err, sizeof err);
	ok(r == -EINVAL && !g, "empty sim socket path: -EINVAL (%s)", err);

	snprintf(cfg.sim_socket, sizeof cfg.sim_socket, "%s/api.sock", dir);
	cfg.line[VAULT_GPIO_SIREN].enabled = 0;
	cfg.line[VAULT_GPIO_BUZZER].initial = 1;
	r = vault_gpio_open(&vault_gpio_sim_ops, &cfg, &g, err, sizeof err);
	ok(r == 0 && g, "sim bank opens (%s)", err);
	if (!g)
		return;
	int v = -1;
	ok(vault_gpio_set(g, VAULT_GPIO_DOOR_A, 1) == -EINVAL, "setting an input: -EINVAL");
	ok(vault_gpio_set(g, VAULT_GPIO_SIREN, 1) == -ENODEV, "setting a disabled line: -ENODEV");
	ok(vault_gpio_set(g, VAULT_GPIO__COUNT, 1) == -EINVAL, "out-of-range line: -EINVAL");
	ok(vault_gpio_get(g, VAULT_GPIO_BUZZER, &v) == 0 && v == 1, "output starts at its initial level");
	v = -1;
	ok(vault_gpio_get(g, VAULT_GPIO_SIREN, &v) == -ENODEV && v == -1,
	   "get on a disabled line fails and leaves the output untouched");
	ok(vault_gpio_set(g, VAULT_GPIO_LOCK, 1) == 0 && vault_gpio_get(g, VAULT_GPIO_LOCK, &v) == 0 &&
		   v == 1,
	   "lock set to 1 reads back 1");
	vault_gpio_free(g);
	struct stat sb;
	ok(stat(cfg.sim_socket, &sb) < 0, "freeing the bank removes its socket");
}

int main(void)
{
	char dir[] = "/tmp/vault-gpio-XXXXXX";
	if (!mkdtemp(dir))
		tap_skip_all("mkdtemp: %s", strerror(errno));
	snprintf(sock_path, sizeof sock_path, "%s/gpio.sock", dir);
	api_tests(dir);
	int evp[2], ctlp[2];
	if (pipe(evp) < 0 || pipe(ctlp) < 0)
		tap_skip_all("pipe");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(evp[0]);
		close(ctlp[1]);
		_exit(daemon_child(evp[1], ctlp[0]));
	}
	close(evp[1]);
	close(ctlp[0]);
	evfd_parent = evp[0];

	ok(is(next_event(), "ready"), "daemon process opened the sim and attached to its loop (%s)",
	   evbuf);
	int s = connect_sim(), w = connect_sim();
	ok(s >= 0 && w >= 0, "outside process connects to the control socket");

	/* outputs readable from outside, active-low applied */
	cmd(s, "list");
	ok(strncmp(rbuf, "ok ", 3) == 0 && strstr(rbuf, " lock=out:0") &&
		   strstr(rbuf, " led_green=out:1") && strstr(rbuf, " led_red=out:0") &&
		   strstr(rbuf, " door_a=in:0") && !strstr(rbuf, "shredder_bin"),
	   "list shows enabled lines and physical levels: %s", rbuf);
	ok(is(cmd(s, "get led_green"), "ok 1"), "led_green driven on reads 1 from outside");
	ok(is(cmd(s, "get led_red"), "ok 0"),
	   "led_red (active-low) driven on reads physical 0 from outside");

	/* debounce */
	send_all(s, "set fire 1\nset fire 0\nset fire 1\n");
	int replies = 0;
	for (int i = 0; i < 3; i++)
		replies += rd_line(s, rbuf, sizeof rbuf, TMO) == 0 && is(rbuf, "ok");
	ok(replies == 3, "three bounce commands accepted");
	ok(is(next_event(), "line fire 1"), "bounces within the window: first event is fire 1 (%s)",
	   evbuf);
	ok(is(cmd(s, "set powerfail 1"), "ok") && is(next_event(), "line powerfail 1"),
	   "next event is the unrelated marker, so the bounces gave exactly one event (%s)", evbuf);
	ok(is(cmd(s, "set fire 0"), "ok") && is(next_event(), "line fire 0"),
	   "a change after the window gives another event (%s)", evbuf);
	send_all(s, "set fire 1\nset fire 0\nset powerfail 0\n");
	for (int i = 0; i < 3; i++)
		rd_line(s, rbuf, sizeof rbuf, TMO);
	ok(is(next_event(), "line powerfail 0"),
	   "a glitch returning to the stable level gives no event (%s)", evbuf);

	/* active-low input: physical high = inactive */
	ok(is(cmd(s, "get tamper"), "ok 1"), "tamper (active-low) idles physically high");
	ok(is(cmd(s, "set tamper 0"), "ok") && is(next_event(), "line tamper 1"),
	   "tamper pulled low reads logical 1 (%s)", evbuf);
	ok(is(cmd(s, "set tamper 1"), "ok") && is(next_event(), "line tamper 0"),
	   "tamper released reads logical 0 (%s)", evbuf);

	/* contact supervision */
	ok(is(cmd(s, "set door_a 1"), "ok") && is(next_event(), "line door_a 1"), "door_a closes");
	ok(is(next_event(), "contacts 1"), "door_b staying open past the window: contacts fault (%s)",
	   evbuf);
	ok(is(cmd(s, "set door_b 1"), "ok") && is(next_event(), "line door_b 1") &&
		   is(next_event(), "contacts 0"),
	   "door_b closing clears the fault (%s)", evbuf);

	/* outputs pushed to a watcher */
	ok(is(cmd(w, "watch"), "ok watching"), "watch accepted");
	ok(is(cmd(s, "set rex 1"), "ok") && is(next_event(), "line rex 1"), "rex pressed");
	ok(rd_line(w, rbuf, sizeof rbuf, TMO) == 0 && is(rbuf, "out lock 1"),
	   "watcher sees the lock energised: %s", rbuf);
	ok(is(cmd(s, "get lock"), "ok 1"), "lock reads 1 from outside");
	ok(is(cmd(s, "set rex 0"), "ok") && is(next_event(), "line rex 0") &&
		   rd_line(w, rbuf, sizeof rbuf, TMO) == 0 && is(rbuf, "out lock 0"),
	   "rex released: watcher sees the lock released: %s", rbuf);
	close(w);

	keypad_tests(s);

	/* bad input */
	ok(is(cmd(s, "set nosuch 1"), "err unknown line"), "unknown line: %s", rbuf);
	ok(is(cmd(s, "set shredder_bin 1"), "err line not configured"), "disabled line: %s", rbuf);
	ok(is(cmd(s, "frobnicate the door"), "err unknown command"), "garbage command: %s", rbuf);
	ok(strncmp(cmd(s, "set door_a 2"), "err", 3) == 0, "level 2: %s", rbuf);
	ok(is(cmd(s, "set lock 1"), "err not an input"), "setting an output from outside: %s", rbuf);
	ok(strncmp(cmd(s, ""), "err", 3) == 0, "empty line: %s", rbuf);
	char longl[1200];
	memset(longl, 'x', sizeof longl - 1);
	longl[sizeof longl - 1] = 0;
	ok(is(cmd(s, longl), "err line too long"), "a 1199-byte line: %s", rbuf);
	ok(is(cmd(s, "get lock"), "ok 0"), "the connection works after an overlong line");
	if (write(s, "se\0t door_a 1\n", 14) != 14)
		perror("write");
	send_all(s, "get lock\n");
	ok(rd_line(s, rbuf, sizeof rbuf, TMO) == 0 && strncmp(rbuf, "err", 3) == 0,
	   "a NUL byte in a command: %s", rbuf);
	ok(rd_line(s, rbuf, sizeof rbuf, TMO) == 0 && is(rbuf, "ok 0"), "next command still answered");
	int s2 = connect_sim();
	send_all(s2, "set door_a"); /* half a line, then hang up */
	close(s2);
	ok(strncmp(cmd(s, "list"), "ok ", 3) == 0,
	   "a client hanging up mid-line does not disturb the sim");
	ok(is(cmd(s, "quit"), "ok bye") && rd_line(s, rbuf, sizeof rbuf, 2000) < 0,
	   "quit answers and closes the connection");
	close(s);

	close(ctlp[1]);
	int st = -1;
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "daemon process survived everything and exited 0");
	struct stat sb;
	ok(stat(sock_path, &sb) < 0 && errno == ENOENT, "the control socket is removed on close");
	rmdir(dir);
	return tap_done();
}
