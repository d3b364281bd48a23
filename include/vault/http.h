/* SPDX-License-Identifier: MIT */
/*
 * The HTTP layer for the kiosk page and the supervisor console: libmicrohttpd
 * run inside vaultd's single epoll loop (MHD_USE_EPOLL, no MHD thread). MHD's
 * epoll fd is one watch in the loop; MHD_run() runs when it is readable and a
 * loop timer follows MHD_get_timeout().
 *
 * This module owns routing, sessions, CSRF, body limits, JSON well-formedness,
 * static files, security headers and the JSON error shape. It never touches the
 * ledger or the registry: authentication, authorisation of a person, and every
 * action are the service's (the daemon's) business, through the ops table below.
 *
 * Routes:
 *   POST /api/login            {"kind":"kiosk"|"console","lang"?:"zh-CN"|"en",
 *                               "credentials":{...}}  (credentials go to login())
 *   POST /api/logout           (session + CSRF)
 *   GET  /api/session          {"ok":true,"authenticated":false} without a cookie,
 *                              else person, role, kind, lang, csrf, idle_s
 *   POST /api/action/<name>    body: a JSON object, the action's args (session + CSRF)
 *   GET  /api/<name>?k=v&...   read-only query; params as a JSON object of strings
 *   GET|HEAD /<file>           static file from static_root (flat directory, names
 *                              [A-Za-z0-9_-][A-Za-z0-9_.-]*, fixed content-type table)
 *   GET|HEAD /                 static index_file
 *
 * Validation split (the choice documented here): this layer checks that a body is
 * a well-formed JSON object (strict UTF-8, no \u0000, no duplicate keys, bounded
 * depth and member count) and, when the service gives a spec table, that the
 * action/query exists, that the session kind may use it and that every top-level
 * key is a declared field. Types and values of the fields are the service's to
 * check (it already validates admin actions against the schema). A NULL spec
 * table passes every name and field through.
 *
 * Errors are always {"ok":false,"code":"ID","error":"<session or Accept-Language
 * text>","error_en":"<English>","detail"?:"..."} with the ids of vault/reason.h.
 *
 * Threads: none. Every function here and every service op runs on the loop thread.
 */
#ifndef VAULT_HTTP_H
#define VAULT_HTTP_H
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "vault/reason.h"

struct vault_http;
struct vault_loop;

#define VAULT_HTTP_PERSON_MAX 129
#define VAULT_HTTP_ROLE_MAX 32
#define VAULT_HTTP_DETAIL_MAX 256
#define VAULT_HTTP_NAME_MAX 64 /* action and query names, [a-z0-9_.-]{1,63} */

struct vault_http_config {
	/* NULL: "127.0.0.1". Any non-loopback address (including 0.0.0.0 and ::)
	 * is refused with -EPERM unless allow_non_loopback is set. */
	const char *bind_address;
	int allow_non_loopback;
	unsigned port;             /* 0: ephemeral; see vault_http_port() */
	size_t max_body;           /* 0: 16 KiB. Larger API bodies get 413 unread. */
	unsigned max_connections;  /* 0: 32 */
	unsigned max_sessions;     /* 0: 64; a login beyond gets 503 HTTP_BUSY */
	unsigned max_pending;      /* 0: 8 calls awaiting vault_http_complete() */
	unsigned idle_timeout_s;   /* 0: 300. Requests with "X-Vault-Background: 1"
				    * (page polling) do not reset the idle clock. */
	unsigned kiosk_idle_timeout_s; /* kiosk sessions; 0: idle_timeout_s */
	unsigned lifetime_s;       /* 0: 28800 (absolute, from login) */
	unsigned connection_timeout_s; /* 0: 30 (MHD idle connection timeout) */
	const char *static_root;   /* NULL: no static files (404) */
	const char *index_file;    /* what "/" serves; NULL: "kiosk.html" */
	int cookie_secure;         /* add "Secure" to the session cookie */
	/* The Host header every request must carry (e.g. "vault.example:8443"),
	 * against DNS rebinding. NULL: on a loopback address, Host must be
	 * 127.0.0.1, localhost or [::1] (with our port or none); otherwise any. */
	const char *allowed_host;
	/* Comma-separated IPv4/IPv6 addresses of reverse proxies (the TLS
	 * terminator in front). A request whose peer is one of them is
	 * attributed to the last address of its last X-Forwarded-For header (the
	 * one that proxy appended; earlier ones are the client's own word); from
	 * any other peer the header is ignored. NULL or "": none. At most 8; an
	 * entry that is no address: -EINVAL (vault_http_proxies_check()). */
	const char *trusted_proxies;
	const char *default_lang;  /* "zh-CN" (NULL) or "en" */
	/* Tests only: the clock sessions are timed with (NULL: CLOCK_MONOTONIC). */
	int64_t (*clock_mono_us)(void *ud);
	void *clock_ud;
};

/* Who a session belongs to; strings valid for the duration of the call. */
struct vault_http_principal {
	const char *kind;   /* "kiosk" or "console" */
	const char *person; /* as returned by login() */
	const char *role;
	const char *lang;   /* "zh-CN" or "en" */
};

/* What a service op answers. The layer zero-fills it before each call. */
struct vault_http_result {
	enum vault_reason reason;       /* VAULT_R_OK or a refusal */
	char detail[VAULT_HTTP_DETAIL_MAX];
	/* Extra reply fields (an object); ownership passes to this layer. */
	cJSON *data;
	/* login() on success: the authenticated person and role (both non-empty). */
	char person[VAULT_HTTP_PERSON_MAX];
	char role[VAULT_HTTP_ROLE_MAX];
	/* 0: derived from reason (200 OK; 401 refused login; 400 BAD_REQUEST and
	 * INVALID_VALUE; 404 NOT_FOUND and UNKNOWN_ACTION; 409 ALREADY_EXISTS;
	 * 500 DB_ERROR; 403 otherwise). */
	unsigned http_status;
};

/* A refusal made by this layer (never the service's own refusals). */
struct vault_http_refusal {
	const char *method;
	const char *path;   /* raw request target, truncated, non-printables as '?' */
	const char *remote; /* "addr:port", or "client via proxy-addr:port" */
	const char *client; /* the client's address alone (a key per client) */
	const struct vault_http_principal *who; /* NULL without a valid session */
	enum vault_reason reason;
	unsigned status;    /* the HTTP status sent */
	const char *detail; /* "" when none */
};

#define VAULT_HTTP_KIOSK 1u
#define VAULT_HTTP_CONSOLE 2u

/* One action or query the service offers. */
struct vault_http_spec {
	const char *name;
	int query;                 /* 1: GET /api/<name>; 0: POST /api/action/<name> */
	unsigned kinds;            /* VAULT_HTTP_KIOSK | VAULT_HTTP_CONSOLE */
	const char *const *fields; /* NULL-terminated allowed top-level keys; NULL: any */
};

#define VAULT_HTTP_DONE 0
#define VAULT_HTTP_PENDING 1

/*
 * The daemon's side. Ops return VAULT_HTTP_DONE with *res filled, or
 * VAULT_HTTP_PENDING and later (on the loop thread, never from inside the op)
 * call vault_http_complete(h, call, &res); or -errno (sent as 500 HTTP_INTERNAL).
 * A NULL op behaves as -EOPNOTSUPP. `call` identifies the request; it stays
 * valid until completed (the client may be gone by then). JSON arguments are
 * borrowed for the duration of the call.
 */
struct vault_http_service {
	/* NULL-terminated (name == NULL); NULL: no table, everything passes through. */
	const struct vault_http_spec *specs;
	/* kind "kiosk": the badge is the one the daemon authenticated at the kiosk
	 * reader, credentials carry {"pin"}; kind "console": {"user","password","otp"}.
	 * The service validates the credential fields and records the outcome. */
	int (*login)(void *ud, uint64_t call, const char *kind, const cJSON *credentials,
		     struct vault_http_result *res);
	int (*action)(void *ud, uint64_t call, const struct vault_http_principal *who,
		      const char *name, const cJSON *args, struct vault_http_result *res);
	int (*query)(void *ud, uint64_t call, const struct vault_http_principal *who,
		     const char *name, const cJSON *params, struct vault_http_result *res);
	/* Every refusal this layer makes (for the ledger / log). May be NULL. */
	void (*refused)(void *ud, const struct vault_http_refusal *r);
	/* A session ended: why is "logout", "idle", "lifetime", "replaced" (a new
	 * login from the same browser) or the why of vault_http_end_sessions(). May be NULL. Not called from vault_http_free(). */
	void (*session_end)(void *ud, const struct vault_http_principal *who, const char *why);
};

/*
 * Start listening. cfg and svc are copied (strings too); svc_ud is passed to
 * every op. Returns 0, -EPERM (non-loopback address not allowed), -EINVAL (bad
 * address or config), -EOPNOTSUPP (MHD without epoll), -ENOENT/-ENOTDIR
 * (static_root), or -errno from bind. Non-blocking.
 */
int vault_http_new(const struct vault_http_config *cfg, struct vault_loop *loop,
		   const struct vault_http_service *svc, void *svc_ud, struct vault_http **ret);
/* Accepts NULL. Suspended requests are closed without a reply; no service op
 * is called. Must run on the loop thread, before the loop is freed. */
void vault_http_free(struct vault_http *h);
/* 0 if LIST (may be NULL) is a valid trusted_proxies list; else -EINVAL
 * with *BAD at the first entry that is not an address (or -E2BIG: more than
 * 8 entries). */
int vault_http_proxies_check(const char *list, const char **bad);
/* The port actually bound (useful with port 0). */
unsigned vault_http_port(const struct vault_http *h);
/*
 * Finish a pending call. Takes ownership of res->data in every case. Returns 0,
 * or -ENOENT if `call` is unknown or already completed. The reply is sent from
 * the loop shortly after; never blocks.
 */
int vault_http_complete(struct vault_http *h, uint64_t call, struct vault_http_result *res);
/*
 * End the sessions matching kind and person (NULL matches any), e.g. when the
 * badge leaves the kiosk reader or a person is deactivated. Their next request
 * gets 401 HTTP_SESSION_EXPIRED. session_end() is called with `why` (NULL:
 * "ended"). Returns how many ended.
 */
int vault_http_end_sessions(struct vault_http *h, const char *kind, const char *person,
			    const char *why);
/* Number of live sessions (for tests and status). */
unsigned vault_http_session_count(const struct vault_http *h);

/*
 * The parsers this layer uses, exposed for tests and fuzzing.
 *
 * vault_http_parse_json: a strict JSON object: the whole of buf[0..len) is one
 * object and whitespace; valid UTF-8; no raw control characters in strings; no
 * \u0000; no duplicate keys; nesting <= 8; <= 256 members per object or array.
 * Returns 0 and *ret (caller frees), -EINVAL (bad) or -ENOMEM.
 *
 * vault_http_parse_target: a raw request target "/path?query". The path is
 * percent-decoded into path (NUL-terminated, < pathsize) and must be valid UTF-8
 * with no NUL, no encoded '/', no empty, "." or ".." segment. The query becomes
 * an object of strings (keys [a-z0-9_]{1,32}, values <= 256 bytes, '+' is a
 * space, <= 16 pairs, no duplicates). Returns 0, -EINVAL or -ENOMEM;
 * *ret_query (may be NULL to ignore the query) is set only on success.
 */
int vault_http_parse_json(const char *buf, size_t len, cJSON **ret);
int vault_http_parse_target(const char *raw, char *path, size_t pathsize, cJSON **ret_query);
#endif
