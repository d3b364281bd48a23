/* SPDX-License-Identifier: MIT */
/* Sim badge reader backend: no hardware; tests place cards and break the reader. */
#include "vault/badge.h"

#include "vault/util.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------- sim backend ---------------------------- */

struct vault_badge_sim {
	char name[32];
	pthread_mutex_t mu;
	int present, broken, open_count;
	struct vault_badge_card card;
	uint8_t key_version;
	enum vault_reason outcome;
	struct vault_badge_sim *next;
};

static pthread_mutex_t sims_mu = PTHREAD_MUTEX_INITIALIZER;
static struct vault_badge_sim *sims;

int vault_badge_sim_new(const char *name, struct vault_badge_sim **ret)
{
	struct vault_badge_sim *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	if (vault_strlcpy(s->name, name, sizeof s->name) < 0) {
		free(s);
		return -ENAMETOOLONG;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_lock(&sims_mu);
	s->next = sims;
	sims = s;
	pthread_mutex_unlock(&sims_mu);
	*ret = s;
	return 0;
}

/* Free only after the readers using it are stopped. */
void vault_badge_sim_free(struct vault_badge_sim *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&sims_mu);
	for (struct vault_badge_sim **p = &sims; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	pthread_mutex_unlock(&sims_mu);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int vault_badge_sim_place(struct vault_badge_sim *s, const uint8_t *uid, size_t uid_len,
			  uint8_t key_version, enum vault_reason outcome)
{
	if (!uid || uid_len == 0 || uid_len > VAULT_BADGE_UID_MAX)
		return -EINVAL;
	pthread_mutex_lock(&s->mu);
	memcpy(s->card.uid, uid, uid_len);
	s->card.uid_len = (uint8_t)uid_len;
	s->key_version = key_version;
	s->outcome = outcome;
	s->present = 1;
	pthread_mutex_unlock(&s->mu);
	return 0;
}

void vault_badge_sim_remove(struct vault_badge_sim *s)
{
	pthread_mutex_lock(&s->mu);
	s->present = 0;
	pthread_mutex_unlock(&s->mu);
}

void vault_badge_sim_set_broken(struct vault_badge_sim *s, int broken)
{
	pthread_mutex_lock(&s->mu);
	s->broken = broken;
	pthread_mutex_unlock(&s->mu);
}

static int sim_open(const struct vault_badge_config *cfg, void **ret)
{
	if (strncmp(cfg->connstring, "sim:", 4) != 0)
		return -EINVAL;
	pthread_mutex_lock(&sims_mu);
	struct vault_badge_sim *s = sims;
	while (s && strcmp(s->name, cfg->connstring + 4))
		s = s->next;
	pthread_mutex_unlock(&sims_mu);
	if (!s)
		return -ENODEV;
	pthread_mutex_lock(&s->mu);
	int broken = s->broken;
	pthread_mutex_unlock(&s->mu);
	if (broken)
		return -EIO;
	*ret = s;
	return 0;
}

static int sim_poll(void *st, struct vault_badge_card *card)
{
	struct vault_badge_sim *s = st;
	int r;
	pthread_mutex_lock(&s->mu);
	if (s->broken)
		r = -EIO;
	else if (s->present) {
		*card = s->card;
		r = 1;
	} else
		r = 0;
	pthread_mutex_unlock(&s->mu);
	return r;
}

static int sim_authenticate(void *st, const struct vault_badge_config *cfg,
			    struct vault_badge_identity *id, enum vault_reason *why)
{
	struct vault_badge_sim *s = st;
	pthread_mutex_lock(&s->mu);
	memset(id, 0, sizeof *id);
	memcpy(id->uid, s->card.uid, s->card.uid_len);
	id->uid_len = s->card.uid_len;
	id->key_version = s->key_version;
	if (cfg->legacy_uid_only) {
		*why = VAULT_R_BADGE_UNAUTHENTICATED;
	} else {
		*why = s->outcome;
		id->authenticated = s->outcome == VAULT_R_OK;
	}
	pthread_mutex_unlock(&s->mu);
	return 0;
}

static void sim_close(void *st)
{
}

static int sim_health(void *st)
{
	struct vault_badge_sim *s = st;
	pthread_mutex_lock(&s->mu);
	int r = s->broken ? -EIO : 0;
	pthread_mutex_unlock(&s->mu);
	return r;
}

const struct vault_badge_reader_ops vault_badge_sim_ops = {
	.name = "sim",
	.open = sim_open,
	.poll = sim_poll,
	.authenticate = sim_authenticate,
	.close = sim_close,
	.health = sim_health,
};
