/* SPDX-License-Identifier: MIT */
/*
 * Tag readers: smart shelves, the kiosk pad and the shredder throat, all shelf nodes
 * (firmware-glue/shelf_regmap.h) on a bus: an RTU line with several slave ids, or a
 * Modbus TCP endpoint (one or more unit ids), or the in-process simulator.
 *
 * Two layers:
 *  - struct vault_tagreader_ops: the transport backend (libmodbus, or sim), called
 *    only from the bus's worker thread; every op may block.
 *  - struct vault_tagbus: ONE worker thread per bus polls each shelf in turn (reads
 *    CHANGE_SEQ, re-reads the table only when it moved), diffs the tables and posts
 *    events to the daemon loop with vault_loop_post(). Callbacks and every
 *    vault_tagbus_* function except stats run on the loop thread.
 *
 * Events per shelf:
 *  - ONLINE: the first good read since start;
 *  - ARRIVED / DEPARTED: one per (antenna, tag) pair added to / removed from the
 *    shelf's set (a tag moving between antennas is a departure plus an arrival);
 *    `initial` marks the arrivals of the first read of a shelf;
 *  - FAULT (with a reason): the shelf stopped answering or its replies are refused;
 *    its last-known contents are KEPT (a silent shelf never means "tags gone");
 *  - RECOVERED: it answers again; the table is then re-read in full and differences
 *    against the last-known contents follow as ARRIVED / DEPARTED;
 *  - HEALTH: the node's HEALTH flags changed.
 */
#ifndef VAULT_TAGREADER_H
#define VAULT_TAGREADER_H
#include <stddef.h>
#include <stdint.h>

#include "vault/reason.h"
#include "vault/tagdecode.h"

struct vault_loop;
struct vault_tagsim;

#define VAULT_TAGBUS_MAX_SHELVES 32
#define VAULT_TAGBUS_NAME_MAX 32

enum vault_tagbus_kind {
	VAULT_TAGBUS_RTU = 1,
	VAULT_TAGBUS_TCP = 2,
	VAULT_TAGBUS_SIM = 3,
};

struct vault_tagbus_shelf_config {
	int slave_id;			  /* 1..247 (RTU) or unit id 0..255 (TCP) */
	char name[VAULT_TAGBUS_NAME_MAX]; /* "shelf-A3", "kiosk-pad", "shredder-throat" */
};

/*
 * One bus. A possible INI form (the daemon's config layer maps it):
 *   [tagbus.vault-rtu]            [tagbus.kiosk]
 *   kind = rtu                    kind = tcp
 *   device = /dev/ttyUSB0         host = 10.0.0.20
 *   baud = 19200                  port = 502
 *   parity = E                    shelves = 10:kiosk-pad, 11:shredder-throat
 *   rs485 = yes                   response_timeout_ms = 200
 *   shelves = 1:shelf-A1, 2:shelf-A2, 3:shelf-B1
 *   response_timeout_ms = 200, byte_timeout_ms = 50, retries = 1, poll_interval_ms = 100
 */
struct vault_tagbus_config {
	enum vault_tagbus_kind kind;
	/* RTU */
	char device[256];	  /* /dev/ttyUSB0, or a pty path */
	int baud;		  /* default 19200 */
	char parity;		  /* 'N', 'E', 'O'; default 'E' */
	int data_bits, stop_bits; /* default 8, 1 */
	int rs485; /* ask for RS-485 mode (TIOCSRS485); failure (ENOTTY on a pty, a
		    * USB adapter doing it in hardware) is not fatal: see health */
	/* TCP */
	char host[256]; /* "127.0.0.1" */
	int port;	/* default 502 */
	/* SIM: the simulator this bus reads (not owned; must outlive the bus) */
	struct vault_tagsim *sim;

	unsigned nshelves;
	struct vault_tagbus_shelf_config shelves[VAULT_TAGBUS_MAX_SHELVES];

	unsigned response_timeout_ms; /* default 200 */
	unsigned byte_timeout_ms;     /* default 50; 0 = none */
	unsigned retries; /* extra attempts per poll of an answering shelf; default 1 */
	unsigned poll_interval_ms; /* pause between bus sweeps; default 100 */
	unsigned reconnect_ms;	   /* pause before reopening a failed bus; default 1000 */
};

/* Fill defaults (kind 0 = unset). */
void vault_tagbus_config_defaults(struct vault_tagbus_config *cfg);

/* ---- transport backends ---- */

struct vault_tagreader_health {
	int connected;
	int rs485_requested, rs485_active;
	int rs485_errno; /* why RS-485 mode was refused (ENOTTY on a pty), or 0 */
	int last_errno;	 /* of the last failure */
};

/*
 * A missing op returns -EOPNOTSUPP. All ops run on the bus worker thread and may
 * block (up to response_timeout * words read, for poll).
 *  open:   0 and *ret_handle, or -errno with *why (SHELF_BUS_ERROR).
 *  poll:   one shelf, the protocol of vault_tagdecode_poll(): 1 changed (*snap full),
 *          0 unchanged, -errno with *why. *why == SHELF_BUS_ERROR means the bus
 *          itself is gone: the caller closes and reopens it.
 *  health: 0 and *ret.
 *  close:  accepts NULL.
 */
struct vault_tagreader_ops {
	const char *name;
	int (*open)(const struct vault_tagbus_config *cfg, void **ret_handle,
		    enum vault_reason *why);
	int (*poll)(void *h, int slave_id, int have_last, uint16_t last_seq,
		    struct vault_shelf_snapshot *snap, enum vault_reason *why);
	int (*health)(void *h, struct vault_tagreader_health *ret);
	void (*close)(void *h);
};

extern const struct vault_tagreader_ops vault_tagreader_modbus_ops; /* RTU and TCP */
extern const struct vault_tagreader_ops vault_tagreader_sim_ops;    /* cfg->sim */

/* ---- the bus ---- */

struct vault_tagbus;

enum vault_tag_event_kind {
	VAULT_TAGEV_ONLINE = 1,
	VAULT_TAGEV_ARRIVED,
	VAULT_TAGEV_DEPARTED,
	VAULT_TAGEV_FAULT,
	VAULT_TAGEV_RECOVERED,
	VAULT_TAGEV_HEALTH,
};

enum vault_shelf_state {
	VAULT_SHELF_UNKNOWN = 0, /* never answered yet */
	VAULT_SHELF_OK,
	VAULT_SHELF_FAULT,
};

struct vault_tag_event {
	enum vault_tag_event_kind kind;
	unsigned shelf;		/* index in the config */
	const char *shelf_name; /* valid during the callback */
	int slave_id;
	struct vault_tag_entry tag; /* ARRIVED, DEPARTED */
	int initial;		    /* ARRIVED from the first read of this shelf */
	enum vault_reason reason;   /* FAULT */
	uint16_t health;	    /* HEALTH, ONLINE, RECOVERED: SHELF_HEALTH_* flags */
	int64_t mono_us;	    /* when the worker saw it */
};

/* Runs on the loop thread; must not block. */
typedef void (*vault_tagbus_event_cb)(struct vault_tagbus *bus,
				      const struct vault_tag_event *ev, void *ud);

/*
 * Validate cfg (copied), start the bus's worker thread. The bus is opened by the
 * worker: a missing device is not an error here but a FAULT (SHELF_BUS_ERROR) for
 * each shelf, retried every reconnect_ms. ops NULL picks by cfg->kind.
 * Returns 0, -EINVAL (config: no shelves, duplicate or out-of-range ids, empty
 * device/host, SIM without sim), -ENOMEM, or -errno from thread creation.
 * Call on the loop thread.
 */
int vault_tagbus_new(const struct vault_tagbus_config *cfg,
		     const struct vault_tagreader_ops *ops, struct vault_loop *loop,
		     vault_tagbus_event_cb cb, void *ud, struct vault_tagbus **ret);
/* Free every bus before its loop. Stop and join the worker (blocks until its current request ends: at most
 * response_timeout * (retries + 1) or so), close the bus. Events still queued in the
 * loop are dropped without callbacks. Accepts NULL. Loop thread. */
void vault_tagbus_free(struct vault_tagbus *bus);

/* Loop thread: the shelf's state and last-known contents (kept through faults).
 * Returns the tag count (0..VAULT_TAG_MAX_PER_SHELF), copying at most max entries,
 * or -ENOENT (no such shelf). ret_state may be NULL. */
int vault_tagbus_contents(const struct vault_tagbus *bus, unsigned shelf,
			  struct vault_tag_entry *out, size_t max,
			  enum vault_shelf_state *ret_state);
/* Index of the shelf named `name`, or -ENOENT. */
int vault_tagbus_shelf_index(const struct vault_tagbus *bus, const char *name);

/* Counters, read lock-free from any thread. */
struct vault_tagbus_stats {
	uint64_t polls;	      /* shelf polls attempted (each retry counts) */
	uint64_t ok;	      /* polls that succeeded */
	uint64_t table_reads; /* polls that re-read the table */
	uint64_t timeouts, bad_replies, map_version, too_many_tags, bus_errors, exceptions;
	uint64_t faults; /* transitions into FAULT */
};
int vault_tagbus_stats(const struct vault_tagbus *bus, unsigned shelf,
		       struct vault_tagbus_stats *ret);
/* Transport health (RS-485 mode, connection), as last reported by the worker. */
int vault_tagbus_health(const struct vault_tagbus *bus, struct vault_tagreader_health *ret);
#endif
