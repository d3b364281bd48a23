/* SPDX-License-Identifier: MIT */
/*
 * LD_PRELOAD fault injection for t-mqtt: Paho 1.3.12 (Debian 12) sometimes
 * calls a connect's onFailure twice with the same context
 * (eclipse-paho/paho.mqtt.c #1341: once from the command that failed, again
 * from the copy it keeps for a retry). Rare and timing-bound in the real
 * library, it killed vaultd once in CI. This wraps MQTTAsync_connect, which
 * still goes to the real Paho, so that every failure it reports is reported
 * twice, back to back, with the caller's context: the worst case, every time.
 * Nothing else of Paho is touched.
 */
#include <MQTTAsync.h>
#include <dlfcn.h>
#include <stdlib.h>

struct wrap {
	MQTTAsync_onSuccess *ok;
	MQTTAsync_onFailure *fail;
	void *ctx;
};

/* Paho keeps a connect's callbacks for its retries, so a wrapper lives as
 * long as the process: one slot per connect, then connects go unwrapped. */
static struct wrap slots[4096];
static int used; /* taken under Paho's caller: vaultd's one loop thread */

static void twice_ok(void *ctx, MQTTAsync_successData *r)
{
	struct wrap *w = ctx;
	if (w->ok)
		w->ok(w->ctx, r);
}

static void twice_fail(void *ctx, MQTTAsync_failureData *r)
{
	struct wrap *w = ctx;
	if (w->fail) {
		w->fail(w->ctx, r);
		w->fail(w->ctx, r);
	}
}

int MQTTAsync_connect(MQTTAsync handle, const MQTTAsync_connectOptions *options)
{
	static int (*real)(MQTTAsync, const MQTTAsync_connectOptions *);
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "MQTTAsync_connect");
	if (!real)
		abort();
	if (!options || used == (int)(sizeof slots / sizeof slots[0]))
		return real(handle, options);
	struct wrap *w = &slots[used++];
	MQTTAsync_connectOptions o = *options;
	w->ok = o.onSuccess;
	w->fail = o.onFailure;
	w->ctx = o.context;
	o.onSuccess = twice_ok;
	o.onFailure = twice_fail;
	o.context = w;
	return real(handle, &o);
}
