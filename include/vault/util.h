/* SPDX-License-Identifier: MIT */
/*
 * Small shared helpers: time, logging, hex, string bounds.
 *
 * Error convention everywhere in this tree: return 0 (or a count) on success and
 * -errno on failure; outputs go through ret_* pointers that are left untouched on
 * failure. Domain refusals are named codes (see vault/reason.h), never errno.
 */
#ifndef VAULT_UTIL_H
#define VAULT_UTIL_H
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>

#define VAULT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Microseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t vault_now_utc_us(void);
/* Microseconds of CLOCK_MONOTONIC (never jumps; for windows and timeouts). */
int64_t vault_now_mono_us(void);
/* A condition variable whose timed waits use CLOCK_MONOTONIC deadlines, and
 * such a deadline from vault_now_mono_us() microseconds. */
int vault_cond_init_mono(pthread_cond_t *cv);
struct timespec vault_mono_ts(int64_t mono_us);
/* Put the calling thread at the lowest CPU priority (nice 19) and the lowest
 * best-effort I/O priority, so it never takes a core or the disk from the
 * event loop; logs under `category` if it cannot. */
void vault_thread_background(const char *category);

/*
 * Logging. Only the daemon and the CLI log; library layers return errors.
 * `category` is the module name ("ledger", "door", ...). Messages go to stderr as
 * "vaultd[category] level: text" (journald captures stderr under systemd).
 * vault_log_set_level() filters by syslog level (default LOG_INFO).
 */
void vault_log_set_ident(const char *ident);
void vault_log_set_level(int level);
/* Structured logging: where systemd connected stderr to the journal
 * (JOURNAL_STREAM matches stderr), or to the datagram socket named by
 * VAULT_JOURNAL_SOCKET (tests), each message becomes a journal entry with the
 * fields PRIORITY, SYSLOG_IDENTIFIER, VAULT_MODULE (the category) and MESSAGE
 * (`journalctl VAULT_MODULE=door`); stderr is the fallback if a send fails.
 * 1 if on, 0 if there is no journal, -errno. Call once, early. */
int vault_log_journal(void);
void vault_log(int level, const char *category, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void vault_logv(int level, const char *category, const char *fmt, va_list ap);

/* A command-line program's error: "PROGRAM: text" and a newline on stderr
 * (PROGRAM: the name it was run by). Returns code, for `return vault_die(...)`. */
int vault_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Lower-case hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void vault_hex(const uint8_t *in, size_t n, char *out);
/* The same in upper case (card UIDs and tag ids are written that way). */
void vault_hex_upper(const uint8_t *in, size_t n, char *out);
/* Parse exactly n bytes of hex. Returns 0 or -EINVAL. */
int vault_unhex(const char *in, uint8_t *out, size_t n);

/* Copy with truncation check: returns 0, or -ENAMETOOLONG if src does not fit. */
int vault_strlcpy(char *dst, const char *src, size_t size);

/* Read a whole file of at most `max` bytes. *ret_buf is malloc'd, NUL-terminated. */
int vault_read_file(const char *path, size_t max, char **ret_buf, size_t *ret_len);
/* Write a file atomically (tmp + fsync + rename + fsync dir) with the given mode. */
int vault_write_file_atomic(const char *path, const void *buf, size_t len, unsigned mode);
#endif
