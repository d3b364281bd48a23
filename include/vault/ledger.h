/* SPDX-License-Identifier: MIT */
/*
 * The tamper-evident ledger (format: docs/ledger-format.md).
 *
 * Every decision, confirmed action and registry change is one ledger entry.
 * An entry's payload is a JSON object; its optional "set" array lists registry
 * rows the entry writes, each {"t": table, "k": id, "row": {all columns}}. The
 * registry (db/migrations/0002) is the projection of those lists: recording an
 * entry applies them in the same transaction, and verification replays them.
 * Rows of secret tables (PIN hashes) are ledgered as {"t","k","digest"}: the
 * ledger proves them without carrying them.
 */
#ifndef VAULT_LEDGER_H
#define VAULT_LEDGER_H
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#define VAULT_HASH_LEN 32
#define VAULT_LEDGER_FORMAT 1
#define VAULT_SIGN_PK_LEN 32
#define VAULT_SIGN_SK_LEN 64
#define VAULT_SIG_LEN 64

struct vault_entry {
	int64_t seq, ts_utc, ts_mono;
	const char *kind, *actors, *medium, *approval, *cites; /* never NULL ("" if none) */
	const void *payload;
	size_t payload_len;
	uint8_t prev_hash[VAULT_HASH_LEN];
	uint8_t hash[VAULT_HASH_LEN];
};

/* The canonical hash of e (all fields but `hash`). */
void vault_entry_hash(const struct vault_entry *e, uint8_t out[VAULT_HASH_LEN]);

/* The digest of the sensor events CITES names ("id,id,..."), as stored now
 * (docs/ledger-format.md "Sensor evidence"), in hex. vault_ledger_record()
 * puts it in an entry's payload as "cites_digest"; vault_verify() recomputes it.
 * 0, -ENOENT (no ids), -EINVAL (not a list of ids), -EIO. */
int vault_evidence_digest(sqlite3 *db, const char *cites, char out[2 * VAULT_HASH_LEN + 1]);

/* Bytes a checkpoint signature covers (docs/ledger-format.md). buf >= 128 bytes
 * plus the vault name. Returns the length or -ENAMETOOLONG. */
int vault_checkpoint_message(const char *vault, int64_t seq, const uint8_t hash[VAULT_HASH_LEN],
			     int64_t ts_utc, uint8_t *buf, size_t size);

/* What to record. All strings may be NULL (stored as ""). payload is borrowed
 * and not modified; NULL means {}. */
struct vault_record {
	const char *kind;
	const char *actors;
	const char *medium;
	const char *approval;
	const char *cites;
	const cJSON *payload;
};

struct vault_ledger;

/* Writer over an open read-write db holding a genesis entry. Returns -ENODATA
 * if the ledger has no genesis. */
int vault_ledger_open(sqlite3 *db, struct vault_ledger **ret);
void vault_ledger_free(struct vault_ledger *l);
const char *vault_ledger_vault_name(const struct vault_ledger *l);
/* Signing key (64-byte libsodium Ed25519 secret key). Without one, no
 * checkpoints are written (vault_ledger_checkpoint returns -ENOKEY). */
int vault_ledger_set_signing_key(struct vault_ledger *l, const uint8_t sk[VAULT_SIGN_SK_LEN]);
/* Sign a checkpoint automatically every n entries (0: only on demand). */
void vault_ledger_set_checkpoint_every(struct vault_ledger *l, unsigned n);

/*
 * Append one entry and apply its "set" list to the registry, in ONE durable
 * transaction (WAL, synchronous=FULL): when this returns 0 the entry survives
 * a crash or power loss. On failure nothing is changed and the error is
 * -EINVAL (bad set list: unknown table/column, missing column, bad value type;
 * *ret_err says which), -EIO (database; the db's errmsg says why).
 * *ret_seq and *ret_hash (either may be NULL) receive the new entry's seq/hash.
 */
int vault_ledger_record(struct vault_ledger *l, const struct vault_record *r, int64_t *ret_seq,
			uint8_t ret_hash[VAULT_HASH_LEN], const char **ret_err);

/* Sign and store a checkpoint of the current tip now. Returns 0 and *ret_seq,
 * -ENOKEY without a key, -ENODATA when the tip already has one, -EIO. */
int vault_ledger_checkpoint(struct vault_ledger *l, int64_t *ret_seq);

/* vaultctl init: write the genesis entry (seq 1) naming the vault, the hash and
 * signature algorithms and the checkpoint public key. Returns 0 or -EEXIST/-EIO. */
int vault_ledger_genesis(sqlite3 *db, const char *vault, const uint8_t pk[VAULT_SIGN_PK_LEN]);

/* Read the tip. Returns 0 (seq 0 and zero hash for an empty ledger) or -EIO. */
int vault_ledger_tip(sqlite3 *db, int64_t *ret_seq, uint8_t ret_hash[VAULT_HASH_LEN]);

/* Checkpoint export file (text, a few lines; docs/ledger-format.md). */
struct vault_checkpoint {
	char vault[128];
	int64_t seq, ts_utc;
	uint8_t hash[VAULT_HASH_LEN];
	uint8_t pk[VAULT_SIGN_PK_LEN];
	uint8_t sig[VAULT_SIG_LEN];
};
int vault_checkpoint_format(const struct vault_checkpoint *c, char *buf, size_t size);
/* Parse; returns 0 or -EINVAL (with *ret_err naming the bad line). */
int vault_checkpoint_parse(const char *text, struct vault_checkpoint *ret, const char **ret_err);
/* 0 if the signature is valid, -EBADMSG if not. */
int vault_checkpoint_check_sig(const struct vault_checkpoint *c);
/* The latest checkpoint stored in db (with pk from the genesis). -ENODATA if none. */
int vault_checkpoint_latest(sqlite3 *db, struct vault_checkpoint *ret);
/* The stored checkpoint with the lowest seq after `after`, as latest.
 * -ENODATA if none, -EIO. */
int vault_checkpoint_next(sqlite3 *db, int64_t after, struct vault_checkpoint *ret);

/* ts_utc of the newest entry of kind1 or kind2 (may be NULL), else of the
 * genesis: when a periodic job last ran. 0 if neither can be read. */
int64_t vault_ledger_last_utc(sqlite3 *db, const char *kind1, const char *kind2);

/* Genesis facts, read from seq 1. Returns 0, -ENODATA, or -EBADMSG. */
int vault_ledger_genesis_info(sqlite3 *db, char *vault, size_t vault_size,
			      uint8_t pk[VAULT_SIGN_PK_LEN]);
#endif
