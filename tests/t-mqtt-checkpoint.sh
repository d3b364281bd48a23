# SPDX-License-Identifier: MIT
# Signed checkpoints published over MQTT to a real mosquitto, checked as a
# security officer off the box would: each retained <prefix>/checkpoint message
# is the exported checkpoint text, its Ed25519 signature verifies (openssl,
# the genesis public key), its seq and hash are the checkpoint row's and the
# ledger entry's, `vaultctl verify --checkpoint` accepts it; none arrives
# before its ledger entry; several made during a broker outage all arrive in
# seq order; one made just before a vaultd SIGKILL (its entry already
# acknowledged) is published after the restart; a late subscriber gets the
# latest one as the retained message.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mqtt.sh"
command -v openssl >/dev/null || skip_all "openssl is missing"
command -v xxd >/dev/null || skip_all "xxd is missing"

CK="$PFX/checkpoint vault-checkpoint 1" # the first line of each message as received
# "seq hash" of each checkpoint received (after line FROM of sub.out), in
# arrival order, first arrival of each seq.
ck_received() {
	awk -v t="$CK" -v from="${1:-0}" 'NR <= from { next } $0 == t { c = 1; next }
		c && $1 == "seq" { s = $2 } c && $1 == "hash" { h = $2 }
		c && $1 == "sig" { c = 0; if (!seen[s]++) print s, h }' "$T/sub.out"
}
ck_table() { vt_sql "SELECT seq || ' ' || lower(hex(hash)) FROM checkpoint ORDER BY seq"; }
# Wait (10 s) until every stored checkpoint has arrived; then compare.
ck_synced() {
	for _ in $(seq 200); do
		[ "$(ck_received | wc -l)" -ge "$(vt_sql "SELECT count(*) FROM checkpoint")" ] && break
		sleep 0.05
	done
	[ "$(ck_received)" = "$(ck_table)" ]
}
# Checkpoints that arrived before any ledger message of their seq (none expected).
ck_early() {
	awk -v L="$PFX/ledger {\"seq\":" -v t="$CK" '
		index($0, L) == 1 { s = substr($0, length(L) + 1); sub(/,.*/, "", s); got[s] = 1; next }
		$0 == t { c = 1; next }
		c && $1 == "seq" { c = 0; if (!got[$2]) print $2 }' "$T/sub.out"
}
ck_marker() { vt_sql "SELECT checkpoint_seq FROM mqtt_cursor"; }
ck_last() { vt_sql "SELECT max(seq) FROM checkpoint"; }
wait_marker() { for _ in $(seq 100); do [ "$(ck_marker)" = "$(ck_last)" ] && return 0; sleep 0.05; done; return 1; }
ckpt_now() { "$VAULTCTL" checkpoint now >>"$T/ctl.log" 2>&1 && ck_last; }
units() { for i in $(seq "$1" "$2"); do V unit add --id "U$i" --name "Unit $i" --first-time no; done; }

# The officer's check of one checkpoint message (FILE, as received).
fld() { sed -n "s/^$1 //p" "$2"; }
hexs() { printf '%s' "$1" | xxd -p | tr -d '\n'; }
f() { printf '%08x%s' $((${#1} / 2)) "$1"; } # F(x) of docs/ledger-format.md, hex in, hex out
signed_msg() { # VAULT SEQ HASH TIME: the bytes the signature covers, as hex
	f "$(hexs VAULT-LEDGER-CHECKPOINT)"; f 00000001; f "$(hexs "$1")"
	f "$(printf '%016x' "$2")"; f "$3"; f "$(printf '%016x' "$4")"
}
sig_ok() { # HEX-MESSAGE: does the message's sig verify under the genesis key?
	printf '%s' "$1" | xxd -r -p >"$T/msg.bin"
	openssl pkeyutl -verify -pubin -inkey "$T/pk.pem" -rawin -in "$T/msg.bin" -sigfile "$T/sig.bin"
}
officer_check() { # WHAT FILE
	local w=$1 c=$2 s
	s=$(fld seq "$c")
	is "$w: from this vault" "$(vt_sql "SELECT json_extract(payload,'$.vault') FROM ledger WHERE seq=1")" \
		"$(fld vault "$c")"
	is "$w: signed by the genesis checkpoint key" "$pk" "$(fld pubkey "$c")"
	is "$w: seq, hash, time and signature are the checkpoint row's" \
		"$(vt_sql "SELECT lower(hex(hash))||' '||ts_utc||' '||lower(hex(sig)) FROM checkpoint WHERE seq=${s:-0}")" \
		"$(fld hash "$c") $(fld time "$c") $(fld sig "$c")"
	is "$w: the hash is the ledger entry's at that seq" \
		"$(vt_sql "SELECT lower(hex(hash)) FROM ledger WHERE seq=${s:-0}")" "$(fld hash "$c")"
	fld sig "$c" | xxd -r -p >"$T/sig.bin"
	local m
	m=$(signed_msg "$(fld vault "$c")" "${s:-0}" "$(fld hash "$c")" "$(fld time "$c")")
	ok "$w: the Ed25519 signature verifies (openssl, genesis key)" sig_ok "$m"
	m=$(signed_msg "$(fld vault "$c")" "$((${s:-0} - 1))" "$(fld hash "$c")" "$(fld time "$c")")
	ok "$w: and not for another seq" eval '! sig_ok "$m"'
	ok "$w: vaultctl verify --checkpoint accepts it" "$VAULTCTL" verify --checkpoint "$c"
}

vt_init "[ledger]" "checkpoint_every = 0" \
	"[mqtt]" "enabled = 1" "broker = tcp://127.0.0.1:$PORT" "reconnect_ms = 100" "keepalive_s = 5"
pk=$(vt_sql "SELECT json_extract(payload,'$.checkpoint_pubkey') FROM ledger WHERE seq=1")
printf '302a300506032b6570032100%s' "$pk" | xxd -r -p >"$T/pk.der"
openssl pkey -pubin -inform DER -in "$T/pk.der" -out "$T/pk.pem" 2>>"$T/ok.log"
ok "vaultd starts publishing to mosquitto" vt_start
ok "the checkpoint vaultctl init signed is published and acknowledged" wait_marker
units 1 2
c1=$(ckpt_now)
ok "vaultctl checkpoint now signs one (seq $c1)" test -n "$c1"
ok "the retained $PFX/checkpoint is that checkpoint" wait_retained checkpoint "seq $c1"
printf '%s\n' "$(retained checkpoint)" >"$T/c1.txt"
officer_check "checkpoint $c1 on MQTT" "$T/c1.txt"
ok "every checkpoint so far (init's and this one) arrived, in seq order" ck_synced
ok "the durable checkpoint position reaches it" wait_marker

# 1. A broker outage: a backlog of more entries than can go out before the
# first acknowledgements come back (2 x 32), three checkpoints; they all
# arrive in order, none before its entry.
mq_stop
units 3 82
ca=$(ckpt_now); units 83 83
cb=$(ckpt_now); units 84 84
cc=$(ckpt_now)
is "three checkpoints made while the broker was down" 3 \
	"$(vt_sql "SELECT count(*) FROM checkpoint WHERE seq IN (${ca:-0},${cb:-0},${cc:-0})")"
is "none of them counted as published" "$c1" "$(ck_marker)"
ok "the broker restarts" mq_start
sub_alive
ok "after the outage every checkpoint arrives, in seq order, none lost" ck_synced
is "no checkpoint arrived before its ledger entry" "" "$(ck_early)"
ok "... and the ledger is complete" synced
ok "the durable position reaches the latest checkpoint" wait_marker
ok "the retained checkpoint is the latest" wait_retained checkpoint "seq $cc"

# 2. SIGKILL between a checkpoint and its publication: the entry it covers
# already acknowledged (so the ledger cursor is past it), the broker down.
units 85 85
wait_cursor() { for _ in $(seq 100); do [ "$(cursor)" = "$(tip_seq)" ] && return 0; sleep 0.05; done; return 1; }
ok "the ledger cursor reaches the tip" wait_cursor
mq_stop
cd_=$(ckpt_now)
vt_kill
is "killed with the checkpoint's entry acknowledged (cursor $(cursor))" "$cd_" "$(cursor)"
ok "and the checkpoint not: the durable position is behind it" test "$(ck_marker)" -lt "${cd_:-0}"
mq_start
sub_alive
ok "vaultd restarts after SIGKILL" vt_start
ok "the checkpoint is published after the restart" ck_synced
ok "... as the retained checkpoint" wait_retained checkpoint "seq $cd_"

# 3. The crash state where the saved cursor is past checkpoints whose
# acknowledgements were not saved (cursor and position are written in the same
# batch, but a checkpoint goes out after its entry's acknowledgement): set up
# with vaultd stopped, the position back at the first checkpoint published.
vt_stop
sqlite3 "$T/vault.db" "UPDATE mqtt_cursor SET checkpoint_seq = $c1"
from=$(wc -l <"$T/sub.out")
ok "vaultd restarts" vt_start
again() {
	for _ in $(seq 200); do [ "$(ck_received "$from" | tail -1)" = "$(ck_table | tail -1)" ] && break; sleep 0.05; done
	[ "$(ck_received "$from")" = "$(vt_sql "SELECT seq || ' ' || lower(hex(hash)) FROM checkpoint WHERE seq >= $c1 ORDER BY seq")" ]
}
ok "every checkpoint after the durable position is published again, in order" again
ok "the position is back at the latest" wait_marker

# 4. A late subscriber (no session) gets the latest checkpoint, retained.
printf '%s\n' "$(retained checkpoint)" >"$T/late.txt"
is "a late subscriber's retained checkpoint is the latest one" "$(ck_last)" "$(fld seq "$T/late.txt")"
officer_check "the late subscriber's checkpoint" "$T/late.txt"

# 5. Checkpoints made every N entries, in the entry's own transaction, follow
# the entry once it is acknowledged.
vt_stop
vt_config "[ledger]" "checkpoint_every = 3" \
	"[mqtt]" "enabled = 1" "broker = tcp://127.0.0.1:$PORT" "reconnect_ms = 100" "keepalive_s = 5"
before=$(vt_sql "SELECT count(*) FROM checkpoint")
ok "vaultd restarts with checkpoint_every = 3" vt_start
ckpt_now >/dev/null
ok "a checkpoint now is published and acknowledged" wait_marker
units 86 92
ok "automatic checkpoints were made" test "$(vt_sql "SELECT count(*) FROM checkpoint")" -ge $((before + 2))
ok "they arrive too, in seq order" ck_synced
is "still none before its ledger entry" "" "$(ck_early)"
ok "vaultctl verify passes" "$VAULTCTL" verify
vt_done
