/* SPDX-License-Identifier: MIT */
/* Placeholder until the warnings module lands: no actions, nothing started. */
#include <stdlib.h>

#include "vaultd.h"

struct warnings {
	struct vaultd *d;
};

int warnings_start(struct vaultd *d, struct warnings **ret)
{
	*ret = NULL;
	(void)d;
	return 0;
}

void warnings_free(struct warnings *x)
{
	free(x);
}

int warnings_action_known(const char *action)
{
	(void)action;
	return 0;
}

void warnings_action(struct vaultd *d, const struct vault_caller *who, const char *action,
		     const cJSON *args, struct action_result *res, uint64_t client_id)
{
	(void)d, (void)who, (void)action, (void)args, (void)client_id;
	res->reason = VAULT_R_UNKNOWN_ACTION;
}
