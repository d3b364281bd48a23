/* SPDX-License-Identifier: MIT */
/*
 * The door's 3x4 PIN keypad: matrix decoding and PIN entry (pure functions).
 *
 * Layout (row, col):  1 2 3 / 4 5 6 / 7 8 9 / * 0 #.
 * Scanning: rows are outputs, columns inputs. At idle every row is driven; a
 * column turning active means a key in that column; the scanner then drives one
 * row at a time and samples the columns, giving one column mask per row, and
 * vault_keypad_decode() names the key.
 * Entry: digits accumulate; '#' ends a PIN; '*' clears. More digits than the
 * limit poison the entry so '#' rejects it rather than truncating silently.
 */
#ifndef VAULT_KEYPAD_H
#define VAULT_KEYPAD_H
#include <stddef.h>
#include <stdint.h>

#define VAULT_KEYPAD_PIN_MAX 16

/* The key at (row, col), or 0 when out of range. */
char vault_keypad_char(int row, int col);
/* Inverse: 0 and *ret_row and *ret_col, or -EINVAL for a character not on the pad. */
int vault_keypad_pos(char key, int *ret_row, int *ret_col);
/* colmask[r] bit c = column c read active while only row r was driven.
 * Returns 0 and *ret_key for exactly one closed contact; -ENOENT for none
 * (released during the scan); -EBUSY for several keys at once. */
int vault_keypad_decode(const uint8_t colmask[4], char *ret_key);

struct vault_keypad {
	char buf[VAULT_KEYPAD_PIN_MAX + 1];
	size_t n, max;
	int overflow;
};

enum vault_keypad_result {
	VAULT_KEYPAD_NONE = 0,	   /* key taken, nothing to report */
	VAULT_KEYPAD_PIN = 1,	   /* '#' after digits: PIN copied out */
	VAULT_KEYPAD_CLEARED = 2,  /* '*' */
	VAULT_KEYPAD_REJECTED = 3, /* '#' after too many digits; entry cleared */
};

/* max digits: 1..VAULT_KEYPAD_PIN_MAX (other values give the maximum). */
void vault_keypad_init(struct vault_keypad *kp, size_t max);
/* Feed one key. Returns an enum vault_keypad_result, or -EINVAL for a character
 * not on the pad. On VAULT_KEYPAD_PIN copies the NUL-terminated PIN to ret_pin
 * (pin_size must exceed the digit count, else -ENOBUFS and the entry is kept).
 * The internal copy is wiped after '#' and '*'. */
int vault_keypad_key(struct vault_keypad *kp, char key, char *ret_pin, size_t pin_size);
#endif
