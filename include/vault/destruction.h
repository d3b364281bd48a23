/* SPDX-License-Identifier: MIT */
/*
 * Destruction certificates, read back from the ledger (docs/destruction.md).
 *
 * A certificate is not a separate file that could drift from the record: it is
 * the `destruction.confirmed` (or `destruction.handover`) ledger entry of an
 * order, printed with the entry's seq and hash, so anyone can check it against
 * `vaultctl verify` and the signed checkpoints. Read-only; any connection.
 */
#ifndef VAULT_DESTRUCTION_H
#define VAULT_DESTRUCTION_H
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdint.h>

/* The certificate of destruction order `order`: a JSON object {kind, seq,
 * hash (hex), time (UTC, ISO 8601), actors, medium, cites, entry (the payload
 * without its "set" list)}. Returns 0, -ENOENT (no confirmed destruction or
 * handover for the order) or -EIO. */
int vault_destruction_certificate(sqlite3 *db, const char *order, cJSON **ret);

/* The certificate as printable text (malloc'd; NULL on allocation failure). */
char *vault_destruction_certificate_text(const cJSON *cert);

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" for a UTC time in microseconds. */
void vault_destruction_iso_utc(int64_t utc_us, char buf[32]);
#endif
