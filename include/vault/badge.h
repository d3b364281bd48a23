/* SPDX-License-Identifier: MIT */
/*
 * Badge readers: a const ops table per backend (libnfc + libfreefare, sim), a worker
 * thread per reader that turns card presentations into events on the daemon's loop,
 * and enrolment of blank DESFire cards.
 *
 * A badge proves a key: the reader selects our DESFire application, reads key 0's
 * version, and runs AES-128 mutual authentication with
 *     K = AN10922(site master key, UID, AID, system id || key version)
 * The key version is part of the diversification input, so a successful
 * authentication also proves the version (which is read in plain before it), and
 * revoking a badge = bumping the version it was enrolled with. No command follows
 * the authentication, so no CMAC'd answer is ever parsed by libfreefare on the door
 * path (see the pitfall noted in badge_nfc.c).
 *
 * Policy code includes this header only; hardware headers stay in the backends.
 */
#ifndef VAULT_BADGE_H
#define VAULT_BADGE_H
#include <stddef.h>
#include <stdint.h>

#include "vault/reason.h"

struct vault_loop;

/* Our DESFire application: AID 0x544C56 ("VLT"), bytes on the wire LSB first. */
#define VAULT_BADGE_AID_U32 0x544C56u
#define VAULT_BADGE_AID_BYTES {0x56, 0x4C, 0x54}
#define VAULT_BADGE_UID_MAX 10
/* system id + 1 version byte + UID (<= 10) + AID (3) must stay <= 31 (AN10922). */
#define VAULT_BADGE_SYSID_MAX 17

struct vault_badge_identity {
	uint8_t uid[VAULT_BADGE_UID_MAX];
	uint8_t uid_len;
	uint8_t key_version;
	int authenticated; /* 1: AES mutual authentication passed; 0: UID only */
};

enum vault_badge_event_kind {
	VAULT_BADGE_ARRIVAL,   /* once per presentation; reason OK or a named failure */
	VAULT_BADGE_DEPARTURE, /* once per presentation, after its arrival */
	VAULT_BADGE_OFFLINE,   /* reader lost (open failed / N polls failed) */
	VAULT_BADGE_ONLINE,    /* reader (re)opened */
};

struct vault_badge_event {
	enum vault_badge_event_kind kind;
	char reader[32];
	/* ARRIVAL: VAULT_R_OK (authenticated identity), VAULT_R_BADGE_UNAUTHENTICATED
	 * (legacy UID-only mode; id.authenticated = 0) or a BADGE_* failure.
	 * OFFLINE: VAULT_R_READER_OFFLINE, ONLINE: VAULT_R_READER_ONLINE. */
	enum vault_reason reason;
	int error; /* OFFLINE: -errno of the last failure */
	struct vault_badge_identity id; /* ARRIVAL/DEPARTURE: uid always when known */
};

struct vault_badge_config {
	char name[32];
	char connstring[1024];	      /* "pn532_uart:/dev/ttyS0", "sim:<name>" */
	uint8_t master_key[16];	      /* site master key (see vault/keys.h) */
	uint8_t sysid[VAULT_BADGE_SYSID_MAX];
	size_t sysid_len;
	int legacy_uid_only;	      /* report UID alone, authenticated = 0 */
	int poll_interval_ms;	      /* 0: 100 */
	int offline_after;	      /* failed polls before OFFLINE; 0: 3 */
	int backoff_min_ms, backoff_max_ms; /* reopen backoff; 0: 100 and 5000 */
};

/* What a backend saw in the field. */
struct vault_badge_card {
	uint8_t uid[VAULT_BADGE_UID_MAX];
	uint8_t uid_len;
};

/*
 * Backend contract. All operations block (they run on the reader's worker thread)
 * and return 0 / 1 or -errno; a missing operation is -EOPNOTSUPP.
 *  open:   connect to the device. *ret_state is owned by the backend until close.
 *  poll:   1 and *card if a card is in the field (the same card stays reported
 *          while it stays), 0 if none, -errno if the reader failed.
 *  authenticate: authenticate the card poll last reported. Returns 0 and sets
 *          *ret_reason (OK with *ret_id authenticated, or a BADGE_* reason; the uid
 *          in *ret_id is filled whenever known), or -errno on a reader failure.
 *  close:  release everything; accepts NULL.
 *  health: 0 when the device answers, -errno otherwise.
 */
struct vault_badge_reader_ops {
	const char *name;
	int (*open)(const struct vault_badge_config *cfg, void **ret_state);
	int (*poll)(void *state, struct vault_badge_card *card);
	int (*authenticate)(void *state, const struct vault_badge_config *cfg,
			    struct vault_badge_identity *ret_id, enum vault_reason *ret_reason);
	void (*close)(void *state);
	int (*health)(void *state);
};

extern const struct vault_badge_reader_ops vault_badge_nfc_ops;
/* Call once, before the process starts any thread, in a program that may open
 * NFC readers from threads: libnfc's first initialisation adds a variable to the
 * environment (setenv), which is unsafe while another thread reads it (getenv).
 * See readers/badge_nfc.c. */
void vault_badge_nfc_prepare(void);
extern const struct vault_badge_reader_ops vault_badge_sim_ops;

/* Called on the loop thread for each event; ev is valid during the call only. */
typedef void (*vault_badge_event_cb)(const struct vault_badge_event *ev, void *ud);

struct vault_badge_reader;

/* Start a worker thread for one reader. cfg is copied (master key included; it is
 * wiped on stop). Events reach cb on the loop thread via vault_loop_post().
 * Returns 0, -EINVAL or -errno from pthread_create. */
int vault_badge_reader_start(struct vault_loop *l, const struct vault_badge_reader_ops *ops,
			     const struct vault_badge_config *cfg, vault_badge_event_cb cb,
			     void *ud, struct vault_badge_reader **ret);
/* Stop and join the worker (waits for the current blocking call, at most one
 * libnfc timeout). Accepts NULL. Events already posted are still delivered. */
void vault_badge_reader_stop(struct vault_badge_reader *r);

/* Diversified key of a badge (AN10922 over UID, our AID, sysid || key_version).
 * Returns 0 or -EINVAL. */
int vault_badge_derive_key(const uint8_t master[16], const uint8_t *uid, size_t uid_len,
			   const uint8_t *sysid, size_t sysid_len, uint8_t key_version,
			   uint8_t out[16]);

/* Personalise the blank DESFire card on the reader at connstring: authenticate with
 * the factory PICC key (DES zero), create our application (1 AES key), change its key
 * 0 to the diversified key with key_version, then authenticate with it to check.
 * Blocking (seconds at most): call from a worker or the CLI. Returns 0 and sets
 * *ret_reason: OK with *ret_id (authenticated), BADGE_NOT_DESFIRE, BADGE_NOT_BLANK
 * (PICC key not default or our application exists), BADGE_IO_ERROR; or -ENODEV (no
 * reader), -ENOENT (no card), -EINVAL. */
int vault_badge_enrol(const char *connstring, const uint8_t master[16], const uint8_t *sysid,
		      size_t sysid_len, uint8_t key_version, struct vault_badge_identity *ret_id,
		      enum vault_reason *ret_reason);

/* ---- sim backend, driven by tests (thread-safe) ----
 * A sim reader is opened with connstring "sim:<name>" after vault_badge_sim_new(name). */
struct vault_badge_sim;
int vault_badge_sim_new(const char *name, struct vault_badge_sim **ret);
void vault_badge_sim_free(struct vault_badge_sim *s);
/* Put a card in the field; authenticate will answer `outcome` (OK => authenticated
 * identity with key_version). */
int vault_badge_sim_place(struct vault_badge_sim *s, const uint8_t *uid, size_t uid_len,
			  uint8_t key_version, enum vault_reason outcome);
void vault_badge_sim_remove(struct vault_badge_sim *s);
/* broken = 1: open and poll fail with -EIO (reader unplugged). */
void vault_badge_sim_set_broken(struct vault_badge_sim *s, int broken);
#endif
