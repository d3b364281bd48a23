/* SPDX-License-Identifier: MIT */
/*
 * Verification of a vault database, read-only:
 *  1. the hash chain: seq contiguous from 1, each prev_hash equal to the
 *     previous entry's hash, each hash equal to the canonical hash recomputed;
 *  2. every stored checkpoint and every exported checkpoint file: a valid
 *     Ed25519 signature by the genesis key, and the ledger's hash at that seq
 *     equal to the signed one (a ledger shorter than a checkpoint = truncated);
 *  3. the registry: replay every entry's "set" list into an empty registry and
 *     compare it, table by table and row by row, with the stored registry.
 * Problems are reported one line each through `say`, naming the seq or row.
 */
#ifndef VAULT_VERIFY_H
#define VAULT_VERIFY_H
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "vault/ledger.h"

struct vault_verify_result {
	int64_t entries;       /* ledger entries read */
	int64_t checkpoints;   /* checkpoints verified (stored + files) */
	int64_t rows;          /* registry rows compared */
	int64_t first_bad_seq; /* 0 if the chain is intact */
	int problems;          /* number of problem lines reported */
};

typedef void (*vault_say_fn)(void *ud, const char *line);

/* Returns 0 (result filled; result.problems == 0 means verified) or -errno
 * when verification could not run at all. */
int vault_verify(sqlite3 *db, const struct vault_checkpoint *files, size_t nfiles,
		 vault_say_fn say, void *ud, struct vault_verify_result *ret);
#endif
