/* SPDX-License-Identifier: MIT */
/*
 * The central verifier reads whatever is published under <root>/+/: its
 * ledger, checkpoint and tip parsers take untrusted bytes. Modes (first byte):
 * 0-2: the rest is a ledger, checkpoint or tip message as is, for a vault
 * holding only its genesis, with a backfill outstanding and a clock that
 * stands still: no crash, and nothing published but an alarm (never a
 * verified text, which needs the vault's signature, nor a command, which
 * would have to bypass the throttle or bring the horizon down); 3: the rest
 * is an entry's payload, when those bytes alone are exactly one JSON value,
 * built into a correct message for seq 2 after a genesis (a vault of its own
 * each time), with the hash computed over those bytes: the verifier must
 * never call it HASH_MISMATCH (its payload span must be exactly the bytes
 * hashed).
 */
#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../controller/verifier.h"
#include "vault/ledger.h"
#include "vault/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct verifier *v;
static uint8_t gen_hash[32];
static char *gen_msg;
static int mismatch, checking;
static unsigned runs;

static void publish(void *ud, const char *vault, const char *suffix, const char *text,
		    size_t len, int retained)
{
	(void)ud;
	(void)vault;
	(void)retained;
	if (!strcmp(suffix, "verifier-alarm") && memmem(text, len, "code HASH_MISMATCH", 18))
		mismatch = 1;
	if (checking && strcmp(suffix, "verifier-alarm"))
		abort(); /* a verified text or a command for an unsigned message */
}

static int64_t frozen(void *ud)
{
	(void)ud;
	return 1795000000000000LL;
}

/* The JSON vaultd publishes for e (controller/mqtt.c), payload verbatim. */
static char *message(const struct vault_entry *e)
{
	char p[65], h[65];
	vault_hex(e->prev_hash, 32, p);
	vault_hex(e->hash, 32, h);
	size_t n = e->payload_len + 512;
	char *m = malloc(n);
	if (!m)
		abort();
	snprintf(m, n,
		 "{\"seq\":%lld,\"time\":\"t\",\"ts_utc\":%lld,\"ts_mono\":%lld,\"kind\":\"%s\","
		 "\"actors\":\"\",\"medium\":\"\",\"approval\":\"\",\"cites\":\"\",\"payload\":%.*s,"
		 "\"prev_hash\":\"%s\",\"hash\":\"%s\"}",
		 (long long)e->seq, (long long)e->ts_utc, (long long)e->ts_mono, e->kind,
		 (int)e->payload_len, (const char *)e->payload, p, h);
	return m;
}

static void start(void)
{
	static const uint8_t seed[32] = {9};
	uint8_t pk[32], sk[64];
	crypto_sign_ed25519_seed_keypair(pk, sk, seed);
	struct verifier_ops ops = {.publish = publish, .now_us = frozen};
	verifier_close(v);
	if (verifier_open(":memory:", "vault", sk, &ops, &v, NULL) < 0)
		abort();
	char hex[65], payload[160];
	vault_hex(pk, 32, hex);
	snprintf(payload, sizeof payload, "{\"vault\":\"v\",\"checkpoint_pubkey\":\"%s\"}", hex);
	struct vault_entry g = {.seq = 1, .kind = "ledger.genesis", .actors = "", .medium = "",
				.approval = "", .cites = "", .payload = payload,
				.payload_len = strlen(payload)};
	vault_entry_hash(&g, g.hash);
	memcpy(gen_hash, g.hash, 32);
	free(gen_msg);
	gen_msg = message(&g);
	/* The genesis, and a backfill outstanding (its command published
	 * now, while not checking). */
	static const char tip[] = "{\"seq\":900000,\"hash\":\"0000000000000000000000000000000000"
				  "000000000000000000000000000000\"}";
	if (verifier_on_ledger(v, "v", gen_msg, strlen(gen_msg)) < 0 ||
	    verifier_on_tip(v, "v", tip, strlen(tip)) < 0)
		abort();
}

/* Whether the n bytes at s are one JSON value and nothing else (white space
 * around it): what vaultd stores as a payload. */
static int one_value(const char *s, size_t n)
{
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(s, n, &end, 0);
	size_t i = j && end ? (size_t)(end - s) : 0;
	cJSON_Delete(j);
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return j && i == n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!v || ++runs % 5000 == 0)
		start(); /* bounded state: alarms and vaults pile up */
	if (size < 1)
		return 0;
	const char *msg = (const char *)data + 1;
	size_t n = size - 1;
	checking = data[0] % 4 < 3;
	switch (data[0] % 4) {
	case 0:
		verifier_on_ledger(v, "v", msg, n);
		break;
	case 1:
		verifier_on_checkpoint(v, "v", msg, n);
		break;
	case 2:
		verifier_on_tip(v, "v", msg, n);
		break;
	default: {
		if (memchr(msg, 0, n) || !one_value(msg, n))
			return 0;
		struct vault_entry e = {.seq = 2, .ts_utc = 1, .ts_mono = 2, .kind = "k",
					.actors = "", .medium = "", .approval = "", .cites = "",
					.payload = msg, .payload_len = n};
		memcpy(e.prev_hash, gen_hash, 32);
		vault_entry_hash(&e, e.hash);
		char *m = message(&e), vault[32];
		/* A vault of its own: no earlier alarm hides this one. */
		snprintf(vault, sizeof vault, "p%u", runs);
		mismatch = 0;
		verifier_on_ledger(v, vault, gen_msg, strlen(gen_msg));
		verifier_on_ledger(v, vault, m, strlen(m));
		free(m);
		if (mismatch)
			abort(); /* a correctly built entry: the span was not the payload's bytes */
	}
	}
	checking = 0;
	return 0;
}
