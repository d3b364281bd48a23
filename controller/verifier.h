/* SPDX-License-Identifier: MIT */
/*
 * The central ledger verifier's logic (docs/verifier.md), without MQTT: the
 * program (vault-verifier-main.c) feeds it the messages it receives and
 * publishes what it hands back; tests do the same with captured output.
 *
 * A vault is named by its topic level (the `+` in <root>/+/ledger). The state
 * lives in the verifier's own SQLite database, each message's changes in one
 * durable transaction. Not thread-safe: one thread (the event loop) calls it.
 */
#ifndef VAULT_VERIFIER_H
#define VAULT_VERIFIER_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define VERIFIER_BACKFILL_US 5000000 /* repeat a backfill after this without progress */
#define VERIFIER_MSG_MAX (512 * 1024)  /* longer is MALFORMED (vaultd sends <= 256 KiB) */

struct verifier_ops {
	/* Publish text on <root>/<vault>/<suffix> ("verified", "command",
	 * "verifier-alarm"). Called only after the state change it reports is
	 * committed. */
	void (*publish)(void *ud, const char *vault, const char *suffix, const char *text,
			size_t len, int retained);
	/* Unix microseconds (alarm times, command ids, backfill throttling).
	 * NULL: the real clock. */
	int64_t (*now_us)(void *ud);
	void *ud;
};

struct verifier;

/* Open (creating it and its schema if needed) the state database at path and
 * sign with sk (libsodium's 64-byte Ed25519 secret key, copied) for the vaults
 * under the topic root (copied: every text names its vault's prefix
 * <root>/<vault>). ops is copied. Returns 0, or -EINVAL (a root with a
 * wildcard, a trailing '/', not printable ASCII or too long) or -EIO, with
 * *err (may be NULL) saying why. */
int verifier_open(const char *path, const char *root, const uint8_t sk[64],
		  const struct verifier_ops *ops, struct verifier **ret, const char **err);
void verifier_close(struct verifier *v);

/* Pin a vault's checkpoint key (--pin). 0 if pinned now or already this key;
 * -EKEYREJECTED if another key is pinned (it never changes); -EINVAL for a bad
 * vault name; -EIO. */
int verifier_pin(struct verifier *v, const char *vault, const uint8_t pk[32]);

/* A message on <root>/<vault>/ledger, /checkpoint, /tip (len bytes, no NUL
 * needed). Breaks are alarms, not errors: 0 unless the database failed
 * (-EIO: nothing changed, nothing published) or the vault name is unusable
 * (-EINVAL). */
int verifier_on_ledger(struct verifier *v, const char *vault, const char *msg, size_t len);
int verifier_on_checkpoint(struct verifier *v, const char *vault, const char *msg, size_t len);
int verifier_on_tip(struct verifier *v, const char *vault, const char *msg, size_t len);

/* Repeat the backfill requests that made no progress for VERIFIER_BACKFILL_US,
 * for the vaults `want` accepts (NULL: every vault in the state database; with
 * --vault, a vault stored by an earlier run without it is left alone). Call
 * about once a second. */
int verifier_tick(struct verifier *v, int (*want)(void *ud, const char *vault), void *ud);

/* One JSON line per vault of the state database at path (read-only): vault,
 * name, received, verified, pubkey, unseen, alarms, unacknowledged,
 * last_alarm; *ret_alarms (if not NULL): the unacknowledged alarms raised
 * since since_us. 0 or -EIO. */
int verifier_status(const char *path, FILE *out, int64_t since_us, int64_t *ret_alarms,
		    const char **err);
/* One JSON line per alarm not yet acknowledged (all: every alarm), oldest
 * first: id, vault, time, code, seq, text, acknowledged (time), by, note.
 * 0 or -EIO. */
int verifier_alarms(const char *path, FILE *out, int all, const char **err);
/* Acknowledge alarm `id`, or (id 0) every unacknowledged alarm of `vault`,
 * by an officer (BY, free text) with a note (may be NULL); *ret_n: how many.
 * 0; -ENOENT (no alarm id), -EALREADY (acknowledged before), -EIO. The
 * alarm rows stay; status --alarms-within no longer counts them. */
int verifier_ack(const char *path, int64_t id, const char *vault, const char *by,
		 const char *note, int64_t *ret_n, const char **err);
#endif
