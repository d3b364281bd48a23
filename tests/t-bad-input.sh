# SPDX-License-Identifier: MIT
# Bad input gets a clear one-line error and a non-zero exit, and changes nothing:
# malformed CLI arguments, dates, ids, a missing or read-only database, a
# corrupt configuration, hostile requests on the admin socket.
. "$(dirname "$0")/lib.sh"
vt_init
vt_start || { echo "not ok 1 - vaultd did not start"; exit 1; }
"$VAULTCTL" unit add --id U1 --name "Bureau" >/dev/null

tip() { vt_sql "SELECT max(seq) FROM ledger"; }
# fails_cleanly DESCRIPTION EXPECTED_RC NEEDLE COMMAND...: exit code, one line on
# stderr naming the problem, and the ledger unchanged.
fails_cleanly() {
	local d=$1 want=$2 needle=$3; shift 3
	local before after out rc lines
	before=$(tip)
	out=$("$@" 2>&1 >/dev/null); rc=$?
	after=$(tip)
	lines=$(printf '%s\n' "$out" | grep -c .)
	_n=$((_n + 1))
	if [ "$rc" = "$want" ] && [ "$lines" = 1 ] && [ "$before" = "$after" ] &&
		case "$out" in *"$needle"*) true ;; *) false ;; esac; then
		echo "ok $_n - $d"
	else
		echo "not ok $_n - $d (rc=$rc want $want, $lines lines, ledger $before->$after): $out"
		_failed=$((_failed + 1))
	fi
}
fails_cleanly "unknown verb" 2 "unknown verb" "$VAULTCTL" frobnicate
fails_cleanly "missing --id" 2 "--id is required" "$VAULTCTL" unit add --name X
fails_cleanly "option without a value" 2 "needs a value" "$VAULTCTL" unit add --id U2 --name
fails_cleanly "unknown field" 2 "no settable field 'colour'" "$VAULTCTL" unit add --id U2 --name X --colour red
fails_cleanly "a field only its verb may set" 2 "no settable field 'status'" "$VAULTCTL" unit add --id U2 --name X --status suspended
fails_cleanly "bad enum value" 2 "--role: not one of the allowed values" \
	"$VAULTCTL" person add --id P1 --name X --role emperor
fails_cleanly "impossible date 2026-02-30" 2 "not a valid date" \
	"$VAULTCTL" project add --id PR --name X --start 2026-02-30 --end 2026-03-01
fails_cleanly "sloppy date 2026-3-1" 2 "not a valid date" \
	"$VAULTCTL" project add --id PR --name X --start 2026-3-1 --end 2026-03-01
fails_cleanly "non-numeric integer" 2 "not an integer" \
	"$VAULTCTL" badge add --id AA --person admin --key-version seven
fails_cleanly "log --since with a bad date" 2 "--since" "$VAULTCTL" log --since yesterday
fails_cleanly "log --format unknown" 2 "--format" "$VAULTCTL" log --format xml
fails_cleanly "verify with an unreadable checkpoint file" 2 "no-such-file" \
	"$VAULTCTL" verify --checkpoint "$T/no-such-file"
printf 'vault-checkpoint 1\nseq nope\n' >"$T/bad.ckpt"
fails_cleanly "verify with a malformed checkpoint file" 2 "bad line 2" \
	"$VAULTCTL" verify --checkpoint "$T/bad.ckpt"

# Refused by vaultd: exit 1, a named reason, the refusal ledgered (one entry).
before=$(tip)
out=$("$VAULTCTL" unit add --id 'bad id!' --name X 2>&1); rc=$?
is "an invalid id is refused by vaultd (exit 1)" 1 "$rc"
contains "the refusal says what is wrong with the id" "INVALID_VALUE" "$out"
is "the refusal is ledgered and nothing else changed" "$((before + 1))|admin.refused" \
	"$(vt_sql "SELECT max(seq)||'|'||(SELECT kind FROM ledger ORDER BY seq DESC LIMIT 1) FROM ledger")"
out=$("$VAULTCTL" unit add --id U1 --name Again 2>&1)
contains "adding an existing id is refused" "ALREADY_EXISTS" "$out"
is "the existing row is untouched" "Bureau" "$(vt_sql "SELECT name FROM unit WHERE id='U1'")"
"$VAULTCTL" person add --id P1 --name "Li Wei" --role custodian --unit U1 >/dev/null
out=$("$VAULTCTL" cert add --id C1 --person P1 --issued 2026-01-10 --expires 2025-01-01 2>&1)
contains "an expiry before the issue date is refused" "expires must be after issued" "$out"

# Hostile requests on the socket itself.
sock() { printf '%s\n' "$1" | socat -t 2 - "UNIX-CONNECT:$T/vaultd.sock"; }
out=$(sock 'this is not json')
contains "garbage on the socket gets a JSON error" '"code":"BAD_REQUEST"' "$out"
out=$(sock '{"action":"unit.add","args":{"id":"U3","name":{"nested":1}}}')
contains "a non-string field value is refused" '"code":"INVALID_VALUE"' "$out"
out=$(sock '{"action":"ledger.delete","args":{}}')
contains "an unknown action is refused" '"code":"UNKNOWN_ACTION"' "$out"
head -c 70000 /dev/zero | tr '\0' 'x' >"$T/big"
out=$(socat -t 2 - "UNIX-CONNECT:$T/vaultd.sock" <"$T/big")
contains "an oversized request is refused" "request longer than" "$out"
ok "vaultd is still serving after hostile input" "$VAULTCTL" whoami
is "no unit was created by any of it" 1 "$(vt_sql "SELECT count(*) FROM unit")"
vt_stop

# Missing, read-only and corrupt databases; corrupt configuration.
out=$("$VAULTCTL" -c "$T/vault.ini" init 2>&1); rc=$?
is "init refuses to overwrite an existing database" 2 "$rc"
contains "init says the database exists" "already exists" "$out"
sed "s#$T/vault.db#$T/missing.db#" "$T/vault.ini" >"$T/missing.ini"
out=$("$VAULTD" -c "$T/missing.ini" 2>&1); rc=$?
is "vaultd refuses a missing database (exit 1)" 1 "$rc"
contains "vaultd says to run init" "vaultctl init" "$out"
out=$("$VAULTCTL" -c "$T/missing.ini" verify 2>&1); rc=$?
is "verify of a missing database exits 4" 4 "$rc"
# Under systemd the credentials directory is the only source of keys.
mkdir -m 700 "$T/creds"
out=$(CREDENTIALS_DIRECTORY=$T/creds "$VAULTD" -c "$T/vault.ini" 2>&1); rc=$?
is "a key missing from \$CREDENTIALS_DIRECTORY stops vaultd (exit 1)" 1 "$rc"
contains "naming the key, with no fallback to keys_dir" "checkpoint.key" "$out"
if [ "$(id -u)" = 0 ]; then
	chmod 444 "$T/vault.db"
	mkdir -m 777 "$T/w"
	sed "s#$T/gpio.sock#$T/w/gpio.sock#" "$T/vault.ini" >"$T/ro.ini"
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$VAULTD" -c "$T/ro.ini" 2>&1); rc=$?
	is "vaultd refuses a database it cannot write (exit 1)" 1 "$rc"
	contains "and says so" "not writable" "$out"
	chmod 644 "$T/vault.db"
else
	chmod 444 "$T/vault.db"
	out=$("$VAULTD" -c "$T/vault.ini" 2>&1); rc=$?
	is "vaultd refuses a read-only database (exit 1)" 1 "$rc"
	chmod 644 "$T/vault.db"
fi
printf 'SQLite format 3\0garbage garbage garbage' >"$T/corrupt.db"
sed "s#$T/vault.db#$T/corrupt.db#" "$T/vault.ini" >"$T/corrupt.ini"
out=$("$VAULTCTL" -c "$T/corrupt.ini" verify 2>&1); rc=$?
is "verify of a corrupt database file exits 4" 4 "$rc"
out=$("$VAULTD" -c "$T/corrupt.ini" 2>&1); rc=$?
is "vaultd refuses a corrupt database file (exit 1)" 1 "$rc"

cfg_fails() { # DESCRIPTION NEEDLE INI-LINE...
	local d=$1 needle=$2; shift 2
	{ cat "$T/vault.ini"; printf '%s\n' "$@"; } >"$T/bad.ini"
	out=$("$VAULTD" -c "$T/bad.ini" --check-config 2>&1); rc=$?
	_n=$((_n + 1))
	case "$rc:$out" in
	2:*"$needle"*) echo "ok $_n - $d" ;;
	*) echo "not ok $_n - $d (rc=$rc): $out"; _failed=$((_failed + 1)) ;;
	esac
}
lines=$(wc -l <"$T/vault.ini")
cfg_fails "an unknown key names file:line" "bad.ini:$((lines + 2)): [pin] colour: unknown key" "[pin]" "colour = red"
cfg_fails "an unknown section is refused" "unknown section" "[frobs]" "x = 1"
cfg_fails "an out-of-range value is refused" "argon2_ops: out of range" "[pin]" "argon2_ops = 99"
cfg_fails "a non-integer is refused" "not an integer" "[ledger]" "checkpoint_every = lots"
cfg_fails "a bad enum is refused" "lang: not one of the allowed values" "[vault]" "lang = fr"
cfg_fails "a line without = is a syntax error" "syntax error" "[vault]" "this line is broken"
cfg_fails "an unknown time zone is refused" "unknown time zone" "[vault]" "timezone = Mars/Olympus"
cfg_fails "the two-person rule without an exit reader is refused" \
	"[door] two_person = 1 needs an exit reader" "[door]" "two_person = 1"
cfg_fails "or with its exit reader turned off" "needs an exit reader" \
	"[reader]" "exit = pn532_uart:/dev/null" "[door]" "two_person = 1" "exit_reader = 0"
cfg_fails "a throat that is no shelf of any bus is refused, naming key and line" \
	"[custody] throat = shredder-thraot (line $((lines + 5))): no [bus.NAME]" \
	"[bus.s]" "kind = tcp" "shelves = 1:SH-1, 2:shredder-throat" "[custody]" "throat = shredder-thraot"
cfg_fails "so is such a pad" "[custody] pad = kiosk_pad (line $((lines + 4))): no [bus.NAME]" \
	"[bus.s]" "shelves = 1:SH-1, 2:kiosk-pad" "[custody]" "pad = kiosk_pad"
cfg_fails "pad and throat naming the same shelf are refused" \
	"[custody] pad and throat both name shelf 'SH-2'" \
	"[bus.s]" "shelves = 1:SH-1, 2:SH-2" "[custody]" "pad = SH-2" "throat = SH-2"
cfg_fails "a storage alarm threshold above the warning threshold is refused" \
	"[storage] alarm_free_mb = 1024 is above warn_free_mb = 256" \
	"[storage]" "warn_free_mb = 256" "alarm_free_mb = 1024"
# 3 sweeps of 500 + 3 x 200 ms: 3.3 s; a 3 s quiet window could miss a tag.
cfg_fails "a quiet window shorter than 3 sweeps of a bus is refused, naming the bus" \
	"[custody] quiet_window_s = 3 is shorter than 3 sweeps of [bus.s]" \
	"[bus.s]" "shelves = 1:SH-1, 2:SH-2, 3:shredder-throat" "poll_interval_ms = 500" \
	"response_timeout_ms = 200" "[custody]" "quiet_window_s = 3"
vt_config "[gpio]" "backend = gpiod" "chip = vault-gpio"
out=$("$VAULTD" -c "$T/vault.ini" 2>&1); rc=$?
is "a GPIO chip or line that does not exist stops vaultd (exit 1)" 1 "$rc"
contains "naming the chip and the line" "vault-gpio" "$out"
contains "and the lock line first" "lock" "$out"
vt_config
out=$("$VAULTD" -c "$T/nope.ini" 2>&1); rc=$?
is "a missing config file exits 2" 2 "$rc"
is "the ledger was not touched by any of this" 1 "$(vt_sql "SELECT count(*) FROM unit")"
ok "and it still verifies" "$VAULTCTL" verify
vt_done
