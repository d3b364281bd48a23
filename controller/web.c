/* SPDX-License-Identifier: MIT */
/* Placeholder until the HTTP service lands: [http] enabled is refused. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "vaultd.h"

struct web {
	struct vaultd *d;
};

int web_start(struct vaultd *d, struct web **ret, char *err, size_t errlen)
{
	*ret = NULL;
	if (!d->cfg.http_enabled)
		return 0;
	snprintf(err, errlen, "[http] enabled: the HTTP service is not built yet");
	return -EOPNOTSUPP;
}

void web_free(struct web *w)
{
	free(w);
}
