# SPDX-License-Identifier: MIT
# Shell test helpers: TAP output, a throw-away vault, vaultd started and
# stopped by its PID.
set -u
B=${VAULT_BUILD:-$(pwd)/build}
VAULT_SRC=${VAULT_SRC:-$(pwd)}
VAULTCTL=$B/vaultctl
VAULTD=$B/vaultd
_n=0
_failed=0
T=$(mktemp -d /tmp/vault-test.XXXXXX)
chmod 755 "$T"
VAULTD_PID=
export VAULT_CONFIG=$T/vault.ini

ok() { # ok DESCRIPTION COMMAND...
	local d=$1; shift
	_n=$((_n + 1))
	if "$@" >>"$T/ok.log" 2>&1; then
		echo "ok $_n - $d"
	else
		echo "not ok $_n - $d"
		_failed=$((_failed + 1))
		tail -n 5 "$T/ok.log" | sed 's/^/#   /'
	fi
}
is() { # is DESCRIPTION EXPECTED ACTUAL
	_n=$((_n + 1))
	if [ "$2" = "$3" ]; then
		echo "ok $_n - $1"
	else
		echo "not ok $_n - $1 (expected '$2', got '$3')"
		_failed=$((_failed + 1))
	fi
}
contains() { # contains DESCRIPTION NEEDLE HAYSTACK
	_n=$((_n + 1))
	case "$3" in
	*"$2"*) echo "ok $_n - $1" ;;
	*)
		echo "not ok $_n - $1 (no '$2' in: $(printf '%s' "$3" | head -c 400))"
		_failed=$((_failed + 1))
		;;
	esac
}
# refused WHAT CODE USER ARGS...: vaultctl ARGS as Unix user USER (the caller's
# as() function) exits 1 naming CODE on stderr, and one admin.refused entry with
# that code is the only new ledger entry. The output is left in LAST_OUT.
refused() {
	local what=$1 code=$2 user=$3 n rc
	shift 3
	n=$(vt_count)
	LAST_OUT=$(as "$user" "$@" 2>&1); rc=$?
	is "$what: refused (exit 1)" 1 "$rc"
	contains "$what: with the code" "$code" "$LAST_OUT"
	is "$what: ledgered as one refusal with the code" "$((n + 1))|admin.refused|$code" \
		"$(vt_count)|$(vt_sql "SELECT kind||'|'||json_extract(payload,'$.code') FROM ledger ORDER BY seq DESC LIMIT 1")"
}
skip_all() { echo "skip: $*"; exit 77; }
skip() { # skip WHY N: N cases that cannot run here, counted as skipped
	local i
	for i in $(seq "$2"); do _n=$((_n + 1)); echo "ok $_n - skipped # SKIP $1"; done
}

vt_config() { # extra INI lines may be given as arguments (VT_DIR, VT_NAME: another vault)
	local T=${VT_DIR:-$T}
	cat >"$T/vault.ini" <<EOC
[vault]
name = ${VT_NAME:-test-vault}
database = $T/vault.db
keys_dir = $T/keys
socket = $T/vaultd.sock
lang = en
[pin]
argon2_ops = 1
argon2_mem_kib = 1024
[reader]
door =
; Tests make refusals faster than any door sees them: the flood budget is
; tested on its own (t-door-flood), with its own limit.
refusal_limit = 1000
[gpio]
backend = sim
sim_socket = $T/gpio.sock
; The WAL reserve is 1 MiB, not the default 64 (VT_WAL_RESERVE_MB=default in
; the bench): the path runs in every test without writing 64 MiB per start.
; Off unless a test turns them on (t-integrity, t-health): a self-verification
; entry appearing a minute into a long test, or storage.low on a machine whose
; /tmp is nearly full, would change what other tests count.
[ledger]
verify_at_start_s = 0
$( [ "${VT_WAL_RESERVE_MB:-1}" = default ] || echo "wal_reserve_mb = ${VT_WAL_RESERVE_MB:-1}")
[storage]
warn_free_mb = 0
alarm_free_mb = 0
EOC
	# extra INI lines as arguments
	[ $# -eq 0 ] || printf '%s\n' "$@" >>"$T/vault.ini"
}
vt_init() { vt_config "$@"; "$VAULTCTL" init --admin-user "$(id -un)" >/dev/null; }
vt_start() {
	# a SIGKILLed vaultd leaves its socket files behind: wait for new ones
	rm -f "$T/vaultd.sock" "$T/gpio.sock"
	# VT_NICE: start vaultd at that nice value (bench/door.sh: as the unit does)
	${VT_NICE:+nice -n "$VT_NICE"} "$VAULTD" -c "$T/vault.ini" 2>>"$T/vaultd.log" &
	VAULTD_PID=$!
	for _ in $(seq 100); do
		[ -S "$T/vaultd.sock" ] && return 0
		kill -0 "$VAULTD_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
vt_stop() {
	[ -n "$VAULTD_PID" ] || return 0
	kill "$VAULTD_PID" 2>/dev/null
	wait "$VAULTD_PID" 2>/dev/null
	VAULTD_PID=
}
# Number of ledger entries, read-only.
vt_count() { sqlite3 -readonly "$T/vault.db" 'SELECT count(*) FROM ledger'; }
vt_sql() { sqlite3 -readonly "$T/vault.db" "$1"; }
vt_done() {
	vt_stop
	# After a failure, the end of vaultd's warnings and of anything that is
	# not its log (a crash's last words): the runner shows a log's last lines.
	if [ "$_failed" -ne 0 ] && [ -s "$T/vaultd.log" ]; then
		grep -v '^<[67]>' "$T/vaultd.log" | tail -n 10 | sed 's/^/# vaultd.log: /'
	fi
	[ "${KEEP:-}" ] || rm -rf "$T"
	[ "$_failed" -eq 0 ]
}
trap 'vt_stop; [ "${KEEP:-}" ] || rm -rf "$T"' EXIT
