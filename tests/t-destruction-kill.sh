# SPDX-License-Identifier: MIT
# SIGKILL at random points across destruction at the shredder station: start,
# two witnesses' badges (PN532 emulator), the throat read with the motor
# running (shelf-sim over Modbus TCP, GPIO sim), the quiet window. vaultd is
# killed VAULT_KILLS_DESTROY times (default 30; with t-custody-kill's 200 that
# is 230 points across checkout, return and destruction) and restarted. After
# every kill `vaultctl verify` passes and every acknowledged start is in the
# ledger. At the end: every destruction.started has its outcome (confirmed or
# an alarm / abort), no medium is destroyed without destruction.confirmed, and
# every medium is accounted for.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-door.sh"
. "$(dirname "$0")/lib-kill.sh"
command -v socat >/dev/null || skip_all "socat is missing"
[ "$(id -u)" = 0 ] || skip_all "a second Unix user (setpriv) is needed for separation of duties"
KILLS=${VAULT_KILLS_DESTROY:-30}
today=$(TZ=Asia/Shanghai date +%F)
year=${today%%-*}
"$B/shelf-sim" --tcp 0 --tcp-slaves 1:1,2:1 --control "$T/shelf.ctl" --scan-ms 10 --appear 1 \
	--vanish 1 >"$T/sim.out" 2>"$T/sim.err" &
SIMPID=$!
trap 'vt_stop; emu_stop_all; kill $SIMPID 2>/dev/null; [ "${KEEP:-}" ] || rm -rf "$T"' EXIT
for _ in $(seq 100); do grep -q '^ready$' "$T/sim.out" 2>/dev/null && break; sleep 0.05; done
port=$(sed -n 's/^tcp_port=//p' "$T/sim.out")
vt_init "[reader]" "shredder = pn532_uart:$T/shredder-pty" \
	"[bus.station]" "kind = tcp" "host = 127.0.0.1" "port = $port" \
	"shelves = 1:SH-1, 2:shredder-throat" "response_timeout_ms = 100" "poll_interval_ms = 20" \
	"[custody]" "witness_window_s = 30" "quiet_window_s = 1" "motor_grace_ms = 500" \
	"removal_window_s = 30" "inventory_settle_s = 1" "[gpio]" "debounce_ms = 5"
emu_start shredder && emu_start enrol || { echo "not ok 1 - emulators"; exit 1; }
vt_start || { echo "not ok 1 - vaultd starts"; exit 1; }
chmod 666 "$T/vaultd.sock"
V() { "$VAULTCTL" "$@" >/dev/null; }
sim() { printf '%s\n' "$1" | socat -t 2 - "UNIX-CONNECT:$T/shelf.ctl" >/dev/null; }
V unit add --id U1 --name "Survey Institute" --first-time no
for p in W1:custodian W2:custodian SV:supervisor; do
	V person add --id "${p%%:*}" --name "Person ${p%%:*}" --role "${p#*:}" --unit U1
	V cert add --id "CERT-${p%%:*}" --person "${p%%:*}" --issued "$((year - 1))-01-10"
	V training add --id "TR-${p%%:*}" --person "${p%%:*}" --date "$today"
done
V person update --id SV --unix-user nobody
# The admin runs the shredder: certified by the supervisor.
for a in "cert add --id CERT-admin --person admin --issued $((year - 1))-01-10" \
	"training add --id TR-admin --person admin --date $today"; do
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$VAULTCTL" $a >/dev/null
done
enrol W1 04E10000000001 && enrol W2 04E10000000002 || echo "# enrol failed: $(tail -1 "$T/enrol.log")"
N=$((KILLS + 5))
declare -A PHYS TAG
for ((i = 1; i <= N; i++)); do
	TAG[M$i]=$(printf 'E20000000000000000D%05d' "$i")
	V medium add --id "M$i" --tag "${TAG[M$i]}" --title "Sheet $i" --classification secret --home-shelf SH-1
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$VAULTCTL" destroy-order add --id "O$i" --medium "M$i" >/dev/null
	V destroy-order approve --id "O$i"
	sim "place 1 1 ${TAG[M$i]}"
	PHYS[M$i]=SH-1
done
ACKS=$T/acks
: >"$ACKS"
status_of() { vt_sql "SELECT status FROM medium WHERE id='$1'"; }
last_kind() { vt_sql "SELECT kind FROM ledger WHERE kind LIKE 'destruction.%' AND json_extract(payload,'\$.order')='$1' ORDER BY seq DESC LIMIT 1"; }
move() { # MEDIUM TO (none, SH-1, throat)
	local m=$1 to=$2
	case ${PHYS[$m]} in SH-1) sim "remove 1 ${TAG[$m]}" ;; throat) sim "remove 2 ${TAG[$m]}" ;; esac
	case $to in SH-1) sim "place 1 1 ${TAG[$m]}" ;; throat) sim "place 2 1 ${TAG[$m]}" ;; esac
	PHYS[$m]=$to
}
CUR=1
step() { # one move of the current destruction, from what vaultd recorded
	local m=M$CUR o=O$CUR st lk out
	[ "$(vt_sql "SELECT state FROM destruction_order WHERE id='$o'")" = done ] && {
		[ "${PHYS[$m]}" != none ] && move "$m" none
		CUR=$((CUR + 1)); return; }
	st=$(status_of "$m"); lk=$(last_kind "$o")
	case "$st:$lk:${PHYS[$m]}" in
	in-vault:*:SH-1|at-destruction:destruction.no_motor:*|at-destruction:destruction.failed:*|at-destruction:destruction.aborted:*)
		gpio "set shredder_motor 0" >/dev/null
		out=$("$VAULTCTL" destroy start --order "$o" 2>/dev/null)
		sed -n 's/.*"seq":\([0-9]*\).*/\1 destruction.started '"$m"'/p' <<<"$out" >>"$ACKS" ;;
	in-vault:*|missing:*) move "$m" SH-1 ;; # aborted or interrupted: back on its shelf
	at-destruction:destruction.started:*)
		present shredder 04E10000000001; sleep 0.3; unpresent shredder
		present shredder 04E10000000002; sleep 0.3; unpresent shredder ;;
	at-destruction:destruction.witnessed:*)
		gpio "set shredder_motor 1" >/dev/null; sleep 0.05; move "$m" throat ;;
	at-destruction:destruction.shredded:throat) sleep 0.1; move "$m" none; gpio "set shredder_motor 0" >/dev/null ;;
	*) sleep 0.05 ;;
	esac
}
verify_fail=0 lost=0 restarts=0
for ((k = 1; k <= KILLS && CUR <= N; k++)); do
	delay=$(printf '%d.%03d' $((RANDOM % 3)) $((RANDOM % 1000)))
	(sleep "$delay"; kill -9 "$VAULTD_PID" 2>/dev/null) &
	killer=$!
	while kill -0 "$killer" 2>/dev/null && [ "$CUR" -le "$N" ]; do step; sleep 0.03; done
	kill -9 "$VAULTD_PID" 2>/dev/null; kill "$killer" 2>/dev/null
	wait "$VAULTD_PID" 2>/dev/null
	VAULTD_PID=
	"$VAULTCTL" verify >"$T/verify.out" 2>&1 ||
		{ verify_fail=$((verify_fail + 1)); echo "# kill $k: verify failed: $(tail -2 "$T/verify.out")"; }
	gone=$(acks_gone "$ACKS")
	[ -z "$gone" ] || { lost=$((lost + 1)); echo "# kill $k: acknowledged entries gone: $gone"; }
	gpio "set shredder_motor 0" >/dev/null 2>&1
	vt_start || { echo "# kill $k: vaultd did not restart: $(tail -3 "$T/vaultd.log")"; break; }
	restarts=$((restarts + 1))
	chmod 666 "$T/vaultd.sock"
	sleep 0.3
done
is "vaultd was killed and restarted $KILLS times during destructions" "$KILLS" "$restarts"
is "verify passed after every kill" 0 "$verify_fail"
is "no acknowledged start was lost ($(wc -l <"$ACKS") acknowledged)" 0 "$lost"
# Finish what is under way, let every window close.
for _ in $(seq 60); do
	lk=$(last_kind "O$CUR")
	case $lk in destruction.confirmed|destruction.aborted|destruction.interrupted|destruction.failed|destruction.no_motor|destruction.one_witness|"") break ;; esac
	step; sleep 0.05
done
sleep 2
vt_stop
ok "the final ledger verifies" "$VAULTCTL" verify
is "destructions were confirmed" 1 "$(vt_sql "SELECT count(*) > 0 FROM ledger WHERE kind='destruction.confirmed'")"
is "every destruction.started has its outcome" 0 \
	"$(vt_sql "SELECT count(*) FROM ledger s WHERE s.kind='destruction.started' AND NOT EXISTS (
		SELECT 1 FROM ledger o WHERE o.seq>s.seq AND json_extract(o.payload,'\$.order')=json_extract(s.payload,'\$.order')
		AND o.kind IN ('destruction.confirmed','destruction.aborted','destruction.interrupted',
			'destruction.failed','destruction.no_motor','destruction.one_witness'))")"
is "no medium is destroyed without destruction.confirmed" 0 \
	"$(vt_sql "SELECT count(*) FROM medium m WHERE status='destroyed' AND NOT EXISTS (SELECT 1 FROM ledger WHERE kind='destruction.confirmed' AND medium=m.id)")"
is "every confirmed destruction left its medium destroyed and its order done" 0 \
	"$(vt_sql "SELECT count(*) FROM ledger c JOIN medium m ON m.id=c.medium JOIN destruction_order o ON o.id=json_extract(c.payload,'\$.order') WHERE c.kind='destruction.confirmed' AND (m.status<>'destroyed' OR o.state<>'done')")"
is "no medium is left at the shredder with no destruction under way" 0 \
	"$(vt_sql "SELECT count(*) FROM medium WHERE status='at-destruction' AND id<>'M$CUR'")"
echo "# show: $KILLS SIGKILLs during destructions: $(vt_sql "SELECT group_concat(kind||' x'||n, ', ') FROM (SELECT kind, count(*) n FROM ledger WHERE kind IN ('destruction.confirmed','destruction.interrupted','destruction.aborted','destruction.failed','destruction.no_motor','destruction.one_witness') GROUP BY kind)")"
vt_done
