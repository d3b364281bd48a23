/* SPDX-License-Identifier: MIT */
/* Sim tag-reader backend: reads an in-process vault_tagsim through the same decoder. */
#include "vault/tagreader.h"
#include "vault/tagsim.h"

#include <errno.h>

struct simpoll {
	struct vault_tagsim *sim;
	int slave;
};

static int sim_open(const struct vault_tagbus_config *cfg, void **ret_handle,
		    enum vault_reason *why)
{
	if (!cfg->sim) {
		*why = VAULT_R_SHELF_BUS_ERROR;
		return -ENODEV;
	}
	*ret_handle = cfg->sim;
	return 0;
}

static int sim_read(void *ctx, unsigned addr, unsigned count, uint16_t *out,
		    enum vault_reason *why)
{
	struct simpoll *p = ctx;
	int r = vault_tagsim_read_input(p->sim, p->slave, addr, count, out);
	if (r >= 0)
		return r;
	switch (r) {
	case -ENODEV: /* nobody at that id: on a real line, silence */
	case -ETIMEDOUT:
		*why = VAULT_R_SHELF_TIMEOUT;
		return -ETIMEDOUT;
	case -ERANGE:
		*why = VAULT_R_SHELF_EXCEPTION;
		return -EREMOTEIO;
	default:
		*why = VAULT_R_SHELF_BAD_REPLY;
		return -EBADMSG;
	}
}

static int sim_poll(void *h, int slave_id, int have_last, uint16_t last_seq,
		    struct vault_shelf_snapshot *snap, enum vault_reason *why)
{
	struct simpoll p = {h, slave_id};
	return vault_tagdecode_poll(sim_read, &p, have_last, last_seq, snap, why);
}

static int sim_health(void *h, struct vault_tagreader_health *ret)
{
	*ret = (struct vault_tagreader_health){.connected = h != NULL};
	return 0;
}

static void sim_close(void *h)
{
	(void)h; /* the sim is owned by whoever configured the bus */
}

const struct vault_tagreader_ops vault_tagreader_sim_ops = {
    .name = "sim",
    .open = sim_open,
    .poll = sim_poll,
    .health = sim_health,
    .close = sim_close,
};
