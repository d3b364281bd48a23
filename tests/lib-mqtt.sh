# SPDX-License-Identifier: MIT
# For the MQTT tests. Sourced after lib.sh: skips unless mosquitto, its
# clients and socat are installed; starts a real mosquitto (persistence on) on
# a free loopback port and a subscriber with a persistent session at QoS 1 on
# $PFX/# writing "topic payload" lines to $T/sub.out.
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

# A mosquitto on 127.0.0.1:PORT, its configuration, log and persistence in
# DIR, with extra configuration LINES; BROKER_PID. 0 once it runs.
broker_start() { # DIR PORT PERSISTENCE(true|false) [LINES...]
	local dir=$1 port=$2 persist=$3 before
	shift 3
	{
		echo "listener $port 127.0.0.1"
		echo "allow_anonymous true"
		echo "persistence $persist"
		echo "persistence_location $dir/"
		echo "log_dest file $dir/log"
		# As root, mosquitto 2 drops to user mosquitto, which cannot write here.
		[ "$(id -u)" -ne 0 ] || echo "user root"
		[ $# -eq 0 ] || printf '%s\n' "$@"
	} >"$dir/mosquitto.conf"
	before=$(grep -c ' running$' "$dir/log" 2>/dev/null)
	"$MOSQUITTO" -c "$dir/mosquitto.conf" 2>>"$dir/stderr" &
	BROKER_PID=$!
	for _ in $(seq 100); do
		[ "$(grep -c ' running$' "$dir/log" 2>/dev/null || :)" -gt "${before:-0}" ] 2>/dev/null &&
			return 0
		kill -0 "$BROKER_PID" 2>/dev/null || break
		sleep 0.02
	done
	kill "$BROKER_PID" 2>/dev/null
	wait "$BROKER_PID" 2>/dev/null
	BROKER_PID=
	return 1
}
# The broker on $PORT (kept across restarts, with its persistence file).
mq_start() { broker_start "$T/mq" "$PORT" true && MQ_PID=$BROKER_PID; }
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
cursor() { vt_sql "SELECT seq FROM mqtt_cursor"; }
tip_seq() { vt_sql "SELECT max(seq) FROM ledger"; }
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
