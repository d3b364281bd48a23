/* SPDX-License-Identifier: MIT */
/*
 * Badge reader backend on libnfc 1.8.0 + libfreefare 0.4.0 (PN532 over a UART).
 *
 * Polling, not blocking: nfc_initiator_init() turns NP_INFINITE_SELECT on, with which
 * a PN532 waits forever for a card; we turn it off and select once per poll.
 *
 * Pitfalls of libfreefare 0.4.0, and why the door path talks DESFire itself
 * (vault/desfire_client.h) and uses libfreefare only to classify the target:
 *  - its transceive macro copies n-2 bytes of an n-byte answer unchecked: a card
 *    answering one byte makes it memcpy (size_t)-1 bytes and the process aborts
 *    (reproduced with the emulator's "fault truncate");
 *  - its DESFire transceive uses timeout 0 (wait forever);
 *  - mifare_cryto_postprocess_data() abort()s on a CMAC'd answer shorter than 9
 *    bytes;
 *  - freefare_tag_new() only accepts 4-byte UIDs or NXP ones (first byte 0x04).
 * Enrolment uses the same client (legacy DES PICC auth, CreateApplication,
 * AES auth, ChangeKey), so libfreefare never parses a card's answer here.
 *
 * libnfc 1.8.0 keeps process-wide state that is not safe with one reader per thread:
 *  - nfc_init() fills a global driver list when it is empty, unlocked (two readers
 *    starting at once lose a node), and nfc_exit() frees that list, under any other
 *    reader walking it in nfc_open() (a reader whose device is unplugged retries
 *    its open every few seconds);
 *  - nfc_init() calls setenv("LIBNFC_LOG_LEVEL"), and libnfc calls getenv() for
 *    every log line. The first setenv adds the variable, which reallocates the
 *    environment array under every thread reading it: vaultd crashed in getenv()
 *    at start this way (found under AddressSanitizer).
 * So every open shares one context, made under a lock by the first user and freed
 * by the last (lib_get/lib_put), and vault_badge_nfc_prepare() runs libnfc's
 * setenv once before any thread exists; later ones only replace the value.
 */
#include "vault/badge.h"

#include "vault/desfire_client.h"
#include "vault/util.h"

#include <errno.h>
#include <freefare.h>
#include <nfc/nfc.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct nfcstate {
	nfc_device *dev;
	int have;		/* a target is current in libnfc */
	nfc_target target;	/* as last selected */
};

static const nfc_modulation mod_a106 = {.nmt = NMT_ISO14443A, .nbr = NBR_106};

static int nfc_err(int e)
{
	switch (e) {
	case NFC_EIO:
		return -EIO;
	case NFC_EINVARG:
		return -EINVAL;
	case NFC_EDEVNOTSUPP:
	case NFC_ENOTIMPL:
		return -EOPNOTSUPP;
	case NFC_ENOTSUCHDEV:
		return -ENODEV;
	case NFC_EOVFLOW:
		return -EOVERFLOW;
	case NFC_ETIMEOUT:
		return -ETIMEDOUT;
	case NFC_EOPABORTED:
		return -ECANCELED;
	case NFC_ESOFT:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

static pthread_mutex_t lib_lock = PTHREAD_MUTEX_INITIALIZER;
static nfc_context *lib_ctx;
static unsigned lib_users;

/* The shared context, NULL when libnfc cannot make one (out of memory). */
static nfc_context *lib_get(void)
{
	pthread_mutex_lock(&lib_lock);
	if (!lib_users)
		nfc_init(&lib_ctx);
	if (lib_ctx)
		lib_users++;
	nfc_context *c = lib_ctx;
	pthread_mutex_unlock(&lib_lock);
	return c;
}

static void lib_put(void)
{
	pthread_mutex_lock(&lib_lock);
	if (lib_users && --lib_users == 0) {
		nfc_exit(lib_ctx);
		lib_ctx = NULL;
	}
	pthread_mutex_unlock(&lib_lock);
}

void vault_badge_nfc_prepare(void)
{
	if (lib_get())
		lib_put();
}

static void st_close(void *p)
{
	struct nfcstate *s = p;
	if (!s)
		return;
	if (s->dev)
		nfc_close(s->dev);
	lib_put();
	free(s);
}

static int open_dev(const char *connstring, struct nfcstate **ret)
{
	nfc_connstring cs; /* libnfc reads a full nfc_connstring-sized buffer */
	memset(cs, 0, sizeof cs);
	if (!connstring || vault_strlcpy(cs, connstring, sizeof cs) < 0)
		return -EINVAL;
	struct nfcstate *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	nfc_context *ctx = lib_get();
	if (!ctx) {
		free(s);
		return -ENOMEM;
	}
	s->dev = nfc_open(ctx, cs);
	if (!s->dev) {
		st_close(s);
		return -ENODEV;
	}
	int r;
	if ((r = nfc_initiator_init(s->dev)) < 0 ||
	    (r = nfc_device_set_property_bool(s->dev, NP_INFINITE_SELECT, false)) < 0 ||
	    (r = nfc_device_set_property_bool(s->dev, NP_AUTO_ISO14443_4, true)) < 0) {
		r = nfc_err(r);
		st_close(s);
		return r;
	}
	*ret = s;
	return 0;
}

static int nfc_open_op(const struct vault_badge_config *cfg, void **ret)
{
	struct nfcstate *s;
	int r = open_dev(cfg->connstring, &s);
	if (r < 0)
		return r;
	*ret = s;
	return 0;
}

static int nfc_poll_op(void *p, struct vault_badge_card *card)
{
	struct nfcstate *s = p;
	if (s->have) {
		int r = nfc_initiator_target_is_present(s->dev, NULL);
		if (r == 0)
			goto report;
		s->have = 0;
		/* Gone, unless the chip itself failed. */
		if (r == NFC_EIO || r == NFC_ENOTSUCHDEV)
			return nfc_err(r);
	}
	nfc_target nt;
	int r = nfc_initiator_select_passive_target(s->dev, mod_a106, NULL, 0, &nt);
	if (r < 0)
		return nfc_err(r);
	if (r == 0)
		return 0;
	if (nt.nti.nai.szUidLen == 0 || nt.nti.nai.szUidLen > VAULT_BADGE_UID_MAX)
		return 0; /* nonsense from the chip: treat as no card */
	s->target = nt;
	s->have = 1;
report:
	memcpy(card->uid, s->target.nti.nai.abtUid, s->target.nti.nai.szUidLen);
	card->uid_len = (uint8_t)s->target.nti.nai.szUidLen;
	return 1;
}

/* Make the card current again in libnfc (freefare's checks deselect it), so the
 * next poll can ask whether it is still present. */
static void reselect(struct nfcstate *s)
{
	nfc_target nt;
	int r = nfc_initiator_select_passive_target(s->dev, mod_a106, s->target.nti.nai.abtUid,
						    s->target.nti.nai.szUidLen, &nt);
	s->have = r > 0;
}

/* Transport for the DESFire client: PN532 InDataExchange with a bounded timeout
 * (libfreefare would wait forever). */
static int xfer(void *ud, const uint8_t *apdu, size_t n, uint8_t *ans, size_t max)
{
	struct nfcstate *s = ud;
	int r = nfc_initiator_transceive_bytes(s->dev, apdu, n, ans, max, 500);
	if (r < 0)
		return nfc_err(r);
	return r;
}

static enum vault_reason client_reason(int r, enum vault_reason fallback)
{
	switch (r) {
	case -ENOENT:
		return VAULT_R_BADGE_NO_APP;
	case -EACCES:
		return VAULT_R_BADGE_AUTH_FAILED;
	case -EPROTO:
		return fallback;
	default:
		return VAULT_R_BADGE_IO_ERROR;
	}
}

static int nfc_auth_op(void *p, const struct vault_badge_config *cfg,
		       struct vault_badge_identity *id, enum vault_reason *why)
{
	static const uint8_t aid[3] = VAULT_BADGE_AID_BYTES;
	struct nfcstate *s = p;
	const nfc_iso14443a_info *nai = &s->target.nti.nai;
	MifareTag tag = NULL;
	uint8_t k[16], rnda[16], ver = 0;
	int r;

	memset(id, 0, sizeof *id);
	memcpy(id->uid, nai->abtUid, nai->szUidLen);
	id->uid_len = (uint8_t)nai->szUidLen;
	if (cfg->legacy_uid_only) {
		*why = VAULT_R_BADGE_UNAUTHENTICATED;
		return 0;
	}
	/* libfreefare only classifies the target (SAK, ATS, NXP UID); the exchanges
	 * below are ours, with every answer length-checked. */
	tag = freefare_tag_new(s->dev, *nai);
	int is_desfire = tag && freefare_get_tag_type(tag) == DESFIRE;
	if (tag)
		freefare_free_tag(tag);
	if (!is_desfire) {
		*why = VAULT_R_BADGE_NOT_DESFIRE;
		goto out;
	}
	if ((r = vault_desfire_select(xfer, s, aid, NULL)) < 0) {
		*why = client_reason(r, VAULT_R_BADGE_NO_APP);
		goto out;
	}
	/* Plain read; the authentication below proves it, since the version is part of
	 * the key derivation. */
	if ((r = vault_desfire_key_version(xfer, s, 0, &ver, NULL)) < 0) {
		*why = client_reason(r, VAULT_R_BADGE_IO_ERROR);
		goto out;
	}
	if (vault_badge_derive_key(cfg->master_key, id->uid, id->uid_len, cfg->sysid,
				   cfg->sysid_len, ver, k) < 0) {
		*why = VAULT_R_BADGE_IO_ERROR;
		goto out;
	}
	if (RAND_bytes(rnda, sizeof rnda) != 1) {
		OPENSSL_cleanse(k, sizeof k);
		*why = VAULT_R_BADGE_IO_ERROR;
		goto out;
	}
	r = vault_desfire_auth_aes(xfer, s, 0, k, rnda, NULL, NULL);
	OPENSSL_cleanse(k, sizeof k);
	OPENSSL_cleanse(rnda, sizeof rnda);
	if (r < 0) {
		*why = client_reason(r, VAULT_R_BADGE_AUTH_FAILED);
		goto out;
	}
	id->key_version = ver;
	id->authenticated = 1;
	*why = VAULT_R_OK;
out:
	reselect(s);
	return 0;
}

static void nfc_close_op(void *p)
{
	st_close(p);
}

static int nfc_health_op(void *p)
{
	struct nfcstate *s = p;
	if (!s || !s->dev)
		return -ENOTCONN;
	int e = nfc_device_get_last_error(s->dev);
	return e < 0 ? nfc_err(e) : 0;
}

const struct vault_badge_reader_ops vault_badge_nfc_ops = {
	.name = "nfc",
	.open = nfc_open_op,
	.poll = nfc_poll_op,
	.authenticate = nfc_auth_op,
	.close = nfc_close_op,
	.health = nfc_health_op,
};

/* ------------------------------ enrolment ------------------------------ */

int vault_badge_enrol(const char *connstring, const uint8_t master[16], const uint8_t *sysid,
		      size_t sysid_len, uint8_t key_version, struct vault_badge_identity *ret_id,
		      enum vault_reason *ret_reason)
{
	static const uint8_t aid[3] = VAULT_BADGE_AID_BYTES;
	static const uint8_t picc[3] = {0, 0, 0};
	struct nfcstate *s = NULL;
	struct vault_badge_identity id;
	enum vault_reason why = VAULT_R_BADGE_IO_ERROR;
	uint8_t k[16], zero[16] = {0}, rnda[16], sk[16];
	int r;

	if (!master || !ret_id || !ret_reason || sysid_len > VAULT_BADGE_SYSID_MAX ||
	    (sysid_len && !sysid))
		return -EINVAL;
	if ((r = open_dev(connstring, &s)) < 0)
		return r;
	r = nfc_initiator_select_passive_target(s->dev, mod_a106, NULL, 0, &s->target);
	if (r <= 0) {
		r = r < 0 ? nfc_err(r) : -ENOENT;
		goto fail;
	}
	const nfc_iso14443a_info *nai = &s->target.nti.nai;
	if (nai->szUidLen == 0 || nai->szUidLen > VAULT_BADGE_UID_MAX) {
		r = -ENOENT;
		goto fail;
	}
	s->have = 1;
	memset(&id, 0, sizeof id);
	memcpy(id.uid, nai->abtUid, nai->szUidLen);
	id.uid_len = (uint8_t)nai->szUidLen;
	if ((r = vault_badge_derive_key(master, id.uid, id.uid_len, sysid, sysid_len, key_version,
					k)) < 0)
		goto fail;
	r = 0;
	MifareTag tag = freefare_tag_new(s->dev, *nai);
	int is_desfire = tag && freefare_get_tag_type(tag) == DESFIRE;
	if (tag)
		freefare_free_tag(tag);
	if (!is_desfire) {
		why = VAULT_R_BADGE_NOT_DESFIRE;
		goto done;
	}
	/* The exchanges are ours (length-checked, bounded timeouts), like the door path. */
	if (RAND_bytes(rnda, sizeof rnda) != 1)
		goto done;
	if (vault_desfire_select(xfer, s, picc, NULL) < 0)
		goto done;
	/* Factory PICC master key: legacy DES, all zero. Anything else is not blank. */
	r = vault_desfire_auth_legacy(xfer, s, 0, zero, rnda, NULL);
	if (r < 0) {
		why = r == -EACCES ? VAULT_R_BADGE_NOT_BLANK : VAULT_R_BADGE_IO_ERROR;
		r = 0;
		goto done;
	}
	/* 0x0B: app master key changeable, free directory, configuration changeable,
	 * keys changed with the app master key. One AES key (all zero, version 0). */
	r = vault_desfire_create_app_aes(xfer, s, aid, 0x0B, 1, NULL);
	if (r < 0) {
		why = r == -EEXIST ? VAULT_R_BADGE_NOT_BLANK : VAULT_R_BADGE_IO_ERROR;
		r = 0;
		goto done;
	}
	r = 0;
	if (vault_desfire_select(xfer, s, aid, NULL) < 0 ||
	    vault_desfire_auth_aes(xfer, s, 0, zero, rnda, sk, NULL) < 0 ||
	    vault_desfire_change_own_key_aes(xfer, s, 0, sk, k, key_version, NULL) < 0)
		goto done;
	/* Prove the card now holds the diversified key. */
	RAND_bytes(rnda, sizeof rnda);
	if (vault_desfire_select(xfer, s, aid, NULL) < 0)
		goto done;
	if (vault_desfire_auth_aes(xfer, s, 0, k, rnda, NULL, NULL) < 0) {
		why = VAULT_R_BADGE_AUTH_FAILED;
		goto done;
	}
	id.key_version = key_version;
	id.authenticated = 1;
	why = VAULT_R_OK;
done:
	OPENSSL_cleanse(k, sizeof k);
	OPENSSL_cleanse(sk, sizeof sk);
	OPENSSL_cleanse(rnda, sizeof rnda);
	st_close(s);
	*ret_id = id;
	*ret_reason = why;
	return 0;
fail:
	OPENSSL_cleanse(k, sizeof k);
	st_close(s);
	return r;
}
