/* SPDX-License-Identifier: MIT */
/*
 * Power loss at every sync point of a ledger append (tests/vfs_powerloss.h:
 * writes not yet synced are discarded, as the page cache is on a power cut).
 * After each "reboot": every append that was acknowledged is there, the
 * registry matches the ledger, and verification passes. Also: a failed write
 * or sync (EIO, ENOSPC) fails the append and leaves nothing half-done.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib-vault.h"
#include "tap.h"
#include "vault/db.h"
#include "vault/verify.h"
#include "vfs_powerloss.h"

static char *dir;

static int append(struct vault_ledger *l, int i, int64_t *ret_seq)
{
	char k[32], name[32];
	snprintf(k, sizeof k, "U%d", i % 3);
	snprintf(name, sizeof name, "unit v%d", i);
	cJSON *p = tv_set1("unit", k, tv_unit_row(name, i & 1));
	struct vault_record r = {.kind = "registry.unit.update", .actors = "admin", .payload = p};
	int e = vault_ledger_record(l, &r, ret_seq, NULL, NULL);
	cJSON_Delete(p);
	return e;
}

static void say(void *ud, const char *line)
{
	fprintf(stderr, "verify: %s\n", line);
}

/* Reopen after the cut with the plain VFS; check acknowledged seqs and verify. */
static int check_after_reboot(const char *path, int64_t acked, int64_t *ret_tip)
{
	sqlite3 *db;
	const char *err;
	if (vault_db_open(path, VAULT_DB_READWRITE, "unix", &db, &err) < 0) {
		fprintf(stderr, "reopen: %s\n", err);
		return -1;
	}
	int64_t tip = 0;
	uint8_t h[32];
	vault_ledger_tip(db, &tip, h);
	struct vault_verify_result res;
	int r = vault_verify(db, NULL, 0, say, NULL, &res);
	vault_db_close(db);
	*ret_tip = tip;
	if (r < 0 || res.problems)
		return -1;
	return tip >= acked ? 0 : -1;
}

int main(void)
{
	if (vfs_powerloss_register(0) < 0)
		tap_skip_all("cannot register the power-loss VFS");
	dir = tv_tmpdir();
	char path[512];

	/* How many syncs does one append make? */
	snprintf(path, sizeof path, "%s/count.db", dir);
	sqlite3 *db;
	struct vault_ledger *l;
	if (tv_new_vault(path, VFS_POWERLOSS_NAME, &db, &l, NULL) < 0)
		tap_skip_all("cannot create a vault on the power-loss VFS");
	int64_t seq;
	append(l, 0, &seq);
	long s0 = vfs_powerloss_sync_count();
	append(l, 1, &seq);
	long per_append = vfs_powerloss_sync_count() - s0;
	vault_ledger_free(l);
	vault_db_close(db);
	vfs_powerloss_reset();
	ok(per_append >= 1, "an append syncs before it is acknowledged (%ld syncs)", per_append);

	/* Crash after k syncs into the 4th append, for every k, and right after
	 * the commit returned (crash_now). */
	int all_ok = 1, runs = 0, lost_unacked = 0;
	for (long k = 0; k <= per_append; k++) {
		snprintf(path, sizeof path, "%s/cut-%ld.db", dir, k);
		if (tv_new_vault(path, VFS_POWERLOSS_NAME, &db, &l, NULL) < 0) {
			all_ok = 0;
			break;
		}
		int64_t acked = 0;
		for (int i = 0; i < 3; i++)
			if (append(l, i, &seq) == 0)
				acked = seq;
		if (k < per_append)
			vfs_powerloss_crash_after_syncs((int)k + 1);
		int r = append(l, 3, &seq);
		if (r == 0)
			acked = seq;
		if (k == per_append)
			vfs_powerloss_crash_now(); /* power lost right after the ack */
		int crashed = vfs_powerloss_crashed();
		/* Keep appending after the crash point: none may be acknowledged. */
		int late_acks = 0;
		for (int i = 4; i < 6; i++)
			if (append(l, i, &seq) == 0)
				late_acks++;
		vault_ledger_free(l);
		vault_db_close(db);
		int cut = vfs_powerloss_cut();
		int64_t tip;
		int good = crashed && cut == 0 && late_acks == 0 &&
			   check_after_reboot(path, acked, &tip) == 0;
		if (good && tip < 5)
			lost_unacked++;
		runs++;
		char when[96];
		if (k < per_append)
			snprintf(when, sizeof when, "after %ld of %ld syncs of an append", k + 1,
				 per_append);
		else
			snprintf(when, sizeof when, "right after an append was acknowledged");
		if (!ok(good, "power cut %s: every acknowledged entry (through seq %" PRId64
			      ") survives and verifies",
			when, acked))
			all_ok = 0;
		vfs_powerloss_reset();
	}
	ok(all_ok && runs == per_append + 1, "all %d crash points checked", runs);

	/* Torn writes: an arbitrary subset of unsynced sectors reaches the disk. */
	int torn_ok = 1;
	for (unsigned seed = 1; seed <= 8; seed++) {
		for (long k = 0; k < per_append; k++) {
			snprintf(path, sizeof path, "%s/torn-%u-%ld.db", dir, seed, k);
			vfs_powerloss_set_torn(seed);
			if (tv_new_vault(path, VFS_POWERLOSS_NAME, &db, &l, NULL) < 0) {
				torn_ok = 0;
				break;
			}
			int64_t acked = 0;
			for (int i = 0; i < 3; i++)
				if (append(l, i, &seq) == 0)
					acked = seq;
			vfs_powerloss_crash_after_syncs((int)k + 1);
			if (append(l, 3, &seq) == 0)
				acked = seq;
			vault_ledger_free(l);
			vault_db_close(db);
			int64_t tip;
			if (vfs_powerloss_cut() != 0 || check_after_reboot(path, acked, &tip) != 0)
				torn_ok = 0;
			vfs_powerloss_reset();
		}
	}
	vfs_powerloss_set_torn(0);
	ok(torn_ok, "with torn (partial) unsynced writes too, at every crash point and 8 seeds");

	/* Faults: ENOSPC on a write, EIO on a sync, during an append. */
	static const struct {
		enum vfs_op op;
		int err;
		const char *what;
	} faults[] = {
		{VFS_OP_WRITE, ENOSPC, "a full disk (ENOSPC) on a write"},
		{VFS_OP_WRITE, EIO, "EIO on a write"},
		{VFS_OP_SYNC, EIO, "EIO on a sync"},
	};
	for (size_t f = 0; f < 3; f++) {
		snprintf(path, sizeof path, "%s/fault-%zu.db", dir, f);
		if (tv_new_vault(path, VFS_POWERLOSS_NAME, &db, &l, NULL) < 0)
			break;
		append(l, 0, &seq);
		int64_t before = seq;
		vfs_powerloss_fail_nth(faults[f].op, 1, faults[f].err);
		int r = append(l, 1, &seq);
		int64_t tip;
		uint8_t h[32];
		vault_ledger_tip(db, &tip, h);
		int later = append(l, 2, &seq);
		vault_ledger_free(l);
		vault_db_close(db);
		vfs_powerloss_reset();
		sqlite3 *rdb;
		struct vault_verify_result res = {.problems = -1};
		const char *err;
		if (vault_db_open(path, VAULT_DB_READONLY, "unix", &rdb, &err) == 0) {
			vault_verify(rdb, NULL, 0, say, NULL, &res);
			vault_db_close(rdb);
		}
		ok(r < 0 && tip == before && later == 0 && seq == before + 1 && res.problems == 0,
		   "%s fails the append (%d), leaves the tip at %" PRId64
		   ", the next append succeeds, and it verifies",
		   faults[f].what, r, tip);
	}
	tv_rmrf(dir);
	free(dir);
	return tap_done();
}
