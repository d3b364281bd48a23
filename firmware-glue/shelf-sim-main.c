/* SPDX-License-Identifier: MIT */
/*
 * shelf-sim: shelf-node firmware cores served as Modbus TCP on 127.0.0.1 and/or
 * Modbus RTU on a pseudo-terminal with several slave ids on one line, driven
 * through a UNIX control socket (protocol: vault/tagsim.h, plus "quit").
 *
 *   shelf-sim [--tcp PORT] [--tcp-slaves ID[:ANT],...] [--rtu-link PATH]
 *             [--slaves ID[:ANT],...] [--control PATH] [--max-tags N]
 *             [--appear K] [--vanish M] [--scan-ms MS]
 *
 * Port 0 picks a free port. On start it prints, one per line: "tcp_port=N",
 * "rtu=PATH" and "rtu_pty=/dev/pts/N", "control=PATH", then "ready".
 *
 * The Modbus framing is done here, not by libmodbus's server: its RTU server takes
 * a request for another slave id as the start of that slave's reply exchange and
 * swallows the next frame, which breaks a line with several ids. Here every RTU
 * frame is delimited by its function code, CRC-checked, and answered only when it
 * names a slave of this line; the others are ignored as real nodes would.
 */
#include "shelf_regmap.h"
#include "vault/tagsim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 16
#define RX_MAX 512
/* A partial RTU frame older than this is line noise: drop it (the 3.5-character
 * gap of a real line; a pty has no timing). */
#define RTU_STALE_MS 50

struct conn {
	int fd;
	size_t len;
	uint8_t buf[RX_MAX];
};

static volatile sig_atomic_t quit_flag;
static struct vault_tagsim *sim;
static bool on_rtu[256], on_tcp[256];
static char *rtu_link, *ctl_path;

static void on_signal(int sig)
{
	(void)sig;
	quit_flag = 1;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint16_t crc16(const uint8_t *p, size_t n)
{
	uint16_t crc = 0xFFFF;
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc =
			    (crc & 1) ? (uint16_t)((crc >> 1) ^ 0xA001) : (uint16_t)(crc >> 1);
	}
	return crc;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pf = {.fd = fd, .events = POLLOUT};
				poll(&pf, 1, 100);
				continue;
			}
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

enum { NO_REPLY = -1 };

static size_t exception(uint8_t fc, uint8_t code, uint8_t *rsp)
{
	rsp[0] = (uint8_t)(fc | 0x80);
	rsp[1] = code;
	return 2;
}

/*
 * One request PDU for `slave` -> response PDU. Returns its length, or NO_REPLY.
 * *damage is set when the reply must reach the client damaged (GARBLE_CRC).
 */
static int handle_pdu(int slave, const uint8_t *req, size_t n, uint8_t *rsp, bool *damage)
{
	uint8_t fc = req[0];
	*damage = false;
	if (fc == 0x03 || fc == 0x04) {
		if (n != 5)
			return (int)exception(fc, 0x03, rsp);
		unsigned addr = (unsigned)(req[1] << 8 | req[2]),
			 count = (unsigned)(req[3] << 8 | req[4]);
		if (count < 1 || count > SHELF_MAX_READ_WORDS)
			return (int)exception(fc, 0x03, rsp);
		uint16_t w[SHELF_MAX_READ_WORDS];
		int r = fc == 0x04 ? vault_tagsim_read_input(sim, slave, addr, count, w)
				   : vault_tagsim_read_holding(sim, slave, addr, count, w);
		if (r == -EBADMSG) {
			*damage = true;
			r = (int)count;
		}
		if (r == -ENODEV || r == -ETIMEDOUT)
			return NO_REPLY;
		if (r == -ERANGE)
			return (int)exception(fc, 0x02, rsp);
		if (r < 0)
			return (int)exception(fc, 0x03, rsp);
		rsp[0] = fc;
		rsp[1] = (uint8_t)(2 * r);
		for (int i = 0; i < r; i++) {
			rsp[2 + 2 * i] = (uint8_t)(w[i] >> 8);
			rsp[3 + 2 * i] = (uint8_t)w[i];
		}
		return 2 + 2 * r;
	}
	if (fc == 0x06) {
		if (n != 5)
			return (int)exception(fc, 0x03, rsp);
		int r = vault_tagsim_write_holding(sim, slave, (unsigned)(req[1] << 8 | req[2]),
						   (uint16_t)(req[3] << 8 | req[4]));
		if (r == -ENODEV || r == -ETIMEDOUT)
			return NO_REPLY;
		if (r == -ERANGE)
			return (int)exception(fc, 0x02, rsp);
		if (r < 0)
			return (int)exception(fc, 0x03, rsp);
		memcpy(rsp, req, 5);
		return 5;
	}
	return (int)exception(fc, 0x01, rsp);
}

/* Expected RTU request length from its first bytes; 0 = need more; -1 = unknown. */
static int rtu_frame_len(const uint8_t *b, size_t n)
{
	if (n < 2)
		return 0;
	switch (b[1]) {
	case 0x03:
	case 0x04:
	case 0x06:
		return 8;
	case 0x10:
		return n < 7 ? 0 : 9 + b[6];
	default:
		return -1;
	}
}

static void rtu_input(int fd, struct conn *c)
{
	for (;;) {
		int need = rtu_frame_len(c->buf, c->len);
		if (need < 0 || (size_t)need > RX_MAX) {
			c->len = 0; /* cannot delimit: resynchronise on the next frame */
			return;
		}
		if (need == 0 || c->len < (size_t)need)
			return;
		const uint8_t *f = c->buf;
		uint16_t crc = crc16(f, (size_t)need - 2);
		bool good = f[need - 2] == (crc & 0xFF) && f[need - 1] == (crc >> 8);
		int slave = f[0];
		if (good && slave != 0 && on_rtu[slave]) {
			uint8_t rsp[2 + 2 * SHELF_MAX_READ_WORDS + 3];
			bool damage;
			int n = handle_pdu(slave, f + 1, (size_t)need - 3, rsp + 1, &damage);
			if (n >= 0) {
				rsp[0] = (uint8_t)slave;
				uint16_t rc = crc16(rsp, (size_t)n + 1);
				rsp[n + 1] = (uint8_t)(rc & 0xFF);
				rsp[n + 2] = (uint8_t)(rc >> 8);
				if (damage)
					rsp[n + 2] ^= 0x5A;
				write_all(fd, rsp, (size_t)n + 3);
			}
		}
		memmove(c->buf, c->buf + need, c->len - (size_t)need);
		c->len -= (size_t)need;
	}
}

/* Returns -1 when the connection must be closed. */
static int tcp_input(struct conn *c)
{
	for (;;) {
		if (c->len < 7)
			return 0;
		unsigned len = (unsigned)(c->buf[4] << 8 | c->buf[5]);
		if (c->buf[2] || c->buf[3] || len < 2 || len > 254)
			return -1; /* not Modbus: drop the peer */
		size_t total = 6 + len;
		if (c->len < total)
			return 0;
		int unit = c->buf[6];
		uint8_t rsp[7 + 2 + 2 * SHELF_MAX_READ_WORDS];
		bool damage = false;
		int n;
		if (!on_tcp[unit])
			n = (int)exception(c->buf[7], 0x0B,
					   rsp + 7); /* gateway: no such target */
		else
			n = handle_pdu(unit, c->buf + 7, len - 1, rsp + 7, &damage);
		if (n >= 0) {
			if (damage && n > 4) {
				/* TCP has no CRC: damage the framing instead (the byte
				 * count covers one register less than sent). */
				rsp[8] = (uint8_t)(rsp[8] - 2);
			}
			memcpy(rsp, c->buf, 4);
			rsp[4] = (uint8_t)((n + 1) >> 8);
			rsp[5] = (uint8_t)(n + 1);
			rsp[6] = (uint8_t)unit;
			if (write_all(c->fd, rsp, 7 + (size_t)n) < 0)
				return -1;
		}
		memmove(c->buf, c->buf + total, c->len - total);
		c->len -= total;
	}
}

static int parse_slaves(const char *arg, bool *set, int *ants, int def_ant)
{
	char *dup = strdup(arg), *save = NULL;
	int r = 0;
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(t, ':'), *end;
		long id = strtol(t, &end, 10);
		long a = def_ant;
		if (end == t || (*end && *end != ':') || id < 1 || id > 247) {
			r = -1;
			break;
		}
		if (colon) {
			a = strtol(colon + 1, &end, 10);
			if (*end || a < 1 || a > (long)SHELF_MAX_ANTENNAS) {
				r = -1;
				break;
			}
		}
		if (on_rtu[id] || on_tcp[id]) {
			r = -1; /* one id, one node */
			break;
		}
		set[id] = true;
		ants[id] = (int)a;
	}
	free(dup);
	return r;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: shelf-sim [--tcp PORT] [--tcp-slaves ID[:ANT],...] [--rtu-link PATH]\n"
		"                 [--slaves ID[:ANT],...] [--control PATH] [--max-tags N]\n"
		"                 [--appear K] [--vanish M] [--scan-ms MS]\n");
}

static int tcp_listen(int port, int *ret_port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof a;
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 8) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	*ret_port = ntohs(a.sin_port);
	return fd;
}

static int unix_listen(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof a.sun_path)
		return -ENAMETOOLONG;
	strcpy(a.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 4) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static int make_pty(const char *link, int *ret_keep, char *name, size_t namesz)
{
	int m, s;
	if (openpty(&m, &s, NULL, NULL, NULL) < 0)
		return -errno;
	struct termios t;
	/* Raw on both ends before any client: with the default ECHO the slave would
	 * send our replies straight back to us as requests. */
	tcgetattr(s, &t);
	cfmakeraw(&t);
	tcsetattr(s, TCSANOW, &t);
	tcgetattr(m, &t);
	cfmakeraw(&t);
	tcsetattr(m, TCSANOW, &t);
	if (ptsname_r(m, name, namesz) != 0) {
		close(m);
		close(s);
		return -EIO;
	}
	struct stat st;
	if (lstat(link, &st) == 0 && S_ISLNK(st.st_mode))
		unlink(link);
	if (symlink(name, link) < 0) {
		int e = -errno;
		close(m);
		close(s);
		return e;
	}
	fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK);
	/* We keep the slave open ourselves: otherwise the master reports hang-up (and
	 * poll spins) whenever no client has the line open. */
	*ret_keep = s;
	return m;
}

static void cleanup(void)
{
	if (rtu_link)
		unlink(rtu_link);
	if (ctl_path)
		unlink(ctl_path);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"tcp", required_argument, 0, 't'},
					     {"tcp-slaves", required_argument, 0, 'T'},
					     {"rtu-link", required_argument, 0, 'r'},
					     {"slaves", required_argument, 0, 's'},
					     {"control", required_argument, 0, 'c'},
					     {"max-tags", required_argument, 0, 'm'},
					     {"appear", required_argument, 0, 'K'},
					     {"vanish", required_argument, 0, 'M'},
					     {"scan-ms", required_argument, 0, 'i'},
					     {"help", no_argument, 0, 'h'},
					     {0, 0, 0, 0}};
	int tcp_port = -1, max_tags = (int)SHELF_MAX_TAGS, appear = 2, vanish = 2, scan_ms = 20;
	int ants[256] = {0};
	const char *rtu_spec = NULL, *tcp_spec = NULL;
	int o;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 't':
			tcp_port = atoi(optarg);
			break;
		case 'T':
			tcp_spec = optarg;
			break;
		case 'r':
			rtu_link = optarg;
			break;
		case 's':
			rtu_spec = optarg;
			break;
		case 'c':
			ctl_path = optarg;
			break;
		case 'm':
			max_tags = atoi(optarg);
			break;
		case 'K':
			appear = atoi(optarg);
			break;
		case 'M':
			vanish = atoi(optarg);
			break;
		case 'i':
			scan_ms = atoi(optarg);
			break;
		default:
			usage();
			return o == 'h' ? 0 : 2;
		}
	}
	if ((rtu_spec && parse_slaves(rtu_spec, on_rtu, ants, 4) < 0) ||
	    (tcp_spec && parse_slaves(tcp_spec, on_tcp, ants, 1) < 0) ||
	    (rtu_spec && !rtu_link) || (tcp_spec && tcp_port < 0) || tcp_port > 65535 ||
	    scan_ms < 1 || scan_ms > 60000 || (!rtu_spec && !tcp_spec)) {
		usage();
		return 2;
	}
	if (vault_tagsim_new((unsigned)appear, (unsigned)vanish, &sim) < 0) {
		fprintf(stderr, "shelf-sim: bad debounce counts\n");
		return 2;
	}
	for (int id = 1; id < 256; id++)
		if ((on_rtu[id] || on_tcp[id]) &&
		    vault_tagsim_add(sim, id, (unsigned)ants[id], (unsigned)max_tags) < 0) {
			fprintf(stderr, "shelf-sim: cannot create node %d\n", id);
			return 2;
		}

	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	int lfd = -1, mfd = -1, keep = -1, cfd = -1, port = 0;
	char ptyname[64] = "";
	if (tcp_spec && (lfd = tcp_listen(tcp_port, &port)) < 0) {
		fprintf(stderr, "shelf-sim: tcp: %s\n", strerror(-lfd));
		return 1;
	}
	if (rtu_spec && (mfd = make_pty(rtu_link, &keep, ptyname, sizeof ptyname)) < 0) {
		fprintf(stderr, "shelf-sim: pty: %s\n", strerror(-mfd));
		return 1;
	}
	if (ctl_path && (cfd = unix_listen(ctl_path)) < 0) {
		fprintf(stderr, "shelf-sim: control: %s\n", strerror(-cfd));
		cleanup();
		return 1;
	}
	if (lfd >= 0)
		printf("tcp_port=%d\n", port);
	if (mfd >= 0)
		printf("rtu=%s\nrtu_pty=%s\n", rtu_link, ptyname);
	if (cfd >= 0)
		printf("control=%s\n", ctl_path);
	printf("ready\n");
	fflush(stdout);

	static struct conn tcpc[MAX_CLIENTS], ctlc[MAX_CLIENTS], rtu;
	for (int i = 0; i < MAX_CLIENTS; i++)
		tcpc[i].fd = ctlc[i].fd = -1;
	int64_t next_scan = now_ms() + scan_ms, rtu_last = 0;

	while (!quit_flag) {
		struct pollfd pf[3 + 2 * MAX_CLIENTS];
		int np = 0;
		pf[np++] = (struct pollfd){.fd = lfd, .events = POLLIN};
		pf[np++] = (struct pollfd){.fd = mfd, .events = POLLIN};
		pf[np++] = (struct pollfd){.fd = cfd, .events = POLLIN};
		for (int i = 0; i < MAX_CLIENTS; i++) {
			pf[np++] = (struct pollfd){.fd = tcpc[i].fd, .events = POLLIN};
			pf[np++] = (struct pollfd){.fd = ctlc[i].fd, .events = POLLIN};
		}
		int64_t now = now_ms();
		int timeout = (int)(next_scan > now ? next_scan - now : 0);
		if (rtu.len && timeout > RTU_STALE_MS)
			timeout = RTU_STALE_MS;
		if (poll(pf, (nfds_t)np, timeout) < 0 && errno != EINTR)
			break;
		now = now_ms();
		if (now >= next_scan) {
			vault_tagsim_scan(sim);
			next_scan = now + scan_ms;
		}
		if (rtu.len && now - rtu_last > RTU_STALE_MS)
			rtu.len = 0;
		if (lfd >= 0 && (pf[0].revents & POLLIN)) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			int i = 0;
			while (fd >= 0 && i < MAX_CLIENTS && tcpc[i].fd >= 0)
				i++;
			if (fd >= 0 && i < MAX_CLIENTS)
				tcpc[i] = (struct conn){.fd = fd};
			else if (fd >= 0)
				close(fd);
		}
		if (mfd >= 0 && (pf[1].revents & POLLIN)) {
			ssize_t n = read(mfd, rtu.buf + rtu.len, RX_MAX - rtu.len);
			if (n > 0) {
				rtu.len += (size_t)n;
				rtu_last = now;
				rtu_input(mfd, &rtu);
				if (rtu.len == RX_MAX)
					rtu.len = 0;
			}
		}
		if (cfd >= 0 && (pf[2].revents & POLLIN)) {
			int fd = accept4(cfd, NULL, NULL, SOCK_CLOEXEC);
			int i = 0;
			while (fd >= 0 && i < MAX_CLIENTS && ctlc[i].fd >= 0)
				i++;
			if (fd >= 0 && i < MAX_CLIENTS)
				ctlc[i] = (struct conn){.fd = fd};
			else if (fd >= 0)
				close(fd);
		}
		for (int i = 0; i < MAX_CLIENTS; i++) {
			struct pollfd *tp = &pf[3 + 2 * i], *cp = &pf[4 + 2 * i];
			if (tcpc[i].fd >= 0 && (tp->revents & (POLLIN | POLLHUP | POLLERR))) {
				struct conn *c = &tcpc[i];
				ssize_t n = read(c->fd, c->buf + c->len, RX_MAX - c->len);
				if (n <= 0 || (c->len += (size_t)n, tcp_input(c) < 0)) {
					close(c->fd);
					c->fd = -1;
					c->len = 0;
				}
			}
			if (ctlc[i].fd >= 0 && (cp->revents & (POLLIN | POLLHUP | POLLERR))) {
				struct conn *c = &ctlc[i];
				ssize_t n = read(c->fd, c->buf + c->len, RX_MAX - 1 - c->len);
				if (n <= 0) {
					close(c->fd);
					c->fd = -1;
					c->len = 0;
					continue;
				}
				c->len += (size_t)n;
				char *nl;
				while (c->fd >= 0 && (nl = memchr(c->buf, '\n', c->len))) {
					*nl = 0;
					char reply[4096];
					if (!strcmp((char *)c->buf, "quit")) {
						quit_flag = 1;
						snprintf(reply, sizeof reply, "ok");
					} else {
						vault_tagsim_command(sim, (char *)c->buf, reply,
								     sizeof reply - 1);
					}
					strcat(reply, "\n");
					write_all(c->fd, (uint8_t *)reply, strlen(reply));
					size_t used = (size_t)(nl - (char *)c->buf) + 1;
					memmove(c->buf, c->buf + used, c->len - used);
					c->len -= used;
				}
				if (c->len >= RX_MAX - 1) { /* a line too long: drop the peer */
					close(c->fd);
					c->fd = -1;
					c->len = 0;
				}
			}
		}
	}
	cleanup();
	vault_tagsim_free(sim);
	if (keep >= 0)
		close(keep);
	return 0;
}
