# SPDX-License-Identifier: MIT
# The ledger published over MQTT (Paho) to a real mosquitto on a loopback
# port, read back by mosquitto_sub with a persistent session at QoS 1: every
# entry in seq order with its hash, nothing lost across a broker outage or a
# vaultd SIGKILL (resumed from the durable cursor), the retained tip and state
# topics, the last will, alarms on their own topic.
. "$(dirname "$0")/lib.sh"
MOSQUITTO=$(command -v mosquitto || { [ -x /usr/sbin/mosquitto ] && echo /usr/sbin/mosquitto; })
[ -n "$MOSQUITTO" ] || skip_all "mosquitto is not installed (tools/deps.list)"
command -v mosquitto_sub >/dev/null || skip_all "mosquitto_sub is not installed (mosquitto-clients)"
command -v socat >/dev/null || skip_all "socat is missing"
PFX=vault/test-vault
MQ_PID= SUB_PID= PORT=
mq_stop() { [ -n "$MQ_PID" ] && { kill "$MQ_PID" 2>/dev/null; wait "$MQ_PID" 2>/dev/null; }; MQ_PID=; }
sub_stop() { [ -n "$SUB_PID" ] && { kill "$SUB_PID" 2>/dev/null; wait "$SUB_PID" 2>/dev/null; }; SUB_PID=; }
trap 'vt_stop; sub_stop; mq_stop; [ "${KEEP:-}" ] || rm -rf "$T"' EXIT
mkdir -p "$T/mq"

# The broker on $PORT (kept across restarts, with its persistence file).
mq_start() {
	{
		echo "listener $PORT 127.0.0.1"
		echo "allow_anonymous true"
		echo "persistence true"
		echo "persistence_location $T/mq/"
		echo "log_dest file $T/mq/log"
		# As root, mosquitto 2 drops to user mosquitto, which cannot write here.
		[ "$(id -u)" -ne 0 ] || echo "user root"
	} >"$T/mq/mosquitto.conf"
	local before
	before=$(grep -c ' running$' "$T/mq/log" 2>/dev/null)
	"$MOSQUITTO" -c "$T/mq/mosquitto.conf" 2>>"$T/mq/stderr" &
	MQ_PID=$!
	for _ in $(seq 100); do
		[ "$(grep -c ' running$' "$T/mq/log" 2>/dev/null)" -gt "${before:-0}" ] && return 0
		kill -0 "$MQ_PID" 2>/dev/null || break
		sleep 0.02
	done
	mq_stop
	return 1
}
# A free port: try random ones until the broker binds.
for _ in $(seq 20); do
	PORT=$((20000 + RANDOM % 40000))
	mq_start && break
	PORT=
done
[ -n "$PORT" ] || { echo "Bail out! mosquitto did not start: $(tail -3 "$T/mq/log" 2>/dev/null)"; exit 1; }

# The subscriber: persistent session (-c), QoS 1; restarted if the broker
# outage ended it (the broker keeps its session and queued messages).
sub_start() {
	mosquitto_sub -h 127.0.0.1 -p "$PORT" -c -i t-mqtt-sub -q 1 -v -t "$PFX/#" \
		>>"$T/sub.out" 2>>"$T/sub.err" &
	SUB_PID=$!
}
sub_alive() { [ -n "$SUB_PID" ] && kill -0 "$SUB_PID" 2>/dev/null || { SUB_PID=; sub_start; }; }
sub_start
touch "$T/sub.out"

# "seq hash" of each entry as received on TOPIC, first arrival of each seq.
received() {
	sed -n "s|^$PFX/${1:-ledger} {\"seq\":\([0-9]*\),.*\"hash\":\"\([0-9a-f]*\)\"}\$|\1 \2|p" \
		"$T/sub.out" | awk '!seen[$1]++'
}
ledger() { vt_sql "SELECT seq || ' ' || lower(hex(hash)) FROM ledger ORDER BY seq"; }
# Wait (10 s) until the subscriber has every ledger entry; then compare.
synced() {
	for _ in $(seq 200); do
		[ "$(received | wc -l)" -ge "$(vt_count)" ] && break
		sleep 0.05
	done
	[ "$(received)" = "$(ledger)" ]
}
cursor() { vt_sql "SELECT seq FROM mqtt_cursor"; }
tip_seq() { vt_sql "SELECT max(seq) FROM ledger"; }
# The retained message of a topic, as a new subscriber sees it.
retained() { mosquitto_sub -h 127.0.0.1 -p "$PORT" -q 1 -t "$PFX/$1" -C 1 -W 2 2>/dev/null; }
wait_retained() { # TOPIC EXPECTED-SUBSTRING (gives up after about 5 s)
	local end=$((SECONDS + 5))
	while [ "$SECONDS" -le "$end" ]; do
		case "$(retained "$1")" in *"$2"*) return 0 ;; esac
		sleep 0.05
	done
	return 1
}
V() { "$VAULTCTL" "$@" >/dev/null; }
# SIGKILL leaves the admin socket behind: remove it so vt_start waits for the new one.
vt_kill() { kill -KILL "$VAULTD_PID"; wait "$VAULTD_PID" 2>/dev/null; VAULTD_PID=; rm -f "$T/vaultd.sock"; }

vt_init "[mqtt]" "enabled = 1" "broker = tcp://127.0.0.1:$PORT" "reconnect_ms = 100" "keepalive_s = 5"
ok "vaultd starts publishing to mosquitto" vt_start
for i in 1 2 3; do V unit add --id "U$i" --name "Unit $i" --first-time no; done
ok "every ledger entry arrives on $PFX/ledger in seq order, with its hash" synced
ok "the retained state is online" wait_retained state online
seq=$(vt_sql "SELECT seq FROM ledger WHERE kind='registry.unit.add' ORDER BY seq LIMIT 1")
stored=$(vt_sql "SELECT CAST(payload AS TEXT) FROM ledger WHERE seq=$seq")
contains "the payload is published as the stored bytes the hash covers" "\"payload\":$stored," \
	"$(grep "{\"seq\":$seq," "$T/sub.out" | head -1)"

# 1. A broker outage: vaultd keeps recording; nothing is lost.
mq_stop
for i in 4 5 6 7; do V unit add --id "U$i" --name "Unit $i" --first-time no; done
is "vaultd kept recording while the broker was down" 7 \
	"$(vt_sql "SELECT count(*) FROM ledger WHERE kind='registry.unit.add'")"
ok "the broker restarts on the same port" mq_start
sub_alive
ok "after the outage every missing entry arrives, none lost, order kept" synced
wait_cursor() { for _ in $(seq 100); do [ "$(cursor)" = "$(tip_seq)" ] && return 0; sleep 0.05; done; return 1; }
ok "the durable cursor reaches the ledger tip" wait_cursor
contains "the retained tip is the latest acknowledged seq and its hash" \
	"{\"seq\":$(tip_seq),\"hash\":\"$(vt_sql "SELECT lower(hex(hash)) FROM ledger ORDER BY seq DESC LIMIT 1")\"}" \
	"$(retained tip)"

# 2. vaultd SIGKILLed while connected: the last will says offline.
vt_kill
ok "after SIGKILL the retained state is the last will: offline" wait_retained state offline

# 3. Entries recorded but never acknowledged when vaultd dies are published
# after its restart, from the cursor.
mq_stop
ok "vaultd starts while the broker is down" vt_start
for i in 8 9; do V unit add --id "U$i" --name "Unit $i" --first-time no; done
vt_kill
behind=$(( $(tip_seq) - $(cursor) ))
ok "entries recorded during the outage are behind the cursor ($behind)" test "$behind" -ge 3
mq_start
sub_alive
ok "vaultd restarts after SIGKILL" vt_start
ok "publishing resumes from the cursor with no gap" synced
ok "the retained state is online again" wait_retained state online

# 4. An alarm (forced door) goes out on the alarm topic too.
for _ in $(seq 50); do [ -S "$T/gpio.sock" ] && break; sleep 0.05; done
printf 'set door_a 1\n' | socat -t 2 - "UNIX-CONNECT:$T/gpio.sock" >/dev/null
wait_forced() {
	for _ in $(seq 100); do
		[ -n "$(vt_sql "SELECT seq FROM ledger WHERE kind='door.forced'")" ] && return 0
		sleep 0.05
	done
	return 1
}
ok "opening the locked door is ledgered as door.forced" wait_forced
fseq=$(vt_sql "SELECT seq || ' ' || lower(hex(hash)) FROM ledger WHERE kind='door.forced' LIMIT 1")
wait_alarm() { for _ in $(seq 100); do received alarm | grep -qx "$fseq" && return 0; sleep 0.05; done; return 1; }
ok "door.forced is published on $PFX/alarm with its seq and hash" wait_alarm
is "only alarms are on the alarm topic" "$fseq" "$(received alarm)"
ok "and on the ledger topic with every other entry" synced

# 5. A clean stop says offline; the ledger still verifies.
vt_stop
ok "after a clean stop the retained state is offline" wait_retained state offline
ok "vaultctl verify passes with the MQTT cursor table present" "$VAULTCTL" verify
vt_config "[mqtt]" "enabled = 1" "broker = carrier-pigeon://127.0.0.1:$PORT"
out=$("$VAULTD" -c "$T/vault.ini" 2>&1); rc=$?
is "a broker URI Paho cannot use stops vaultd (exit 1)" 1 "$rc"
contains "naming the key" "[mqtt] broker 'carrier-pigeon://" "$out"
vt_config "[mqtt]" "enabled = 1" "broker = tcp://127.0.0.1:$PORT" "topic_prefix = site/#"
out=$("$VAULTD" -c "$T/vault.ini" 2>&1); rc=$?
is "a topic prefix with a wildcard stops vaultd (exit 1)" 1 "$rc"
contains "naming the key" "[mqtt] topic_prefix" "$out"
vt_config "[mqtt]" "qos = 0"
out=$("$VAULTD" -c "$T/vault.ini" --check-config 2>&1); rc=$?
is "qos 0 (no acknowledgement, no cursor) is a configuration error" 2 "$rc"
contains "naming the key" "[mqtt] qos" "$out"
vt_done
