/* SPDX-License-Identifier: MIT */
/* Minimal TAP output for tests: each ok() is one counted case in tests/run. */
#ifndef VAULT_TESTS_TAP_H
#define VAULT_TESTS_TAP_H
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>

static int tap_n, tap_failed;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
__attribute__((format(printf, 4, 5), unused)) static int
tap_ok(int c, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	printf("%sok %d - ", c ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!c) {
		printf("  (%s:%d)", file, line);
		tap_failed++;
	}
	printf("\n");
	fflush(stdout);
	return c;
}

__attribute__((format(printf, 1, 2), unused)) static void tap_skip(const char *fmt, ...)
{
	va_list ap;
	printf("ok %d - skipped # SKIP ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Skip the whole test program (exit 77) with a reason. */
#define tap_skip_all(...)                                                                  \
	do {                                                                               \
		printf("skip: ");                                                          \
		printf(__VA_ARGS__);                                                       \
		printf("\n");                                                              \
		exit(77);                                                                  \
	} while (0)

static inline int tap_done(void)
{
	return tap_failed ? 1 : 0;
}
#endif
