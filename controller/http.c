/* SPDX-License-Identifier: MIT */
/*
 * HTTP layer: libmicrohttpd in the loop's epoll, sessions, CSRF, routing, static
 * files. See include/vault/http.h for the contract.
 *
 * Request life: MHD calls the URI-log callback first with the raw target (our
 * per-request state is born there, so path decoding never depends on MHD's
 * lenient unescaping), then the access handler: once after the headers, where
 * every header-only check runs and a refusal is queued at once so a refused
 * body is never read; then with body chunks (bounded by Content-Length, which
 * is itself bounded by max_body); then once more at the end, where the JSON is
 * checked and the service is called. A pending service call suspends the
 * connection; vault_http_complete() resumes it and the handler, called again,
 * queues the stored reply.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vault/http.h"
#include "vault/loop.h"
#include "vault/util.h"

#define SID_LEN 32
#define CSRF_HEX (2 * 32)
#define COOKIE_NAME "vault_session"
#define TOMBSTONES 64
#define STATIC_MAX (1024 * 1024)
#define TARGET_MAX 2048
#define SWEEP_US (30 * 1000000LL)

struct session {
	int used;
	uint8_t id[SID_LEN];
	char csrf[CSRF_HEX + 1];
	char kind[8];
	char person[VAULT_HTTP_PERSON_MAX];
	char role[VAULT_HTTP_ROLE_MAX];
	char lang[8];
	int64_t created, last;
	uint64_t serial; /* tells a reused slot from the session a request started with */
};

enum op { OP_NONE, OP_LOGIN, OP_LOGOUT, OP_SESSION, OP_ACTION, OP_QUERY, OP_STATIC };

struct req {
	struct vault_http *h;
	struct MHD_Connection *conn;
	char raw[TARGET_MAX + 1];
	int raw_too_long;
	char path[TARGET_MAX + 1];
	cJSON *query;
	enum op op;
	char name[VAULT_HTTP_NAME_MAX];
	const struct vault_http_spec *spec;
	int stage; /* 0 before the first call, 1 reading the body, 2 dispatched */
	char *body;
	size_t len, cap;
	struct session *sess; /* valid only while sess->serial == sess_serial */
	uint64_t sess_serial;
	struct session *old; /* login: the session the browser had, replaced on success */
	uint64_t old_serial;
	char lang[8];
	int lang_asked; /* lang came from the request's Accept-Language */
	char login_kind[8];
	/* pending */
	uint64_t call;
	int suspended, have_result;
	struct vault_http_result res;
	struct req *next_pending;
};

#define MAX_PROXIES 8

struct proxy_addr {
	int family;
	unsigned char a[16];
};

struct vault_http {
	struct vault_loop *loop;
	struct MHD_Daemon *mhd;
	int epfd;
	int rootfd;
	uint64_t mhd_timer, sweep_timer, kick_timer;
	struct vault_http_service svc;
	void *ud;
	size_t max_body;
	unsigned max_sessions, max_pending, npending;
	int64_t idle_us, kiosk_idle_us, life_us;
	char index_file[64];
	char default_lang[8];
	char allowed_host[256]; /* "" and loopback: the loopback names */
	int loopback;
	int cookie_secure;
	struct proxy_addr proxies[MAX_PROXIES];
	unsigned nproxies;
	int64_t (*clock)(void *);
	void *clock_ud;
	struct session *sessions;
	uint8_t tomb[TOMBSTONES][SID_LEN];
	unsigned ntomb;
	uint64_t next_call, next_serial;
	struct req *pending;
	unsigned port;
	int freeing;
};

static int64_t now_us(const struct vault_http *h)
{
	return h->clock ? h->clock(h->clock_ud) : vault_now_mono_us();
}

/* ---- loop integration ------------------------------------------------- */

static void mhd_run(struct vault_http *h);

static void on_mhd_timer(struct vault_loop *l, uint64_t id, void *ud)
{
	struct vault_http *h = ud;
	if (id == h->mhd_timer)
		h->mhd_timer = 0;
	if (id == h->kick_timer)
		h->kick_timer = 0;
	mhd_run(h);
}

static void mhd_run(struct vault_http *h)
{
	MHD_run(h->mhd);
	vault_loop_timer_cancel(h->loop, h->mhd_timer);
	h->mhd_timer = 0;
	MHD_UNSIGNED_LONG_LONG ms;
	if (MHD_get_timeout(h->mhd, &ms) == MHD_YES) {
		if (ms > 60000)
			ms = 60000;
		vault_loop_timer_in(h->loop, (int64_t)ms * 1000, on_mhd_timer, h, &h->mhd_timer);
	}
}

static void on_epoll(struct vault_loop *l, int fd, uint32_t events, void *ud)
{
	mhd_run(ud);
}

/* Run MHD soon, from the loop, never from inside an MHD callback. */
static void kick(struct vault_http *h)
{
	if (!h->kick_timer)
		vault_loop_timer_in(h->loop, 0, on_mhd_timer, h, &h->kick_timer);
}

/* ---- sessions --------------------------------------------------------- */

static void principal_of(const struct session *s, struct vault_http_principal *p)
{
	p->kind = s->kind;
	p->person = s->person;
	p->role = s->role;
	p->lang = s->lang;
}

static void session_drop(struct vault_http *h, struct session *s, const char *why, int tomb)
{
	if (tomb) {
		memcpy(h->tomb[h->ntomb % TOMBSTONES], s->id, SID_LEN);
		h->ntomb++;
	}
	if (why && h->svc.session_end && !h->freeing) {
		struct vault_http_principal p;
		principal_of(s, &p);
		h->svc.session_end(h->ud, &p, why);
	}
	sodium_memzero(s, sizeof *s);
}

/* NULL if still alive, else why it ended. */
static const char *session_dead(const struct vault_http *h, const struct session *s, int64_t now)
{
	if (now - s->created >= h->life_us)
		return "lifetime";
	if (now - s->last >= (!strcmp(s->kind, "kiosk") ? h->kiosk_idle_us : h->idle_us))
		return "idle";
	return NULL;
}

static void sweep(struct vault_http *h)
{
	int64_t now = now_us(h);
	for (unsigned i = 0; i < h->max_sessions; i++) {
		const char *why;
		if (h->sessions[i].used && (why = session_dead(h, &h->sessions[i], now)))
			session_drop(h, &h->sessions[i], why, 1);
	}
}

static void on_sweep(struct vault_loop *l, uint64_t id, void *ud)
{
	struct vault_http *h = ud;
	sweep(h);
	vault_loop_timer_in(l, SWEEP_US, on_sweep, h, &h->sweep_timer);
}

enum sess_state { S_NONE, S_OK, S_FORGED, S_EXPIRED };

/* Look the cookie up; compares every slot in constant time per slot. */
static enum sess_state session_find(struct vault_http *h, struct MHD_Connection *c,
				    struct session **ret)
{
	const char *v = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE_NAME);
	if (!v)
		return S_NONE;
	uint8_t id[SID_LEN];
	if (strlen(v) != 2 * SID_LEN || vault_unhex(v, id, SID_LEN) < 0)
		return S_FORGED;
	struct session *found = NULL;
	for (unsigned i = 0; i < h->max_sessions; i++)
		if (h->sessions[i].used && sodium_memcmp(h->sessions[i].id, id, SID_LEN) == 0)
			found = &h->sessions[i];
	if (found) {
		int64_t now = now_us(h);
		const char *why = session_dead(h, found, now);
		if (why) {
			session_drop(h, found, why, 1);
			return S_EXPIRED;
		}
		/* Background polls (the pad list, the alert list) do not count as
		 * activity, so an abandoned page still times out. */
		const char *bg = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Vault-Background");
		if (!bg || strcmp(bg, "1"))
			found->last = now;
		*ret = found;
		return S_OK;
	}
	unsigned nt = h->ntomb < TOMBSTONES ? h->ntomb : TOMBSTONES;
	for (unsigned i = 0; i < nt; i++)
		if (sodium_memcmp(h->tomb[i], id, SID_LEN) == 0)
			return S_EXPIRED;
	return S_FORGED;
}

static struct session *session_new(struct vault_http *h, const char *kind, const char *person,
				   const char *role, const char *lang)
{
	for (unsigned i = 0; i < h->max_sessions; i++) {
		struct session *s = &h->sessions[i];
		if (s->used)
			continue;
		uint8_t tok[CSRF_HEX / 2];
		s->used = 1;
		randombytes_buf(s->id, SID_LEN);
		randombytes_buf(tok, sizeof tok);
		vault_hex(tok, sizeof tok, s->csrf);
		snprintf(s->kind, sizeof s->kind, "%s", kind);
		snprintf(s->person, sizeof s->person, "%s", person);
		snprintf(s->role, sizeof s->role, "%s", role);
		snprintf(s->lang, sizeof s->lang, "%s", lang);
		s->created = s->last = now_us(h);
		s->serial = ++h->next_serial;
		return s;
	}
	return NULL;
}

/* ---- responses -------------------------------------------------------- */

static void add_common_headers(struct vault_http *h, struct MHD_Response *r, int api)
{
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
				"form-action 'self'");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(r, "Cache-Control", api ? "no-store" : "no-cache");
}

static void set_cookie(struct vault_http *h, struct MHD_Response *r, const struct session *s)
{
	char v[200];
	char hex[2 * SID_LEN + 1] = "";
	if (s)
		vault_hex(s->id, SID_LEN, hex);
	snprintf(v, sizeof v, COOKIE_NAME "=%s; Path=/; HttpOnly; SameSite=Strict%s%s", hex,
		 h->cookie_secure ? "; Secure" : "", s ? "" : "; Max-Age=0");
	MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, v);
	sodium_memzero(hex, sizeof hex);
	sodium_memzero(v, sizeof v);
}

enum cookie_op { COOKIE_KEEP, COOKIE_SET, COOKIE_CLEAR };

/* Queue a JSON reply; takes `body`. */
static enum MHD_Result send_json(struct req *q, unsigned status, cJSON *body, enum cookie_op co,
				 const struct session *s)
{
	char *txt = body ? cJSON_PrintUnformatted(body) : NULL;
	cJSON_Delete(body);
	if (!txt) {
		txt = strdup("{\"ok\":false,\"code\":\"HTTP_INTERNAL\"}");
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		if (!txt)
			return MHD_NO;
	}
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(txt), txt, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(txt);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json; charset=utf-8");
	add_common_headers(q->h, r, 1);
	if (co == COOKIE_SET)
		set_cookie(q->h, r, s);
	else if (co == COOKIE_CLEAR)
		set_cookie(q->h, r, NULL);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW,
					q->op == OP_STATIC ? "GET, HEAD" :
					(q->op == OP_SESSION || q->op == OP_QUERY) ? "GET" :
										     "POST");
	enum MHD_Result ret = MHD_queue_response(q->conn, status, r);
	MHD_destroy_response(r);
	q->stage = 3;
	return ret;
}

static const char *req_lang(const struct req *q)
{
	return q->lang;
}

/* The request's session if it is still the same one: a sweep may end it (and a
 * login may reuse the slot) between the headers and the end of the body. */
static struct session *req_session(const struct req *q)
{
	return q->sess && q->sess->used && q->sess->serial == q->sess_serial ? q->sess : NULL;
}

static cJSON *error_body(const char *lang, enum vault_reason why, const char *detail)
{
	cJSON *b = cJSON_CreateObject();
	if (!b)
		return NULL;
	cJSON_AddBoolToObject(b, "ok", 0);
	cJSON_AddStringToObject(b, "code", vault_reason_id(why));
	cJSON_AddStringToObject(b, "error", vault_reason_text(why, lang));
	cJSON_AddStringToObject(b, "error_en", vault_reason_text(why, "en"));
	if (detail && detail[0])
		cJSON_AddStringToObject(b, "detail", detail);
	return b;
}

/* An IPv4 or IPv6 literal (S, N bytes, no spaces) into *A. 0 or -EINVAL. */
static int addr_parse(const char *s, size_t n, struct proxy_addr *a)
{
	char buf[INET6_ADDRSTRLEN];
	if (n == 0 || n >= sizeof buf)
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = 0;
	memset(a, 0, sizeof *a);
	if (inet_pton(AF_INET, buf, a->a) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, a->a) == 1)
		a->family = AF_INET6;
	else
		return -EINVAL;
	return 0;
}

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Parses LIST into OUT (up to MAX_PROXIES; OUT may be NULL to check only). */
static int proxies_parse(const char *list, struct proxy_addr *out, unsigned *n,
			 const char **bad)
{
	*n = 0;
	if (!list)
		return 0;
	for (const char *p = skip_ws(list); *p; p = skip_ws(p)) {
		size_t len = strcspn(p, ", \t");
		struct proxy_addr a;
		if (addr_parse(p, len, &a) < 0) {
			*bad = p;
			return -EINVAL;
		}
		if (*n == MAX_PROXIES) {
			*bad = p;
			return -E2BIG;
		}
		if (out)
			out[*n] = a;
		(*n)++;
		p = skip_ws(p + len);
		if (*p == ',')
			p++;
		else if (*p) {
			*bad = p;
			return -EINVAL;
		}
	}
	return 0;
}

int vault_http_proxies_check(const char *list, const char **bad)
{
	unsigned n;
	const char *b = NULL;
	int r = proxies_parse(list, NULL, &n, &b);
	if (bad)
		*bad = b;
	return r;
}

static int is_proxy(const struct vault_http *h, const struct sockaddr *sa)
{
	struct proxy_addr a = {0};
	if (sa->sa_family == AF_INET) {
		a.family = AF_INET;
		memcpy(a.a, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *in6 =
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(in6)) { /* an IPv4 peer on a dual-stack socket */
			a.family = AF_INET;
			memcpy(a.a, in6->s6_addr + 12, 4);
		} else {
			a.family = AF_INET6;
			memcpy(a.a, in6, 16);
		}
	} else
		return 0;
	for (unsigned i = 0; i < h->nproxies; i++)
		if (h->proxies[i].family == a.family &&
		    !memcmp(h->proxies[i].a, a.a, a.family == AF_INET ? 4 : 16))
			return 1;
	return 0;
}

static enum MHD_Result last_xff(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	(void)kind;
	if (key && value && !strcasecmp(key, "X-Forwarded-For"))
		*(const char **)cls = value;
	return MHD_YES;
}

/* REMOTE: "addr:port" of the peer, or "client via addr:port" behind a trusted
 * proxy; CLIENT: the client's address alone. */
static void remote_of(const struct vault_http *h, struct MHD_Connection *c, char *remote,
		      size_t rsize, char *client, size_t csize)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	if (sa) {
		if (sa->sa_family == AF_INET) {
			const struct sockaddr_in *s4 = (const void *)sa;
			inet_ntop(AF_INET, &s4->sin_addr, a, sizeof a);
			port = ntohs(s4->sin_port);
		} else if (sa->sa_family == AF_INET6) {
			const struct sockaddr_in6 *s6 = (const void *)sa;
			inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof a);
			port = ntohs(s6->sin6_port);
		}
	}
	snprintf(remote, rsize, "%s:%u", a, port);
	snprintf(client, csize, "%s", a);
	if (!sa || !h->nproxies || !is_proxy(h, sa))
		return;
	const char *xff = NULL;
	MHD_get_connection_values(c, MHD_HEADER_KIND, last_xff, &xff);
	if (!xff)
		return; /* the proxy's own request */
	const char *last = strrchr(xff, ',');
	last = skip_ws(last ? last + 1 : xff);
	size_t n = strcspn(last, " \t");
	struct proxy_addr x;
	char xs[INET6_ADDRSTRLEN];
	if (*skip_ws(last + n) || addr_parse(last, n, &x) < 0 ||
	    !inet_ntop(x.family, x.a, xs, sizeof xs)) {
		snprintf(remote, rsize, "%s:%u (X-Forwarded-For not an address)", a, port);
		return;
	}
	snprintf(remote, rsize, "%s via %s:%u", xs, a, port);
	snprintf(client, csize, "%s", xs);
}

/* A refusal by this layer: report it to the service, reply with JSON. */
static enum MHD_Result refuse(struct req *q, const char *method, unsigned status,
			      enum vault_reason why, const char *detail, enum cookie_op co)
{
	struct vault_http *h = q->h;
	if (h->svc.refused && !h->freeing) {
		char remote[2 * INET6_ADDRSTRLEN + 48], client[INET6_ADDRSTRLEN], path[256];
		size_t i;
		for (i = 0; q->raw[i] && i < sizeof path - 1; i++)
			path[i] = (q->raw[i] > 0x20 && q->raw[i] < 0x7F) ? q->raw[i] : '?';
		path[i] = 0;
		remote_of(h, q->conn, remote, sizeof remote, client, sizeof client);
		struct vault_http_principal p;
		struct session *s = req_session(q);
		if (s)
			principal_of(s, &p);
		struct vault_http_refusal r = {
		    .method = method,
		    .path = path,
		    .remote = remote,
		    .client = client,
		    .who = s ? &p : NULL,
		    .reason = why,
		    .status = status,
		    .detail = detail ? detail : "",
		};
		h->svc.refused(h->ud, &r);
	}
	return send_json(q, status, error_body(req_lang(q), why, detail), co, NULL);
}

static unsigned status_for(const struct req *q, const struct vault_http_result *res)
{
	if (res->http_status >= 200 && res->http_status <= 599)
		return res->http_status;
	switch (res->reason) {
	case VAULT_R_OK:
		return MHD_HTTP_OK;
	case VAULT_R_BAD_REQUEST:
	case VAULT_R_INVALID_VALUE:
		return MHD_HTTP_BAD_REQUEST;
	case VAULT_R_NOT_FOUND:
	case VAULT_R_UNKNOWN_ACTION:
		return MHD_HTTP_NOT_FOUND;
	case VAULT_R_ALREADY_EXISTS:
		return MHD_HTTP_CONFLICT;
	case VAULT_R_DB_ERROR:
		return MHD_HTTP_INTERNAL_SERVER_ERROR;
	default:
		return q->op == OP_LOGIN ? MHD_HTTP_UNAUTHORIZED : MHD_HTTP_FORBIDDEN;
	}
}

static cJSON *session_json(const struct vault_http *h, const struct session *s)
{
	cJSON *b = cJSON_CreateObject();
	if (!b)
		return NULL;
	cJSON_AddBoolToObject(b, "ok", 1);
	cJSON_AddBoolToObject(b, "authenticated", 1);
	cJSON_AddStringToObject(b, "kind", s->kind);
	cJSON_AddStringToObject(b, "person", s->person);
	cJSON_AddStringToObject(b, "role", s->role);
	cJSON_AddStringToObject(b, "lang", s->lang);
	cJSON_AddStringToObject(b, "csrf", s->csrf);
	cJSON_AddNumberToObject(
		b, "idle_s",
		(double)((!strcmp(s->kind, "kiosk") ? h->kiosk_idle_us : h->idle_us) / 1000000));
	return b;
}

/* The reply to a finished service call (takes res->data). */
static enum MHD_Result send_result(struct req *q, struct vault_http_result *res)
{
	struct vault_http *h = q->h;
	cJSON *data = res->data;
	res->data = NULL;
	if (data && !cJSON_IsObject(data)) {
		cJSON_Delete(data);
		data = NULL;
	}
	if (res->reason != VAULT_R_OK) {
		/* A batch refused for every item keeps its per-item results (which
		 * medium, and why). */
		cJSON *b = error_body(req_lang(q), res->reason, res->detail);
		cJSON *results = cJSON_DetachItemFromObjectCaseSensitive(data, "results");
		if (b && cJSON_IsArray(results))
			cJSON_AddItemToObject(b, "results", results);
		else
			cJSON_Delete(results);
		cJSON_Delete(data);
		return send_json(q, status_for(q, res), b, COOKIE_KEEP, NULL);
	}
	if (q->op == OP_LOGIN) {
		if (!res->person[0] || !res->role[0] || memchr(res->person, 0, 1)) {
			cJSON_Delete(data);
			return send_json(q, 500, error_body(req_lang(q), VAULT_R_HTTP_INTERNAL,
							     "login gave no person"),
					 COOKIE_KEEP, NULL);
		}
		int had_old = q->old && q->old->used && q->old->serial == q->old_serial;
		struct session *s =
			session_new(h, q->login_kind, res->person, res->role, q->lang);
		if (!s && had_old) {
			/* Full, but this browser's previous session is about to go anyway. */
			session_drop(h, q->old, "replaced", 0);
			had_old = 0;
			s = session_new(h, q->login_kind, res->person, res->role, q->lang);
		}
		if (!s) {
			cJSON_Delete(data);
			return refuse(q, "POST", MHD_HTTP_SERVICE_UNAVAILABLE, VAULT_R_HTTP_BUSY,
				      "too many sessions", COOKIE_KEEP);
		}
		if (had_old)
			session_drop(h, q->old, "replaced", 0);
		cJSON *b = session_json(h, s);
		if (b && data)
			for (cJSON *c = data->child; c; c = c->next)
				if (!cJSON_GetObjectItemCaseSensitive(b, c->string))
					cJSON_AddItemToObject(b, c->string, cJSON_Duplicate(c, 1));
		cJSON_Delete(data);
		return send_json(q, MHD_HTTP_OK, b, COOKIE_SET, s);
	}
	cJSON *b = data ? data : cJSON_CreateObject();
	if (b) {
		cJSON_DeleteItemFromObjectCaseSensitive(b, "ok");
		cJSON_AddBoolToObject(b, "ok", 1);
	}
	return send_json(q, status_for(q, res), b, COOKIE_KEEP, NULL);
}

/* ---- static files ----------------------------------------------------- */

static const struct {
	const char *ext, *type;
} content_types[] = {
	{".html", "text/html; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".css", "text/css; charset=utf-8"},
	{".json", "application/json; charset=utf-8"},
	{".svg", "image/svg+xml"},
	{".png", "image/png"},
	{".ico", "image/x-icon"},
	{".txt", "text/plain; charset=utf-8"},
};

static const char *static_type(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 64 || name[0] == '.')
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return NULL;
	}
	if (strstr(name, ".."))
		return NULL;
	const char *dot = strrchr(name, '.');
	if (!dot)
		return NULL;
	for (size_t i = 0; i < VAULT_ARRAY_SIZE(content_types); i++)
		if (!strcmp(dot, content_types[i].ext))
			return content_types[i].type;
	return NULL;
}

static enum MHD_Result serve_static(struct req *q, const char *method)
{
	struct vault_http *h = q->h;
	const char *name = q->path[1] ? q->path + 1 : h->index_file;
	const char *type = static_type(name);
	if (!type || h->rootfd < 0)
		return refuse(q, method, MHD_HTTP_NOT_FOUND, VAULT_R_HTTP_NOT_FOUND, NULL, COOKIE_KEEP);
	/* O_NOFOLLOW: a symlink planted in the web root does not lead out of it. */
	int fd = openat(h->rootfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > STATIC_MAX) {
		if (fd >= 0)
			close(fd);
		return refuse(q, method, MHD_HTTP_NOT_FOUND, VAULT_R_HTTP_NOT_FOUND, NULL, COOKIE_KEEP);
	}
	size_t size = (size_t)st.st_size, got = 0;
	char *buf = malloc(size ? size : 1);
	while (buf && got < size) {
		ssize_t r = read(fd, buf + got, size - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (!buf || got != size) {
		free(buf);
		return send_json(q, 500, error_body(req_lang(q), VAULT_R_HTTP_INTERNAL, NULL),
				 COOKIE_KEEP, NULL);
	}
	struct MHD_Response *r = MHD_create_response_from_buffer(size, buf, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	add_common_headers(h, r, 0);
	enum MHD_Result ret = MHD_queue_response(q->conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	q->stage = 3;
	return ret;
}

/* ---- request checks --------------------------------------------------- */

/* q->lang from Accept-Language, else the default; 1 if the header named one. */
static int pick_lang(struct vault_http *h, struct req *q)
{
	snprintf(q->lang, sizeof q->lang, "%s", h->default_lang);
	const char *al = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_ACCEPT_LANGUAGE);
	/* The first of zh / en in the client's order wins; q-values are ignored
	 * (browsers list languages in preference order). */
	for (const char *p = al; p && *p;) {
		p += strspn(p, " ,");
		size_t n = strcspn(p, ",;");
		if (n >= 2 && !strncasecmp(p, "zh", 2)) {
			snprintf(q->lang, sizeof q->lang, "zh-CN");
			return 1;
		}
		if (n >= 2 && !strncasecmp(p, "en", 2)) {
			snprintf(q->lang, sizeof q->lang, "en");
			return 1;
		}
		p += n;
		p += strcspn(p, ",");
	}
	return 0;
}

static int name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= VAULT_HTTP_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '.' || s[i] == '-'))
			return 0;
	return 1;
}

static const struct vault_http_spec *find_spec(const struct vault_http *h, const char *name,
					       int query)
{
	for (const struct vault_http_spec *s = h->svc.specs; s && s->name; s++)
		if (s->query == query && !strcmp(s->name, name))
			return s;
	return NULL;
}

static int is_json_type(const char *ct)
{
	if (!ct)
		return 0;
	size_t n = strlen("application/json");
	if (strncasecmp(ct, "application/json", n))
		return 0;
	const char *p = ct + n;
	p += strspn(p, " \t");
	return *p == 0 || *p == ';';
}

static int host_ok(const struct vault_http *h, struct MHD_Connection *c)
{
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	if (!host)
		return 0;
	if (h->allowed_host[0])
		return !strcasecmp(host, h->allowed_host);
	if (!h->loopback)
		return 1;
	static const char *const names[] = {"127.0.0.1", "localhost", "[::1]"};
	for (size_t i = 0; i < VAULT_ARRAY_SIZE(names); i++) {
		size_t n = strlen(names[i]);
		if (strncasecmp(host, names[i], n))
			continue;
		if (!host[n])
			return 1;
		char port[16];
		snprintf(port, sizeof port, ":%u", h->port);
		if (!strcmp(host + n, port))
			return 1;
	}
	return 0;
}

/* A present Origin must be this very host (Sec-Fetch-Site as a second hint). */
static int origin_ok(struct MHD_Connection *c)
{
	const char *sfs = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-Fetch-Site");
	if (sfs && strcmp(sfs, "same-origin") && strcmp(sfs, "none"))
		return 0;
	const char *o = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	if (!o)
		return 1;
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	if (!host)
		return 0;
	const char *rest = !strncmp(o, "http://", 7) ? o + 7 : !strncmp(o, "https://", 8) ? o + 8 :
											    NULL;
	return rest && !strcasecmp(rest, host);
}

static int csrf_ok(struct MHD_Connection *c, const struct session *s)
{
	const char *t = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token");
	if (!t || strlen(t) != CSRF_HEX)
		return 0;
	return sodium_memcmp(t, s->csrf, CSRF_HEX) == 0;
}

static enum MHD_Result refuse_session(struct req *q, const char *method, enum sess_state st)
{
	return refuse(q, method, MHD_HTTP_UNAUTHORIZED,
		      st == S_EXPIRED ? VAULT_R_HTTP_SESSION_EXPIRED : VAULT_R_HTTP_NO_SESSION, NULL,
		      st == S_NONE ? COOKIE_KEEP : COOKIE_CLEAR);
}

/* ---- dispatch --------------------------------------------------------- */

static void pending_add(struct vault_http *h, struct req *q)
{
	q->next_pending = h->pending;
	h->pending = q;
	h->npending++;
}

static void pending_del(struct vault_http *h, struct req *q)
{
	for (struct req **p = &h->pending; *p; p = &(*p)->next_pending)
		if (*p == q) {
			*p = q->next_pending;
			h->npending--;
			q->next_pending = NULL;
			return;
		}
}

/* Run a service op; queue its reply or suspend. */
static enum MHD_Result call_service(struct req *q, const char *method, const cJSON *arg)
{
	struct vault_http *h = q->h;
	if (h->npending >= h->max_pending)
		return refuse(q, method, MHD_HTTP_SERVICE_UNAVAILABLE, VAULT_R_HTTP_BUSY,
			      "too many requests in progress", COOKIE_KEEP);
	memset(&q->res, 0, sizeof q->res);
	struct vault_http_principal p;
	struct session *s = req_session(q);
	if (q->op != OP_LOGIN) {
		if (!s)
			return refuse_session(q, method, S_EXPIRED);
		principal_of(s, &p);
		p.lang = q->lang;
	}
	q->call = ++h->next_call;
	q->stage = 2;
	int r = -EOPNOTSUPP;
	/* Register before the call so a (misbehaving) synchronous completion is
	 * found; it is detected below and answered without suspending. */
	pending_add(h, q);
	switch (q->op) {
	case OP_LOGIN:
		if (h->svc.login)
			r = h->svc.login(h->ud, q->call, q->login_kind, arg, &q->res);
		break;
	case OP_ACTION:
		if (h->svc.action)
			r = h->svc.action(h->ud, q->call, &p, q->name, arg, &q->res);
		break;
	case OP_QUERY:
		if (h->svc.query)
			r = h->svc.query(h->ud, q->call, &p, q->name, arg, &q->res);
		break;
	default:
		break;
	}
	if (r == VAULT_HTTP_PENDING && !q->have_result) {
		/* Still registered: wait for vault_http_complete(). */
		MHD_suspend_connection(q->conn);
		q->suspended = 1;
		return MHD_YES;
	}
	pending_del(h, q);
	if (q->have_result || r == VAULT_HTTP_DONE)
		return send_result(q, &q->res);
	cJSON_Delete(q->res.data);
	q->res.data = NULL;
	char d[64];
	snprintf(d, sizeof d, "service error %d", r);
	return send_json(q, MHD_HTTP_INTERNAL_SERVER_ERROR,
			 error_body(req_lang(q), VAULT_R_HTTP_INTERNAL, d), COOKIE_KEEP, NULL);
}

int vault_http_complete(struct vault_http *h, uint64_t call, struct vault_http_result *res)
{
	struct req *q = NULL;
	for (struct req *p = h ? h->pending : NULL; p; p = p->next_pending)
		if (p->call == call && !p->have_result)
			q = p;
	if (!q) {
		cJSON_Delete(res->data);
		res->data = NULL;
		return -ENOENT;
	}
	if (res != &q->res) {
		q->res = *res;
		res->data = NULL;
	}
	q->have_result = 1;
	if (q->suspended) {
		pending_del(h, q);
		q->suspended = 0;
		MHD_resume_connection(q->conn);
		kick(h);
	}
	return 0;
}

/* Header-only checks and GET handling: the first call of the access handler. */
static enum MHD_Result first_call(struct req *q, const char *method)
{
	struct vault_http *h = q->h;
	struct MHD_Connection *c = q->conn;
	int get = !strcmp(method, "GET"), head = !strcmp(method, "HEAD"),
	    post = !strcmp(method, "POST");
	q->lang_asked = pick_lang(h, q);
	if (!host_ok(h, c))
		return refuse(q, method, 421, VAULT_R_HTTP_HOST, NULL, COOKIE_KEEP);
	if (q->raw_too_long ||
	    vault_http_parse_target(q->raw, q->path, sizeof q->path, &q->query) < 0)
		return refuse(q, method, MHD_HTTP_BAD_REQUEST, VAULT_R_HTTP_BAD_PATH, NULL,
			      COOKIE_KEEP);

	if (strncmp(q->path, "/api/", 5) && strcmp(q->path, "/api")) {
		q->op = OP_STATIC;
		if (!get && !head)
			return refuse(q, method, MHD_HTTP_METHOD_NOT_ALLOWED, VAULT_R_HTTP_METHOD,
				      NULL, COOKIE_KEEP);
		return serve_static(q, method);
	}
	const char *rest = q->path + 5;
	if (!strcmp(rest, "login"))
		q->op = OP_LOGIN;
	else if (!strcmp(rest, "logout"))
		q->op = OP_LOGOUT;
	else if (!strcmp(rest, "session"))
		q->op = OP_SESSION;
	else if (!strncmp(rest, "action/", 7) && name_ok(rest + 7))
		q->op = OP_ACTION, snprintf(q->name, sizeof q->name, "%s", rest + 7);
	else if (name_ok(rest) && !strchr(rest, '/'))
		q->op = OP_QUERY, snprintf(q->name, sizeof q->name, "%s", rest);
	else
		return refuse(q, method, MHD_HTTP_NOT_FOUND, VAULT_R_HTTP_NOT_FOUND, NULL,
			      COOKIE_KEEP);
	if (q->op == OP_ACTION || q->op == OP_QUERY) {
		if (h->svc.specs) {
			q->spec = find_spec(h, q->name, q->op == OP_QUERY);
			if (!q->spec)
				return refuse(q, method, MHD_HTTP_NOT_FOUND, VAULT_R_HTTP_NOT_FOUND,
					      q->name, COOKIE_KEEP);
		}
	}
	int want_post = q->op == OP_LOGIN || q->op == OP_LOGOUT || q->op == OP_ACTION;
	if (want_post ? !post : !get)
		return refuse(q, method, MHD_HTTP_METHOD_NOT_ALLOWED, VAULT_R_HTTP_METHOD, NULL,
			      COOKIE_KEEP);

	/* Session (everything but login needs one; /api/session answers without). */
	struct session *sess = NULL;
	enum sess_state st = session_find(h, c, &sess);
	if (st == S_OK && q->op == OP_LOGIN) {
		q->old = sess;
		q->old_serial = sess->serial;
	} else if (st == S_OK) {
		q->sess = sess;
		q->sess_serial = sess->serial;
		/* The page sends its language with every request (a person may
		 * switch it after signing in); without one, the session's. */
		if (!q->lang_asked)
			snprintf(q->lang, sizeof q->lang, "%s", sess->lang);
	}
	if (q->op == OP_SESSION && st == S_NONE) {
		cJSON *b = cJSON_CreateObject();
		cJSON_AddBoolToObject(b, "ok", 1);
		cJSON_AddBoolToObject(b, "authenticated", 0);
		cJSON_AddStringToObject(b, "lang", q->lang);
		return send_json(q, MHD_HTTP_OK, b, COOKIE_KEEP, NULL);
	}
	if (q->op != OP_LOGIN && st != S_OK)
		return refuse_session(q, method, st);

	if (post) {
		if (!origin_ok(c))
			return refuse(q, method, MHD_HTTP_FORBIDDEN, VAULT_R_HTTP_ORIGIN, NULL,
				      COOKIE_KEEP);
		if (q->op != OP_LOGIN && !csrf_ok(c, q->sess))
			return refuse(q, method, MHD_HTTP_FORBIDDEN, VAULT_R_HTTP_CSRF, NULL,
				      COOKIE_KEEP);
	}
	if (q->spec && q->sess) {
		unsigned k = !strcmp(q->sess->kind, "kiosk") ? VAULT_HTTP_KIOSK : VAULT_HTTP_CONSOLE;
		if (!(q->spec->kinds & k))
			return refuse(q, method, MHD_HTTP_FORBIDDEN, VAULT_R_HTTP_SESSION_KIND,
				      q->name, COOKIE_KEEP);
	}

	if (q->op == OP_SESSION)
		return send_json(q, MHD_HTTP_OK, session_json(h, q->sess), COOKIE_KEEP, NULL);

	if (post) {
		if (MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						MHD_HTTP_HEADER_TRANSFER_ENCODING))
			return refuse(q, method, MHD_HTTP_LENGTH_REQUIRED,
				      VAULT_R_HTTP_LENGTH_REQUIRED, NULL, COOKIE_KEEP);
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		unsigned long long n = 0;
		if (cl) {
			char *end;
			errno = 0;
			n = strtoull(cl, &end, 10);
			if (errno || end == cl || *end || cl[0] == '-')
				return refuse(q, method, MHD_HTTP_BAD_REQUEST, VAULT_R_BAD_REQUEST,
					      "Content-Length", COOKIE_KEEP);
		}
		if (n > h->max_body) {
			char d[64];
			snprintf(d, sizeof d, "limit %zu bytes", h->max_body);
			return refuse(q, method, MHD_HTTP_CONTENT_TOO_LARGE, VAULT_R_HTTP_TOO_LARGE,
				      d, COOKIE_KEEP);
		}
		if (q->op != OP_LOGOUT) {
			if (!is_json_type(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
								      MHD_HTTP_HEADER_CONTENT_TYPE)))
				return refuse(q, method, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
					      VAULT_R_HTTP_CONTENT_TYPE, NULL, COOKIE_KEEP);
		}
		q->cap = (size_t)n;
		q->body = malloc(q->cap + 1);
		if (!q->body)
			return MHD_NO;
		q->stage = 1;
		return MHD_YES; /* the body follows */
	}

	/* GET query */
	if (q->spec && q->spec->fields)
		for (const cJSON *p = q->query->child; p; p = p->next) {
			int known = 0;
			for (const char *const *f = q->spec->fields; *f; f++)
				if (!strcmp(*f, p->string))
					known = 1;
			if (!known)
				return refuse(q, method, MHD_HTTP_BAD_REQUEST, VAULT_R_HTTP_BAD_FIELD,
					      p->string, COOKIE_KEEP);
		}
	return call_service(q, method, q->query);
}

/* The body is in: validate it and call the service. */
static enum MHD_Result last_call(struct req *q, const char *method)
{
	struct vault_http *h = q->h;
	if (q->op == OP_LOGOUT) {
		struct session *s = req_session(q);
		if (!s)
			return refuse_session(q, method, S_EXPIRED);
		q->sess = NULL;
		session_drop(h, s, "logout", 0);
		cJSON *b = cJSON_CreateObject();
		cJSON_AddBoolToObject(b, "ok", 1);
		return send_json(q, MHD_HTTP_OK, b, COOKIE_CLEAR, NULL);
	}
	cJSON *j = NULL;
	if (vault_http_parse_json(q->body, q->len, &j) < 0)
		return refuse(q, method, MHD_HTTP_BAD_REQUEST, VAULT_R_HTTP_BAD_JSON, NULL,
			      COOKIE_KEEP);
	enum MHD_Result ret;
	if (q->op == OP_LOGIN) {
		const cJSON *kind = NULL, *lang = NULL, *cred = NULL;
		const char *bad = NULL;
		for (const cJSON *p = j->child; p && !bad; p = p->next) {
			if (!strcmp(p->string, "kind"))
				kind = p;
			else if (!strcmp(p->string, "lang"))
				lang = p;
			else if (!strcmp(p->string, "credentials"))
				cred = p;
			else
				bad = p->string;
		}
		if (!bad && (!cJSON_IsString(kind) || (strcmp(kind->valuestring, "kiosk") &&
						       strcmp(kind->valuestring, "console"))))
			bad = "kind";
		if (!bad && lang && (!cJSON_IsString(lang) || (strcmp(lang->valuestring, "zh-CN") &&
							       strcmp(lang->valuestring, "en"))))
			bad = "lang";
		if (!bad && !cJSON_IsObject(cred))
			bad = "credentials";
		if (bad) {
			char d[80];
			snprintf(d, sizeof d, "%.70s", bad);
			ret = refuse(q, method, MHD_HTTP_BAD_REQUEST, VAULT_R_HTTP_BAD_FIELD, d,
				     COOKIE_KEEP);
		} else {
			snprintf(q->login_kind, sizeof q->login_kind, "%s", kind->valuestring);
			if (lang)
				snprintf(q->lang, sizeof q->lang, "%s", lang->valuestring);
			ret = call_service(q, method, cred);
		}
		cJSON_Delete(j);
		return ret;
	}
	/* OP_ACTION */
	if (q->spec && q->spec->fields)
		for (const cJSON *p = j->child; p; p = p->next) {
			int known = 0;
			for (const char *const *f = q->spec->fields; *f; f++)
				if (!strcmp(*f, p->string))
					known = 1;
			if (!known) {
				char d[80];
				snprintf(d, sizeof d, "%.70s", p->string);
				cJSON_Delete(j);
				return refuse(q, method, MHD_HTTP_BAD_REQUEST, VAULT_R_HTTP_BAD_FIELD,
					      d, COOKIE_KEEP);
			}
		}
	ret = call_service(q, method, j);
	cJSON_Delete(j);
	return ret;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
				 const char *method, const char *version, const char *upload,
				 size_t *upload_size, void **con_cls)
{
	struct req *q = *con_cls;
	if (!q)
		return MHD_NO; /* the URI callback failed to allocate */
	q->conn = c;
	if (q->stage == 3)
		return MHD_YES;
	if (q->stage == 2) {
		/* Resumed after vault_http_complete(). */
		if (!q->have_result)
			return MHD_YES;
		q->have_result = 0;
		return send_result(q, &q->res);
	}
	if (q->stage == 0)
		return first_call(q, method);
	/* stage 1: the body */
	if (*upload_size) {
		/* MHD never hands more than Content-Length, which is <= cap; this
		 * check guards the copy anyway. */
		if (*upload_size > q->cap - q->len)
			return MHD_NO;
		memcpy(q->body + q->len, upload, *upload_size);
		q->len += *upload_size;
		*upload_size = 0;
		return MHD_YES;
	}
	q->body[q->len] = 0;
	return last_call(q, method);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct req *q = calloc(1, sizeof *q);
	if (!q)
		return NULL;
	q->h = cls;
	q->conn = c;
	if (vault_strlcpy(q->raw, uri ? uri : "", sizeof q->raw) < 0)
		q->raw_too_long = 1;
	return q;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct vault_http *h = cls;
	struct req *q = *con_cls;
	if (!q)
		return;
	pending_del(h, q);
	cJSON_Delete(q->query);
	cJSON_Delete(q->res.data);
	if (q->body) {
		sodium_memzero(q->body, q->cap); /* may hold a PIN or password */
		free(q->body);
	}
	free(q);
	*con_cls = NULL;
}

/* ---- setup ------------------------------------------------------------ */

static int parse_bind(const char *addr, int allow, struct sockaddr_storage *ss, int *ret_v6,
		      int *ret_loopback)
{
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		*ret_v6 = 0;
		*ret_loopback = (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
		if (!*ret_loopback && !allow)
			return -EPERM;
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		*ret_v6 = 1;
		*ret_loopback = IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
		if (!*ret_loopback && !allow)
			return -EPERM;
		return 0;
	}
	return -EINVAL;
}

int vault_http_new(const struct vault_http_config *cfg, struct vault_loop *loop,
		   const struct vault_http_service *svc, void *svc_ud, struct vault_http **ret)
{
	if (!cfg || !loop || !svc || !ret || cfg->port > 65535)
		return -EINVAL;
	if (sodium_init() < 0)
		return -EIO;
	if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) != MHD_YES)
		return -EOPNOTSUPP;
	struct sockaddr_storage ss;
	int v6 = 0, loopback = 0;
	int r = parse_bind(cfg->bind_address ? cfg->bind_address : "127.0.0.1",
			   cfg->allow_non_loopback, &ss, &v6, &loopback);
	if (r < 0)
		return r;
	if (v6)
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)cfg->port);
	else
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)cfg->port);

	struct vault_http *h = calloc(1, sizeof *h);
	if (!h)
		return -ENOMEM;
	h->loop = loop;
	h->epfd = -1;
	h->rootfd = -1;
	h->svc = *svc;
	h->ud = svc_ud;
	h->max_body = cfg->max_body ? cfg->max_body : 16 * 1024;
	h->max_sessions = cfg->max_sessions ? cfg->max_sessions : 64;
	h->max_pending = cfg->max_pending ? cfg->max_pending : 8;
	h->idle_us = (int64_t)(cfg->idle_timeout_s ? cfg->idle_timeout_s : 300) * 1000000;
	h->kiosk_idle_us =
		cfg->kiosk_idle_timeout_s ? (int64_t)cfg->kiosk_idle_timeout_s * 1000000 : h->idle_us;
	h->life_us = (int64_t)(cfg->lifetime_s ? cfg->lifetime_s : 28800) * 1000000;
	h->cookie_secure = cfg->cookie_secure;
	h->loopback = loopback;
	h->clock = cfg->clock_mono_us;
	h->clock_ud = cfg->clock_ud;
	const char *lang = cfg->default_lang ? cfg->default_lang : "zh-CN";
	const char *index = cfg->index_file ? cfg->index_file : "kiosk.html";
	if ((strcmp(lang, "zh-CN") && strcmp(lang, "en")) || !static_type(index) ||
	    h->max_body > 1024 * 1024 ||
	    vault_strlcpy(h->allowed_host, cfg->allowed_host ? cfg->allowed_host : "",
			  sizeof h->allowed_host) < 0) {
		free(h);
		return -EINVAL;
	}
	const char *bad;
	if (proxies_parse(cfg->trusted_proxies, h->proxies, &h->nproxies, &bad) < 0) {
		free(h);
		return -EINVAL;
	}
	snprintf(h->default_lang, sizeof h->default_lang, "%s", lang);
	snprintf(h->index_file, sizeof h->index_file, "%s", index);
	h->sessions = calloc(h->max_sessions, sizeof *h->sessions);
	if (!h->sessions) {
		free(h);
		return -ENOMEM;
	}
	if (cfg->static_root) {
		h->rootfd = open(cfg->static_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (h->rootfd < 0) {
			r = -errno;
			vault_http_free(h);
			return r;
		}
	}
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | (v6 ? MHD_USE_IPv6 : 0);
	errno = 0;
	h->mhd = MHD_start_daemon(
		flags, (uint16_t)cfg->port, NULL, NULL, on_access, h, MHD_OPTION_SOCK_ADDR, &ss,
		MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)(cfg->max_connections ? cfg->max_connections : 32),
		MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)(cfg->connection_timeout_s ? cfg->connection_timeout_s : 30),
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32 * 1024, MHD_OPTION_URI_LOG_CALLBACK,
		on_uri, h, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_END);
	if (!h->mhd) {
		r = errno ? -errno : -EIO;
		vault_http_free(h);
		return r;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	const union MHD_DaemonInfo *pi = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	if (!di || !pi) {
		vault_http_free(h);
		return -EIO;
	}
	h->port = pi->port;
	if ((r = vault_loop_add_fd(loop, di->epoll_fd, EPOLLIN, on_epoll, h)) < 0) {
		vault_http_free(h);
		return r;
	}
	h->epfd = di->epoll_fd;
	if ((r = vault_loop_timer_in(loop, SWEEP_US, on_sweep, h, &h->sweep_timer)) < 0) {
		vault_http_free(h);
		return r;
	}
	*ret = h;
	return 0;
}

void vault_http_free(struct vault_http *h)
{
	if (!h)
		return;
	h->freeing = 1;
	if (h->epfd >= 0)
		vault_loop_del_fd(h->loop, h->epfd);
	vault_loop_timer_cancel(h->loop, h->mhd_timer);
	vault_loop_timer_cancel(h->loop, h->kick_timer);
	vault_loop_timer_cancel(h->loop, h->sweep_timer);
	if (h->mhd) {
		/* MHD refuses to stop with suspended connections: resume them; they
		 * are closed without a reply by the stop. */
		for (struct req *q = h->pending; q; q = q->next_pending)
			if (q->suspended) {
				q->suspended = 0;
				MHD_resume_connection(q->conn);
			}
		MHD_stop_daemon(h->mhd);
	}
	if (h->rootfd >= 0)
		close(h->rootfd);
	if (h->sessions) {
		sodium_memzero(h->sessions, h->max_sessions * sizeof *h->sessions);
		free(h->sessions);
	}
	sodium_memzero(h->tomb, sizeof h->tomb);
	free(h);
}

unsigned vault_http_port(const struct vault_http *h)
{
	return h ? h->port : 0;
}

int vault_http_end_sessions(struct vault_http *h, const char *kind, const char *person,
			    const char *why)
{
	int n = 0;
	for (unsigned i = 0; h && i < h->max_sessions; i++) {
		struct session *s = &h->sessions[i];
		if (s->used && (!kind || !strcmp(kind, s->kind)) &&
		    (!person || !strcmp(person, s->person))) {
			session_drop(h, s, why ? why : "ended", 1);
			n++;
		}
	}
	return n;
}

unsigned vault_http_session_count(const struct vault_http *h)
{
	unsigned n = 0;
	for (unsigned i = 0; h && i < h->max_sessions; i++)
		n += h->sessions[i].used != 0;
	return n;
}
