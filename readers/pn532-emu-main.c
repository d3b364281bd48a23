/* SPDX-License-Identifier: MIT */
/*
 * pn532-emu --link PATH --control SOCKET
 * A PN532 on a pseudo-terminal (PATH is a symlink to the slave) for libnfc's
 * pn532_uart driver, with cards placed and removed over a line protocol on a UNIX
 * stream socket: one command per line, one "ok [data]" / "err <reason>" line back.
 */
#include "vault/pn532_emu.h"
#include "vault/util.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_CLIENTS 8

struct client {
	int fd;
	char buf[512];
	size_t len;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int listen_unix(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (vault_strlcpy(a.sun_path, path, sizeof a.sun_path) < 0)
		return -ENAMETOOLONG;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 4) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static void usage(void)
{
	fprintf(stderr, "usage: pn532-emu --link PATH --control SOCKET\n");
}

/* Returns 1 when a client asked to quit. */
static int client_input(struct vault_pn532_emu *e, struct client *c)
{
	ssize_t k = read(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len);
	if (k <= 0) {
		close(c->fd);
		c->fd = -1;
		return 0;
	}
	c->len += (size_t)k;
	int quit = 0;
	char *nl;
	while ((nl = memchr(c->buf, '\n', c->len))) {
		char reply[256];
		*nl = 0;
		if (vault_pn532_emu_control(e, c->buf, reply, sizeof reply) == 1)
			quit = 1;
		size_t rl = strlen(reply);
		reply[rl++] = '\n';
		if (write(c->fd, reply, rl) < 0) {
			/* a client that went away only loses its answer */
		}
		size_t used = (size_t)(nl - c->buf) + 1;
		memmove(c->buf, nl + 1, c->len - used);
		c->len -= used;
	}
	if (c->len == sizeof c->buf - 1) {
		/* An over-long line: refuse it and resynchronise. */
		const char *m = "err line too long\n";
		if (write(c->fd, m, strlen(m)) < 0) {
		}
		c->len = 0;
	}
	return quit;
}

int main(int argc, char **argv)
{
	const char *link_path = NULL, *ctl_path = NULL;
	static const struct option opts[] = {{"link", required_argument, NULL, 'l'},
					     {"control", required_argument, NULL, 'c'},
					     {NULL, 0, NULL, 0}};
	int o;
	while ((o = getopt_long(argc, argv, "l:c:", opts, NULL)) != -1) {
		if (o == 'l')
			link_path = optarg;
		else if (o == 'c')
			ctl_path = optarg;
		else {
			usage();
			return 2;
		}
	}
	if (!link_path || !ctl_path) {
		usage();
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	struct vault_pn532_emu *e;
	int r = vault_pn532_emu_new(&e);
	if (r < 0) {
		fprintf(stderr, "pn532-emu: openpty: %s\n", strerror(-r));
		return 1;
	}
	unlink(link_path);
	if (symlink(vault_pn532_emu_slave_path(e), link_path) < 0) {
		fprintf(stderr, "pn532-emu: symlink %s: %s\n", link_path, strerror(errno));
		vault_pn532_emu_free(e);
		return 1;
	}
	int lfd = listen_unix(ctl_path);
	if (lfd < 0) {
		fprintf(stderr, "pn532-emu: control socket %s: %s\n", ctl_path, strerror(-lfd));
		unlink(link_path);
		vault_pn532_emu_free(e);
		return 1;
	}
	printf("ready %s\n", vault_pn532_emu_slave_path(e));
	fflush(stdout);

	struct client cl[MAX_CLIENTS];
	for (int i = 0; i < MAX_CLIENTS; i++)
		cl[i].fd = -1;
	int quit = 0, rc = 0;
	while (!stop && !quit) {
		struct pollfd p[2 + MAX_CLIENTS];
		int map[2 + MAX_CLIENTS], n = 0;
		p[n] = (struct pollfd){.fd = vault_pn532_emu_fd(e), .events = POLLIN};
		map[n++] = -1;
		p[n] = (struct pollfd){.fd = lfd, .events = POLLIN};
		map[n++] = -2;
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (cl[i].fd >= 0) {
				p[n] = (struct pollfd){.fd = cl[i].fd, .events = POLLIN};
				map[n++] = i;
			}
		if (poll(p, (nfds_t)n, 1000) < 0) {
			if (errno == EINTR)
				continue;
			rc = 1;
			break;
		}
		for (int i = 0; i < n; i++) {
			if (!p[i].revents)
				continue;
			if (map[i] == -1) {
				if ((r = vault_pn532_emu_dispatch(e)) < 0 && r != -EIO) {
					fprintf(stderr, "pn532-emu: pty: %s\n", strerror(-r));
					rc = 1;
					quit = 1;
				}
			} else if (map[i] == -2) {
				int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
				int slot = -1;
				for (int k = 0; k < MAX_CLIENTS && fd >= 0; k++)
					if (cl[k].fd < 0) {
						slot = k;
						break;
					}
				if (slot < 0) {
					if (fd >= 0)
						close(fd);
				} else {
					cl[slot].fd = fd;
					cl[slot].len = 0;
				}
			} else if (client_input(e, &cl[map[i]])) {
				quit = 1;
			}
		}
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (cl[i].fd >= 0)
			close(cl[i].fd);
	close(lfd);
	unlink(ctl_path);
	unlink(link_path);
	vault_pn532_emu_free(e);
	return rc;
}
