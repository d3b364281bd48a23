/* SPDX-License-Identifier: MIT */
/*
 * gpio-simd: demo daemon on the GPIO sim backend. Opens every line on a sim
 * control socket, runs the loop, and prints each logical event on stdout:
 *   ready | line <name> <0|1> | key pressed | key released |
 *   pin entered (<n> digits) | contacts disagree | contacts agree | error <errno>
 * Demo logic, so a script can follow from outside through the outputs: the lock
 * is energised while REX is active; the buzzer sounds while a key is held; the
 * green LED lights when a PIN is entered (off at the next key); the siren sounds
 * while the door contacts disagree.
 * Keys and PINs are not printed: the habit matters even in a demo.
 *
 *   gpio-simd --socket PATH [--active-low LINE]... [--disable LINE]...
 *             [--debounce MS] [--contacts-ms MS] [--initial LINE=0|1]...
 */
#include "vault/gpio.h"
#include "vault/loop.h"
#include "vault/util.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void idle(struct vault_loop *l, void *ud)
{
	if (stop)
		vault_loop_quit(l);
}

static void on_event(struct vault_gpio *g, const struct vault_gpio_event *ev, void *ud)
{
	switch (ev->kind) {
	case VAULT_GPIO_EV_LINE:
		printf("line %s %d\n", vault_gpio_line_name(ev->line), ev->level);
		if (ev->line == VAULT_GPIO_REX)
			vault_gpio_set(g, VAULT_GPIO_LOCK, ev->level);
		break;
	case VAULT_GPIO_EV_KEY:
		printf("key pressed\n");
		vault_gpio_set(g, VAULT_GPIO_LED_GREEN, 0);
		vault_gpio_set(g, VAULT_GPIO_BUZZER, 1);
		break;
	case VAULT_GPIO_EV_KEY_UP:
		printf("key released\n");
		vault_gpio_set(g, VAULT_GPIO_BUZZER, 0);
		break;
	case VAULT_GPIO_EV_PIN:
		printf("pin entered (%zu digits)\n", strlen(ev->pin));
		vault_gpio_set(g, VAULT_GPIO_LED_GREEN, 1);
		break;
	case VAULT_GPIO_EV_CONTACTS:
		printf("contacts %s\n", ev->level ? "disagree" : "agree");
		vault_gpio_set(g, VAULT_GPIO_SIREN, ev->level);
		break;
	case VAULT_GPIO_EV_ERROR:
		printf("error %d\n", ev->level);
		vault_loop_quit(ud);
		break;
	}
}

static int line_arg(const char *s, enum vault_gpio_line *ret)
{
	if (vault_gpio_line_from_name(s, ret) < 0) {
		fprintf(stderr, "gpio-simd: unknown line '%s'\n", s);
		return -ENOENT;
	}
	return 0;
}

static int ms_arg(const char *s, unsigned *ret)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > 600000) {
		fprintf(stderr, "gpio-simd: bad milliseconds '%s'\n", s);
		return -EINVAL;
	}
	*ret = (unsigned)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"active-low", required_argument, NULL, 'a'},
		{"disable", required_argument, NULL, 'd'},
		{"debounce", required_argument, NULL, 'b'},
		{"contacts-ms", required_argument, NULL, 'c'},
		{"initial", required_argument, NULL, 'i'},
		{0},
	};
	struct vault_gpio_config cfg;
	enum vault_gpio_line l;
	unsigned ms;
	int c;
	vault_gpio_config_defaults(&cfg);
	while ((c = getopt_long(argc, argv, "s:a:d:b:c:i:", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (vault_strlcpy(cfg.sim_socket, optarg, sizeof cfg.sim_socket) < 0) {
				fprintf(stderr, "gpio-simd: socket path too long\n");
				return 2;
			}
			break;
		case 'a':
			if (line_arg(optarg, &l) < 0)
				return 2;
			cfg.line[l].active_low = 1;
			break;
		case 'd':
			if (line_arg(optarg, &l) < 0)
				return 2;
			cfg.line[l].enabled = 0;
			break;
		case 'b':
			if (ms_arg(optarg, &ms) < 0)
				return 2;
			for (unsigned i = 0; i < VAULT_GPIO__COUNT; i++)
				if (cfg.line[i].direction == VAULT_GPIO_IN)
					cfg.line[i].debounce_ms = ms;
			break;
		case 'c':
			if (ms_arg(optarg, &cfg.contacts_window_ms) < 0)
				return 2;
			break;
		case 'i': {
			char name[VAULT_GPIO_NAME_MAX];
			const char *eq = strchr(optarg, '=');
			if (!eq || (size_t)(eq - optarg) >= sizeof name || (strcmp(eq, "=0") && strcmp(eq, "=1"))) {
				fprintf(stderr, "gpio-simd: --initial wants LINE=0|1\n");
				return 2;
			}
			memcpy(name, optarg, (size_t)(eq - optarg));
			name[eq - optarg] = 0;
			if (line_arg(name, &l) < 0)
				return 2;
			cfg.line[l].initial = eq[1] == '1';
			break;
		}
		default:
			fprintf(stderr, "usage: gpio-simd --socket PATH [--active-low LINE]... "
					"[--disable LINE]... [--debounce MS] [--contacts-ms MS] "
					"[--initial LINE=0|1]...\n");
			return 2;
		}
	}
	if (!cfg.sim_socket[0]) {
		fprintf(stderr, "gpio-simd: --socket PATH is required\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	sigset_t block, wait_mask;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &wait_mask);
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	struct vault_loop *loop;
	struct vault_gpio *g;
	char err[256];
	int r = vault_loop_new(&loop);
	if (r < 0) {
		fprintf(stderr, "gpio-simd: loop: %s\n", strerror(-r));
		return 1;
	}
	r = vault_gpio_open(&vault_gpio_sim_ops, &cfg, &g, err, sizeof err);
	if (r < 0) {
		fprintf(stderr, "gpio-simd: %s\n", err[0] ? err : strerror(-r));
		vault_loop_free(loop);
		return 1;
	}
	r = vault_gpio_attach(g, loop, on_event, loop);
	if (r < 0) {
		fprintf(stderr, "gpio-simd: attach: %s\n", strerror(-r));
		vault_gpio_free(g);
		vault_loop_free(loop);
		return 1;
	}
	vault_loop_set_idle(loop, idle, NULL);
	printf("ready\n");
	r = vault_loop_run(loop, &wait_mask);
	vault_gpio_free(g);
	vault_loop_free(loop);
	return r < 0 ? 1 : 0;
}
