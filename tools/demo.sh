#!/bin/bash
# SPDX-License-Identifier: MIT
# The simulated vault, step by step: a throw-away vault is initialised, vaultd
# started, the registry filled through vaultd's socket, the door scenario played,
# then (as root: staff act as their own Unix users) the custody flows against the
# simulators: checkout and return at the kiosk pad, a copy with its lineage, a
# witnessed destruction at the shredder with its certificate, and an inventory
# reconciliation with one planted discrepancy. Then a checkpoint is exported,
# the central verifier (on a loopback mosquitto) shown holding the ledger off
# the box, and the ledger shown and verified. Every wait polls the ledger with a timeout; an
# entry that never comes stops the demo with exit 1 (tests/t-demo.sh runs it).
# Everything lives in a temp directory (kept if KEEP=1) and vaultd is stopped by
# its PID at the end.
set -eu
B=${B:-build}
B=$(cd "$B" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
# Dates relative to today (site time), so that the demo never ages out.
today=$(TZ=Asia/Shanghai date +%F); year=${today%%-*}
D=$(mktemp -d /tmp/vault-demo.XXXXXX)
chmod 755 "$D"
VAULTD_PID=
SIM_PIDS=""
OFFBOX_PIDS=""
cleanup() {
	[ -n "$VAULTD_PID" ] && kill "$VAULTD_PID" 2>/dev/null && wait "$VAULTD_PID" 2>/dev/null
	for p in $SIM_PIDS $OFFBOX_PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	if [ "${KEEP:-}" ]; then echo "demo files kept in $D"; else rm -rf "$D"; fi
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
ctl() { run vaultctl "$@"; }
vaultctl() { "$B/vaultctl" "$@"; }
sql() { sqlite3 -readonly "$D/vault.db" "$@"; }
die() {
	printf '\ndemo FAILED: %s\n' "$*" >&2
	[ -f "$D/vaultd.log" ] && tail -5 "$D/vaultd.log" | sed 's/^/  vaultd: /' >&2
	exit 1
}

# Off the box: a broker on loopback and the central verifier on it (when
# mosquitto is installed; `make deps` installs it). vaultd publishes its ledger
# there; the verifier checks it and acknowledges it (docs/verifier.md).
MQTT_INI=
MOSQUITTO=$(command -v mosquitto || { [ -x /usr/sbin/mosquitto ] && echo /usr/sbin/mosquitto; } || :)
if [ -n "$MOSQUITTO" ]; then
	mkdir -p "$D/mq"
	for _ in $(seq 20); do
		MQ_PORT=$((20000 + RANDOM % 40000))
		printf 'listener %s 127.0.0.1\nallow_anonymous true\nlog_dest file %s/mq/log\n%s' \
			"$MQ_PORT" "$D" "$([ "$(id -u)" -ne 0 ] || echo 'user root')" >"$D/mq/mosquitto.conf"
		"$MOSQUITTO" -c "$D/mq/mosquitto.conf" 2>>"$D/mq/stderr" &
		mq=$!
		for _ in $(seq 50); do grep -q ' running$' "$D/mq/log" 2>/dev/null && break; sleep 0.02; done
		grep -q ' running$' "$D/mq/log" 2>/dev/null && { OFFBOX_PIDS=$mq; break; }
		kill "$mq" 2>/dev/null; wait "$mq" 2>/dev/null; rm -f "$D/mq/log"
	done
fi
if [ -n "$OFFBOX_PIDS" ]; then
	VK=$("$B/vault-verifier" keygen --keys-dir "$D/verifier-keys")
	"$B/vault-verifier" run --broker "tcp://127.0.0.1:$MQ_PORT" --root vault \
		--state "$D/verifier.db" --keys-dir "$D/verifier-keys" 2>"$D/verifier.log" &
	OFFBOX_PIDS="$OFFBOX_PIDS $!"
	MQTT_INI="[mqtt]
enabled = 1
broker = tcp://127.0.0.1:$MQ_PORT
reconnect_ms = 200
verifier_key = $VK"
fi

cat >"$D/vault.ini" <<EOC
[vault]
name = demo-vault
timezone = Asia/Shanghai
database = $D/vault.db
keys_dir = $D/keys
socket = $D/vaultd.sock
lang = zh-CN
[ledger]
checkpoint_every = 10
[pin]
argon2_ops = 2
argon2_mem_kib = 16384
[reader]
door = pn532_uart:$D/door-pty
exit = pn532_uart:$D/exit-pty
shredder = pn532_uart:$D/shredder-pty
[door]
two_person = 1
two_person_window_s = 20
unlock_s = 5
held_s = 2
[gpio]
backend = sim
sim_socket = $D/gpio.sock
debounce_ms = 5
[bus.shelves]
kind = rtu
device = $D/rtu
baud = 115200
shelves = 1:SH-1, 2:SH-2, 3:SH-3, 10:kiosk-pad, 11:shredder-throat
response_timeout_ms = 100
poll_interval_ms = 50
[custody]
pad = kiosk-pad
throat = shredder-throat
removal_window_s = 120
quiet_window_s = 2
$MQTT_INI
EOC
export VAULT_CONFIG=$D/vault.ini

step "Initialise: database, keys (0600) and the first admin (you)"
ctl init --admin-id A0 --admin-name "Vault Administrator"
ls -l "$D/keys"

step "Start the simulators: PN532 emulators (door, exit, enrolment, shredder), three shelves, the kiosk pad and the shredder throat on RS-485"
for r in door exit enrol shredder; do
	"$B/pn532-emu" --link "$D/$r-pty" --control "$D/$r.ctl" >"$D/emu-$r.log" 2>&1 &
	SIM_PIDS="$SIM_PIDS $!"
done
"$B/shelf-sim" --rtu-link "$D/rtu" --slaves 1,2,3,10:1,11:1 --control "$D/shelf.ctl" --scan-ms 20 \
	--appear 1 --vanish 1 >"$D/shelf.out" 2>&1 &
SIM_PIDS="$SIM_PIDS $!"
for _ in $(seq 100); do [ -S "$D/shelf.ctl" ] && [ -S "$D/enrol.ctl" ] && [ -S "$D/shredder.ctl" ] && break; sleep 0.05; done
echo "PN532 emulators on $D/{door,exit,enrol,shredder}-pty; shelf-sim on $D/rtu (control $D/shelf.ctl):"
echo "slaves 1-3 are shelves SH-1..SH-3, 10 the kiosk pad, 11 the shredder throat reader"

sim() { printf '%s\n' "$1" | socat -t 2 - "UNIX-CONNECT:$D/shelf.ctl" >/dev/null; }
# The id of the latest sensor event SOURCE KIND (tag.arrived...) of TAG, 0 if none.
sev() { sql "SELECT ifnull(max(id),0) FROM sensor_event WHERE source='$1' AND kind='$2' AND instr(data,'$3')>0"; }
wait_sev() { # SOURCE KIND TAG AFTER_ID: until such a sensor event newer than AFTER_ID is stored
	local i
	for ((i = 0; i < 300; i++)); do [ "$(sev "$1" "$2" "$3")" -gt "$4" ] && return 0; sleep 0.05; done
	die "vaultd never stored $2 of $3 at $1"
}
shelf() { printf '$ echo "%s" | socat - UNIX-CONNECT:shelf.ctl\n' "$1"; sim "$1"; }
put() { # SLAVE SHELF TAG: lay a tag on a reader and wait until vaultd has stored the read
	local before; before=$(sev "$2" tag.arrived "$3")
	shelf "place $1 1 $3"; wait_sev "$2" tag.arrived "$3" "$before"
}
take() { # SLAVE SHELF TAG: take a tag off a reader and wait until vaultd has stored it
	local before; before=$(sev "$2" tag.departed "$3")
	shelf "remove $1 $3"; wait_sev "$2" tag.departed "$3" "$before"
}
TAG1=E2000017221101441890A001 TAG2=E2000017221101441890A002 TAG3=E2000017221101441890A003
echo "three disks lie on their home shelves (registered below): M-0001 on SH-1, M-0003 on SH-2, M-0002 on SH-3"
shelf "place 1 1 $TAG1"; shelf "place 2 1 $TAG3"; shelf "place 3 1 $TAG2"

step "Start vaultd (the only writer of the database)"
"$B/vaultd" -c "$D/vault.ini" 2>"$D/vaultd.log" &
VAULTD_PID=$!
for _ in $(seq 100); do [ -S "$D/vaultd.sock" ] && [ -S "$D/gpio.sock" ] && break; sleep 0.05; done
ctl whoami
wait_sev SH-1 tag.arrived $TAG1 0; wait_sev SH-2 tag.arrived $TAG3 0; wait_sev SH-3 tag.arrived $TAG2 0
echo "the shelves' contents are read (sensor events tag.arrived)"

step "Registry changes, each one a ledger entry carrying the full new row"
ctl unit add --id U-SURVEY --name "Provincial Survey Institute" --first-time no
ctl unit add --id U-NEW --name "Coastal Mapping Co." --first-time yes
ctl person add --id C1 --name "Li Wei" --role custodian --unit U-SURVEY
ctl person add --id C2 --name "Chen Jing" --role custodian --unit U-SURVEY
ctl person add --id S1 --name "Zhang Min" --role staff --unit U-NEW --unix-user nobody
ctl person add --id SV --name "Wang Fang" --role supervisor --unit U-SURVEY
ctl cert add --id CERT-001 --person C1 --issued "$((year - 2))-03-01"
ctl training add --id T-001 --person C1 --date "$today" --kind annual
ctl badge add --id 04A1B2C3D4E5F6 --person C1
echo 482913 | run vaultctl pin set --id C1
ctl project add --id PR-COAST --name "Coastline revision" --unit U-NEW --start "$year-01-01" --end "$year-12-31"
ctl medium register --id M-0001 --tag E2000017221101441890A001 --title "Coast sheet 1:50000 (HDD)" \
	--dataset coast-50k --category nav-map --classification secret --home-shelf SH-1 --project PR-COAST
ctl medium register --id M-0002 --tag E2000017221101441890A002 --title "Coast control points 2019 (DVD)" \
	--dataset coast-50k --category survey --classification secret --home-shelf SH-3 --project PR-COAST
ctl medium register --id M-0003 --tag E2000017221101441890A003 --title "Coast imagery tiles (USB)" \
	--dataset coast-50k --category imagery --classification confidential --home-shelf SH-2 --project PR-COAST
# Acting as another person = running vaultctl as that person's Unix user (root only).
as_user() { # UNIX_USER ARGS...: vaultctl as that Unix user
	local u=$1; shift
	printf '$ [as %s] vaultctl %s\n' "$u" "$*"
	setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups "$B/vaultctl" "$@"
}
as_s1() { as_user nobody "$@"; }
ROOT=
[ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && ROOT=1
if [ "$ROOT" ]; then
chmod 666 "$D/vaultd.sock"
echo "(Zhang Min, staff, is Unix user nobody: she requests the approval herself)"
as_s1 approval add --id AP-1 --unit U-NEW --person S1 --purpose "revision of coastline sheets" \
	--scope dataset:coast-50k --project PR-COAST --valid-from "$year-01-01" --valid-to "$year-12-31" \
	--authority-ref "NMA-$year-117"
ctl approval approve --id AP-1
echo "(a first-time unit: the approval waits for an on-site verification)"
ctl log --kind registry.approval
ctl approval verify-onsite --id AP-1
as_s1 approval approve --id AP-1 || true
fi

step "Refusals are named and ledgered"
ctl unit suspend --id U-NEW || true
ctl badge add --id 04FFFFFFFFFFFF --person A0 || true
ctl project add --id BAD --name X --start "$year-02-30" --end "$year-03-01" || true

step "The vault's people: certificates, training, PINs, schedules; badges issued on the enrolment reader"
ctl schedule add --id W-CUST --role custodian --days 1-7 --start 00:00 --end 24:00
ctl cert add --id CERT-002 --person C2 --issued "$((year - 1))-05-01"
ctl training add --id T-002 --person C2 --date "$today" --kind annual
ctl person add --id X1 --name "Zhao Lei" --role custodian --unit U-SURVEY
ctl cert add --id CERT-003 --person X1 --issued "$((year - 6))-05-01"
ctl training add --id T-003 --person X1 --date "$today" --kind annual
echo 2468 | run vaultctl pin set --id C2
echo 1111 | run vaultctl pin set --id X1
emu() { printf '%s\n' "$2" | socat -t 2 - "UNIX-CONNECT:$D/$1.ctl"; }
issue() { # PERSON UID
	emu enrol "place desfire-blank $2" >/dev/null
	run vaultctl badge issue --person "$1" --reader "pn532_uart:$D/enrol-pty"
	local k; k=$(emu enrol "getkey 564c54 0"); k=${k#ok }
	emu enrol remove >/dev/null
	echo "s/@KEY_$1@/$k/" >>"$D/keys.sed"
	eval "KEY_$1=\$k"
}
: >"$D/keys.sed"
ctl badge revoke --id 04A1B2C3D4E5F6
issue C1 04C10000000001; issue C2 04C10000000002; issue X1 04C10000000003

step "The door scenario, played by vault-sim (tools/scenarios/demo-door.vsim.in)"
sed -f "$D/keys.sed" "$SRC/tools/scenarios/demo-door.vsim.in" >"$D/demo-door.vsim"
sqlite3 -readonly "$D/vault.db" 'SELECT max(seq) FROM ledger' >"$D/last"
show_new() { # the ledger as it grows (the entries of the section that just ended)
	local last now; sleep "${1:-0}"; last=$(cat "$D/last")
	now=$(sqlite3 -readonly "$D/vault.db" 'SELECT max(seq) FROM ledger')
	sqlite3 -readonly -separator '  ' "$D/vault.db" "SELECT printf('%5d', seq), kind, actors,
		substr(CAST(payload AS TEXT), 1, 70) FROM ledger WHERE seq > $last AND seq <= $now ORDER BY seq"
	echo "$now" >"$D/last"
}
"$B/vault-sim" --target door="$D/door.ctl" --target exit="$D/exit.ctl" \
	--target gpio="$D/gpio.sock" --target shelves="$D/shelf.ctl" "$D/demo-door.vsim" |
	while IFS= read -r line; do
		case "$line" in ---*) show_new; echo; echo "$line" ;; *) ;; esac
	done
show_new 0.2
echo
echo "sensor events cited as evidence (door contacts, tags):"
sqlite3 -readonly -separator '  ' "$D/vault.db" "SELECT id, source, kind, data FROM sensor_event ORDER BY id DESC LIMIT 6"

if [ "$ROOT" ]; then
# ---- the custody flows (issue 7), each waited for on the ledger ------------
tip() { sql 'SELECT ifnull(max(seq),0) FROM ledger'; }
E=
wait_entry() { # KIND AFTER_SEQ [SECONDS]: E = the seq of the first KIND entry after AFTER_SEQ
	local i
	for ((i = 0; i < ${3:-15} * 20; i++)); do
		E=$(sql "SELECT ifnull(min(seq),'') FROM ledger WHERE kind='$1' AND seq > $2")
		[ -n "$E" ] && return 0
		sleep 0.05
	done
	echo "the ledger's latest entries:" >&2
	sql "SELECT seq, kind, substr(CAST(payload AS TEXT), 1, 100) FROM ledger ORDER BY seq DESC LIMIT 6" >&2
	die "no $1 entry after seq $2 within ${3:-15} s"
}
show() { # SEQ [CHARS]: one entry, its payload (or its first CHARS) without the registry rows
	TZ=Asia/Shanghai sql -separator '  ' "SELECT printf('  #%d', seq),
		datetime(ts_utc / 1000000, 'unixepoch', 'localtime'), kind, 'actors=' || actors,
		'medium=' || medium, 'approval=' || approval, 'cites=' || cites FROM ledger WHERE seq = $1"
	sql "SELECT '    ' || substr(json_remove(CAST(payload AS TEXT), '\$.set'), 1, ${2:-100000}) ||
		CASE WHEN length(json_remove(CAST(payload AS TEXT), '\$.set')) > ${2:-100000} THEN ' ...' ELSE '' END
		FROM ledger WHERE seq = $1"
}
cited() { # SEQ: the sensor events the entry cites
	TZ=Asia/Shanghai sql -separator '  ' "SELECT printf('    sensor event #%d', id),
		datetime(ts_utc / 1000000, 'unixepoch', 'localtime'), source, kind, data FROM sensor_event
		WHERE instr(',' || (SELECT cites FROM ledger WHERE seq = $1) || ',', ',' || id || ',') > 0
		ORDER BY id"
}
gpio() { printf '$ echo "%s" | socat - UNIX-CONNECT:gpio.sock\n' "$1"; printf '%s\n' "$1" | socat -t 2 - "UNIX-CONNECT:$D/gpio.sock" >/dev/null; }
badge() { # READER PERSON UID: the person's badge on the reader, then taken off
	local k; eval "k=\$KEY_$2"
	printf '$ echo "place desfire %s <%s key>" | socat - UNIX-CONNECT:%s.ctl   (%s)\n' "$3" "$2" "$1" "$2"
	emu "$1" "place desfire $3 $k" >/dev/null
	sleep 0.4
	emu "$1" remove >/dev/null
}

step "Checkout at the kiosk: Zhang Min takes M-0001 under her approval AP-1"
echo "Li Wei took M-0001 off SH-1 during the door scenario; custody opened a removal for it"
echo "(it must be checked out, moved or put back within [custody] removal_window_s = 120 s):"
show "$(sql "SELECT max(seq) FROM ledger WHERE kind='medium.removed' AND medium='M-0001'")"
echo "Whoever takes media out needs a valid certificate and training:"
ctl cert add --id CERT-004 --person S1 --issued "$((year - 1))-09-01"
ctl training add --id T-004 --person S1 --date "$today" --kind annual
echo "She lays the disk on the kiosk pad (shelf-sim slave 10) and checks out as herself:"
put 10 kiosk-pad $TAG1
last=$(tip)
as_s1 custody checkout --approval AP-1 --media M-0001 || die "the checkout was refused"
wait_entry checkout.confirmed "$last"; CO=$E
echo; echo "checkout.confirmed, with its due date, citing the pad read and the shelf removal:"
show "$CO"; cited "$CO"
echo "the register:"
sql -separator '  ' "SELECT '  ' || id, status, 'borrower=' || borrower, 'approval=' || approval, 'due=' || due FROM medium WHERE id='M-0001'"
take 10 kiosk-pad $TAG1

step "A copy: Zhang Min scans the disk she holds; the copy is registered with its lineage"
echo "A copy is registered only once its tag is read on its home shelf: the new disk goes onto SH-2,"
echo "and copy.registered cites that read:"
put 2 SH-2 E2000017221101441890A004
as_s1 copy --id M-0001-C1 --parents M-0001 --tag E2000017221101441890A004 --approval AP-1 \
	--title "Coast sheet 1:50000, working copy (HDD)" --home-shelf SH-2 --kind copy || die "the copy was refused"
echo "(classification, dataset, category and project come from the parent; a lower class is refused:)"
as_s1 copy --id M-0001-C2 --parents M-0001 --tag E2000017221101441890A005 --approval AP-1 \
	--title "Declassified?" --home-shelf SH-2 --classification confidential && die "a lower class was accepted"
CP=$(sql "SELECT max(seq) FROM ledger WHERE kind='copy.registered'")
show "$CP"; cited "$CP"
sql -separator '  ' "SELECT '  lineage: ' || child || ' <- ' || parent || ' (' || kind || ')' FROM lineage WHERE child='M-0001-C1'"
sql -separator '  ' "SELECT '  ' || id, classification, dataset, category, project, 'home=' || home_shelf FROM medium WHERE id IN ('M-0001','M-0001-C1')"

step "Return: M-0001 back on the pad -> return.pending -> on its home shelf -> return.confirmed"
put 10 kiosk-pad $TAG1
last=$(tip)
as_s1 custody return --media M-0001 || die "the return was refused"
wait_entry return.pending "$last"; show "$E"
echo "A custodian carries it in and puts it on SH-1:"
take 10 kiosk-pad $TAG1; put 1 SH-1 $TAG1
wait_entry return.confirmed "$last"; show "$E"; cited "$E"
ctl ledger checkout --format csv | tail -n 3

step "Destruction: an approved order, two witnesses at the shredder, the throat read with the motor running"
echo "Wang Fang (supervisor) is Unix user daemon; the administrator, who runs the shredder, gets a certificate"
ctl person update --id SV --unix-user daemon
ctl cert add --id CERT-000 --person A0 --issued "$((year - 1))-09-01" ||
	echo "(exit $?: nobody records their own certificate; Wang Fang does)"
as_user daemon cert add --id CERT-000 --person A0 --issued "$((year - 1))-09-01" || die "the certificate was refused"
as_user daemon training add --id T-000 --person A0 --date "$today" --kind annual || die "the training was refused"
ctl destroy-order add --id DO-1 --medium M-0002
ctl destroy-order approve --id DO-1 || echo "(exit $?: nobody approves their own order)"
as_user daemon destroy-order approve --id DO-1 || die "the order was not approved"
last=$(tip)
ctl destroy start --order DO-1 || die "destroy start was refused"
wait_entry destruction.started "$last"
echo "M-0002 comes off SH-3 (it is at-destruction: no removal alarm)"
take 3 SH-3 $TAG2
echo "Li Wei and Chen Jing badge at the shredder reader as witnesses:"
badge shredder C1 04C10000000001; badge shredder C2 04C10000000002
wait_entry destruction.witnessed "$last"; show "$E"; cited "$E"
echo "The motor runs, the disk goes into the throat (slave 11), the motor stops:"
m=$(sev gpio shredder_motor.1 ""); gpio "set shredder_motor 1"; wait_sev gpio shredder_motor.1 "" "$m"
put 11 shredder-throat $TAG2
wait_entry destruction.shredded "$last"
take 11 shredder-throat $TAG2; sleep 0.2; gpio "set shredder_motor 0"
echo "... and no reader sees the tag again for quiet_window_s = 2 s:"
wait_entry destruction.confirmed "$last" 20
show "$E" 300
echo "(the payload goes on with each piece of evidence and what it proves: the certificate prints it)"
ctl destroy certificate --order DO-1

step "Inventory reconciliation, with one discrepancy planted: M-0003 leaves SH-2 unrecorded"
last=$(tip)
take 2 SH-2 $TAG3
wait_entry medium.removed "$last"
echo "custody notices at once (nobody is inside; an alarm follows if it is not back within the window):"
show "$E"
echo "The sweep reads every storage shelf afresh and compares with the register (the reply is the report):"
last=$(tip)
echo '$ vaultctl inventory run'
vaultctl inventory run >"$D/inventory.json" || die "inventory run failed"
wait_entry inventory.reconciled "$last"; INV=$E
sql -separator '  ' "SELECT '  #' || seq, kind, 'by=' || actors, 'sha256=' || substr(json_extract(payload, '\$.sha256'), 1, 16) || '...',
	json_extract(payload, '\$.sig_alg') || ' signature' FROM ledger WHERE seq = $INV"
sql "SELECT '    counts: ' || json_extract(payload, '\$.counts') || '   shelves read: ' || json_extract(payload, '\$.shelves.read') FROM ledger WHERE seq = $INV"
[ "$(sql "SELECT json_extract(payload, '\$.counts.missing') || json_extract(payload, '\$.counts.misplaced') || json_extract(payload, '\$.counts.unexpected') FROM ledger WHERE seq = $INV")" = 100 ] ||
	die "the sweep should find exactly one discrepancy"
echo "and the alarm, one entry per discrepancy:"
wait_entry inventory.missing "$last"; show "$E"
echo "The signed report, checked against the genesis entry's public key:"
echo "\$ vaultctl inventory report --seq $INV"
vaultctl inventory report --seq "$INV" >"$D/report.json" || die "inventory report failed"
grep -o '"hash_ok":[a-z]*,"signature_ok":[a-z]*' "$D/report.json" || die "no verdict in the report"
grep -q '"hash_ok":true,"signature_ok":true' "$D/report.json" || die "the report does not verify"
else
step "Custody flows (checkout, copy, return, destruction, inventory)"
echo "(skipped: they act as several persons, i.e. Unix users through setpriv, which needs root)"
fi

step "A realistic site: units, 20+ persons, projects, approvals in every state, 200+ media"
run "$SRC/tools/demo-site.sh" SITE | tail -3
step "Early warnings (vaultctl alerts)"
ctl alerts | head -25
echo "..."
step "The four regulation ledgers"
ctl ledger custody --format csv | head -6
echo "..."
ctl ledger copy --format csv | head -4
ctl ledger checkout --format csv | head -4
ctl ledger destruction --format csv | head -6
step "Self-inspection report (excerpt)"
ctl self-inspection | head -30

step "Sign a checkpoint and export it (keep this file off the box)"
ctl checkpoint now
ctl checkpoint export --out "$D/checkpoint.txt"
cat "$D/checkpoint.txt"

step "Off the box: the central verifier holds the ledger (vault-verifier, over MQTT)"
if [ -n "$OFFBOX_PIDS" ]; then
	ck=$(sql "SELECT max(seq) FROM checkpoint")
	for _ in $(seq 200); do [ "$(sql "SELECT verified_seq FROM mqtt_cursor")" -ge "$ck" ] && break; sleep 0.05; done
	[ "$(sql "SELECT verified_seq FROM mqtt_cursor")" -ge "$ck" ] ||
		die "the central verifier did not acknowledge checkpoint $ck"
	ctl mqtt status
	run "$B/vault-verifier" status --state "$D/verifier.db"
	echo "(every entry up to the checkpoint is held and checked off the box: rewriting it here is now caught there)"
else
	echo "(skipped: mosquitto is not installed; make deps installs it)"
fi

step "Stop vaultd; read the ledger (offline, read-only)"
kill "$VAULTD_PID"; wait "$VAULTD_PID" 2>/dev/null || true; VAULTD_PID=
ctl log
ctl log --person C1 --format csv | head -5

step "Verify: hashes, signed checkpoints, registry replay"
ctl verify --checkpoint "$D/checkpoint.txt"

step "What an attacker with the file would do: edit a registry row directly"
cp "$D/vault.db" "$D/tampered.db"
sqlite3 "$D/tampered.db" "UPDATE person SET role='admin' WHERE id='S1'"
sed "s#$D/vault.db#$D/tampered.db#" "$D/vault.ini" >"$D/tampered.ini"
if run "$B/vaultctl" -c "$D/tampered.ini" verify --checkpoint "$D/checkpoint.txt"; then
	die "the tampered copy verified"
else
	echo "(exit $?: verification failed, as it must)"
fi
