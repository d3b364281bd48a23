# SPDX-License-Identifier: MIT
# The unit's exposure score, the sd_notify protocol (READY, STATUS) and the
# watchdog: pings arrive while the loop runs, and stop when it is stalled.
. "$(dirname "$0")/lib.sh"
if command -v systemd-analyze >/dev/null; then
	for u in vaultd vault-verifier; do
		out=$(systemd-analyze security --offline=true "$VAULT_SRC/systemd/$u.service" 2>&1 | tail -1)
		echo "# show: systemd-analyze security --offline=true systemd/$u.service: $(printf '%s' "$out" | sed 's/^→ //')"
		score=$(printf '%s' "$out" | grep -o "level for $u.service: [0-9.]*" | grep -o '[0-9.]*$')
		ok "$u.service: exposure score $score is at most 2.0" awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.0) }'
	done
else
	skip "systemd-analyze is not installed" 2
fi
command -v socat >/dev/null || skip_all "socat is missing"
vt_init
socat -u UNIX-RECV:"$T/notify" CREATE:"$T/notify.out" &
LPID=$!
for _ in $(seq 50); do [ -S "$T/notify" ] && break; sleep 0.02; done
NOTIFY_SOCKET=$T/notify WATCHDOG_USEC=200000 "$VAULTD" -c "$T/vault.ini" 2>>"$T/vaultd.log" &
VAULTD_PID=$!
sleep 1.2
pings() { grep -o 'WATCHDOG=1' "$T/notify.out" | wc -l; }
contains "vaultd tells systemd it is ready" "READY=1" "$(cat "$T/notify.out")"
contains "with a status line" "STATUS=vault test-vault: ready" "$(cat "$T/notify.out")"
n1=$(pings)
ok "watchdog pings arrive every WATCHDOG_USEC/2 ($n1 in 1.2 s at 200 ms)" test "$n1" -ge 6
kill -STOP "$VAULTD_PID"
sleep 0.1; n2=$(pings); sleep 1; n3=$(pings)
is "a stalled loop sends no pings" "$n2" "$n3"
kill -CONT "$VAULTD_PID"
sleep 0.6
n4=$(pings)
ok "pings resume when the loop runs again" test "$n4" -gt "$n3"
vt_stop
kill "$LPID" 2>/dev/null; wait "$LPID" 2>/dev/null
contains "a clean stop is announced" "STOPPING=1" "$(cat "$T/notify.out")"

# Structured logs: journald's native protocol on a datagram socket (here a
# test listener named by VAULT_JOURNAL_SOCKET; under systemd the journal's,
# found through JOURNAL_STREAM).
socat -u UNIX-RECV:"$T/journal" CREATE:"$T/journal.out" &
LPID=$!
for _ in $(seq 50); do [ -S "$T/journal" ] && break; sleep 0.02; done
: >"$T/stderr.out"
VAULT_JOURNAL_SOCKET=$T/journal "$VAULTD" -c "$T/vault.ini" 2>"$T/stderr.out" &
VAULTD_PID=$!
for _ in $(seq 100); do [ -S "$T/vaultd.sock" ] && break; sleep 0.05; done
"$VAULTCTL" unit add --id U1 --name X >/dev/null
"$VAULTCTL" unit add --id U1 --name X >/dev/null 2>&1 # refused: logged as a notice
vt_stop
kill "$LPID" 2>/dev/null; wait "$LPID" 2>/dev/null
j=$(cat "$T/journal.out")
contains "each message is a journal entry with its priority, identifier and module" \
	"$(printf 'PRIORITY=5\nSYSLOG_IDENTIFIER=vaultd\nVAULT_MODULE=admin\nMESSAGE=unit.add by admin')" "$j"
contains "the stop is logged there too" "MESSAGE=stopped" "$j"
is "nothing is written twice to stderr" "" "$(grep -v '^ERROR: ld.so' "$T/stderr.out")"
vt_done
