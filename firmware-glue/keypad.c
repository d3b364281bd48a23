/* SPDX-License-Identifier: MIT */
#include "vault/keypad.h"

#include <errno.h>
#include <string.h>

static const char layout[4][3] = {
	{'1', '2', '3'}, {'4', '5', '6'}, {'7', '8', '9'}, {'*', '0', '#'}};

char vault_keypad_char(int row, int col)
{
	if (row < 0 || row >= 4 || col < 0 || col >= 3)
		return 0;
	return layout[row][col];
}

int vault_keypad_pos(char key, int *ret_row, int *ret_col)
{
	for (int r = 0; r < 4; r++)
		for (int c = 0; c < 3; c++)
			if (layout[r][c] == key && key) {
				*ret_row = r;
				*ret_col = c;
				return 0;
			}
	return -EINVAL;
}

int vault_keypad_decode(const uint8_t colmask[4], char *ret_key)
{
	int found = 0, fr = 0, fc = 0;
	for (int r = 0; r < 4; r++)
		for (int c = 0; c < 3; c++)
			if (colmask[r] & (1u << c)) {
				found++;
				fr = r;
				fc = c;
			}
	if (found == 0)
		return -ENOENT;
	/* Two keys at once (or a ghost through a third) cannot be told apart on
	 * a matrix without diodes: refuse rather than guess a digit. */
	if (found > 1)
		return -EBUSY;
	*ret_key = layout[fr][fc];
	return 0;
}

void vault_keypad_init(struct vault_keypad *kp, size_t max)
{
	memset(kp, 0, sizeof *kp);
	kp->max = (max >= 1 && max <= VAULT_KEYPAD_PIN_MAX) ? max : VAULT_KEYPAD_PIN_MAX;
}

static void wipe(struct vault_keypad *kp)
{
	explicit_bzero(kp->buf, sizeof kp->buf);
	kp->n = 0;
	kp->overflow = 0;
}

int vault_keypad_key(struct vault_keypad *kp, char key, char *ret_pin, size_t pin_size)
{
	if (key >= '0' && key <= '9') {
		if (kp->n >= kp->max)
			kp->overflow = 1;
		else
			kp->buf[kp->n++] = key;
		return VAULT_KEYPAD_NONE;
	}
	if (key == '*') {
		wipe(kp);
		return VAULT_KEYPAD_CLEARED;
	}
	if (key != '#')
		return -EINVAL;
	if (kp->overflow) {
		wipe(kp);
		return VAULT_KEYPAD_REJECTED;
	}
	if (kp->n == 0)
		return VAULT_KEYPAD_NONE;
	if (pin_size <= kp->n)
		return -ENOBUFS;
	memcpy(ret_pin, kp->buf, kp->n);
	ret_pin[kp->n] = 0;
	wipe(kp);
	return VAULT_KEYPAD_PIN;
}
