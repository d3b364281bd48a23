/* SPDX-License-Identifier: MIT */
/* Pure GPIO logic with made-up timestamps: debounce, keypad, contact supervision,
 * line names and config checks. */
#include "tap.h"
#include "vault/contacts.h"
#include "vault/debounce.h"
#include "vault/gpio.h"
#include "vault/keypad.h"

#include <errno.h>
#include <string.h>

static void test_debounce(void)
{
	struct vault_debounce d;
	int lv = -1, changes = 0;
	vault_debounce_init(&d, 0, 20000);
	/* bounces 0->1->0->1 within 5 ms */
	vault_debounce_edge(&d, 1000, 1, &lv);
	vault_debounce_edge(&d, 2000, 0, &lv);
	vault_debounce_edge(&d, 4000, 1, &lv);
	ok(vault_debounce_deadline(&d) == 24000, "deadline is the last edge plus the window (%lld)",
	   (long long)vault_debounce_deadline(&d));
	ok(vault_debounce_poll(&d, 23999, &lv) == 0, "nothing reported before the window has passed");
	changes += vault_debounce_poll(&d, 24000, &lv);
	ok(changes == 1 && lv == 1, "bounces settle into one change to 1");
	ok(vault_debounce_poll(&d, 50000, &lv) == 0 && vault_debounce_deadline(&d) == 0,
	   "no second report, nothing pending");

	/* a glitch that returns to the stable level reports nothing */
	vault_debounce_edge(&d, 60000, 0, &lv);
	vault_debounce_edge(&d, 61000, 1, &lv);
	ok(vault_debounce_poll(&d, 90000, &lv) == 0, "a glitch back to the same level reports nothing");

	/* a change after the window gives another event */
	vault_debounce_edge(&d, 100000, 0, &lv);
	ok(vault_debounce_poll(&d, 120000, &lv) == 1 && lv == 0,
	   "a later change held for the window reports 0");

	/* continuous bouncing keeps deferring: the level is not stable yet */
	int reported = 0;
	for (int64_t t = 200000; t < 400000; t += 10000) {
		vault_debounce_edge(&d, t, (int)((t / 10000) & 1), &lv);
		reported += vault_debounce_poll(&d, t, &lv);
	}
	ok(reported == 0, "an input bouncing faster than the window reports nothing");

	vault_debounce_init(&d, 1, 0);
	ok(vault_debounce_edge(&d, 5, 0, &lv) == 1 && lv == 0, "zero window reports at once");
	ok(vault_debounce_edge(&d, 6, 0, &lv) == 0, "zero window: repeated level reports nothing");
}

static void test_keypad(void)
{
	ok(vault_keypad_char(0, 0) == '1' && vault_keypad_char(3, 1) == '0' &&
		   vault_keypad_char(3, 2) == '#' && vault_keypad_char(3, 0) == '*' &&
		   vault_keypad_char(4, 0) == 0,
	   "layout 123/456/789/*0#, out of range gives 0");
	int r, c;
	ok(vault_keypad_pos('8', &r, &c) == 0 && r == 2 && c == 1, "'8' is row 2 col 1");
	ok(vault_keypad_pos('A', &r, &c) == -EINVAL, "'A' is not on the pad");

	uint8_t m[4] = {0, 0, 0, 0};
	char k = 0;
	ok(vault_keypad_decode(m, &k) == -ENOENT, "no contact: -ENOENT");
	m[1] = 1u << 2;
	ok(vault_keypad_decode(m, &k) == 0 && k == '6', "row 1 col 2 decodes to '6'");
	m[3] = 1u << 1;
	ok(vault_keypad_decode(m, &k) == -EBUSY, "two keys at once: -EBUSY");

	struct vault_keypad kp;
	char pin[32];
	vault_keypad_init(&kp, 6);
	const char *seq = "12*4711#";
	int res = -1, cleared = 0;
	for (const char *p = seq; *p; p++) {
		res = vault_keypad_key(&kp, *p, pin, sizeof pin);
		cleared += res == VAULT_KEYPAD_CLEARED;
	}
	ok(res == VAULT_KEYPAD_PIN && strcmp(pin, "4711") == 0 && cleared == 1,
	   "'12*4711#' gives PIN 4711 ('*' cleared the 12)");
	ok(vault_keypad_key(&kp, '#', pin, sizeof pin) == VAULT_KEYPAD_NONE,
	   "'#' alone gives nothing");
	for (int i = 0; i < 7; i++)
		vault_keypad_key(&kp, '1', pin, sizeof pin);
	ok(vault_keypad_key(&kp, '#', pin, sizeof pin) == VAULT_KEYPAD_REJECTED,
	   "7 digits with a limit of 6 are rejected, not truncated");
	vault_keypad_key(&kp, '9', pin, sizeof pin);
	ok(vault_keypad_key(&kp, '#', pin, sizeof pin) == VAULT_KEYPAD_PIN && strcmp(pin, "9") == 0,
	   "entry after a rejection starts fresh");
	ok(vault_keypad_key(&kp, 'x', pin, sizeof pin) == -EINVAL, "unknown key: -EINVAL");
	vault_keypad_key(&kp, '1', pin, sizeof pin);
	vault_keypad_key(&kp, '2', pin, sizeof pin);
	ok(vault_keypad_key(&kp, '#', pin, 2) == -ENOBUFS, "too small output buffer: -ENOBUFS");
}

static void test_contacts(void)
{
	struct vault_contacts c;
	int f = -1;
	vault_contacts_init(&c, 500000, 1, 1, 0);
	ok(vault_contacts_deadline(&c) == 0, "agreeing contacts arm nothing");
	ok(vault_contacts_update(&c, 1000, 0, 1, &f) == 0, "disagreement starts silently");
	ok(vault_contacts_deadline(&c) == 501000, "fault deadline = start + window");
	ok(vault_contacts_update(&c, 200000, 0, 0, &f) == 0 && vault_contacts_deadline(&c) == 0,
	   "agreement within the window: no fault");
	vault_contacts_update(&c, 300000, 1, 0, &f);
	vault_contacts_update(&c, 400000, 1, 0, &f); /* still disagreeing */
	ok(vault_contacts_poll(&c, 799999, &f) == 0, "no fault just before the window ends");
	ok(vault_contacts_poll(&c, 800000, &f) == 1 && f == 1,
	   "disagreeing for the window: contacts-disagree fault");
	ok(vault_contacts_poll(&c, 900000, &f) == 0, "fault reported once");
	ok(vault_contacts_update(&c, 950000, 1, 1, &f) == 1 && f == 0, "agreement clears the fault");
}

static void test_names_config(void)
{
	enum vault_gpio_line l;
	int okc = 1;
	for (unsigned i = 0; i < VAULT_GPIO__COUNT; i++)
		okc &= vault_gpio_line_from_name(vault_gpio_line_name((enum vault_gpio_line)i), &l) ==
			       0 &&
		       l == i;
	ok(okc, "every line name maps back to its role (%d roles)", VAULT_GPIO__COUNT);
	ok(strcmp(vault_gpio_line_name(VAULT_GPIO_DOOR_B), "door_b") == 0 &&
		   vault_gpio_line_default_dir(VAULT_GPIO_LOCK) == VAULT_GPIO_OUT &&
		   vault_gpio_line_default_dir(VAULT_GPIO_KP_COL1) == VAULT_GPIO_IN,
	   "stable names and directions (door_b, lock out, kp_col1 in)");
	ok(vault_gpio_line_from_name("door_c", &l) == -ENOENT && !vault_gpio_line_name(VAULT_GPIO__COUNT),
	   "unknown names and values are refused");

	struct vault_gpio_config cfg;
	char err[200];
	vault_gpio_config_defaults(&cfg);
	ok(vault_gpio_config_check(&cfg, err, sizeof err) == 0, "defaults pass the check");
	cfg.line[VAULT_GPIO_REX].name[0] = 0;
	ok(vault_gpio_config_check(&cfg, err, sizeof err) == -EINVAL && strstr(err, "rex"),
	   "a line without offset or name is refused, naming it: %s", err);
	vault_gpio_config_defaults(&cfg);
	cfg.line[VAULT_GPIO_LOCK].direction = VAULT_GPIO_IN;
	ok(vault_gpio_config_check(&cfg, err, sizeof err) == -EINVAL && strstr(err, "lock"),
	   "the lock configured as input is refused: %s", err);
	vault_gpio_config_defaults(&cfg);
	memset(cfg.line[VAULT_GPIO_FIRE].chip, 'x', sizeof cfg.line[VAULT_GPIO_FIRE].chip);
	ok(vault_gpio_config_check(&cfg, err, sizeof err) == -EINVAL && strstr(err, "fire"),
	   "an unterminated chip name is refused: %s", err);
}

int main(void)
{
	test_debounce();
	test_keypad();
	test_contacts();
	test_names_config();
	return tap_done();
}
