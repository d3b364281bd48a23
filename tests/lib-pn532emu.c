/* SPDX-License-Identifier: MIT */
#include "lib-pn532emu.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char emu_bin[512];

int emu_setup(struct emu_proc *p)
{
	const char *b = getenv("VAULT_BUILD");
	memset(p, 0, sizeof *p);
	snprintf(emu_bin, sizeof emu_bin, "%s/pn532-emu", b ? b : "build");
	if (access(emu_bin, X_OK) != 0)
		return -1;
	snprintf(p->dir, sizeof p->dir, "/tmp/vault-nfc-XXXXXX");
	if (!mkdtemp(p->dir))
		return -1;
	snprintf(p->link, sizeof p->link, "%s/pn532", p->dir);
	snprintf(p->ctl, sizeof p->ctl, "%s/ctl", p->dir);
	snprintf(p->connstring, sizeof p->connstring, "pn532_uart:%s", p->link);
	setenv("LIBNFC_AUTO_SCAN", "false", 1);
	setenv("LIBNFC_INTRUSIVE_SCAN", "false", 1);
	if (!getenv("LIBNFC_LOG_LEVEL"))
		setenv("LIBNFC_LOG_LEVEL", "0", 1);
	return 0;
}

static int ctl_connect(struct emu_proc *p)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(p->ctl) >= sizeof a.sun_path)
		return -1;
	memcpy(a.sun_path, p->ctl, strlen(p->ctl) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int emu_start(struct emu_proc *p)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* Die with the test, even when it crashes. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			dup2(devnull, 1);
		execl(emu_bin, "pn532-emu", "--link", p->link, "--control", p->ctl, (char *)NULL);
		_exit(127);
	}
	p->pid = pid;
	for (int i = 0; i < 500; i++) {
		struct stat st;
		if (stat(p->link, &st) == 0) {
			int fd = ctl_connect(p);
			if (fd >= 0) {
				close(fd);
				return 0;
			}
		}
		struct timespec ts = {0, 10 * 1000000L};
		nanosleep(&ts, NULL);
	}
	emu_kill(p);
	return -1;
}

int emu_cmd(struct emu_proc *p, char *reply, size_t n, const char *fmt, ...)
{
	char line[512], tmp[512];
	va_list ap;
	if (!reply) {
		reply = tmp;
		n = sizeof tmp;
	}
	reply[0] = 0;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	int fd = ctl_connect(p);
	if (fd < 0)
		return -1;
	if (write(fd, line, strlen(line)) < 0) {
		close(fd);
		return -1;
	}
	size_t got = 0;
	while (got + 1 < n) {
		ssize_t k = read(fd, reply + got, n - 1 - got);
		if (k <= 0)
			break;
		got += (size_t)k;
		if (memchr(reply, '\n', got))
			break;
	}
	close(fd);
	reply[got] = 0;
	char *nl = strchr(reply, '\n');
	if (nl)
		*nl = 0;
	return strncmp(reply, "ok", 2) == 0 ? 0 : -1;
}

void emu_kill(struct emu_proc *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		p->pid = 0;
	}
}

void emu_cleanup(struct emu_proc *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGTERM);
		waitpid(p->pid, NULL, 0);
		p->pid = 0;
	}
	unlink(p->link);
	unlink(p->ctl);
	if (p->dir[0])
		rmdir(p->dir);
}
