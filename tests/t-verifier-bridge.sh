# SPDX-License-Identifier: MIT
# Many vaults, one central verifier, across a bridge (DESIGN §6): two vaultds
# publish to a site mosquitto, which is bridged (mosquitto's own bridge, the
# configuration of docs/verifier.md) to a central mosquitto where
# vault-verifier runs. Both ledgers cross the bridge out and the verifier's
# acknowledgements cross it back in: each vault records verified_seq = its
# latest checkpoint. Then the site broker restarts without its queue while the
# central side is down, so entries the bridge held are lost: the verifier
# sees the gap from the retained tip, its signed backfill command crosses the
# bridge in, and the vault's republication brings its ledger back complete.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mqtt.sh" # the central broker on $PORT
VERIFIER=$VAULT_BUILD/vault-verifier
[ -x "$VERIFIER" ] || { echo "Bail out! $VERIFIER is not built"; exit 1; }
CPORT=$PORT
sub_stop

# The site broker, bridged to the central one: the ledgers out, the
# verifier's texts in.
SITE_PID=
site_start() { # [persistence true|false]
	local lines=("connection central" "address 127.0.0.1:$CPORT" "cleansession false"
		"restart_timeout 1") t
	for t in ledger checkpoint tip state alarm; do lines+=("topic vault/+/$t out 1"); done
	for t in verified command verifier-alarm; do lines+=("topic vault/+/$t in 1"); done
	broker_start "$T/site" "$SPORT" "${1:-true}" "${lines[@]}" && SITE_PID=$BROKER_PID
}
site_stop() { [ -n "$SITE_PID" ] && { kill "$SITE_PID" 2>/dev/null; wait "$SITE_PID" 2>/dev/null; }; SITE_PID=; }
mkdir -p "$T/site"
for _ in $(seq 20); do
	SPORT=$((20000 + RANDOM % 40000))
	[ "$SPORT" != "$CPORT" ] && site_start && break
	SPORT=
done
[ -n "$SPORT" ] || { echo "Bail out! the site mosquitto did not start"; exit 1; }

VK=$("$VERIFIER" keygen --keys-dir "$T/vk" 2>>"$T/ok.log")
ok "vault-verifier keygen prints the public key" eval '[ ${#VK} = 64 ]'

# Two vaults on the site broker.
declare -A PID
mkvault() { # NAME
	local d=$T/$1
	mkdir -p "$d"
	VT_DIR=$d VT_NAME=$1 vt_config "[ledger]" "checkpoint_every = 0" "[mqtt]" "enabled = 1" \
		"broker = tcp://127.0.0.1:$SPORT" "reconnect_ms = 100" "keepalive_s = 5" \
		"verifier_key = $VK"
	"$VAULTCTL" -c "$d/vault.ini" init --admin-user "$(id -un)" >/dev/null
}
vstart() { # NAME
	local d=$T/$1
	rm -f "$d/vaultd.sock"
	"$VAULTD" -c "$d/vault.ini" 2>>"$d/vaultd.log" &
	PID[$1]=$!
	for _ in $(seq 100); do [ -S "$d/vaultd.sock" ] && return 0; sleep 0.05; done
	return 1
}
vstop() { [ -n "${PID[$1]:-}" ] && { kill "${PID[$1]}" 2>/dev/null; wait "${PID[$1]}" 2>/dev/null; }; PID[$1]=; }
C() { local v=$1; shift; "$VAULTCTL" -c "$T/$v/vault.ini" "$@"; }
S() { sqlite3 -readonly "$T/$1/vault.db" "$2"; }
tipof() { S "$1" "SELECT max(seq) FROM ledger"; }
ckof() { S "$1" "SELECT max(seq) FROM checkpoint"; }
verified() { S "$1" "SELECT verified_seq FROM mqtt_cursor"; }
wait_verified() { # VAULT SEQ (15 s)
	for _ in $(seq 300); do [ "$(verified "$1")" -ge "$2" ] 2>/dev/null && return 0; sleep 0.05; done
	return 1
}
units() { # VAULT FROM TO
	local i
	for i in $(seq "$2" "$3"); do C "$1" unit add --id "U$i" --name "Unit $i" --first-time no >/dev/null; done
}
VPID=
verifier_start() {
	"$VERIFIER" run --broker "tcp://127.0.0.1:$CPORT" --root vault --state "$T/verifier.db" \
		--keys-dir "$T/vk" 2>>"$T/verifier.log" &
	VPID=$!
}
verifier_stop() { [ -n "$VPID" ] && { kill "$VPID" 2>/dev/null; wait "$VPID" 2>/dev/null; }; VPID=; }
trap 'verifier_stop; vstop vault-a; vstop vault-b; site_stop; mq_stop; [ "${KEEP:-}" ] || rm -rf "$T"' EXIT
vfield() { # VAULT FIELD: from vault-verifier status
	"$VERIFIER" status --state "$T/verifier.db" 2>>"$T/ok.log" | grep "\"vault\":\"$1\"" |
		sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"
}

for v in vault-a vault-b; do
	mkvault "$v"
	ok "$v starts, publishing to the site broker" vstart "$v"
done
units vault-a 1 5
units vault-b 1 8
C vault-a checkpoint now >/dev/null
C vault-b checkpoint now >/dev/null
verifier_start
for v in vault-a vault-b; do
	ok "$v: the central verifier acknowledges its latest checkpoint across the bridge (verified_seq $(ckof $v))" \
		wait_verified "$v" "$(ckof "$v")"
	is "$v: the verifier holds its whole ledger (received = tip)" "$(tipof "$v")" "$(vfield "$v" received)"
	is "$v: pinned to its own genesis key" \
		"$(S "$v" "SELECT json_extract(payload,'\$.checkpoint_pubkey') FROM ledger WHERE seq=1")" \
		"$("$VERIFIER" status --state "$T/verifier.db" | grep "\"vault\":\"$v\"" | sed -n 's/.*"pubkey":"\([0-9a-f]*\)".*/\1/p')"
done
is "no alarm for either vault" "0 0" "$(vfield vault-a alarms) $(vfield vault-b alarms)"

# The central side goes away (verifier and broker); the site broker queues
# for the bridge, then restarts without persistence: what it queued is lost.
verifier_stop
mq_stop
units vault-a 6 20
C vault-a checkpoint now >/dev/null
wait_acked() { for _ in $(seq 200); do [ "$(S vault-a "SELECT seq FROM mqtt_cursor")" = "$(tipof vault-a)" ] && return 0; sleep 0.05; done; return 1; }
ok "vault-a: the site broker acknowledged every new entry (central side down)" wait_acked
site_stop
rm -f "$T/site/"*.db
ok "the site broker restarts with nothing queued" site_start false
ok "the central broker restarts" mq_start
n=$(S vault-a "SELECT count(*) FROM ledger WHERE kind='mqtt.command'")
nb=$(S vault-b "SELECT count(*) FROM ledger WHERE kind='mqtt.command'")
verifier_start
ok "vault-a: the verifier catches up on entries the bridge lost (received $(tipof vault-a))" \
	eval 'for _ in $(seq 300); do [ "$(vfield vault-a received)" -ge "$(S vault-a "SELECT max(seq) FROM checkpoint")" ] && break; sleep 0.05; done; [ "$(vfield vault-a received)" -ge "$(ckof vault-a)" ]'
ok "... through a signed backfill command that crossed the bridge (mqtt.command ledgered)" \
	eval '[ "$(S vault-a "SELECT count(*) FROM ledger WHERE kind='"'"'mqtt.command'"'"'")" -gt "$n" ]'
ok "vault-a: its new checkpoint is acknowledged (verified_seq $(ckof vault-a))" \
	wait_verified vault-a "$(ckof vault-a)"
is "still no alarm for either vault" "0 0" "$(vfield vault-a alarms) $(vfield vault-b alarms)"
is "vault-b, untouched, was asked for nothing more" "$nb" \
	"$(S vault-b "SELECT count(*) FROM ledger WHERE kind='mqtt.command'")"
verifier_stop
vstop vault-a
vstop vault-b
for v in vault-a vault-b; do ok "$v verifies" C "$v" verify; done
site_stop
vt_done
