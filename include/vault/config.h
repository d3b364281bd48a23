/* SPDX-License-Identifier: MIT */
/*
 * vaultd's INI configuration (inih). Every key is in one table in config.c and
 * documented in docs/vault.ini.example (a test checks both agree). Unknown
 * sections or keys and bad values are errors that name file:line.
 */
#ifndef VAULT_CONFIG_H
#define VAULT_CONFIG_H
#include <stddef.h>

#include "vault/gpio.h"

#define VAULT_CONFIG_MAX_BUSES 4

/* [bus.NAME]: one Modbus bus of shelves, kiosk pad, shredder throat. */
struct vault_bus_config {
	char name[32];
	char kind[8];	     /* rtu | tcp */
	char device[256];    /* rtu: /dev/ttyUSB0 */
	int baud;	     /* rtu */
	char parity[2];	     /* rtu: N, E, O */
	int rs485;	     /* rtu: ask for RS-485 mode (non-fatal if refused) */
	char host[128];	     /* tcp */
	int port;	     /* tcp */
	char shelves[512];   /* "1:SH-1, 2:SH-2" slave id : shelf name */
	int response_timeout_ms, byte_timeout_ms, retries, poll_interval_ms;
	int line;	     /* where the section started, for errors */
};

struct vault_config {
	/* [vault] */
	char name[128];
	char timezone[64];
	char database[512];
	char keys_dir[512];
	char socket[512];
	char lang[16];
	/* [ledger] */
	int checkpoint_every;
	int wal_reserve_mb;    /* vaultd writes the WAL's first N MiB at start (0: no) */
	int verify_every_h;    /* vaultd verifies the ledger every N hours (0: never) */
	int verify_at_start_s; /* ... and N seconds after start (0: not at start) */
	/* [pin] */
	int argon2_ops;
	int argon2_mem_kib;
	int pin_lockout_after;
	int pin_lockout_seconds;
	/* [policy] */
	int training_max_days;
	int cert_years;
	int onsite_threshold;
	int destruction_months;
	/* [log] */
	char log_level[16];
	/* [door] */
	int two_person;
	int two_person_window_s;
	int unlock_s;
	int held_s;
	int pin_timeout_s;
	int exit_reader;
	int fire_release;
	int siren;
	/* [reader] */
	char reader_door[256];
	char reader_exit[256];
	char reader_kiosk[256];	   /* the kiosk's badge reader ("" = none) */
	char reader_shredder[256]; /* the shredder station's badge reader */
	char reader_console[256];  /* the console's enrolment reader */
	int legacy_uid_only;
	char sysid[32];
	int refusal_limit;    /* refusals a reader ledgers one by one per window */
	int refusal_window_s; /* controller/flood.h */
	/* [gpio] */
	char gpio_backend[16];
	char gpio_chip[64];
	char gpio_sim_socket[108];
	int gpio_debounce_ms;
	char gpio_active_low[256];
	int gpio_keepalive_ms; /* the keep-alive output's half period */
	/* [gpio] <line> = offset | name:NAME | none (raw text; "" = default) */
	char gpio_line[VAULT_GPIO__COUNT][48];
	/* [mqtt] */
	int mqtt_enabled;
	char mqtt_broker[256];
	char mqtt_client_id[128];    /* "" = the vault name */
	char mqtt_topic_prefix[192]; /* "" = vault/<name> */
	char mqtt_verifier_key[80];  /* hex Ed25519 public key; "" = no verifier */
	/* [clock] (controller/health.c) */
	int clock_check_s;
	int clock_jump_s;
	/* [storage] (controller/health.c): free space on the database's file system */
	int storage_check_s;
	int storage_warn_free_mb;
	int storage_alarm_free_mb;
	int sensor_retention_days; /* uncited sensor events kept (0: forever) */
	int sensor_limit;	   /* sensor events a source stores one by one */
	int sensor_window_s;	   /* per window (controller/flood.h) */
	int mqtt_qos;
	int mqtt_keepalive_s;
	int mqtt_reconnect_ms;
	/* [custody] */
	char custody_pad[32];	 /* shelf name of the kiosk pad */
	char custody_throat[32]; /* shelf name of the shredder throat reader */
	/* The lines that set pad and throat (0: the default, a station the site
	 * may not have): a name set must be a shelf of a [bus.NAME] section. */
	int custody_pad_line, custody_throat_line;
	int removal_window_s;
	int return_window_s;
	int pad_window_s;
	int station_window_s;
	int witness_window_s;
	int quiet_window_s;
	int motor_grace_ms;
	int inventory_every_h;
	int inventory_settle_s;
	/* [http] */
	int http_enabled;
	char http_bind[64];
	int http_port;
	int http_allow_non_loopback;
	char http_allowed_host[128];
	char http_static_root[512];
	int http_max_body;
	int http_max_connections;
	int http_max_sessions;
	int http_idle_timeout_s;
	int http_kiosk_idle_timeout_s;
	int http_lifetime_s;
	int http_cookie_secure;
	char http_trusted_proxy[256]; /* reverse proxies' addresses (X-Forwarded-For) */
	int http_refusal_limit;	      /* anonymous refusals ledgered one by one */
	int http_refusal_window_s;    /* per window (controller/flood.h) */
	/* [admin] (controller/admin.c): the admin socket's refusals ledgered one
	 * by one per caller (Unix uid) per window (controller/flood.h) */
	int admin_refusal_limit;
	int admin_refusal_window_s;
	int admin_reply_stall_s; /* a caller not taking its reply is dropped */
	struct vault_bus_config bus[VAULT_CONFIG_MAX_BUSES];
	int nbuses;
};

/* Fill with the documented defaults. */
void vault_config_defaults(struct vault_config *c);

/*
 * Parse `path` over the defaults already in *c. Returns 0, or -ENOENT/-EACCES
 * (cannot read), -EINVAL (a bad line). On -EINVAL, err receives
 * "path:line: what is wrong". *c may be partially updated on failure: callers
 * parse into a scratch copy and exit on error.
 */
int vault_config_load(const char *path, struct vault_config *c, char *err, size_t errsize);

/* For the documentation test: key i as "section.key", NULL past the end. */
const char *vault_config_key_name(size_t i, char *buf, size_t size);
#endif
