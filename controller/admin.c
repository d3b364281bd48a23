/* SPDX-License-Identifier: MIT */
/*
 * The admin socket: a UNIX stream socket in vaultd's loop. One JSON request
 * per line, {"action": "...", "args": {...}}; one JSON reply per line,
 * {"ok": true, "seq": N, ...} or {"ok": false, "code": "ID", "error": "text",
 * "detail": "..."}. The caller is identified by SO_PEERCRED, mapped to a person
 * by the person's unix_user, and checked against the role table. Every refusal
 * is ledgered: one by one up to [admin] refusal_limit per refusal_window_s
 * and caller (Unix uid); beyond that the caller is flooding (a script gone
 * wrong, someone probing the socket): alarm.admin_flood, then its refusals are
 * counted, by reason and action, into one admin.refused.batch entry per window
 * (controller/flood.h) instead of a synced entry each. Grants are never
 * counted, and every refusal is still answered.
 *
 * Replies are queued per connection and written as the socket takes them;
 * while a reply waits, that connection's next requests wait too (the loop
 * never blocks on a slow reader, and no reply is lost or cut). A connection
 * whose reply has not been taken for [admin] reply_stall_s is dropped.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "flood.h"
#include "vault/util.h"
#include "vaultd.h"

#define REQ_MAX (64 * 1024)
#define MAX_CLIENTS 32
#define MAX_BUDGETS 32 /* callers with a refusal budget of their own */
/* Requests of one connection handled per turn of the loop: a client sending
 * many at once (up to REQ_MAX) waits between turns, the door's events do not. */
#define LINES_PER_TURN 8

struct client {
	struct admin_server *srv;
	int fd;
	uint64_t id;
	struct vault_caller who;
	char *buf;
	size_t len;
	int busy; /* a request is pending (PIN hashing) */
	uint64_t drain; /* timer: buffered requests left for the next turn */
	char *out; /* reply bytes not yet taken by the socket */
	size_t outlen, outoff;
	uint64_t stall; /* timer: the reply has waited [admin] reply_stall_s */
	uint32_t events; /* what the loop watches for */
	int eof; /* the caller has sent its last request */
	int dead; /* to be closed at the next safe point */
	int in_drain; /* handling requests: closing must wait */
	struct client *next;
};

struct admin_server {
	struct vaultd *d;
	int fd;
	char path[108];
	struct client *clients;
	int nclients;
	uint64_t next_id;
	/* Refusal budgets, one per caller uid, made at its first refusal;
	 * callers beyond MAX_BUDGETS share the last ("admin/other"). */
	struct {
		uid_t uid;
		struct flood *f;
	} budget[MAX_BUDGETS];
	int nbudgets;
};

static void client_close(struct client *c)
{
	struct admin_server *s = c->srv;
	for (struct client **p = &s->clients; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	s->nclients--;
	vault_loop_timer_cancel(s->d->loop, c->drain);
	vault_loop_timer_cancel(s->d->loop, c->stall);
	vault_loop_del_fd(s->d->loop, c->fd);
	close(c->fd);
	free(c->buf);
	free(c->out);
	free(c);
}

static int has_line(const struct client *c)
{
	return c->len && memchr(c->buf, '\n', c->len);
}

static void on_stall(struct vault_loop *l, uint64_t id, void *ud);

/* Write what the socket takes of the queued reply. */
static void flush_out(struct client *c)
{
	while (c->outoff < c->outlen && !c->dead) {
		ssize_t w = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w > 0)
			c->outoff += (size_t)w;
		else if (w < 0 && errno == EINTR)
			continue;
		else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		else {
			vault_log(LOG_WARNING, "admin", "reply to %s not delivered (%s); dropping client",
				  c->who.user, w < 0 ? strerror(errno) : "closed");
			c->dead = 1;
		}
	}
	struct vault_loop *l = c->srv->d->loop;
	if (c->outoff < c->outlen) {
		if (!c->stall)
			vault_loop_timer_in(l, (int64_t)c->srv->d->cfg.admin_reply_stall_s * 1000000,
					    on_stall, c, &c->stall);
		return;
	}
	free(c->out);
	c->out = NULL;
	c->outlen = c->outoff = 0;
	vault_loop_timer_cancel(l, c->stall);
	c->stall = 0;
}

static void send_json(struct client *c, cJSON *reply)
{
	char *txt = cJSON_PrintUnformatted(reply);
	if (!txt) {
		c->dead = 1; /* a request without its reply would desynchronise the caller */
		return;
	}
	size_t n = strlen(txt);
	txt[n] = '\n';
	if (!c->outlen) {
		c->out = txt;
		c->outlen = n + 1;
	} else { /* not reached: requests wait while a reply is queued */
		char *nb = realloc(c->out, c->outlen + n + 1);
		if (!nb) {
			free(txt);
			c->dead = 1;
			return;
		}
		memcpy(nb + c->outlen, txt, n + 1);
		c->out = nb;
		c->outlen += n + 1;
		free(txt);
	}
	flush_out(c);
}

/* Close C if it is done or dead; otherwise watch for what it waits on: its
 * reply to be taken (EPOLLOUT) or its next request (EPOLLIN). Not while
 * requests are being handled: the caller of drain() settles afterwards. */
static void settle(struct client *c)
{
	if (c->in_drain)
		return;
	if (c->dead || (c->eof && !c->busy && !c->outlen && !has_line(c))) {
		client_close(c);
		return;
	}
	uint32_t ev = c->outlen ? EPOLLOUT : c->busy || c->eof ? 0 : EPOLLIN;
	if (ev != c->events && vault_loop_mod_fd(c->srv->d->loop, c->fd, ev) == 0)
		c->events = ev;
}

static void on_stall(struct vault_loop *l, uint64_t id, void *ud)
{
	struct client *c = ud;
	c->stall = 0;
	vault_log(LOG_WARNING, "admin", "%s has not read its reply in %d s; dropping client",
		  c->who.user, c->srv->d->cfg.admin_reply_stall_s);
	c->dead = 1;
	settle(c);
}

static cJSON *make_reply(const struct vaultd *d, const struct action_result *res)
{
	cJSON *r = res->data ? cJSON_Duplicate(res->data, 1) : cJSON_CreateObject();
	cJSON_AddBoolToObject(r, "ok", res->reason == VAULT_R_OK);
	if (res->reason != VAULT_R_OK) {
		cJSON_AddStringToObject(r, "code", vault_reason_id(res->reason));
		cJSON_AddStringToObject(r, "error", vault_reason_text(res->reason, d->cfg.lang));
		cJSON_AddStringToObject(r, "error_en", vault_reason_text(res->reason, "en"));
		if (res->detail[0])
			cJSON_AddStringToObject(r, "detail", res->detail);
	}
	if (res->seq)
		cJSON_AddNumberToObject(r, "seq", (double)res->seq);
	return r;
}

static struct client *find_client(struct admin_server *s, uint64_t id)
{
	for (struct client *c = s->clients; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

/* The refusal budget of WHO's uid (NULL: none could be made). */
static struct flood *budget_of(struct admin_server *s, const struct vault_caller *who)
{
	int i;
	for (i = 0; i < s->nbudgets; i++)
		if (s->budget[i].uid == who->uid)
			return s->budget[i].f;
	if (i == MAX_BUDGETS)
		return s->budget[i - 1].f;
	char source[32];
	if (i == MAX_BUDGETS - 1)
		snprintf(source, sizeof source, "admin/other");
	else
		snprintf(source, sizeof source, "admin/%.25s", who->user);
	const struct flood_spec fs = {.source = source,
				      .kind = "admin.refused",
				      .what = "admin",
				      .keys = "actions",
				      .limit = s->d->cfg.admin_refusal_limit,
				      .window_s = s->d->cfg.admin_refusal_window_s};
	if (flood_new(s->d, &fs, &s->budget[i].f) < 0)
		return NULL;
	s->budget[i].uid = who->uid;
	s->nbudgets++;
	return s->budget[i].f;
}

static void drain_tick(struct vault_loop *l, uint64_t id, void *ud);

void admin_complete(struct vaultd *d, uint64_t client_id, const char *action,
		    const struct vault_caller *who, struct action_result *res)
{
	if (client_id & VAULTD_WEB_CLIENT) {
		web_complete(d, client_id, action, who, res);
		return;
	}
	/* Only refusals take from the budget; a counted one is in the batch. */
	struct flood *f =
	    res->reason != VAULT_R_OK && d->admin ? budget_of(d->admin, who) : NULL;
	if (!f || flood_take(f, res->reason, action)) {
		if (res->reason != VAULT_R_OK)
			vaultd_record_refusal(d, "admin", who->person, action, res->reason,
					      res->detail, who);
		vault_log(res->reason == VAULT_R_OK ? LOG_INFO : LOG_NOTICE, "admin",
			  "%s by %s (%s): %s%s%s", action, who->person[0] ? who->person : "-",
			  who->user, vault_reason_id(res->reason), res->detail[0] ? ": " : "",
			  res->detail);
	}
	struct client *c = d->admin ? find_client(d->admin, client_id) : NULL;
	if (c) {
		cJSON *reply = make_reply(d, res);
		send_json(c, reply);
		cJSON_Delete(reply);
		if (c->busy && has_line(c) && !c->drain) /* sent behind the pending one */
			vault_loop_timer_in(d->loop, 1, drain_tick, c, &c->drain);
		c->busy = 0;
		settle(c);
	}
	cJSON_Delete(res->data);
	res->data = NULL;
}

static void identify(struct vaultd *d, struct client *c)
{
	struct ucred cr;
	socklen_t l = sizeof cr;
	memset(&c->who, 0, sizeof c->who);
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cr, &l) < 0) {
		c->who.uid = (uid_t)-1;
		snprintf(c->who.user, sizeof c->who.user, "unknown");
		return;
	}
	c->who.uid = cr.uid;
	c->who.pid = cr.pid;
	struct passwd pw, *res = NULL;
	char pwbuf[1024];
	if (getpwuid_r(cr.uid, &pw, pwbuf, sizeof pwbuf, &res) == 0 && res)
		snprintf(c->who.user, sizeof c->who.user, "%s", pw.pw_name);
	else
		snprintf(c->who.user, sizeof c->who.user, "uid:%u", (unsigned)cr.uid);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(d->db, "SELECT id, role, status FROM person WHERE unix_user=?", -1,
			       &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, c->who.user, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(c->who.person, sizeof c->who.person, "%s", sqlite3_column_text(st, 0));
		snprintf(c->who.role, sizeof c->who.role, "%s", sqlite3_column_text(st, 1));
		snprintf(c->who.status, sizeof c->who.status, "%s", sqlite3_column_text(st, 2));
	}
	sqlite3_finalize(st);
}

static void handle_line(struct client *c, const char *line, size_t n)
{
	struct vaultd *d = c->srv->d;
	struct action_result res = {.reason = VAULT_R_OK};
	char action[64] = "";
	/* Identify per request: a person's mapping or role may have changed. */
	identify(d, c);
	cJSON *req = cJSON_ParseWithLength(line, n);
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(req, "action");
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(req, "args");
	if (!cJSON_IsObject(req) || !cJSON_IsString(a) || strlen(a->valuestring) >= sizeof action ||
	    (args && !cJSON_IsObject(args))) {
		res.reason = VAULT_R_BAD_REQUEST;
		snprintf(res.detail, sizeof res.detail, "expected {\"action\": ..., \"args\": {...}}");
		snprintf(action, sizeof action, "?");
	} else {
		snprintf(action, sizeof action, "%s", a->valuestring);
		if (!vaultd_action_known(action)) {
			res.reason = VAULT_R_UNKNOWN_ACTION;
			snprintf(res.detail, sizeof res.detail, "%s", action);
		} else if (!c->who.person[0]) {
			res.reason = VAULT_R_ADMIN_UNKNOWN_USER;
			snprintf(res.detail, sizeof res.detail, "Unix user %s", c->who.user);
		} else if (strcmp(c->who.status, "active") != 0) {
			res.reason = VAULT_R_ADMIN_PERSON_INACTIVE;
		} else if (!vaultd_role_allows(action, c->who.role)) {
			res.reason = VAULT_R_ADMIN_ROLE_DENIED;
			snprintf(res.detail, sizeof res.detail, "%s may not %s", c->who.role,
				 action);
		}
	}
	if (res.reason == VAULT_R_OK) {
		static const cJSON empty = {.type = cJSON_Object};
		vaultd_dispatch(d, &c->who, action, args ? args : &empty, &res, c->id);
	}
	cJSON_Delete(req);
	if (res.pending) {
		c->busy = 1;
		return;
	}
	admin_complete(d, c->id, action, &c->who, &res);
}

/* Handle up to LINES_PER_TURN buffered requests; the rest in the next turn.
 * A request waits while the reply to the one before is still queued. */
static void drain(struct client *c)
{
	char *nl;
	c->in_drain = 1;
	for (int n = 0; !c->busy && !c->dead && !c->outlen && c->len &&
			(nl = memchr(c->buf, '\n', c->len));
	     n++) {
		if (n == LINES_PER_TURN) {
			if (!c->drain) /* 1 us: after the fds of the loop's next turn */
				vault_loop_timer_in(c->srv->d->loop, 1, drain_tick, c,
						    &c->drain);
			break;
		}
		size_t len = (size_t)(nl - c->buf);
		handle_line(c, c->buf, len);
		memmove(c->buf, nl + 1, c->len - len - 1);
		c->len -= len + 1;
	}
	c->in_drain = 0;
}

static void drain_tick(struct vault_loop *l, uint64_t id, void *ud)
{
	struct client *c = ud;
	c->drain = 0;
	drain(c);
	settle(c);
}

static void on_client(struct vault_loop *l, int fd, uint32_t events, void *ud)
{
	struct client *c = ud;
	if (events & EPOLLERR) {
		client_close(c);
		return;
	}
	if (events & EPOLLOUT) { /* the queued reply, then the requests behind it */
		flush_out(c);
		drain(c);
		settle(c);
		return;
	}
	if (c->busy || c->outlen || c->eof) { /* one request at a time per connection */
		if (events & EPOLLHUP)
			c->dead = 1; /* gone both ways: nobody to answer */
		settle(c);
		return;
	}
	if (has_line(c)) { /* what is buffered first; then read on */
		drain(c);
		settle(c);
		return;
	}
	char tmp[4096];
	ssize_t r = recv(fd, tmp, sizeof tmp, MSG_DONTWAIT);
	if (r <= 0) {
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r < 0)
			c->dead = 1;
		c->eof = 1; /* half-closed: what was asked is still answered */
		settle(c);
		return;
	}
	if (c->len + (size_t)r > REQ_MAX) {
		struct action_result res = {.reason = VAULT_R_BAD_REQUEST};
		snprintf(res.detail, sizeof res.detail, "request longer than %d bytes", REQ_MAX);
		identify(c->srv->d, c);
		c->len = 0;
		c->eof = 1; /* answered, then closed once the answer is taken */
		admin_complete(c->srv->d, c->id, "?", &c->who, &res);
		return;
	}
	char *nb = realloc(c->buf, c->len + (size_t)r + 1);
	if (!nb) {
		client_close(c);
		return;
	}
	c->buf = nb;
	memcpy(c->buf + c->len, tmp, (size_t)r);
	c->len += (size_t)r;
	drain(c);
	settle(c);
}

static void on_accept(struct vault_loop *l, int fd, uint32_t events, void *ud)
{
	struct admin_server *s = ud;
	int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (cfd < 0)
		return;
	if (s->nclients >= MAX_CLIENTS) {
		vault_log(LOG_WARNING, "admin", "too many admin clients; refusing one");
		close(cfd);
		return;
	}
	struct client *c = calloc(1, sizeof *c);
	if (!c) {
		close(cfd);
		return;
	}
	c->srv = s;
	c->fd = cfd;
	c->id = ++s->next_id;
	c->events = EPOLLIN;
	if (vault_loop_add_fd(l, cfd, EPOLLIN, on_client, c) < 0) {
		close(cfd);
		free(c);
		return;
	}
	c->next = s->clients;
	s->clients = c;
	s->nclients++;
}

int admin_server_new(struct vaultd *d, const char *path, struct admin_server **ret)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (vault_strlcpy(sa.sun_path, path, sizeof sa.sun_path) < 0)
		return -ENAMETOOLONG;
	struct admin_server *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->d = d;
	snprintf(s->path, sizeof s->path, "%s", path);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->fd < 0) {
		free(s);
		return -errno;
	}
	/* Bind and listen under a temporary name, then rename into place: a
	 * client that sees the socket can always connect. */
	struct sockaddr_un tmp = {.sun_family = AF_UNIX};
	if (snprintf(tmp.sun_path, sizeof tmp.sun_path, "%s.new", path) >= (int)sizeof tmp.sun_path) {
		close(s->fd);
		free(s);
		return -ENAMETOOLONG;
	}
	unlink(tmp.sun_path);
	/* 0660: the vault group may connect; who they are is decided per request. */
	mode_t old = umask(0117);
	int r = bind(s->fd, (struct sockaddr *)&tmp, sizeof tmp);
	umask(old);
	if (r < 0 || listen(s->fd, 16) < 0 || rename(tmp.sun_path, path) < 0 ||
	    (r = vault_loop_add_fd(d->loop, s->fd, EPOLLIN, on_accept, s)) < 0) {
		int e = r < 0 && r != -1 ? r : -errno;
		unlink(tmp.sun_path);
		close(s->fd);
		free(s);
		return e;
	}
	*ret = s;
	return 0;
}

void admin_server_free(struct admin_server *s)
{
	if (!s)
		return;
	while (s->clients)
		client_close(s->clients);
	for (int i = 0; i < s->nbudgets; i++)
		flood_free(s->budget[i].f); /* ledgers an open batch */
	vault_loop_del_fd(s->d->loop, s->fd);
	close(s->fd);
	unlink(s->path);
	free(s);
}
