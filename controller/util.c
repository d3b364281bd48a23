/* SPDX-License-Identifier: MIT */
#include "vault/util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int64_t vault_now_utc_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t vault_now_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int vault_cond_init_mono(pthread_cond_t *cv)
{
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	int r = pthread_cond_init(cv, &a);
	pthread_condattr_destroy(&a);
	return -r;
}

struct timespec vault_mono_ts(int64_t mono_us)
{
	return (struct timespec){.tv_sec = mono_us / 1000000,
				 .tv_nsec = (long)(mono_us % 1000000) * 1000};
}

static const char *log_ident = "vault";
static int log_level = LOG_INFO;

void vault_log_set_ident(const char *ident)
{
	log_ident = ident;
}

void vault_log_set_level(int level)
{
	log_level = level;
}

static int journal_fd = -1;

int vault_log_journal(void)
{
	const char *path = getenv("VAULT_JOURNAL_SOCKET");
	if (!path) {
		/* systemd connected stderr to the journal: JOURNAL_STREAM names
		 * its device and inode (systemd.exec(5)). */
		const char *js = getenv("JOURNAL_STREAM");
		struct stat st;
		unsigned long long dev, ino;
		if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st) < 0 ||
		    (unsigned long long)st.st_dev != dev ||
		    (unsigned long long)st.st_ino != ino)
			return 0;
		path = "/run/systemd/journal/socket";
	}
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof a.sun_path)
		return -ENAMETOOLONG;
	memcpy(a.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	journal_fd = fd;
	return 1;
}

/* One entry in journald's native protocol (KEY=value lines; a value with a
 * newline would need the binary form, so newlines become spaces). 0 or -1. */
static int journal_send(int level, const char *category, const char *msg)
{
	char d[1400];
	int n = snprintf(d, sizeof d,
			 "PRIORITY=%d\nSYSLOG_IDENTIFIER=%s\nVAULT_MODULE=%s\nMESSAGE=%s\n",
			 level & 7, log_ident, category, msg);
	if (n < 0 || (size_t)n >= sizeof d)
		n = (int)sizeof d - 1, d[n - 1] = '\n';
	char *m = strstr(d, "\nMESSAGE=") + 9;
	for (char *p = m; p < d + n - 1; p++)
		if (*p == '\n')
			*p = ' ';
	return send(journal_fd, d, (size_t)n, MSG_NOSIGNAL) == n ? 0 : -1;
}

void vault_logv(int level, const char *category, const char *fmt, va_list ap)
{
	static const char *names[] = {"emerg", "alert", "crit", "err",
				      "warning", "notice", "info", "debug"};
	if (level > log_level)
		return;
	char buf[1024];
	vsnprintf(buf, sizeof buf, fmt, ap);
	if (journal_fd >= 0 && journal_send(level, category, buf) == 0)
		return;
	/* <N> prefix: journald reads it as the priority when stderr is the journal. */
	fprintf(stderr, "<%d>%s[%s] %s: %s\n", level, log_ident, category,
		names[level & 7], buf);
}

void vault_log(int level, const char *category, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vault_logv(level, category, fmt, ap);
	va_end(ap);
}

void vault_hex(const uint8_t *in, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * n] = 0;
}

void vault_hex_upper(const uint8_t *in, size_t n, char *out)
{
	static const char d[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * n] = 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int vault_unhex(const char *in, uint8_t *out, size_t n)
{
	if (!in || strlen(in) != 2 * n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int h = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);
		if (h < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(h << 4 | lo);
	}
	return 0;
}

int vault_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);
	if (n >= size)
		return -ENAMETOOLONG;
	memcpy(dst, src, n + 1);
	return 0;
}

int vault_read_file(const char *path, size_t max, char **ret_buf, size_t *ret_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int e = errno ? -errno : -EINVAL;
		close(fd);
		return e;
	}
	if ((size_t)st.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int e = r < 0 ? -errno : -EIO;
			free(buf);
			close(fd);
			return e;
		}
		got += (size_t)r;
	}
	close(fd);
	buf[got] = 0;
	*ret_buf = buf;
	if (ret_len)
		*ret_len = got;
	return 0;
}

int vault_write_file_atomic(const char *path, const void *buf, size_t len, unsigned mode)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof tmp)
		return -ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	fchmod(fd, mode);
	const char *p = buf;
	size_t left = len;
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int e = -errno;
			close(fd);
			unlink(tmp);
			return e;
		}
		p += w;
		left -= (size_t)w;
	}
	if (fsync(fd) < 0) {
		int e = -errno;
		close(fd);
		unlink(tmp);
		return e;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		int e = -errno;
		unlink(tmp);
		return e;
	}
	char dir[4096];
	vault_strlcpy(dir, path, sizeof dir);
	int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

void vault_thread_background(const char *category)
{
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), 19) < 0)
		vault_log(LOG_WARNING, category, "thread priority not lowered: %s", strerror(errno));
#ifdef SYS_ioprio_set
	/* IOPRIO_WHO_PROCESS = 1 (0: the calling thread); IOPRIO_CLASS_BE =
	 * 2 << 13, level 7 (the lowest). */
	if (syscall(SYS_ioprio_set, 1, 0, (2 << 13) | 7) < 0)
		vault_log(LOG_WARNING, category, "I/O priority not lowered: %s", strerror(errno));
#endif
}

int vault_die(int code, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}
