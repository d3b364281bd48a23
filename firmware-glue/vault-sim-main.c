/* SPDX-License-Identifier: MIT */
/*
 * vault-sim: scenario runner for the simulators (GPIO sim, PN532 emulator, shelf
 * sim). Every simulator listens on a UNIX stream socket and speaks one protocol:
 * one command line in, one reply line "ok [data]" or "err <reason>" out; other
 * lines (e.g. "out lock 1" after "watch") are asynchronous notices.
 *
 *   vault-sim [--target NAME=SOCKET]... [--timeout MS] [--keep-going] [SCRIPT|-]
 *
 * Script language (also for demos and manual use; stdin when no SCRIPT):
 *   # comment                        ignored (as are blank lines)
 *   echo <text>                      print text
 *   sleep <ms>                       pause
 *   <target> <command ...>           send the command verbatim, print the reply;
 *                                    an "err" reply fails the script unless
 *                                    --keep-going
 *   expect <target> <command> -> <substring>
 *                                    fail unless the reply contains substring
 *   wait <target> <substring>        wait (up to the timeout) for an asynchronous
 *                                    line containing substring; each line
 *                                    satisfies one wait, in any order
 *   timeout <ms>                     set the timeout for the following steps
 * Exit status: 0 all passed, 1 a step failed, 2 usage or script error.
 * Every socket operation has a timeout (--timeout, default 2000 ms); connecting
 * retries until then, so a simulator that is still starting is waited for.
 */
#include "vault/util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_TARGETS 16
#define SCRIPT_LINE_MAX 4096
#define REPLY_MAX 4096
#define ASYNC_MAX 64

struct target {
	char name[32];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd;
	char buf[REPLY_MAX];
	size_t n;
	char *async[ASYNC_MAX]; /* pushed lines not yet waited for */
	int nasync;
};

static struct target targets[MAX_TARGETS];
static int ntargets;
static int timeout_ms = 2000;
static int keep_going;
static const char *script_name = "<stdin>";
static int lineno;

__attribute__((format(printf, 1, 2))) static void fail(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "vault-sim: %s:%d: ", script_name, lineno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int64_t now_ms(void)
{
	return vault_now_mono_us() / 1000;
}

static struct target *find_target(const char *name)
{
	for (int i = 0; i < ntargets; i++)
		if (strcmp(targets[i].name, name) == 0)
			return &targets[i];
	return NULL;
}

static int add_target(const char *spec)
{
	const char *eq = strchr(spec, '=');
	if (!eq || eq == spec || !eq[1]) {
		fprintf(stderr, "vault-sim: --target wants NAME=SOCKETPATH, got '%s'\n", spec);
		return -EINVAL;
	}
	size_t nl = (size_t)(eq - spec);
	if (ntargets == MAX_TARGETS) {
		fprintf(stderr, "vault-sim: at most %d targets\n", MAX_TARGETS);
		return -E2BIG;
	}
	struct target *t = &targets[ntargets];
	if (nl >= sizeof t->name || strspn(spec, "abcdefghijklmnopqrstuvwxyz"
						 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") < nl) {
		fprintf(stderr, "vault-sim: bad target name in '%s' (letters, digits, _ -)\n", spec);
		return -EINVAL;
	}
	memcpy(t->name, spec, nl);
	t->name[nl] = 0;
	if (find_target(t->name) != t && find_target(t->name)) {
		fprintf(stderr, "vault-sim: target '%s' given twice\n", t->name);
		return -EEXIST;
	}
	if (vault_strlcpy(t->path, eq + 1, sizeof t->path) < 0) {
		fprintf(stderr, "vault-sim: socket path too long: %s\n", eq + 1);
		return -ENAMETOOLONG;
	}
	t->fd = -1;
	ntargets++;
	return 0;
}

static int target_connect(struct target *t)
{
	if (t->fd >= 0)
		return 0;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	memcpy(sa.sun_path, t->path, strlen(t->path) + 1);
	int64_t end = now_ms() + timeout_ms;
	int e;
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
			t->fd = fd;
			t->n = 0;
			return 0;
		}
		e = errno;
		close(fd);
		/* Not there yet (starting) or backlog full: retry until the timeout. */
		if ((e != ENOENT && e != ECONNREFUSED && e != EAGAIN) || now_ms() >= end)
			break;
		struct timespec ts = {0, 20 * 1000000L};
		nanosleep(&ts, NULL);
	}
	fail("cannot connect to target '%s' at %s: %s", t->name, t->path, strerror(e));
	return -e;
}

static void target_close(struct target *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	t->n = 0;
}

static int send_line(struct target *t, const char *cmd)
{
	char out[SCRIPT_LINE_MAX + 2];
	size_t len = (size_t)snprintf(out, sizeof out, "%s\n", cmd);
	size_t off = 0;
	int64_t end = now_ms() + timeout_ms;
	while (off < len) {
		ssize_t w = send(t->fd, out + off, len - off, MSG_NOSIGNAL);
		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			int e = errno;
			fail("sending to '%s': %s", t->name, strerror(e));
			target_close(t);
			return -e;
		}
		int left = (int)(end - now_ms());
		struct pollfd p = {.fd = t->fd, .events = POLLOUT};
		if (left <= 0 || poll(&p, 1, left) == 0) {
			fail("timeout sending to '%s' after %d ms", t->name, timeout_ms);
			return -ETIMEDOUT;
		}
	}
	return 0;
}

/* Read one line from t before `end` (ms). 0 and *ret (NUL-terminated, in t->buf
 * until the next call), or -errno with the failure reported. */
static int read_line(struct target *t, int64_t end, char **ret)
{
	static char line[REPLY_MAX];
	for (;;) {
		char *nl = memchr(t->buf, '\n', t->n);
		if (nl) {
			size_t len = (size_t)(nl - t->buf);
			memcpy(line, t->buf, len);
			line[len] = 0;
			if (len && line[len - 1] == '\r')
				line[len - 1] = 0;
			memmove(t->buf, nl + 1, t->n - len - 1);
			t->n -= len + 1;
			*ret = line;
			return 0;
		}
		if (t->n == sizeof t->buf) {
			fail("target '%s' sent a line longer than %d bytes", t->name, REPLY_MAX);
			target_close(t);
			return -EMSGSIZE;
		}
		int left = (int)(end - now_ms());
		struct pollfd p = {.fd = t->fd, .events = POLLIN};
		int pr = left > 0 ? poll(&p, 1, left) : 0;
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return -ETIMEDOUT;
		ssize_t r = recv(t->fd, t->buf + t->n, sizeof t->buf - t->n, 0);
		if (r == 0) {
			fail("target '%s' closed the connection", t->name);
			target_close(t);
			return -ECONNRESET;
		}
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			int e = errno;
			fail("reading from '%s': %s", t->name, strerror(e));
			target_close(t);
			return -e;
		}
		t->n += (size_t)r;
	}
}

static int is_reply(const char *l)
{
	return strcmp(l, "ok") == 0 || strncmp(l, "ok ", 3) == 0 || strcmp(l, "err") == 0 ||
	       strncmp(l, "err ", 4) == 0;
}

static void keep_async(struct target *t, const char *l)
{
	printf("~ %s %s\n", t->name, l);
	if (t->nasync == ASYNC_MAX) {
		free(t->async[0]);
		memmove(t->async, t->async + 1, sizeof t->async[0] * (ASYNC_MAX - 1));
		t->nasync--;
	}
	char *c = strdup(l);
	if (c)
		t->async[t->nasync++] = c;
}

/* Send cmd, return the reply line (static storage). Notices seen meanwhile are
 * printed and kept for `wait`. */
static int transact(struct target *t, const char *cmd, char **ret)
{
	int r = target_connect(t);
	if (r < 0)
		return r;
	printf("> %s %s\n", t->name, cmd);
	r = send_line(t, cmd);
	if (r < 0)
		return r;
	/* quit closes the connection; later lines on this target reconnect */
	int quitting = strcmp(cmd, "quit") == 0;
	int64_t end = now_ms() + timeout_ms;
	for (;;) {
		char *l;
		r = read_line(t, end, &l);
		if (r == -ETIMEDOUT)
			fail("no reply from '%s' to '%s' within %d ms", t->name, cmd, timeout_ms);
		if (r < 0)
			return r;
		if (is_reply(l)) {
			printf("< %s %s\n", t->name, l);
			if (quitting)
				target_close(t);
			*ret = l;
			return 0;
		}
		keep_async(t, l);
	}
}

/* Each notice satisfies one wait: the first kept line containing sub is consumed;
 * other notices stay for later waits (the oldest is dropped beyond ASYNC_MAX). */
static int do_wait(struct target *t, const char *sub, int ms)
{
	int r = target_connect(t);
	if (r < 0)
		return r;
	int64_t end = now_ms() + ms;
	for (;;) {
		for (int i = 0; i < t->nasync; i++)
			if (strstr(t->async[i], sub)) {
				free(t->async[i]);
				memmove(t->async + i, t->async + i + 1,
					sizeof t->async[0] * (size_t)(t->nasync - i - 1));
				t->nasync--;
				return 0;
			}
		char *l;
		r = read_line(t, end, &l);
		if (r == -ETIMEDOUT) {
			fail("waited %d ms on '%s' for a line containing '%s'; none came", ms, t->name,
			     sub);
			return r;
		}
		if (r < 0)
			return r;
		if (is_reply(l)) {
			fail("unexpected reply from '%s' while waiting: '%s'", t->name, l);
			return -EPROTO;
		}
		keep_async(t, l);
	}
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = 0;
	return s;
}

static int parse_ms(const char *s, int *ret)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *trim(end) || v < 0 || v > 3600000)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

/* Split "<target> <rest>"; returns the target or NULL (reported). */
static struct target *split_target(char *s, char **ret_rest)
{
	char *sp = s + strcspn(s, " \t");
	char *rest = *sp ? sp + 1 : sp;
	*sp = 0;
	struct target *t = find_target(s);
	if (!t) {
		fail("unknown target '%s' (give --target %s=SOCKETPATH)", s, s);
		return NULL;
	}
	*ret_rest = trim(rest);
	return t;
}

/* Returns 0 (step passed), 1 (step failed), 2 (script error). */
static int run_line(char *line)
{
	char *s = trim(line);
	char *rest, *reply;
	struct target *t;
	if (!*s || *s == '#')
		return 0;
	if (strncmp(s, "echo", 4) == 0 && (s[4] == 0 || s[4] == ' ' || s[4] == '\t')) {
		printf("%s\n", trim(s + 4));
		return 0;
	}
	if (strncmp(s, "sleep ", 6) == 0) {
		int ms;
		if (parse_ms(s + 6, &ms) < 0) {
			fail("sleep wants milliseconds: '%s'", s);
			return 2;
		}
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		return 0;
	}
	if (strncmp(s, "expect ", 7) == 0) {
		char *arrow = strstr(s + 7, " -> ");
		if (!arrow) {
			fail("expect wants '<target> <command> -> <substring>': '%s'", s);
			return 2;
		}
		*arrow = 0;
		char *want = trim(arrow + 4);
		if (!(t = split_target(trim(s + 7), &rest)))
			return 2;
		if (!*rest || !*want) {
			fail("expect needs a command and a substring");
			return 2;
		}
		if (transact(t, rest, &reply) < 0)
			return 1;
		if (!strstr(reply, want)) {
			fail("expect failed: %s '%s' replied '%s', wanted '%s'", t->name, rest, reply,
			     want);
			return 1;
		}
		return 0;
	}
	if (strncmp(s, "wait ", 5) == 0) {
		if (!(t = split_target(trim(s + 5), &rest)))
			return 2;
		if (!*rest) {
			fail("wait needs a substring");
			return 2;
		}
		return do_wait(t, rest, timeout_ms) < 0 ? 1 : 0;
	}
	if (strncmp(s, "timeout ", 8) == 0) {
		if (parse_ms(s + 8, &timeout_ms) < 0 || timeout_ms == 0) {
			fail("timeout wants milliseconds > 0: '%s'", s);
			return 2;
		}
		return 0;
	}
	if (!(t = split_target(s, &rest)))
		return 2;
	if (!*rest) {
		fail("no command for target '%s'", t->name);
		return 2;
	}
	if (transact(t, rest, &reply) < 0)
		return 1;
	if (strncmp(reply, "err", 3) == 0 && !keep_going) {
		fail("%s '%s' replied '%s'", t->name, rest, reply);
		return 1;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: vault-sim [--target NAME=SOCKET]... [--timeout MS] [--keep-going] "
		   "[SCRIPT|-]\n"
		   "script lines: '<target> <command>', 'expect <target> <command> -> <substring>',\n"
		   "  'wait <target> <substring>', 'timeout <ms>', 'sleep <ms>', 'echo <text>',\n"
		   "  '# comment'\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"target", required_argument, NULL, 't'},
		{"timeout", required_argument, NULL, 'T'},
		{"keep-going", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "t:T:kh", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (add_target(optarg) < 0)
				return 2;
			break;
		case 'T':
			if (parse_ms(optarg, &timeout_ms) < 0 || timeout_ms == 0) {
				fprintf(stderr, "vault-sim: --timeout wants milliseconds > 0\n");
				return 2;
			}
			break;
		case 'k':
			keep_going = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind > 1) {
		usage(stderr);
		return 2;
	}
	FILE *in = stdin;
	if (optind < argc && strcmp(argv[optind], "-") != 0) {
		script_name = argv[optind];
		in = fopen(script_name, "re");
		if (!in) {
			fprintf(stderr, "vault-sim: %s: %s\n", script_name, strerror(errno));
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	char line[SCRIPT_LINE_MAX + 2];
	int rc = 0;
	while (fgets(line, sizeof line, in)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(in)) {
			fail("line longer than %d bytes", SCRIPT_LINE_MAX);
			rc = 2;
			break;
		}
		rc = run_line(line);
		if (rc)
			break;
	}
	if (in != stdin)
		fclose(in);
	for (int i = 0; i < ntargets; i++) {
		target_close(&targets[i]);
		for (int j = 0; j < targets[i].nasync; j++)
			free(targets[i].async[j]);
	}
	if (rc == 0)
		printf("vault-sim: %d lines, all passed\n", lineno);
	return rc;
}
