/* SPDX-License-Identifier: MIT */
/* Reader worker threads: presentations -> events on the loop; derive key. */
#include "vault/badge.h"

#include "vault/an10922.h"
#include "vault/loop.h"
#include "vault/util.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int vault_badge_derive_key(const uint8_t master[16], const uint8_t *uid, size_t uid_len,
			   const uint8_t *sysid, size_t sysid_len, uint8_t key_version,
			   uint8_t out[16])
{
	static const uint8_t aid[3] = VAULT_BADGE_AID_BYTES;
	uint8_t s[VAULT_BADGE_SYSID_MAX + 1];
	if (sysid_len > VAULT_BADGE_SYSID_MAX || (sysid_len && !sysid) || uid_len == 0 ||
	    uid_len > VAULT_BADGE_UID_MAX)
		return -EINVAL;
	if (sysid_len)
		memcpy(s, sysid, sysid_len);
	s[sysid_len] = key_version;
	return vault_an10922_aes128(master, uid, uid_len, aid, s, sysid_len + 1, out);
}

struct vault_badge_reader {
	struct vault_loop *loop;
	const struct vault_badge_reader_ops *ops;
	struct vault_badge_config cfg;
	vault_badge_event_cb cb;
	void *ud;
	pthread_t thread;
	atomic_int stop;
};

struct msg {
	vault_badge_event_cb cb;
	void *ud;
	struct vault_badge_event ev;
};

static void deliver(struct vault_loop *l, void *m, int quitting)
{
	struct msg *msg = m;
	if (!quitting)
		msg->cb(&msg->ev, msg->ud);
	free(msg);
}

static void post(struct vault_badge_reader *r, enum vault_badge_event_kind kind,
		 enum vault_reason reason, int error, const struct vault_badge_identity *id)
{
	struct msg *m = calloc(1, sizeof *m);
	if (!m)
		return; /* out of memory: the event is lost, the next poll retries */
	m->cb = r->cb;
	m->ud = r->ud;
	m->ev.kind = kind;
	m->ev.reason = reason;
	m->ev.error = error;
	vault_strlcpy(m->ev.reader, r->cfg.name, sizeof m->ev.reader);
	if (id)
		m->ev.id = *id;
	if (vault_loop_post(r->loop, deliver, m) < 0)
		free(m);
}

/* Sleep in short slices so stop is honoured quickly. */
static void nap(struct vault_badge_reader *r, int ms)
{
	while (ms > 0 && !atomic_load(&r->stop)) {
		int s = ms > 20 ? 20 : ms;
		struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)s * 1000000L};
		nanosleep(&ts, NULL);
		ms -= s;
	}
}

enum link_state { LINK_UNKNOWN, LINK_ONLINE, LINK_OFFLINE };

static void *worker(void *arg)
{
	struct vault_badge_reader *r = arg;
	const struct vault_badge_reader_ops *ops = r->ops;
	void *st = NULL;
	enum link_state link = LINK_UNKNOWN;
	int backoff = r->cfg.backoff_min_ms, fails = 0, have = 0, last_err = 0;
	struct vault_badge_card curcard;
	struct vault_badge_identity curid;

	while (!atomic_load(&r->stop)) {
		if (!st) {
			int e = ops->open ? ops->open(&r->cfg, &st) : -EOPNOTSUPP;
			if (e < 0) {
				st = NULL;
				if (link != LINK_OFFLINE)
					post(r, VAULT_BADGE_OFFLINE, VAULT_R_READER_OFFLINE, e, NULL);
				link = LINK_OFFLINE;
				nap(r, backoff);
				backoff = backoff * 2 > r->cfg.backoff_max_ms ? r->cfg.backoff_max_ms
									     : backoff * 2;
				continue;
			}
			backoff = r->cfg.backoff_min_ms;
			fails = 0;
			if (link != LINK_ONLINE)
				post(r, VAULT_BADGE_ONLINE, VAULT_R_READER_ONLINE, 0, NULL);
			link = LINK_ONLINE;
		}
		struct vault_badge_card card;
		memset(&card, 0, sizeof card);
		int p = ops->poll ? ops->poll(st, &card) : -EOPNOTSUPP;
		if (p < 0) {
			last_err = p;
			if (++fails >= r->cfg.offline_after) {
				if (have) {
					post(r, VAULT_BADGE_DEPARTURE, VAULT_R_OK, 0, &curid);
					have = 0;
				}
				ops->close(st);
				st = NULL;
				post(r, VAULT_BADGE_OFFLINE, VAULT_R_READER_OFFLINE, last_err, NULL);
				link = LINK_OFFLINE;
				nap(r, backoff);
				continue;
			}
			nap(r, r->cfg.poll_interval_ms);
			continue;
		}
		fails = 0;
		int same = p == 1 && have && card.uid_len == curcard.uid_len &&
			   !memcmp(card.uid, curcard.uid, card.uid_len);
		if (have && !same) {
			post(r, VAULT_BADGE_DEPARTURE, VAULT_R_OK, 0, &curid);
			have = 0;
		}
		if (p == 1 && !have) {
			struct vault_badge_identity id;
			enum vault_reason why = VAULT_R_BADGE_IO_ERROR;
			memset(&id, 0, sizeof id);
			int a = ops->authenticate ? ops->authenticate(st, &r->cfg, &id, &why)
						  : -EOPNOTSUPP;
			if (a < 0) {
				why = VAULT_R_BADGE_IO_ERROR;
				id.authenticated = 0;
			}
			if (why != VAULT_R_OK)
				id.authenticated = 0; /* a failure never carries an identity */
			if (id.uid_len == 0 || id.uid_len > VAULT_BADGE_UID_MAX) {
				memcpy(id.uid, card.uid, card.uid_len);
				id.uid_len = card.uid_len;
			}
			post(r, VAULT_BADGE_ARRIVAL, why, a < 0 ? a : 0, &id);
			curcard = card;
			curid = id;
			curid.authenticated = 0;
			have = 1;
		}
		nap(r, r->cfg.poll_interval_ms);
	}
	if (st)
		ops->close(st);
	return NULL;
}

int vault_badge_reader_start(struct vault_loop *l, const struct vault_badge_reader_ops *ops,
			     const struct vault_badge_config *cfg, vault_badge_event_cb cb,
			     void *ud, struct vault_badge_reader **ret)
{
	if (!l || !ops || !cfg || !cb || !ret || !ops->close)
		return -EINVAL;
	struct vault_badge_reader *r = calloc(1, sizeof *r);
	if (!r)
		return -ENOMEM;
	r->loop = l;
	r->ops = ops;
	r->cfg = *cfg;
	r->cb = cb;
	r->ud = ud;
	if (r->cfg.poll_interval_ms <= 0)
		r->cfg.poll_interval_ms = 100;
	if (r->cfg.offline_after <= 0)
		r->cfg.offline_after = 3;
	if (r->cfg.backoff_min_ms <= 0)
		r->cfg.backoff_min_ms = 100;
	if (r->cfg.backoff_max_ms < r->cfg.backoff_min_ms)
		r->cfg.backoff_max_ms = r->cfg.backoff_min_ms > 5000 ? r->cfg.backoff_min_ms : 5000;
	int e = pthread_create(&r->thread, NULL, worker, r);
	if (e) {
		OPENSSL_cleanse(r, sizeof *r);
		free(r);
		return -e;
	}
	*ret = r;
	return 0;
}

void vault_badge_reader_stop(struct vault_badge_reader *r)
{
	if (!r)
		return;
	atomic_store(&r->stop, 1);
	pthread_join(r->thread, NULL);
	OPENSSL_cleanse(r, sizeof *r);
	free(r);
}

