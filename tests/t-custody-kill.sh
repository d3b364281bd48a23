# SPDX-License-Identifier: MIT
# SIGKILL at random points across checkout, return and removal: a driver keeps
# moving media through their flows (shelf -> pad -> checkout -> out -> pad ->
# return -> home shelf) while vaultd is killed with SIGKILL at a random moment
# and restarted, VAULT_KILLS times (default 200). After every kill:
#  - `vaultctl verify` passes (chain, checkpoints, registry replay);
#  - every entry vaultd acknowledged (a reply with its seq) is in the ledger
#    with the same kind and medium.
# At the end, with every window elapsed: every medium.removed has its outcome
# (checkout, moved, replaced, unaccounted), every return.pending its outcome
# (confirmed or missing), and each medium's state agrees with where its tag is.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-door.sh"
. "$(dirname "$0")/lib-kill.sh"
. "$(dirname "$0")/lib-custody.sh"
KILLS=${VAULT_KILLS:-200}
shelf_start
put 1 "$T1"; put 1 "$T2"; put 2 "$T3"
mapfile -t ini < <(custody_ini "[ledger]" "checkpoint_every = 25")
# No readers: the door is not part of this test (occupancy is empty).
vt_init "${ini[@]}"
sed -i 's/^door = pn532_uart.*/door =/; s/^exit = pn532_uart.*/exit =/' "$T/vault.ini"
vt_start || { echo "not ok 1 - vaultd starts"; exit 1; }
site_setup
V approval update --id AP1 --max-out 2 2>/dev/null ||
	{ as nobody approval add --id AP2 --unit U1 --person S1 --purpose more --scope dataset:coast \
		--project PR1 --max-out 2 --quantity 2 --valid-from "$((year - 1))-01-01" --valid-to "$((year + 1))-12-31" >/dev/null
	  V approval approve --id AP2; }
AP=$(vt_sql "SELECT id FROM approval WHERE state='active' AND max_out>=2 LIMIT 1")
[ -n "$AP" ] || AP=AP1

# Where each tag physically is (the simulator survives vaultd's deaths).
declare -A BACK=() PHYS=([M1]=SH-1 [M3]=SH-2) TAG=([M1]=$T1 [M3]=$T3) HOME=([M1]=SH-1 [M3]=SH-2)
slave() { case $1 in SH-1) echo 1 ;; SH-2) echo 2 ;; pad) echo 10 ;; esac; }
move() { # MEDIUM TO (none, pad, SH-1, SH-2)
	local m=$1 to=$2
	[ "${PHYS[$m]}" != none ] && take "$(slave "${PHYS[$m]}")" "${TAG[$m]}"
	[ "$to" != none ] && put "$(slave "$to")" "${TAG[$m]}"
	PHYS[$m]=$to
}
ACKS=$T/acks
: >"$ACKS"
ack() { # KIND REPLY: remember every seq vaultd acknowledged
	grep -o '"medium":"[A-Z0-9]*","ok":true[^}]*"seq":[0-9]*' <<<"$2" |
		sed 's/"medium":"\([A-Z0-9]*\)".*"seq":\([0-9]*\)/\2 '"$1"' \1/' >>"$ACKS"
}
step() { # one move of medium $1 along its flow, from the state vaultd recorded
	local m=$1 st out
	st=$(status_of "$m")
	STEPS=$((STEPS + 1))
	[ -n "${TRACE:-}" ] && echo "# step $m $st:${PHYS[$m]}"
	case "$st:${PHYS[$m]}" in
	in-vault:SH-*) move "$m" none ;;
	in-vault:none) move "$m" pad ;;
	in-vault:pad) BACK[$m]=; out=$(as nobody custody checkout --approval "$AP" --media "$m" 2>/dev/null); ack checkout.confirmed "$out" ;;
	checked-out:pad)
		if [ "${BACK[$m]:-}" ]; then # brought back: return it
			out=$(as nobody custody return --media "$m" 2>/dev/null); ack return.pending "$out"
		else # just checked out: carried away
			move "$m" none; BACK[$m]=
		fi ;;
	checked-out:none) move "$m" pad; BACK[$m]=1 ;;
	checked-out:SH-*) move "$m" none ;;
	pending-return:pad) move "$m" none ;;
	pending-return:none) move "$m" "${HOME[$m]}" ;;
	missing:*) move "$m" "${HOME[$m]}" ;;
	*) ;;
	esac
}
verify_fail=0 lost=0 restarts=0 STEPS=0
for ((k = 1; k <= KILLS; k++)); do
	# the moment of death: 0-400 ms into the next moves
	delay=$(printf '0.%03d' $((RANDOM % 400)))
	(sleep "$delay"; kill -9 "$VAULTD_PID" 2>/dev/null) &
	killer=$!
	while kill -0 "$killer" 2>/dev/null; do
		step M1; step M3; sleep 0.03
	done
	wait "$VAULTD_PID" 2>/dev/null
	VAULTD_PID=
	if ! "$VAULTCTL" verify >"$T/verify.out" 2>&1; then
		verify_fail=$((verify_fail + 1))
		echo "# kill $k: verify failed: $(tail -2 "$T/verify.out")"
	fi
	gone=$(acks_gone "$ACKS")
	[ -z "$gone" ] || { lost=$((lost + 1)); echo "# kill $k: acknowledged entries gone: $gone"; }
	vt_start || { echo "# kill $k: vaultd did not restart: $(tail -3 "$T/vaultd.log")"; break; }
	restarts=$((restarts + 1))
	chmod 666 "$T/vaultd.sock"
	# let the shelves answer before the next moves
	for _ in $(seq 40); do "$VAULTCTL" custody status >/dev/null 2>&1 && break; sleep 0.05; done
	sleep 0.1
done
is "vaultd was killed and restarted $KILLS times" "$KILLS" "$restarts"
is "verify passed after every kill" 0 "$verify_fail"
is "no acknowledged entry was lost ($(wc -l <"$ACKS") acknowledged)" 0 "$lost"
cp "$ACKS" "$T/acks.control"
echo "$(vt_sql "SELECT max(seq) + 1 FROM ledger") checkout.confirmed M1" >>"$T/acks.control"
contains "control: the check finds an acknowledged entry that is not in the ledger" \
	"checkout.confirmed M1" "$(acks_gone "$T/acks.control")"
echo "# show: $KILLS SIGKILLs, $STEPS moves, $(wc -l <"$ACKS") acknowledged entries, ledger of $(vt_count) entries"
# Let every window close (removal 4 s, return 3 s), the flows settle.
sleep 5
vt_stop
ok "the final ledger verifies" "$VAULTCTL" verify
is "checkouts and returns happened" 1 \
	"$(vt_sql "SELECT count(*) > 0 FROM ledger WHERE kind='return.confirmed'")"
is "every medium.removed has its outcome (checkout, moved, replaced, unaccounted)" 0 \
	"$(vt_sql "SELECT count(*) FROM ledger r WHERE r.kind='medium.removed' AND NOT EXISTS (
		SELECT 1 FROM ledger o WHERE o.medium=r.medium AND o.seq>r.seq AND o.kind IN
		('checkout.confirmed','medium.moved','medium.replaced','medium.unaccounted'))")"
is "every return.pending has its outcome (confirmed or missing)" 0 \
	"$(vt_sql "SELECT count(*) FROM ledger r WHERE r.kind='return.pending' AND NOT EXISTS (
		SELECT 1 FROM ledger o WHERE o.medium=r.medium AND o.seq>r.seq AND o.kind IN
		('return.confirmed','return.missing'))")"
for m in M1 M3; do
	st=$(status_of "$m")
	case "$st:${PHYS[$m]}" in
	in-vault:SH-*|checked-out:none|checked-out:pad|missing:*) good=1 ;;
	pending-return:*) good=$(vt_sql "SELECT count(*)>0 FROM ledger WHERE medium='$m' AND kind='return.missing' AND seq>(SELECT max(seq) FROM ledger WHERE medium='$m' AND kind='return.pending')") ;;
	*) good=0 ;;
	esac
	is "$m ends accounted for ($st, tag at ${PHYS[$m]})" 1 "$good"
done
echo "# show: alarms raised by interrupted flows: $(vt_sql "SELECT group_concat(kind||' x'||n, ', ') FROM (SELECT kind, count(*) n FROM ledger WHERE kind IN ('medium.unaccounted','return.missing','medium.off_path') GROUP BY kind)")"
vt_done
