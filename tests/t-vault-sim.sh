#!/bin/bash
# SPDX-License-Identifier: MIT
# The scenario runner (build/vault-sim) against the GPIO sim daemon (build/gpio-simd)
# and a second, generic line-protocol simulator (socat), from outside both.
set -u
B=${B:-build}
n=0 failed=0
ok() { # ok <status 0=pass> <what>
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi
}
[ -x "$B/vault-sim" ] && [ -x "$B/gpio-simd" ] || { echo "skip: build vault-sim and gpio-simd first"; exit 77; }
command -v socat >/dev/null || { echo "skip: socat not installed"; exit 77; }

d=$(mktemp -d /tmp/vault-simrun-XXXXXX)
simd_pid= socat_pid= demo_pid=
cleanup() {
	[ -n "$simd_pid" ] && kill "$simd_pid" 2>/dev/null && wait "$simd_pid" 2>/dev/null
	[ -n "$demo_pid" ] && kill "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null
	[ -n "$socat_pid" ] && kill "$socat_pid" 2>/dev/null && wait "$socat_pid" 2>/dev/null
	rm -rf "$d"
}
trap cleanup EXIT

"$B/gpio-simd" --socket "$d/gpio.sock" --debounce 5 --active-low led_red >"$d/simd.log" 2>&1 &
simd_pid=$!
socat "UNIX-LISTEN:$d/shelf.sock,fork" SYSTEM:'while IFS= read -r l; do echo "ok shelf-said $l"; done' &
socat_pid=$!
T="--target gpio=$d/gpio.sock --target shelves=$d/shelf.sock --timeout 3000"

cat >"$d/pass.vsim" <<'S'
# a door scenario: request-to-exit energises the lock
echo scenario start
gpio list
expect gpio get lock -> ok 0
gpio watch
gpio set rex 1
wait gpio out lock 1
expect gpio get lock -> ok 1
gpio set rex 0
timeout 2000
wait gpio out lock 0
expect gpio set nosuch 1 -> err unknown line
expect shelves inventory 3 -> shelf-said inventory 3
sleep 10
gpio press 4
# the scan of the pressed key drives the rows one at a time; watchers see it
wait gpio out kp_row0 0
gpio release
echo scenario end
S
out=$("$B/vault-sim" $T "$d/pass.vsim" 2>&1); rc=$?
ok $rc "a passing script exits 0"
grep -q '^scenario start$' <<<"$out" && grep -q '^scenario end$' <<<"$out"
ok $? "echo lines are printed"
grep -q '^< gpio ok lock=out:0' <<<"$out"
ok $? "replies are printed ('< gpio ok lock=out:0 ...')"
grep -q '^~ gpio out lock 1' <<<"$out"
ok $? "the pushed output change is shown"

printf 'expect gpio get lock -> ok 1\necho not reached\n' >"$d/fail.vsim"
out=$("$B/vault-sim" $T "$d/fail.vsim" 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q "fail.vsim:1: expect failed: gpio 'get lock' replied 'ok 0', wanted 'ok 1'" <<<"$out" \
	&& ! grep -q 'not reached' <<<"$out"
ok $? "a failing expect exits 1 and says what was wanted, and stops ($rc)"

out=$(echo 'gpio bogus' | "$B/vault-sim" $T 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q "replied 'err unknown command'" <<<"$out"
ok $? "an err reply to a plain command fails the script (stdin script)"
out=$(printf 'gpio bogus\nexpect gpio get lock -> ok\n' | "$B/vault-sim" $T --keep-going - 2>&1); rc=$?
ok $rc "--keep-going carries on after an err reply"

out=$(echo 'door-reader select' | "$B/vault-sim" $T 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "unknown target 'door-reader'" <<<"$out"
ok $? "an unknown target is a script error (exit 2)"

out=$(echo 'nfc ping' | "$B/vault-sim" --target nfc=$d/none.sock --timeout 200 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q "cannot connect to target 'nfc'" <<<"$out"
ok $? "a missing simulator socket fails after the timeout with its name"

out=$(printf 'timeout 200\nwait gpio never-pushed\n' | "$B/vault-sim" $T 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q "none came" <<<"$out"
ok $? "wait for a line that never comes fails after its timeout"

out=$(printf 'expect gpio get lock\n' | "$B/vault-sim" $T 2>&1); rc=$?
ok $([ $rc -eq 2 ] && echo 0 || echo 1) "expect without '->' is a script error"

out=$("$B/vault-sim" --target bad 2>&1 </dev/null); rc=$?
ok $([ $rc -eq 2 ] && echo 0 || echo 1) "a --target without =PATH is refused"

grep -q 'line rex 1' "$d/simd.log" && grep -q 'key pressed' "$d/simd.log"
ok $? "the daemon saw the REX change and the key press"
"$B/gpio-simd" --socket "$d/demo.sock" >"$d/demo.log" 2>&1 &
demo_pid=$!
out=$("$B/vault-sim" --target gpio="$d/demo.sock" "$VAULT_SRC/tools/scenarios/gpio-door.vsim" 2>&1); rc=$?
ok $rc "the demo scenario tools/scenarios/gpio-door.vsim passes"
kill "$demo_pid"; wait "$demo_pid"
demo_pid=
grep -q '^pin entered (4 digits)$' "$d/demo.log" && grep -q '^contacts disagree$' "$d/demo.log" \
	&& grep -q '^contacts agree$' "$d/demo.log" && [ "$(grep -c '^key pressed$' "$d/demo.log")" -eq 5 ]
ok $? "the demo daemon saw 5 keys, a 4-digit PIN, and the contacts fault come and go"

kill -0 "$simd_pid" 2>/dev/null
ok $? "the GPIO sim daemon is still running after all scripts"
kill "$simd_pid"; wait "$simd_pid"; rc=$?
simd_pid=
ok $rc "the GPIO sim daemon exits 0 on SIGTERM"
[ ! -e "$d/gpio.sock" ]
ok $? "its socket is removed"
exit $failed
