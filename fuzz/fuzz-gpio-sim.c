/* SPDX-License-Identifier: MIT */
/* libFuzzer: arbitrary bytes from a client on the GPIO sim's control socket. The
 * sim must answer or drop the client, never crash, and keep serving, unless the
 * input holds the "fail" command (fault injection: the bank is dead from then
 * on, every read_events() is -EIO); then the next input gets a new sim. */
#include "vault/gpio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void *st;
static struct sockaddr_un sa = {.sun_family = AF_UNIX};

static int failed; /* read_events() said the bank is dead */

static void rd(struct vault_gpio_raw_event *ev)
{
	if (vault_gpio_sim_ops.read_events(st, ev, 64) == -EIO)
		failed = 1;
}

static void drain(int fd)
{
	char buf[4096];
	while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
		;
}

static void cleanup(void)
{
	vault_gpio_sim_ops.close(st); /* removes the socket file */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vault_gpio_raw_event ev[64];
	if (!st) {
		struct vault_gpio_config cfg;
		char err[256];
		vault_gpio_config_defaults(&cfg);
		cfg.line[VAULT_GPIO_LED_RED].active_low = 1;
		cfg.line[VAULT_GPIO_SHREDDER_BIN].enabled = 0;
		snprintf(cfg.sim_socket, sizeof cfg.sim_socket, "/tmp/vault-fuzz-gpio-%d.sock",
			 (int)getpid());
		memcpy(sa.sun_path, cfg.sim_socket, strlen(cfg.sim_socket) + 1);
		if (vault_gpio_sim_ops.open(&cfg, &st, err, sizeof err) < 0) {
			fprintf(stderr, "%s\n", err);
			abort();
		}
		static int registered;
		if (!registered++)
			atexit(cleanup);
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		abort();
	size_t off = 0;
	for (int round = 0; round < 1000 && off < size; round++) {
		ssize_t w = send(fd, data + off, size - off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w > 0)
			off += (size_t)w;
		else if (w < 0 && errno != EAGAIN)
			break; /* dropped by the sim: allowed */
		rd(ev);
		drain(fd);
	}
	for (int i = 0; i < 4; i++) {
		rd(ev);
		drain(fd);
	}
	close(fd);
	if (failed) { /* as intended: a new sim for the next input */
		vault_gpio_sim_ops.close(st);
		st = NULL;
		failed = 0;
		return 0;
	}
	/* the sim still answers a fresh client */
	rd(ev);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		abort();
	if (send(fd, "get lock\n", 9, MSG_NOSIGNAL) != 9)
		abort();
	char buf[64] = "";
	for (int i = 0; i < 100 && !strchr(buf, '\n'); i++) {
		rd(ev);
		ssize_t r = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
		if (r > 0)
			buf[r] = 0;
	}
	if (strncmp(buf, "ok ", 3) != 0)
		abort();
	close(fd);
	rd(ev);
	return 0;
}
