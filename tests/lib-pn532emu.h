/* SPDX-License-Identifier: MIT */
/* Test helper: run build/pn532-emu as a child and talk to its control socket. */
#ifndef VAULT_TESTS_LIB_PN532EMU_H
#define VAULT_TESTS_LIB_PN532EMU_H
#include <stddef.h>
#include <sys/types.h>

struct emu_proc {
	pid_t pid;
	char dir[128];
	char link[192];
	char ctl[192];
	char connstring[256];
};

/* Make a private temp dir and set the libnfc environment for fast, explicit opens.
 * Returns 0, or -1 when the emulator program is missing (skip the test). */
int emu_setup(struct emu_proc *p);
/* Start the emulator on p->link / p->ctl; waits until the control socket answers. */
int emu_start(struct emu_proc *p);
/* Send one control line; reply gets the answer line without newline. 0 if "ok...". */
int emu_cmd(struct emu_proc *p, char *reply, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* SIGKILL the emulator (by pid) and reap it: the pty disappears like a pulled plug. */
void emu_kill(struct emu_proc *p);
/* Stop the emulator and remove the temp dir. */
void emu_cleanup(struct emu_proc *p);
#endif
