# SPDX-License-Identifier: MIT
# The central verifier (docs/verifier.md) with a real mosquitto, vaultd and
# vault-verifier.
# Part 1, vaultd's side, with signed texts made here by openssl (the
# verifier's key, pinned in [mqtt] verifier_key): a backfill command
# republishes entries without moving the cursor and is ledgered; a replayed,
# forged, re-signed-by-another-key, mis-addressed, unknown or garbage command
# is refused with its code, logged, ledgered at most once a minute, and
# changes nothing; a verified text with this ledger's hash moves verified_seq
# (vaultctl mqtt status), one with another hash is the alarm
# mqtt.verifier_mismatch (once), one signed by another key is ignored.
# Part 2, vault-verifier itself: it catches up on the ledger through a
# backfill, matches the signed checkpoints and acknowledges them (vaultd
# records it); it keeps up with new entries; a forged entry on the broker is
# the alarm HASH_MISMATCH and is not accepted; its state survives a restart;
# an older copy of the box's database restored after the verifier acknowledged
# later entries is caught on both sides (FORK at the verifier, the alarm
# mqtt.verifier_mismatch in vaultd).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mqtt.sh"
command -v openssl >/dev/null || skip_all "openssl is missing"
command -v xxd >/dev/null || skip_all "xxd is missing"
VERIFIER=$VAULT_BUILD/vault-verifier
[ -x "$VERIFIER" ] || { echo "Bail out! $VERIFIER is not built"; exit 1; }

# ---- signed texts, made with openssl ----
mkdir -p "$T/vk" "$T/other"
keypair() { # DIR: an Ed25519 key as key.pem, pub.hex and verifier.key (seed || public key)
	openssl genpkey -algorithm ed25519 -out "$1/key.pem" 2>>"$T/ok.log"
	openssl pkey -in "$1/key.pem" -pubout -outform DER 2>>"$T/ok.log" | tail -c 32 | xxd -p -c 64 >"$1/pub.hex"
	{ openssl pkey -in "$1/key.pem" -outform DER 2>>"$T/ok.log" | tail -c 32; xxd -r -p "$1/pub.hex"; } >"$1/verifier.key"
	chmod 600 "$1/verifier.key"
}
keypair "$T/vk"
keypair "$T/other"
VK=$(cat "$T/vk/pub.hex")
sign() { # DIR: the unsigned text on stdin, signed with DIR's key, on stdout
	local body
	body="$(cat)
pubkey $(cat "$1/pub.hex")"
	printf 'VAULT-SIGNED-TEXT\n%s\n' "$body" >"$T/tbs.bin"
	openssl pkeyutl -sign -inkey "$1/key.pem" -rawin -in "$T/tbs.bin" -out "$T/sig.bin" 2>>"$T/ok.log"
	printf '%s\nsig %s\n' "$body" "$(xxd -p -c 64 "$T/sig.bin")"
}
pub() { # TOPIC-LEAF FILE
	mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 1 -t "$PFX/$1" -f "$2"
}
command_text() { # FROM TO [VAULT] [VERB] [PREFIX] [TIME]: an unsigned backfill command, a new id (unix µs, as the verifier's)
	printf 'vault-command 1\nvault %s\nprefix %s\nid %s\nverb %s\nfrom %s\nto %s\ntime %s\n' \
		"${3:-test-vault}" "${5:-$PFX}" "$(($(date +%s%N) / 1000))" "${4:-backfill}" "$1" "$2" \
		"${6:-$(date +%s)}"
}
id_of() { sed -n 's/^id //p' "$1"; }
verified_text() { # SEQ HASH [GENESIS]
	printf 'vault-verified 1\nvault test-vault\nprefix %s\nseq %s\nhash %s\ngenesis %s\nreceived %s\ntime %s\n' \
		"$PFX" "$1" "$2" "${3:-$(vt_sql "SELECT lower(hex(hash)) FROM ledger WHERE seq=1")}" "$1" "$(date +%s)"
}
refusals() { vt_sql "SELECT count(*) FROM ledger WHERE kind='mqtt.command.refused'"; }
logged() { # PATTERN: wait (5 s) for a vaultd log line
	for _ in $(seq 100); do grep -q -- "$1" "$T/vaultd.log" && return 0; sleep 0.05; done
	return 1
}
# Ledger messages received for seq N (on the ledger topic).
copies() { grep -ac "^$PFX/ledger {\"seq\":$1," "$T/sub.out"; }
wait_copies() { # SEQ N
	for _ in $(seq 100); do [ "$(copies "$1")" -ge "$2" ] && return 0; sleep 0.05; done
	return 1
}
status() { "$VAULTCTL" mqtt status; }
jget() { sed -n "s/.*\"$1\":\([0-9a-z\"TZ:-]*\).*/\1/p"; }

# ---- part 1: vaultd's side ----
vt_init "[mqtt]" "enabled = 1" "broker = tcp://127.0.0.1:$PORT" "reconnect_ms = 100" \
	"keepalive_s = 5" "verifier_key = 0123"
ok "a verifier_key that is not 64 hex digits: vaultd refuses to start" eval '! vt_start'
contains "... and says which setting is wrong" "verifier_key" "$(cat "$T/vaultd.log")"
sed -i "s/^verifier_key = .*/verifier_key = $VK/" "$T/vault.ini"
ok "vaultd starts with the verifier's key pinned" vt_start
ok "it listens to the verifier's topics" logged "listening to the verifier"
for i in 1 2 3; do V unit add --id "U$i" --name "Unit $i" --first-time no; done
tip=$(tip_seq)
wait_cursor() { for _ in $(seq 100); do [ "$(cursor)" = "$(tip_seq)" ] && return 0; sleep 0.05; done; return 1; }
ok "the broker has every entry (cursor at the tip, $tip)" wait_cursor
is "each entry went out once so far (seq 1)" 1 "$(copies 1)"

command_text 1 "$tip" | sign "$T/vk" >"$T/cmd1.txt"
pub command "$T/cmd1.txt"
ok "a signed backfill 1..$tip: seq 1 is published again" wait_copies 1 2
ok "... and seq $tip" wait_copies "$tip" 2
is "the cursor did not move" "$tip" "$(cursor)"
is "the command is ledgered (mqtt.command, its id, the range, the signed text)" \
	"backfill|$(id_of "$T/cmd1.txt")|1|$tip|$tip|1" \
	"$(vt_sql "SELECT json_extract(payload,'\$.verb')||'|'||json_extract(payload,'\$.id')||'|'||
	json_extract(payload,'\$.from')||'|'||json_extract(payload,'\$.to')||'|'||
	json_extract(payload,'\$.republish_to')||'|'||(instr(json_extract(payload,'\$.signed'),'sig ')>0)
	FROM ledger WHERE kind='mqtt.command'")"
is "its id is kept (mqtt_cursor.command_id)" "$(id_of "$T/cmd1.txt")" "$(vt_sql "SELECT command_id FROM mqtt_cursor")"

n1=$(copies 1)
pub command "$T/cmd1.txt"
ok "the same command again is refused as a replay (logged)" logged "refused: COMMAND_REPLAYED"
is "... ledgered with its code" "COMMAND_REPLAYED" \
	"$(vt_sql "SELECT json_extract(payload,'\$.code') FROM ledger WHERE kind='mqtt.command.refused'")"
command_text 1 1 | sign "$T/other" >"$T/cmd2.txt"
pub command "$T/cmd2.txt"
ok "a command signed by another key is refused (COMMAND_WRONG_KEY)" logged "refused: COMMAND_WRONG_KEY"
command_text 1 1 | sign "$T/vk" | sed 's/^from 1$/from 2/' >"$T/cmd3.txt"
pub command "$T/cmd3.txt"
ok "a signed command altered after signing is refused (COMMAND_BAD_SIGNATURE)" \
	logged "refused: COMMAND_BAD_SIGNATURE"
command_text 1 1 other-vault | sign "$T/vk" >"$T/cmd4.txt"
pub command "$T/cmd4.txt"
ok "a command for another vault is refused (COMMAND_WRONG_VAULT)" logged "refused: COMMAND_WRONG_VAULT"
command_text 1 1 test-vault backfill vault/evil | sign "$T/vk" >"$T/cmd4b.txt"
pub command "$T/cmd4b.txt"
ok "a command naming this vault but made for another topic (vault/evil) is refused" \
	eval '[ "$(grep -c "refused: COMMAND_WRONG_VAULT" "$T/vaultd.log")" -ge 2 ] || { sleep 1; [ "$(grep -c "refused: COMMAND_WRONG_VAULT" "$T/vaultd.log")" -ge 2 ]; }'
command_text 1 1 test-vault backfill "$PFX" $(($(date +%s) - 3600)) | sign "$T/vk" >"$T/cmd4c.txt"
pub command "$T/cmd4c.txt"
ok "a command signed an hour ago is refused (COMMAND_STALE)" logged "refused: COMMAND_STALE"
command_text 1 1 test-vault unlock | sign "$T/vk" >"$T/cmd5.txt"
pub command "$T/cmd5.txt"
ok "a verb vaultd does not know is refused (COMMAND_UNKNOWN_VERB)" logged "refused: COMMAND_UNKNOWN_VERB"
command_text 1 1 | sign "$T/vk" | sed '/^sig /y/abcdef/ABCDEF/' >"$T/cmd5b.txt"
pub command "$T/cmd5b.txt"
ok "a signed command with its signature in upper case is refused (one signature, one text)" \
	logged "not 128 lowercase hex digits"
head -c 3000 /dev/urandom >"$T/cmd6.bin"
pub command "$T/cmd6.bin"
ok "3000 random bytes are refused (COMMAND_MALFORMED)" logged "refused: COMMAND_MALFORMED"
command_text 5 2 | sign "$T/vk" >"$T/cmd7.txt"
pub command "$T/cmd7.txt"
ok "a backfill with from > to is refused (COMMAND_MALFORMED)" \
	eval '[ "$(grep -c "refused: COMMAND_MALFORMED" "$T/vaultd.log")" -ge 2 ] || { sleep 1; [ "$(grep -c "refused: COMMAND_MALFORMED" "$T/vaultd.log")" -ge 2 ]; }'
sleep 0.5
is "none of the refused commands republished anything" "$n1" "$(copies 1)"
is "only the first refusal of the minute is ledgered" 1 "$(refusals)"
is "the accepted command's id is still the last one kept" \
	"$(id_of "$T/cmd1.txt")" "$(vt_sql "SELECT command_id FROM mqtt_cursor")"
ok "vaultd is still running" kill -0 "$VAULTD_PID"
vt_stop
listening() { grep -c "listening to the verifier" "$T/vaultd.log"; }
before=$(listening)
ok "vaultd restarts" vt_start
for _ in $(seq 100); do [ "$(listening)" -gt "$before" ] && break; sleep 0.05; done
pub command "$T/cmd1.txt"
for _ in $(seq 100); do [ "$(refusals)" = 2 ] && break; sleep 0.05; done
is "after a restart the old command is still a replay (the id is durable), ledgered" \
	"2 COMMAND_REPLAYED" "$(refusals) $(vt_sql "SELECT json_extract(payload,'\$.code') FROM ledger
	WHERE kind='mqtt.command.refused' ORDER BY seq DESC LIMIT 1")"

# verified texts
ok "vaultctl mqtt status: nothing verified yet" eval '[ "$(status | jget verified_seq)" = 0 ]'
h2=$(vt_sql "SELECT lower(hex(hash)) FROM ledger WHERE seq=2")
verified_text 2 "$h2" | sign "$T/vk" >"$T/ver1.txt"
pub verified "$T/ver1.txt"
wait_verified() { for _ in $(seq 100); do [ "$(vt_sql "SELECT verified_seq FROM mqtt_cursor")" = "$1" ] && return 0; sleep 0.05; done; return 1; }
ok "a verified text with this ledger's hash at seq 2: verified_seq 2" wait_verified 2
is "vaultctl mqtt status shows it, and the entries not yet held off the box" \
	"2 $(($(tip_seq) - 2))" "$(status | jget verified_seq) $(status | jget unverified)"
contains "... and when" '"verified_at":"20' "$(status)"
h3=$(vt_sql "SELECT lower(hex(hash)) FROM ledger WHERE seq=3")
verified_text 3 "$h3" | sign "$T/other" >"$T/ver2.txt"
pub verified "$T/ver2.txt"
ok "a verified text signed by another key is ignored (logged)" logged "verified was ignored: signed by another key"
is "... verified_seq stays 2" 2 "$(vt_sql "SELECT verified_seq FROM mqtt_cursor")"
verified_text 3 "$h2" | sign "$T/vk" >"$T/ver3.txt"
pub verified "$T/ver3.txt"
mismatch() { vt_sql "SELECT count(*) FROM ledger WHERE kind='mqtt.verifier_mismatch'"; }
for _ in $(seq 100); do [ "$(mismatch)" = 1 ] && break; sleep 0.05; done
is "a verified text with another hash at seq 3 is the alarm mqtt.verifier_mismatch" \
	"1 VERIFIER_MISMATCH 3 $h2 $h3" \
	"$(mismatch) $(vt_sql "SELECT json_extract(payload,'\$.code')||' '||json_extract(payload,'\$.seq')||' '||
	json_extract(payload,'\$.verifier_hash')||' '||json_extract(payload,'\$.ledger_hash')
	FROM ledger WHERE kind='mqtt.verifier_mismatch'")"
contains "... listed as an open alarm" "mqtt.verifier_mismatch" "$("$VAULTCTL" alert list 2>&1)"
verified_text 4 "$h2" | sign "$T/vk" >"$T/ver4.txt"
for _ in 1 2 3; do pub verified "$T/ver4.txt"; pub verified "$T/ver3.txt"; done
sleep 0.5
is "two mismatching texts replayed in turn: still one entry (at most one a minute)" 1 "$(mismatch)"
ok "... each one logged" eval '[ "$(grep -c "another ledger history" "$T/vaultd.log")" -ge 7 ]'
is "verified_seq stays 2" 2 "$(vt_sql "SELECT verified_seq FROM mqtt_cursor")"
verified_text 3 "$h3" "$h3" | sign "$T/vk" >"$T/ver5.txt"
pub verified "$T/ver5.txt"
sleep 0.5
is "a verified text with the right hash but another genesis moves nothing" 2 \
	"$(vt_sql "SELECT verified_seq FROM mqtt_cursor")"
verified_text 3 "$h3" | sed "s#^prefix .*#prefix vault/evil#" | sign "$T/vk" >"$T/ver6.txt"
pub verified "$T/ver6.txt"
ok "one made for another topic is ignored (logged)" logged "verified was ignored: it is about another vault or topic"
is "... verified_seq stays 2" 2 "$(vt_sql "SELECT verified_seq FROM mqtt_cursor")"
# A flood on the command topic: at most 20 a second reach the loop.
for i in $(seq 300); do printf 'junk %s\n' "$i"; done >"$T/junk.txt"
mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 0 -t "$PFX/command" -l <"$T/junk.txt"
ok "300 messages at once on the command topic: the excess is dropped before the loop (logged)" \
	logged "dropped: more than 20 a second"
ok "vaultd still answers" "$VAULTCTL" whoami
sleep 1.1 # a new second: the verifier's texts are not counted with the flood

# ---- part 2: vault-verifier ----
# The verifier's key: the one vaultd pins (made above as seed || public key).
ok "vault-verifier reads the pinned key (pubkey)" \
	eval '[ "$("$VERIFIER" pubkey --keys-dir "$T/vk" 2>>"$T/ok.log")" = "$VK" ]'
"$VAULTCTL" checkpoint now >>"$T/ctl.log" 2>&1
vstart() {
	"$VERIFIER" run --broker "tcp://127.0.0.1:$PORT" --root vault --state "$T/verifier.db" \
		--keys-dir "$T/vk" --client-id t-verifier 2>>"$T/verifier.log" &
	VPID=$!
}
vstop() { [ -n "${VPID:-}" ] && { kill "$VPID" 2>/dev/null; wait "$VPID" 2>/dev/null; }; VPID=; }
trap 'vstop; vt_stop; sub_stop; mq_stop; [ "${KEEP:-}" ] || rm -rf "$T"' EXIT
vstatus() { "$VERIFIER" status --state "$T/verifier.db" 2>>"$T/ok.log"; }
vfield() { vstatus | grep "\"vault\":\"${2:-test-vault}\"" | jget "$1"; }
ckpt() { vt_sql "SELECT max(seq) FROM checkpoint"; }
wait_v() { # FIELD VALUE (10 s): at least VALUE
	local v
	for _ in $(seq 200); do v=$(vfield "$1"); [ "${v:-0}" -ge "$2" ] && return 0; sleep 0.05; done
	return 1
}
vstart
ok "vault-verifier catches up on the whole ledger (received = tip $(tip_seq))" wait_v received "$(tip_seq)"
ok "... through a backfill command vaultd accepted" \
	eval '[ "$(vt_sql "SELECT count(*) FROM ledger WHERE kind=\"mqtt.command\"")" -ge 2 ]'
ok "it matches the latest checkpoint (verified = $(ckpt))" wait_v verified "$(ckpt)"
ok "vaultd records the acknowledgement (verified_seq = $(ckpt))" wait_verified "$(ckpt)"
ok "the retained verified text verifies under the verifier's key (vaultd accepted it)" \
	eval '[ "$(status | jget verified_seq)" = "$(ckpt)" ]'
for i in 4 5 6; do V unit add --id "U$i" --name "Unit $i" --first-time no; done
"$VAULTCTL" checkpoint now >>"$T/ctl.log" 2>&1
ok "new entries and a checkpoint: the verifier keeps up (received = $(tip_seq))" wait_v received "$(tip_seq)"
ok "... and acknowledges the new checkpoint (vaultd verified_seq = $(ckpt))" wait_verified "$(ckpt)"

ok "status --alarms-within 0 exits 0 while no vault has had an alarm" \
	"$VERIFIER" status --state "$T/verifier.db" --alarms-within 0
out=$("$VERIFIER" status --state "$T/verifier.db" --alarms-within 1h 2>&1); rc=$?
is "--alarms-within 1h is refused (exit 2): seconds" "2" "$rc"

# A forged entry on the broker: the next seq, the message of unit U6's entry with
# that seq and the unit's name changed (its hash and prev_hash kept).
next=$(($(tip_seq) + 1))
grep -a "^$PFX/ledger {.*\"name\":\"Unit 6\"" "$T/sub.out" | tail -1 | cut -d' ' -f2- |
	sed "s/^{\"seq\":[0-9]*,/{\"seq\":$next,/; s/\"name\":\"Unit 6\"/\"name\":\"Unit X\"/" >"$T/forged.json"
contains "(the forged message names Unit X at seq $next)" "{\"seq\":$next," "$(grep '"Unit X"' "$T/forged.json")"
pub ledger "$T/forged.json"
ok "a forged entry is the alarm HASH_MISMATCH on $PFX/verifier-alarm" wait_retained verifier-alarm "code HASH_MISMATCH"
is "... and is not accepted" "$(tip_seq)" "$(vfield received)"
ok "the verifier's status counts the alarm" eval '[ "$(vfield alarms)" -ge 1 ]'
out=$("$VERIFIER" status --state "$T/verifier.db" --alarms-within 3600 2>&1 >/dev/null); rc=$?
is "status --alarms-within 3600 exits 3 (a monitoring check fails)" 3 "$rc"
contains "... saying how many" "alarm" "$out"

# The officer looks and acknowledges, with the verifier running: the
# monitoring check passes again (the alarms stay, marked), until the next one.
valarms() { "$VERIFIER" alarms --state "$T/verifier.db" "$@" 2>>"$T/ok.log"; }
vack() { "$VERIFIER" ack --state "$T/verifier.db" "$@" 2>&1; }
aid=$(valarms | grep -m1 '"code":"HASH_MISMATCH"' | jget id)
ok "vault-verifier alarms lists it, with its id ($aid)" test -n "$aid"
is "status: all $(vfield alarms) unacknowledged" "$(vfield alarms)" "$(vfield unacknowledged)"
out=$(vack --id "$aid"); rc=$?
is "ack without --by is refused (exit 2)" 2 "$rc"
out=$(vack --id 999999 --by "J. Officer"); rc=$?
is "an unknown alarm is refused (exit 2), named" "2 no alarm 999999" "$rc $(echo "$out" | grep -o 'no alarm 999999')"
out=$(vack --id "$aid" --by "J. Officer" --note "forged message on the broker; ACLs checked"); rc=$?
is "ack --id: one alarm acknowledged" "0 1 alarm acknowledged by J. Officer" "$rc $out"
out=$(vack --id "$aid" --by "J. Officer"); rc=$?
is "acknowledging it again is refused (exit 2)" "2 acknowledged before" "$rc $(echo "$out" | grep -o 'acknowledged before')"
out=$(vack --vault test-vault --by "J. Officer"); rc=$?
is "ack --vault: the vault's others too" "0 $(($(vfield alarms) - 1))" "$rc ${out%% *}"
is "alarms lists none now" "" "$(valarms)"
contains "alarms --all keeps it, with who and why" \
	"\"by\":\"J. Officer\",\"note\":\"forged message on the broker; ACLs checked\"" \
	"$(valarms --all | grep "\"id\":$aid,")"
is "status: none unacknowledged" 0 "$(vfield unacknowledged)"
ok "status --alarms-within 3600 exits 0 again" "$VERIFIER" status --state "$T/verifier.db" --alarms-within 3600
vstop
received=$(vfield received)
from1() { vt_sql "SELECT count(*) FROM ledger WHERE kind='mqtt.command' AND json_extract(payload,'\$.from')=1"; }
before=$(from1)
V unit add --id U7 --name "Unit 7" --first-time no
vstart
ok "the verifier restarts from its state and catches up (received = $(tip_seq))" wait_v received "$(tip_seq)"
is "... going on from seq $received: it asked for no backfill from seq 1 again" "$before" "$(from1)"

# History rewritten on the box after the verifier acknowledged it: an older
# copy of the database restored (erasing what came after), then new entries
# under the same seqs. Caught off the box (FORK) and by vaultd itself.
vt_stop
cp "$T/vault.db" "$T/backup.db"
x=$(tip_seq)
vt_start
for i in 8 9 10; do V unit add --id "U$i" --name "Unit $i" --first-time no; done
"$VAULTCTL" checkpoint now >>"$T/ctl.log" 2>&1
ok "entries after the copy are acknowledged (verified_seq $(ckpt))" wait_verified "$(ckpt)"
acked=$(ckpt)
vt_stop
cp "$T/backup.db" "$T/vault.db"
rm -f "$T/vault.db-wal" "$T/vault.db-shm"
m0=$(mismatch)
ok "vaultd starts on the restored copy (tip $x, the verifier holds $acked)" vt_start
V unit add --id U66 --name "Unit 66" --first-time no
ok "the verifier sees seq $((x + 1)) again with another hash: FORK on $PFX/verifier-alarm" \
	wait_retained verifier-alarm "code FORK"
contains "... the first at seq $((x + 1)) (the verifier's log)" "FORK at seq $((x + 1)):" "$(cat "$T/verifier.log")"
for _ in $(seq 100); do [ "$(mismatch)" -gt "$m0" ] && break; sleep 0.05; done
is "vaultd: the verifier's acknowledgement of seq $acked names an entry this ledger lacks: mqtt.verifier_mismatch" \
	"$((m0 + 1)) $acked null" \
	"$(mismatch) $(vt_sql "SELECT json_extract(payload,'\$.seq')||' '||ifnull(json_extract(payload,'\$.ledger_hash'),'null')
	FROM ledger WHERE kind='mqtt.verifier_mismatch' ORDER BY seq DESC LIMIT 1")"
out=$("$VERIFIER" status --state "$T/verifier.db" --alarms-within 0 2>&1 >/dev/null); rc=$?
is "the new alarm is not acknowledged: status --alarms-within 0 exits 3 again" 3 "$rc"
vstop
vt_done
