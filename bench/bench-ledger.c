/* SPDX-License-Identifier: MIT */
/*
 * Ledger append latency vs one bare durable SQLite commit (WAL,
 * synchronous=FULL), measured in the same run on the same disk.
 * Prints p50/p99 of each and their ratios.
 *
 * bench-ledger [RUNS [GAP_MS [raw|raw2]]]: with GAP_MS, each commit and each
 * append follows GAP_MS of idle time (as a door decision follows seconds of idle
 * time), instead of a hot loop. With `raw`, only the bare commits are made and
 * each one's time is printed in µs, one per line (bench/door.sh interleaves
 * such blocks with its quiet and loaded blocks of door decisions). With `raw2`,
 * each bare commit is followed (after GAP_MS) by one to a second database whose
 * WAL was reserved first (vault_db_wal_reserve, as vaultd does at start), and
 * a line holds both times: what the reserve changes, under the same conditions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tests/lib-vault.h"
#include "vault/db.h"
#include "vault/util.h"

#define RUNS 2000

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void stats(int64_t *v, int n, double *p50, double *p99)
{
	qsort(v, (size_t)n, sizeof *v, cmp);
	*p50 = (double)v[n / 2] / 1000.0;
	*p99 = (double)v[n * 99 / 100] / 1000.0;
}

static void idle_ms(int ms)
{
	if (ms <= 0)
		return;
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* One durable commit of a 200-byte row; µs. */
static int64_t bare_commit(sqlite3 *db, sqlite3_stmt *st, const char *blob)
{
	int64_t t0 = vault_now_mono_us();
	vault_db_begin(db);
	sqlite3_bind_blob(st, 1, blob, 200, SQLITE_STATIC);
	sqlite3_step(st);
	sqlite3_reset(st);
	vault_db_commit(db);
	return vault_now_mono_us() - t0;
}

int main(int argc, char **argv)
{
	char *dir = tv_tmpdir(), path[512] = "";
	static int64_t bare[RUNS], led[RUNS];
	int runs = argc > 1 ? atoi(argv[1]) : RUNS, gap = argc > 2 ? atoi(argv[2]) : 0;
	int raw2 = argc > 3 && !strcmp(argv[3], "raw2");
	int raw = raw2 || (argc > 3 && !strcmp(argv[3], "raw"));
	if (runs < 10 || runs > RUNS || gap < 0 || gap > 10000 || (argc > 3 && !raw)) {
		fprintf(stderr,
			"usage: bench-ledger [RUNS (10..%d) [GAP_MS (0..10000) [raw|raw2]]]\n",
			RUNS);
		return 2;
	}

	snprintf(path, sizeof path, "%s/bare.db", dir);
	sqlite3 *bdb, *db;
	const char *err;
	if (vault_db_open(path, VAULT_DB_CREATE, NULL, &bdb, &err) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	vault_db_exec(bdb, "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)");
	sqlite3_stmt *st;
	sqlite3_prepare_v2(bdb, "INSERT INTO t(v) VALUES(?)", -1, &st, NULL);
	sqlite3 *rdb = NULL;
	sqlite3_stmt *rst = NULL;
	if (raw2) { /* 1 MiB holds this run's frames; written before the first gap */
		int64_t added;
		snprintf(path, sizeof path, "%s/reserved.db", dir);
		if (vault_db_open(path, VAULT_DB_CREATE, NULL, &rdb, &err) < 0 ||
		    vault_db_exec(rdb, "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)") < 0 ||
		    vault_db_wal_reserve(rdb, 1 << 20, &added, &err) < 0) {
			fprintf(stderr, "%s: %s\n", path, err);
			return 1;
		}
		sqlite3_prepare_v2(rdb, "INSERT INTO t(v) VALUES(?)", -1, &rst, NULL);
	}
	snprintf(path, sizeof path, "%s/ledger.db", dir);
	struct vault_ledger *l;
	if (tv_new_vault(path, NULL, &db, &l, NULL) < 0)
		return 1;
	vault_ledger_set_checkpoint_every(l, 100);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "reader", "door");
	cJSON_AddStringToObject(p, "badge", "04a1b2c3d4e5f6");
	cJSON_AddStringToObject(p, "decision", "allow");
	/* Interleaved, so both see the same disk and cache conditions. */
	for (int i = 0; i < runs; i++) {
		idle_ms(gap);
		bare[i] = bare_commit(bdb, st, path) * 1000;
		if (raw2) {
			idle_ms(gap);
			printf("%lld %lld\n", (long long)bare[i] / 1000,
			       (long long)bare_commit(rdb, rst, path));
			continue;
		}
		if (raw) {
			printf("%lld\n", (long long)bare[i] / 1000);
			continue;
		}
		struct vault_record r = {.kind = "entry.granted", .actors = "P1", .cites = "17,18",
					 .payload = p};
		idle_ms(gap);
		int64_t t0 = vault_now_mono_us();
		vault_ledger_record(l, &r, NULL, NULL, NULL);
		led[i] = (vault_now_mono_us() - t0) * 1000;
	}
	sqlite3_finalize(st);
	vault_db_close(bdb);
	sqlite3_finalize(rst);
	vault_db_close(rdb);
	cJSON_Delete(p);
	vault_ledger_free(l);
	vault_db_close(db);
	tv_rmrf(dir);
	free(dir);
	if (raw)
		return 0;

	double b50, b99, l50, l99;
	stats(bare, runs, &b50, &b99);
	stats(led, runs, &l50, &l99);
	printf("| measurement (%d runs each, same run%s) | p50 µs | p99 µs |\n|---|---|---|\n", runs,
	       gap ? ", each after idle time" : "");
	printf("| bare durable SQLite commit (WAL, FULL)%s | %.0f | %.0f |\n",
	       gap ? " after idle time" : "", b50, b99);
	printf("| ledger append (hash chain + registry + checkpoint every 100) | %.0f | %.0f |\n",
	       l50, l99);
	printf("| ratio ledger / bare | %.2f | %.2f |\n", l50 / b50, l99 / b99);
	return 0;
}
