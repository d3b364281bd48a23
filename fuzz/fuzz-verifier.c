/* SPDX-License-Identifier: MIT */
/*
 * The central verifier reads whatever is published under <root>/+/: its
 * ledger, checkpoint and tip parsers take untrusted bytes. Modes (first byte):
 * 0-2: the rest is a ledger, checkpoint or tip message as is (no crash, and
 * nothing but an alarm); 3: the rest is an entry's payload (any JSON value
 * text), built into a correct message for seq 2 after a genesis, with the
 * hash computed over those bytes: the verifier must never call it
 * HASH_MISMATCH (its payload span must be exactly the bytes hashed).
 */
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
static int mismatch;
static unsigned runs;

static void publish(void *ud, const char *vault, const char *suffix, const char *text,
		    size_t len, int retained)
{
	(void)ud;
	(void)vault;
	(void)retained;
	if (!strcmp(suffix, "verifier-alarm") && memmem(text, len, "code HASH_MISMATCH", 18))
		mismatch = 1;
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
	struct verifier_ops ops = {.publish = publish};
	verifier_close(v);
	if (verifier_open(":memory:", sk, &ops, &v, NULL) < 0)
		abort();
	char hex[65], payload[160];
	vault_hex(pk, 32, hex);
	snprintf(payload, sizeof payload, "{\"vault\":\"v\",\"checkpoint_pubkey\":\"%s\"}", hex);
	struct vault_entry g = {.seq = 1, .kind = "ledger.genesis", .actors = "", .medium = "",
				.approval = "", .cites = "", .payload = payload,
				.payload_len = strlen(payload)};
	vault_entry_hash(&g, g.hash);
	memcpy(gen_hash, g.hash, 32);
	char *m = message(&g);
	if (verifier_on_ledger(v, "v", m, strlen(m)) < 0)
		abort();
	free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!v || ++runs % 5000 == 0)
		start(); /* bounded state: alarms pile up */
	if (size < 1)
		return 0;
	const char *msg = (const char *)data + 1;
	size_t n = size - 1;
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
		if (memchr(msg, 0, n))
			return 0;
		struct vault_entry e = {.seq = 2, .ts_utc = 1, .ts_mono = 2, .kind = "k",
					.actors = "", .medium = "", .approval = "", .cites = "",
					.payload = msg, .payload_len = n};
		memcpy(e.prev_hash, gen_hash, 32);
		vault_entry_hash(&e, e.hash);
		char *m = message(&e);
		mismatch = 0;
		verifier_on_ledger(v, "v", m, strlen(m));
		free(m);
		if (mismatch)
			abort(); /* a correctly built entry: the span was not the payload's bytes */
	}
	}
	return 0;
}
