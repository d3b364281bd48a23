/* SPDX-License-Identifier: MIT */
/*
 * The HTTP layer through the real libmicrohttpd, inside the real loop, driven by
 * a raw-socket client over loopback (so malformed requests can be sent as-is).
 * The service is a fake that counts its calls: the module under test is the
 * HTTP layer itself, and "nothing changed" means the service was not called.
 */
#include "tap.h"
#include "vault/http.h"
#include "vault/loop.h"
#include "vault/util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static struct vault_loop *L;
static struct vault_http *H;
static int64_t fake_now = 1000000000000LL;

/* ---- fake service ---- */
static int n_login, n_action, n_query, n_refused, n_end, quit_on_pending;
static enum vault_reason last_refusal;
static unsigned last_refusal_status;
static char last_end[16], last_action[64], last_args[512], last_params[512];
static pthread_t worker;
static int worker_started;

struct done_msg {
	uint64_t call;
	int login;
};

static void on_done(struct vault_loop *l, void *m, int quitting)
{
	struct done_msg *d = m;
	if (!quitting) {
		struct vault_http_result res = {.reason = VAULT_R_OK};
		res.data = cJSON_CreateObject();
		cJSON_AddBoolToObject(res.data, "done", 1);
		if (d->login) {
			snprintf(res.person, sizeof res.person, "C2");
			snprintf(res.role, sizeof res.role, "staff");
		}
		vault_http_complete(H, d->call, &res);
	}
	free(d);
}

/* Stands for PIN hashing: a worker thread finishes and posts to the loop. */
static void *work(void *arg)
{
	usleep(20000);
	vault_loop_post(L, on_done, arg);
	return NULL;
}

static int go_pending(uint64_t call, int login)
{
	if (quit_on_pending) {
		vault_loop_quit(L);
		return VAULT_HTTP_PENDING;
	}
	struct done_msg *d = calloc(1, sizeof *d);
	d->call = call;
	d->login = login;
	pthread_create(&worker, NULL, work, d);
	worker_started = 1;
	return VAULT_HTTP_PENDING;
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static int f_login(void *ud, uint64_t call, const char *kind, const cJSON *cred,
		   struct vault_http_result *res)
{
	n_login++;
	if (!strcmp(kind, "kiosk") && !strcmp(str(cred, "pin"), "pending"))
		return go_pending(call, 1);
	if (!strcmp(kind, "kiosk") && !strcmp(str(cred, "pin"), "482913")) {
		snprintf(res->person, sizeof res->person, "C1");
		snprintf(res->role, sizeof res->role, "custodian");
		return VAULT_HTTP_DONE;
	}
	if (!strcmp(kind, "console") && !strcmp(str(cred, "user"), "sup") &&
	    !strcmp(str(cred, "password"), "pw") && !strcmp(str(cred, "otp"), "123456")) {
		snprintf(res->person, sizeof res->person, "S1");
		snprintf(res->role, sizeof res->role, "supervisor");
		return VAULT_HTTP_DONE;
	}
	res->reason = VAULT_R_PERSON_UNKNOWN;
	return VAULT_HTTP_DONE;
}

static int f_action(void *ud, uint64_t call, const struct vault_http_principal *who,
		    const char *name, const cJSON *args, struct vault_http_result *res)
{
	n_action++;
	snprintf(last_action, sizeof last_action, "%s:%s", who->person, name);
	char *t = cJSON_PrintUnformatted(args);
	snprintf(last_args, sizeof last_args, "%s", t ? t : "");
	free(t);
	if (!strcmp(name, "slow"))
		return go_pending(call, 0);
	res->data = cJSON_CreateObject();
	cJSON_AddStringToObject(res->data, "did", name);
	return VAULT_HTTP_DONE;
}

static int f_query(void *ud, uint64_t call, const struct vault_http_principal *who,
		   const char *name, const cJSON *params, struct vault_http_result *res)
{
	n_query++;
	char *t = cJSON_PrintUnformatted(params);
	snprintf(last_params, sizeof last_params, "%s", t ? t : "");
	free(t);
	res->data = cJSON_CreateObject();
	cJSON_AddItemToObject(res->data, "entries", cJSON_CreateArray());
	return VAULT_HTTP_DONE;
}

static void f_refused(void *ud, const struct vault_http_refusal *r)
{
	n_refused++;
	last_refusal = r->reason;
	last_refusal_status = r->status;
}

static void f_end(void *ud, const struct vault_http_principal *who, const char *why)
{
	n_end++;
	snprintf(last_end, sizeof last_end, "%s", why);
}

static const char *const checkout_fields[] = {"approval", "media", NULL};
static const char *const ack_fields[] = {"id", NULL};
static const char *const ledger_fields[] = {"since", "limit", NULL};
static const struct vault_http_spec specs[] = {
	{"checkout", 0, VAULT_HTTP_KIOSK, checkout_fields},
	{"slow", 0, VAULT_HTTP_KIOSK | VAULT_HTTP_CONSOLE, NULL},
	{"ack_alert", 0, VAULT_HTTP_CONSOLE, ack_fields},
	{"ledger", 1, VAULT_HTTP_KIOSK | VAULT_HTTP_CONSOLE, ledger_fields},
	{NULL, 0, 0, NULL},
};
static const struct vault_http_service svc = {
	.specs = specs,
	.login = f_login,
	.action = f_action,
	.query = f_query,
	.refused = f_refused,
	.session_end = f_end,
};

static int64_t fake_clock(void *ud)
{
	return fake_now;
}

/* ---- raw HTTP client driven by the loop ---- */
struct xfer {
	const char *out;
	size_t outlen, outpos;
	char in[256 * 1024];
	size_t inlen;
	int done;
};

static void on_client(struct vault_loop *l, int fd, uint32_t events, void *ud)
{
	struct xfer *x = ud;
	if ((events & EPOLLOUT) && x->outpos < x->outlen) {
		ssize_t n = send(fd, x->out + x->outpos, x->outlen - x->outpos,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0)
			x->outpos += (size_t)n;
		else if (errno != EAGAIN)
			x->outpos = x->outlen; /* the server closed early (413...) */
		if (x->outpos == x->outlen)
			vault_loop_mod_fd(l, fd, EPOLLIN);
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		for (;;) {
			ssize_t n = recv(fd, x->in + x->inlen, sizeof x->in - 1 - x->inlen,
					 MSG_DONTWAIT);
			if (n > 0) {
				x->inlen += (size_t)n;
				continue;
			}
			if (n < 0 && errno == EAGAIN)
				return;
			break;
		}
		x->in[x->inlen] = 0;
		x->done = 1;
		vault_loop_quit(l);
	}
}

static void on_safety(struct vault_loop *l, uint64_t id, void *ud)
{
	vault_loop_quit(l); /* a hung exchange fails its check, never hangs the test */
}

struct resp {
	int status;
	char head[8192];
	const char *body;
	cJSON *json;
	int done;
	int fd; /* kept open only for keep_open exchanges */
};

static struct xfer X;

static int client_connect(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)vault_http_port(H))};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static void parse_resp(struct resp *r)
{
	r->status = 0;
	r->json = NULL;
	r->body = "";
	r->head[0] = 0;
	sscanf(X.in, "HTTP/1.%*d %d", &r->status);
	char *e = strstr(X.in, "\r\n\r\n");
	if (e) {
		size_t hl = (size_t)(e - X.in);
		if (hl >= sizeof r->head)
			hl = sizeof r->head - 1;
		memcpy(r->head, X.in, hl);
		r->head[hl] = 0;
		r->body = e + 4;
		r->json = cJSON_Parse(r->body);
	}
}

/* Send raw bytes, run the loop until the server closes. keep_open: return as
 * soon as the loop is quit by someone else (the fd stays open in r->fd). */
static void exchange_raw(const char *req, size_t len, struct resp *r, int keep_open)
{
	cJSON_Delete(r->json);
	r->json = NULL;
	memset(&X, 0, sizeof X);
	X.out = req;
	X.outlen = len;
	r->fd = -1;
	int fd = client_connect();
	if (fd < 0) {
		memset(r, 0, sizeof *r);
		r->body = "";
		return;
	}
	vault_loop_add_fd(L, fd, EPOLLIN | EPOLLOUT, on_client, &X);
	uint64_t safety;
	vault_loop_timer_in(L, 10 * 1000000LL, on_safety, NULL, &safety);
	vault_loop_run(L, NULL);
	vault_loop_timer_cancel(L, safety);
	vault_loop_del_fd(L, fd);
	if (worker_started) {
		pthread_join(worker, NULL);
		worker_started = 0;
	}
	if (keep_open && !X.done) {
		r->fd = fd;
		r->done = 0;
		return;
	}
	close(fd);
	parse_resp(r);
	r->done = X.done;
}

static char cookie[80], csrf[80];

/* A request with our cookie/CSRF as asked; body NULL: no body, no length. */
static void request(const char *method, const char *path, const char *extra, const char *body,
		    struct resp *r)
{
	static char buf[64 * 1024];
	int n = snprintf(buf, sizeof buf, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n%s",
			 method, path, vault_http_port(H), extra ? extra : "");
	if (body)
		n += snprintf(buf + n, sizeof buf - (size_t)n,
			      "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
	else
		n += snprintf(buf + n, sizeof buf - (size_t)n, "\r\n");
	exchange_raw(buf, (size_t)n, r, 0);
}

/* POST JSON with the session cookie and (if given) a CSRF token. */
static void post(const char *path, const char *token, const char *body, struct resp *r)
{
	char extra[512];
	snprintf(extra, sizeof extra, "Content-Type: application/json\r\n%s%s%s%s%s",
		 cookie[0] ? "Cookie: " : "", cookie, cookie[0] ? "\r\n" : "",
		 token ? "X-CSRF-Token: " : "", token ? token : "");
	if (token)
		strcat(extra, "\r\n");
	request("POST", path, extra, body, r);
}

static void get(const char *path, struct resp *r)
{
	char extra[256] = "";
	if (cookie[0])
		snprintf(extra, sizeof extra, "Cookie: %s\r\n", cookie);
	request("GET", path, extra, NULL, r);
}

/* Value of header `name` (case-insensitive), or "" */
static const char *header(const struct resp *r, const char *name, char *out, size_t size)
{
	out[0] = 0;
	size_t n = strlen(name);
	for (const char *p = r->head; (p = strstr(p, "\r\n")); p += 2) {
		if (!strncasecmp(p + 2, name, n) && p[2 + n] == ':') {
			const char *v = p + 3 + n;
			v += strspn(v, " ");
			size_t l = strcspn(v, "\r");
			if (l >= size)
				l = size - 1;
			memcpy(out, v, l);
			out[l] = 0;
			return out;
		}
	}
	return out;
}

static const char *code(const struct resp *r)
{
	return str(r->json, "code");
}

static int is_json_error(const struct resp *r, int status, const char *id)
{
	char ct[128];
	header(r, "Content-Type", ct, sizeof ct);
	const cJSON *okv = cJSON_GetObjectItemCaseSensitive(r->json, "ok");
	return r->status == status && cJSON_IsFalse(okv) && !strcmp(code(r), id) &&
	       str(r->json, "error")[0] && str(r->json, "error_en")[0] &&
	       !strncmp(ct, "application/json", 16);
}

static int count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	fputs(s, f);
	fclose(f);
}

/* Remember cookie and csrf from a login reply. */
static int take_session(const struct resp *r)
{
	char sc[256];
	header(r, "Set-Cookie", sc, sizeof sc);
	size_t n = strcspn(sc, ";");
	if (strncmp(sc, "vault_session=", 14) || n >= sizeof cookie)
		return 0;
	memcpy(cookie, sc, n);
	cookie[n] = 0;
	snprintf(csrf, sizeof csrf, "%s", str(r->json, "csrf"));
	return strlen(csrf) == 64;
}

int main(void)
{
	char tmp[] = "/tmp/vault-http.XXXXXX", path[512], h1[512], h2[512];
	if (!mkdtemp(tmp))
		tap_skip_all("cannot make a temp dir");
	snprintf(path, sizeof path, "%s/www", tmp);
	mkdir(path, 0755);
	snprintf(h1, sizeof h1, "%s/secret.html", tmp);
	write_file(h1, "TOP-SECRET-OUTSIDE-ROOT");
	snprintf(h1, sizeof h1, "%s/www/index.html", tmp);
	write_file(h1, "<!doctype html><title>kiosk</title>");
	snprintf(h1, sizeof h1, "%s/www/app.js", tmp);
	write_file(h1, "console.log(1);");
	snprintf(h1, sizeof h1, "%s/www/notes.exe", tmp);
	write_file(h1, "MZ");
	snprintf(h1, sizeof h1, "%s/www/link.html", tmp);
	snprintf(h2, sizeof h2, "%s/secret.html", tmp);
	if (symlink(h2, h1) < 0)
		tap_skip_all("cannot make a symlink");

	ok(vault_loop_new(&L) == 0, "loop created");
	int threads_before = count_threads();

	struct vault_http_config cfg = {.static_root = path, .index_file = "index.html",
					.clock_mono_us = fake_clock, .idle_timeout_s = 300,
					.kiosk_idle_timeout_s = 120, .lifetime_s = 3600};
	struct vault_http *x = NULL;
	cfg.bind_address = "0.0.0.0";
	int r1 = vault_http_new(&cfg, L, &svc, NULL, &x);
	cfg.bind_address = "192.0.2.1";
	int r2 = vault_http_new(&cfg, L, &svc, NULL, &x);
	cfg.bind_address = "::";
	int r3 = vault_http_new(&cfg, L, &svc, NULL, &x);
	ok(r1 == -EPERM && r2 == -EPERM && r3 == -EPERM && !x,
	   "binding 0.0.0.0, a LAN address or :: without explicit permission is refused (-EPERM)");
	cfg.bind_address = "not-an-address";
	ok(vault_http_new(&cfg, L, &svc, NULL, &x) == -EINVAL, "a malformed bind address is -EINVAL");
	cfg.bind_address = NULL;
	const char *at = NULL;
	ok(vault_http_proxies_check(NULL, &at) == 0 &&
	       vault_http_proxies_check("", &at) == 0 &&
	       vault_http_proxies_check(" 10.0.0.1 ,::1, 2001:db8::2 ,", &at) == 0,
	   "trusted proxies: none, or IPv4/IPv6 literals separated by commas");
	const char *list = "10.0.0.1, proxy.lan, ::1";
	ok(vault_http_proxies_check(list, &at) == -EINVAL && at == list + 10,
	   "a host name among them is -EINVAL, pointing at it");
	list = "10.0.0.1 10.0.0.2";
	ok(vault_http_proxies_check(list, &at) == -EINVAL && at == list + 9,
	   "two addresses without a comma are -EINVAL");
	ok(vault_http_proxies_check("1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4,5.5.5.5,6.6.6.6,7.7.7.7,"
				    "8.8.8.8,9.9.9.9",
				    &at) == -E2BIG,
	   "more than 8 are -E2BIG");
	cfg.trusted_proxies = "10.0.0.1, nope";
	ok(vault_http_new(&cfg, L, &svc, NULL, &x) == -EINVAL && !x,
	   "vault_http_new() with such a list is -EINVAL");
	cfg.trusted_proxies = NULL;
	int rn = vault_http_new(&cfg, L, &svc, NULL, &H);
	ok(rn == 0 && vault_http_port(H) > 0, "listening on 127.0.0.1 on an ephemeral port (%u)",
	   vault_http_port(H));
	if (rn < 0)
		return tap_done();
	ok(count_threads() == threads_before, "starting the module adds no thread (%d)",
	   count_threads());

	struct resp r = {0};
	char hv[256];

	/* static files */
	get("/", &r);
	ok(r.status == 200 && strstr(r.body, "<title>kiosk</title>") &&
		   !strcmp(header(&r, "Content-Type", hv, sizeof hv), "text/html; charset=utf-8"),
	   "GET / serves the index page as text/html");
	ok(!strcmp(header(&r, "X-Content-Type-Options", hv, sizeof hv), "nosniff") &&
		   !strcmp(header(&r, "X-Frame-Options", hv, sizeof hv), "DENY") &&
		   !strcmp(header(&r, "Referrer-Policy", hv, sizeof hv), "no-referrer") &&
		   !strncmp(header(&r, "Content-Security-Policy", hv, sizeof hv),
			    "default-src 'self'", 18),
	   "pages carry CSP default-src 'self', nosniff, X-Frame-Options DENY, no-referrer");
	get("/app.js", &r);
	ok(r.status == 200 && !strcmp(header(&r, "Content-Type", hv, sizeof hv),
				      "text/javascript; charset=utf-8"),
	   "a .js file is served as text/javascript");
	int ref0 = n_refused;
	get("/notes.exe", &r);
	ok(is_json_error(&r, 404, "HTTP_NOT_FOUND"),
	   "a file with an extension outside the content-type table is 404 JSON");
	get("/link.html", &r);
	ok(is_json_error(&r, 404, "HTTP_NOT_FOUND") && !strstr(r.body, "TOP-SECRET"),
	   "a symlink in the web root leading out of it is not followed (404)");
	const char *trav[] = {"/../secret.html", "/%2e%2e/secret.html", "/%2E%2E%2Fsecret.html",
			      "/www/../../secret.html", "/..%2fsecret.html", "/.%2e/secret.html",
			      "/index.html%00.png", "/api/../secret.html"};
	int leaked = 0, nonjson = 0;
	for (size_t i = 0; i < VAULT_ARRAY_SIZE(trav); i++) {
		get(trav[i], &r);
		if (strstr(r.body, "TOP-SECRET"))
			leaked++;
		if (r.status < 400 || !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r.json, "ok")))
			nonjson++;
	}
	ok(leaked == 0 && nonjson == 0,
	   "path traversal (../, %%2e%%2e, encoded slash, %%00) is refused with a JSON error, "
	   "nothing outside the root served");
	get("/nope.html", &r);
	ok(is_json_error(&r, 404, "HTTP_NOT_FOUND"), "an unknown page is 404 JSON");
	request("PUT", "/index.html", NULL, "x", &r);
	ok(is_json_error(&r, 405, "HTTP_METHOD") &&
		   !strcmp(header(&r, "Allow", hv, sizeof hv), "GET, HEAD"),
	   "PUT on a page is 405 JSON with Allow: GET, HEAD");
	ok(n_refused - ref0 == 4 + (int)VAULT_ARRAY_SIZE(trav),
	   "every refusal so far was reported to the service (%d)", n_refused - ref0);

	{
		char req[256];
		int n = snprintf(req, sizeof req,
				 "GET /api/session HTTP/1.1\r\nHost: rebind.example:%u\r\n"
				 "Connection: close\r\n\r\n", vault_http_port(H));
		exchange_raw(req, (size_t)n, &r, 0);
		ok(is_json_error(&r, 421, "HTTP_HOST"),
		   "a Host other than a loopback name (DNS rebinding) is 421 HTTP_HOST");
		n = snprintf(req, sizeof req,
			     "GET /api/session HTTP/1.1\r\nHost: localhost:%u\r\n"
			     "Connection: close\r\n\r\n", vault_http_port(H));
		exchange_raw(req, (size_t)n, &r, 0);
		ok(r.status == 200, "Host: localhost:<port> is accepted");
	}

	/* session API before login */
	get("/api/session", &r);
	ok(r.status == 200 && cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r.json, "authenticated")) &&
		   !strcmp(header(&r, "Cache-Control", hv, sizeof hv), "no-store"),
	   "GET /api/session without a cookie: not authenticated, Cache-Control no-store");

	/* login: bad requests never reach the service */
	int nl = n_login;
	request("POST", "/api/login", "Content-Type: text/plain\r\n",
		"{\"kind\":\"kiosk\",\"credentials\":{\"pin\":\"482913\"}}", &r);
	ok(is_json_error(&r, 415, "HTTP_CONTENT_TYPE"), "login with Content-Type text/plain is 415");
	request("POST", "/api/login",
		"Content-Type: application/x-www-form-urlencoded\r\n", "kind=kiosk", &r);
	ok(is_json_error(&r, 415, "HTTP_CONTENT_TYPE"), "a form-encoded login (what a cross-site form sends) is 415");
	post("/api/login", NULL, "{\"kind\":\"kiosk\",", &r);
	ok(is_json_error(&r, 400, "HTTP_BAD_JSON"), "malformed JSON is 400 HTTP_BAD_JSON");
	post("/api/login", NULL, "[1,2,3]", &r);
	ok(is_json_error(&r, 400, "HTTP_BAD_JSON"), "a JSON array instead of an object is 400");
	post("/api/login", NULL, "{\"kind\":\"kiosk\",\"kind\":\"console\",\"credentials\":{}}", &r);
	ok(is_json_error(&r, 400, "HTTP_BAD_JSON"), "duplicate keys are 400 HTTP_BAD_JSON");
	post("/api/login", NULL, "{\"kind\":\"kiosk\",\"credentials\":{\"pin\":\"4829\\u000013\"}}", &r);
	ok(is_json_error(&r, 400, "HTTP_BAD_JSON"), "a \\u0000 inside a string is 400");
	post("/api/login", NULL, "{\"kind\":\"kiosk\",\"admin\":true,\"credentials\":{}}", &r);
	ok(is_json_error(&r, 400, "HTTP_BAD_FIELD") && !strcmp(str(r.json, "detail"), "admin"),
	   "an unknown login field is 400 HTTP_BAD_FIELD naming it");
	post("/api/login", NULL, "{\"kind\":\"root\",\"credentials\":{}}", &r);
	ok(is_json_error(&r, 400, "HTTP_BAD_FIELD"), "an unknown login kind is refused");
	request("GET", "/api/login", NULL, NULL, &r);
	ok(is_json_error(&r, 405, "HTTP_METHOD") && !strcmp(header(&r, "Allow", hv, sizeof hv), "POST"),
	   "GET /api/login is 405 with Allow: POST");
	ok(n_login == nl, "none of those reached the service's login (%d calls)", n_login - nl);

	/* error language */
	request("POST", "/api/login", "Content-Type: text/plain\r\nAccept-Language: en-US,en;q=0.8\r\n",
		"{}", &r);
	ok(!strcmp(str(r.json, "error"), vault_reason_text(VAULT_R_HTTP_CONTENT_TYPE, "en")),
	   "Accept-Language en gives English error text");
	request("POST", "/api/login", "Content-Type: text/plain\r\nAccept-Language: zh-CN,zh;q=0.9\r\n",
		"{}", &r);
	ok(!strcmp(str(r.json, "error"), vault_reason_text(VAULT_R_HTTP_CONTENT_TYPE, "zh-CN")) &&
		   !strcmp(str(r.json, "error_en"), vault_reason_text(VAULT_R_HTTP_CONTENT_TYPE, "en")),
	   "Accept-Language zh-CN gives Chinese text, error_en stays English");

	/* login refused by the service, then accepted */
	post("/api/login", NULL, "{\"kind\":\"kiosk\",\"credentials\":{\"pin\":\"000000\"}}", &r);
	ok(is_json_error(&r, 401, "PERSON_UNKNOWN") && !header(&r, "Set-Cookie", hv, sizeof hv)[0],
	   "a login the service refuses is 401 with its code and sets no cookie");
	post("/api/login", NULL,
	     "{\"kind\":\"kiosk\",\"lang\":\"en\",\"credentials\":{\"pin\":\"482913\"}}", &r);
	header(&r, "Set-Cookie", hv, sizeof hv);
	ok(r.status == 200 && strstr(hv, "HttpOnly") && strstr(hv, "SameSite=Strict") &&
		   strstr(hv, "Path=/") && !strstr(hv, "Secure"),
	   "login sets vault_session with HttpOnly; SameSite=Strict; Path=/ (no Secure unless configured): %s",
	   hv);
	ok(take_session(&r) && strlen(cookie) == 14 + 64 && !strcmp(str(r.json, "person"), "C1"),
	   "the session id is 256 bits (64 hex), the reply names the person and carries a CSRF token");
	char first_cookie[80];
	snprintf(first_cookie, sizeof first_cookie, "%s", cookie);
	get("/api/session", &r);
	ok(r.status == 200 && !strcmp(str(r.json, "person"), "C1") &&
		   !strcmp(str(r.json, "role"), "custodian") && !strcmp(str(r.json, "kind"), "kiosk") &&
		   !strcmp(str(r.json, "csrf"), csrf),
	   "GET /api/session returns person, role, kind and the same CSRF token");

	/* CSRF */
	int na = n_action;
	post("/api/action/checkout", NULL, "{\"approval\":\"AP1\",\"media\":[\"M1\"]}", &r);
	ok(is_json_error(&r, 403, "HTTP_CSRF") && last_refusal == VAULT_R_HTTP_CSRF,
	   "an action without X-CSRF-Token is 403 HTTP_CSRF, reported as a refusal");
	char wrong[80];
	snprintf(wrong, sizeof wrong, "%s", csrf);
	wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
	post("/api/action/checkout", wrong, "{\"approval\":\"AP1\",\"media\":[\"M1\"]}", &r);
	ok(is_json_error(&r, 403, "HTTP_CSRF"), "a wrong CSRF token (one digit off) is 403");
	post("/api/action/checkout", "short", "{\"approval\":\"AP1\",\"media\":[\"M1\"]}", &r);
	ok(is_json_error(&r, 403, "HTTP_CSRF"), "a CSRF token of the wrong length is 403");
	ok(n_action == na, "the action was not called for any of them");
	{
		char extra[512];
		snprintf(extra, sizeof extra,
			 "Content-Type: application/json\r\nCookie: %s\r\nX-CSRF-Token: %s\r\n"
			 "Origin: http://evil.example\r\n",
			 cookie, csrf);
		request("POST", "/api/action/checkout", extra, "{\"approval\":\"AP1\"}", &r);
		ok(is_json_error(&r, 403, "HTTP_ORIGIN") && n_action == na,
		   "a POST with a foreign Origin is 403 HTTP_ORIGIN, action not called");
	}
	post("/api/action/checkout", csrf, "{\"approval\":\"AP1\",\"media\":[\"M1\",\"M2\"]}", &r);
	ok(r.status == 200 && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r.json, "ok")) &&
		   !strcmp(str(r.json, "did"), "checkout") && n_action == na + 1 &&
		   !strcmp(last_action, "C1:checkout") &&
		   !strcmp(last_args, "{\"approval\":\"AP1\",\"media\":[\"M1\",\"M2\"]}"),
	   "with the right token the action runs once, as C1, with the args as sent");

	/* bodies */
	na = n_action;
	post("/api/action/checkout", csrf, "{\"approval\":\"AP1\",\"extra\":1}", &r);
	ok(is_json_error(&r, 400, "HTTP_BAD_FIELD"), "an undeclared field is 400 HTTP_BAD_FIELD");
	post("/api/action/checkout", csrf, "\"AP1\"", &r);
	ok(is_json_error(&r, 400, "HTTP_BAD_JSON"), "a JSON string body is 400 HTTP_BAD_JSON");
	post("/api/action/checkout", csrf, "{\"approval\":\"AP\xff\"}", &r);
	ok(is_json_error(&r, 400, "HTTP_BAD_JSON"), "invalid UTF-8 is 400 HTTP_BAD_JSON");
	{
		static char big[20001];
		memset(big, ' ', sizeof big - 1);
		big[0] = '{';
		big[sizeof big - 2] = '}';
		post("/api/action/checkout", csrf, big, &r);
		ok(is_json_error(&r, 413, "HTTP_TOO_LARGE"), "a 20000-byte body is 413 HTTP_TOO_LARGE");
		/* the limit itself: 16384 bytes pass, 16385 do not */
		static char edge[16386];
		size_t pre = strlen("{\"approval\":\""), post_len = strlen("\"}");
		memcpy(edge, "{\"approval\":\"", pre);
		memset(edge + pre, 'A', 16384 - pre - post_len);
		memcpy(edge + 16384 - post_len, "\"}", post_len + 1);
		int before_edge = n_action;
		post("/api/action/checkout", csrf, edge, &r);
		int at_limit = r.status;
		memmove(edge + 1, edge, 16385);
		edge[0] = ' ';
		post("/api/action/checkout", csrf, edge, &r);
		ok(at_limit == 200 && is_json_error(&r, 413, "HTTP_TOO_LARGE") &&
			   n_action == before_edge + 1,
		   "a body of exactly max_body (16384) is accepted, one byte more is 413");
		na = n_action;
		char extra[512];
		snprintf(extra, sizeof extra,
			 "Content-Type: application/json\r\nCookie: %s\r\nX-CSRF-Token: %s\r\n"
			 "Transfer-Encoding: chunked\r\n\r\n10\r\n{\"approval\":\"A\"}\r\n0\r\n\r\n",
			 cookie, csrf);
		request("POST", "/api/action/checkout", extra, NULL, &r);
		ok(is_json_error(&r, 411, "HTTP_LENGTH_REQUIRED"),
		   "a chunked upload (length unknown up front) is 411");
	}
	{
		char extra[512];
		snprintf(extra, sizeof extra, "Cookie: %s\r\nX-CSRF-Token: %s\r\n", cookie, csrf);
		request("POST", "/api/action/checkout", extra, "{\"approval\":\"AP1\"}", &r);
		ok(is_json_error(&r, 415, "HTTP_CONTENT_TYPE"), "an action POST without Content-Type is 415");
	}
	ok(n_action == na, "no body refusal reached the action (%d calls)", n_action - na);

	/* routes */
	get("/api/action/checkout", &r);
	ok(is_json_error(&r, 405, "HTTP_METHOD"), "GET on an action route is 405");
	post("/api/action/launch_missiles", csrf, "{}", &r);
	ok(is_json_error(&r, 404, "HTTP_NOT_FOUND"), "an action the service does not declare is 404");
	get("/api/no/such/thing", &r);
	ok(is_json_error(&r, 404, "HTTP_NOT_FOUND"), "an unknown API route is 404 JSON");
	post("/api/action/ack_alert", csrf, "{\"id\":\"A1\"}", &r);
	ok(is_json_error(&r, 403, "HTTP_SESSION_KIND"),
	   "a console-only action from a kiosk session is 403 HTTP_SESSION_KIND");
	ok(n_action == na, "none of them reached the action");
	get("/api/ledger?since=5&limit=10", &r);
	ok(r.status == 200 && n_query == 1 && !strcmp(last_params, "{\"since\":\"5\",\"limit\":\"10\"}"),
	   "GET /api/ledger?since=5&limit=10 reaches the query with its parameters");
	get("/api/ledger?since=5&since=6", &r);
	ok(is_json_error(&r, 400, "HTTP_BAD_PATH") && n_query == 1,
	   "a repeated query parameter is refused");
	get("/api/ledger?drop=1", &r);
	ok(is_json_error(&r, 400, "HTTP_BAD_FIELD") && n_query == 1,
	   "an undeclared query parameter is refused");

	/* pending: completed later through the loop by a worker's post */
	na = n_action;
	post("/api/action/slow", csrf, "{\"x\":1}", &r);
	ok(r.status == 200 && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r.json, "done")) &&
		   n_action == na + 1,
	   "a pending action completed later from the loop returns its result");
	{
		struct vault_http_result res = {.reason = VAULT_R_OK, .data = cJSON_CreateObject()};
		ok(vault_http_complete(H, 9999, &res) == -ENOENT && res.data == NULL,
		   "completing an unknown call is -ENOENT and still takes the data");
	}

	/* sessions: forged, expired */
	char saved[80];
	snprintf(saved, sizeof saved, "%s", cookie);
	snprintf(cookie, sizeof cookie, "vault_session=%064d", 7);
	na = n_action;
	post("/api/action/checkout", csrf, "{\"approval\":\"AP1\"}", &r);
	ok(is_json_error(&r, 401, "HTTP_NO_SESSION") &&
		   strstr(header(&r, "Set-Cookie", hv, sizeof hv), "Max-Age=0"),
	   "a forged session id is 401 HTTP_NO_SESSION and the cookie is cleared");
	snprintf(cookie, sizeof cookie, "vault_session=../../etc/passwd");
	get("/api/session", &r);
	ok(is_json_error(&r, 401, "HTTP_NO_SESSION"), "a malformed session cookie is 401");
	snprintf(cookie, sizeof cookie, "%s", saved);
	fake_now += 121LL * 1000000;
	post("/api/action/checkout", csrf, "{\"approval\":\"AP1\"}", &r);
	ok(is_json_error(&r, 401, "HTTP_SESSION_EXPIRED") && !strcmp(last_end, "idle") &&
		   n_action == na,
	   "after 121 s idle a kiosk session (kiosk idle 120 s) is 401 HTTP_SESSION_EXPIRED, "
	   "ended as idle, action not called");
	get("/api/session", &r);
	ok(is_json_error(&r, 401, "HTTP_SESSION_EXPIRED"), "the expired id stays expired");

	/* absolute lifetime: keep the session busy, it still ends */
	post("/api/login", NULL, "{\"kind\":\"console\",\"credentials\":{\"user\":\"sup\",\"password\":\"pw\",\"otp\":\"123456\"}}", &r);
	ok(r.status == 200 && take_session(&r) && strcmp(cookie, first_cookie),
	   "a console login gets a new, different session id");
	for (int i = 0; i < 13; i++) {
		fake_now += 290LL * 1000000;
		get("/api/session", &r);
	}
	ok(is_json_error(&r, 401, "HTTP_SESSION_EXPIRED") && !strcmp(last_end, "lifetime"),
	   "a console session (idle 300 s) used every 290 s lives on, and ends at its 1 h lifetime");

	/* background polls do not keep a session alive; the daemon can end sessions */
	post("/api/login", NULL, "{\"kind\":\"kiosk\",\"credentials\":{\"pin\":\"482913\"}}", &r);
	take_session(&r);
	{
		char extra[256];
		snprintf(extra, sizeof extra, "Cookie: %s\r\nX-Vault-Background: 1\r\n", cookie);
		fake_now += 100LL * 1000000;
		request("GET", "/api/ledger", extra, NULL, &r);
		int first_poll = r.status;
		fake_now += 100LL * 1000000;
		request("GET", "/api/ledger", extra, NULL, &r);
		ok(first_poll == 200 && is_json_error(&r, 401, "HTTP_SESSION_EXPIRED"),
		   "polls marked X-Vault-Background do not reset the idle clock (expired 200 s after login)");
	}
	post("/api/login", NULL, "{\"kind\":\"kiosk\",\"credentials\":{\"pin\":\"482913\"}}", &r);
	take_session(&r);
	int ended = vault_http_end_sessions(H, "kiosk", "C1", "badge_removed");
	get("/api/session", &r);
	ok(ended == 1 && is_json_error(&r, 401, "HTTP_SESSION_EXPIRED") &&
		   !strcmp(last_end, "badge_removed"),
	   "vault_http_end_sessions ends the kiosk session (badge removed); its next request is 401");

	/* pending login, logout */
	post("/api/login", NULL, "{\"kind\":\"kiosk\",\"credentials\":{\"pin\":\"pending\"}}", &r);
	ok(r.status == 200 && take_session(&r) && !strcmp(str(r.json, "person"), "C2"),
	   "a login completed later (PIN hashing off the loop) creates the session then");
	unsigned before = vault_http_session_count(H);
	post("/api/logout", NULL, NULL, &r);
	ok(is_json_error(&r, 403, "HTTP_CSRF") && vault_http_session_count(H) == before,
	   "logout without the CSRF token is refused and the session stays");
	post("/api/logout", csrf, NULL, &r);
	ok(r.status == 200 && strstr(header(&r, "Set-Cookie", hv, sizeof hv), "Max-Age=0") &&
		   vault_http_session_count(H) == before - 1 && !strcmp(last_end, "logout"),
	   "logout destroys the session and clears the cookie");
	get("/api/session", &r);
	ok(is_json_error(&r, 401, "HTTP_NO_SESSION"), "the logged-out id is no longer a session");

	/* a request suspended when the module is freed */
	post("/api/login", NULL, "{\"kind\":\"kiosk\",\"credentials\":{\"pin\":\"482913\"}}", &r);
	take_session(&r);
	quit_on_pending = 1;
	{
		char extra[512];
		snprintf(extra, sizeof extra,
			 "Content-Type: application/json\r\nCookie: %s\r\nX-CSRF-Token: %s\r\n", cookie,
			 csrf);
		static char buf[2048];
		int n = snprintf(buf, sizeof buf,
				 "POST /api/action/slow HTTP/1.1\r\nHost: localhost:%u\r\n"
				 "Connection: close\r\n%sContent-Length: 2\r\n\r\n{}",
				 vault_http_port(H), extra);
		exchange_raw(buf, (size_t)n, &r, 1);
	}
	int threads_end = count_threads();
	int fd = r.fd;
	vault_http_free(H);
	H = NULL;
	char b[64];
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	ssize_t got = -1;
	if (fd >= 0 && poll(&pfd, 1, 5000) == 1)
		got = recv(fd, b, sizeof b, 0);
	ok(fd >= 0 && got <= 0, "freeing the module closes a suspended request without a reply");
	if (fd >= 0)
		close(fd);
	ok(threads_end == threads_before,
	   "after all of it the process has as many threads as before (%d)", threads_end);

	/* the real pages */
	const char *src = getenv("VAULT_SRC");
	char web[512];
	snprintf(web, sizeof web, "%s/web", src ? src : ".");
	struct vault_http_config c2 = {.static_root = web, .cookie_secure = 1, .max_sessions = 2};
	quit_on_pending = 0;
	ok(vault_http_new(&c2, L, &svc, NULL, &H) == 0, "started on the project's web/ directory");
	const char *pages[][2] = {{"/", "text/html"}, {"/kiosk.html", "text/html"},
				  {"/kiosk.js", "text/javascript"}, {"/console.html", "text/html"},
				  {"/console.js", "text/javascript"}, {"/style.css", "text/css"},
				  {"/i18n.js", "text/javascript"}};
	int bad = 0;
	cookie[0] = 0;
	for (size_t i = 0; i < VAULT_ARRAY_SIZE(pages); i++) {
		get(pages[i][0], &r);
		header(&r, "Content-Type", hv, sizeof hv);
		if (r.status != 200 || strncmp(hv, pages[i][1], strlen(pages[i][1])) ||
		    strstr(r.body, "http://") || strstr(r.body, "https://")) {
			printf("# %s: %d %s\n", pages[i][0], r.status, hv);
			bad++;
		}
	}
	ok(bad == 0, "kiosk and console pages are served with their types and load nothing external");
	request("HEAD", "/kiosk.html", NULL, NULL, &r);
	ok(r.status == 200 && r.body[0] == 0, "HEAD on a page gives 200 and no body");

	{
		const char junk[] = "GARBAGE\r\n\r\n";
		exchange_raw(junk, sizeof junk - 1, &r, 0);
		const char nul[] = "GET /kiosk.html\0 HTTP/1.1\r\nHost: x\r\n\r\n";
		exchange_raw(nul, sizeof nul - 1, &r, 0);
		get("/api/session", &r);
		ok(r.status == 200, "after garbage request lines the server still answers");
	}

	const char *kiosk_login = "{\"kind\":\"kiosk\",\"credentials\":{\"pin\":\"482913\"}}";
	post("/api/login", NULL, kiosk_login, &r);
	ok(r.status == 200 && strstr(header(&r, "Set-Cookie", hv, sizeof hv), "; Secure"),
	   "with cookie_secure the session cookie is marked Secure");
	take_session(&r);
	n_end = 0;
	post("/api/login", NULL, kiosk_login, &r);
	ok(r.status == 200 && vault_http_session_count(H) == 1 && n_end == 1 &&
		   !strcmp(last_end, "replaced"),
	   "a new login from a browser with a live session replaces that session");
	cookie[0] = 0;
	post("/api/login", NULL, kiosk_login, &r);
	int second = r.status;
	post("/api/login", NULL, kiosk_login, &r);
	ok(second == 200 && is_json_error(&r, 503, "HTTP_BUSY") && vault_http_session_count(H) == 2,
	   "beyond max_sessions (2) a login is 503 HTTP_BUSY");
	vault_http_free(H);
	H = NULL;

	/* the pages' message table has every code of this layer in both languages */
	char i18n[600];
	snprintf(i18n, sizeof i18n, "%s/i18n.js", web);
	FILE *f = fopen(i18n, "r");
	static char js[64 * 1024];
	size_t jl = f ? fread(js, 1, sizeof js - 1, f) : 0;
	js[jl] = 0;
	if (f)
		fclose(f);
	int missing = 0, ncodes = 0;
	for (int i = 0; i < VAULT_R__COUNT; i++) {
		const char *id = vault_reason_id((enum vault_reason)i);
		if (strncmp(id, "HTTP_", 5))
			continue;
		ncodes++;
		char key[64];
		snprintf(key, sizeof key, "%s:", id);
		const char *a = strstr(js, key);
		if (!a || !strstr(a + 1, key)) {
			printf("# %s missing from web/i18n.js (zh-CN and en)\n", id);
			missing++;
		}
	}
	ok(jl > 0 && ncodes >= 14 && missing == 0,
	   "web/i18n.js has all %d HTTP_* codes in zh-CN and en", ncodes);

	/* IPv6 loopback, where the host has it */
	struct vault_http_config c6 = {.bind_address = "::1"};
	int r6 = vault_http_new(&c6, L, &svc, NULL, &H);
	if (r6 == -EADDRNOTAVAIL || r6 == -EAFNOSUPPORT) {
		tap_skip("no IPv6 loopback here");
	} else {
		int fd6 = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in6 s6 = {.sin6_family = AF_INET6,
					  .sin6_port = htons((uint16_t)vault_http_port(H))};
		s6.sin6_addr = in6addr_loopback;
		ok(r6 == 0 && connect(fd6, (struct sockaddr *)&s6, sizeof s6) == 0,
		   "binding [::1] listens on the IPv6 loopback");
		close(fd6);
		vault_http_free(H);
		H = NULL;
	}
	cJSON_Delete(r.json);
	vault_loop_free(L);

	snprintf(h1, sizeof h1, "rm -rf '%s'", tmp);
	if (system(h1) != 0)
		printf("# could not remove %s\n", tmp);
	return tap_done();
}
