/* SPDX-License-Identifier: MIT */
/* Several libnfc readers, each in its own worker thread, as in vaultd (door, exit,
 * kiosk, shredder, console). libnfc keeps process-wide state: a driver list that
 * nfc_init() fills and nfc_exit() frees, and the LIBNFC_LOG_LEVEL variable that
 * nfc_init() writes with setenv() and every log line reads with getenv(). Four
 * readers whose devices are unplugged retry their opens every millisecond
 * while a fifth reads badges and this thread reads the environment; nothing may
 * crash (run it under `make asan` too), the working reader authenticates, and
 * the environment never gains a variable after vault_badge_nfc_prepare(). */
#include "lib-badgeevents.h"
#include "lib-pn532emu.h"
#include "tap.h"
#include "vault/util.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern char **environ;

static int env_count(void)
{
	int n = 0;
	while (environ[n])
		n++;
	return n;
}

/* Read the environment for ms milliseconds, as vaultd's own threads do (sd_notify,
 * credentials); returns how many reads saw LIBNFC_LOG_LEVEL. */
static long read_env_for(int ms)
{
	int64_t end = vault_now_mono_us() + (int64_t)ms * 1000;
	long seen = 0;
	while (vault_now_mono_us() < end)
		for (int i = 0; i < 1000; i++)
			seen += getenv("LIBNFC_LOG_LEVEL") != NULL;
	return seen;
}

static void cfg_for(struct vault_badge_config *c, const char *name, const char *connstring,
		    int backoff_ms)
{
	memset(c, 0, sizeof *c);
	vault_strlcpy(c->name, name, sizeof c->name);
	vault_strlcpy(c->connstring, connstring, sizeof c->connstring);
	c->poll_interval_ms = 20;
	c->offline_after = 2;
	c->backoff_min_ms = backoff_ms;
	c->backoff_max_ms = backoff_ms;
}

int main(void)
{
	struct emu_proc emu;
	struct evrec rec;
	enum { GONE = 4 };
	struct vault_badge_config live, gone[GONE];
	struct vault_badge_reader *r1 = NULL, *rg[GONE] = {0};
	char absent[300];
	uint8_t uid[7], k[16];
	char key[33];

	if (emu_setup(&emu) < 0)
		tap_skip_all("build/pn532-emu not built");
	/* As vaultd starts: libnfc's variable not set by anyone. */
	unsetenv("LIBNFC_LOG_LEVEL");
	vault_badge_nfc_prepare();
	ok(getenv("LIBNFC_LOG_LEVEL") != NULL,
	   "vault_badge_nfc_prepare() lets libnfc put its variable in place while this is the "
	   "only thread");
	setenv("LIBNFC_LOG_LEVEL", "0", 1); /* replaced, not added: quiet test output */
	int env0 = env_count();
	if (emu_start(&emu) < 0)
		tap_skip_all("cannot start the PN532 emulator");
	if (evrec_start(&rec) < 0)
		tap_skip_all("cannot start the loop");

	for (int i = 0; i < GONE; i++) {
		char name[32];
		snprintf(name, sizeof name, "unplugged-%d", i + 1);
		snprintf(absent, sizeof absent, "pn532_uart:%s/%s", emu.dir, name);
		cfg_for(&gone[i], name, absent, 1);
	}
	cfg_for(&live, "door", emu.connstring, 50);
	RAND_bytes(live.master_key, 16);
	memcpy(live.sysid, "vault", 5);
	live.sysid_len = 5;
	vault_unhex("04A1B2C3D4E5F6", uid, 7);
	vault_badge_derive_key(live.master_key, uid, 7, live.sysid, live.sysid_len, 1, k);
	vault_hex(k, 16, key);

	/* Unplugged readers alone: the shared state is made and freed by turns. */
	int started = 0;
	for (int i = 0; i < GONE; i++)
		started += vault_badge_reader_start(rec.loop, &vault_badge_nfc_ops, &gone[i], evrec_cb,
						    &rec, &rg[i]) == 0;
	ok(started == GONE, "%d readers on unplugged devices started (retrying every millisecond)",
	   started);
	long seen = read_env_for(1500);
	ok(seen > 0, "this thread read the environment meanwhile (%ld reads found the variable)",
	   seen);

	/* A working reader joins them. */
	ok(vault_badge_reader_start(rec.loop, &vault_badge_nfc_ops, &live, evrec_cb, &rec, &r1) ==
		   0,
	   "a reader on the emulated PN532 started beside them");
	int on = evrec_wait(&rec, 0, VAULT_BADGE_ONLINE, 5000);
	ok(on >= 0 && !strcmp(evrec_get(&rec, on).reader, "door"), "it comes online");
	for (int round = 0; round < 3; round++) {
		emu_cmd(&emu, NULL, 0, "place desfire 04A1B2C3D4E5F6 %s 1", key);
		int a = evrec_wait(&rec, on, VAULT_BADGE_ARRIVAL, 5000);
		struct vault_badge_event ev = a >= 0 ? evrec_get(&rec, a) : (struct vault_badge_event){0};
		ok(a >= 0 && ev.reason == VAULT_R_OK && ev.id.authenticated && !memcmp(ev.id.uid, uid, 7),
		   "round %d: the badge authenticates while the others retry (reason %s)", round + 1,
		   vault_reason_id(ev.reason));
		read_env_for(100);
		emu_cmd(&emu, NULL, 0, "remove");
		on = evrec_wait(&rec, a, VAULT_BADGE_DEPARTURE, 5000);
		ok(on >= 0, "round %d: and departs", round + 1);
		if (on < 0)
			break;
	}
	/* The working reader goes; the unplugged ones go on alone once more. */
	vault_badge_reader_stop(r1);
	read_env_for(300);
	for (int i = 0; i < GONE; i++)
		vault_badge_reader_stop(rg[i]);

	int offline = 0, other = 0, n = evrec_count(&rec);
	for (int i = 0; i < n; i++) {
		struct vault_badge_event ev = evrec_get(&rec, i);
		if (!strncmp(ev.reader, "unplugged-", 10)) {
			offline += ev.kind == VAULT_BADGE_OFFLINE;
			other += ev.kind != VAULT_BADGE_OFFLINE;
		}
	}
	ok(offline == GONE && other == 0,
	   "each unplugged reader reported OFFLINE once and nothing else (%d OFFLINE, %d other), "
	   "however often it retried",
	   offline, other);
	ok(env_count() == env0 && getenv("LIBNFC_LOG_LEVEL") != NULL,
	   "the environment gained no variable while the readers ran (%d entries, was %d)",
	   env_count(), env0);
	evrec_stop(&rec);
	emu_cleanup(&emu);
	return tap_done();
}
