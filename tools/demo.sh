#!/bin/bash
# SPDX-License-Identifier: MIT
# The simulated vault, step by step: a throw-away vault is initialised, vaultd
# started, the registry filled through vaultd's socket, a checkpoint exported,
# and the ledger shown and verified. Everything lives in a temp directory
# (kept if KEEP=1) and vaultd is stopped by its PID at the end.
set -eu
B=${B:-build}
B=$(cd "$B" && pwd)
D=$(mktemp -d /tmp/vault-demo.XXXXXX)
chmod 755 "$D"
VAULTD_PID=
SIM_PIDS=""
cleanup() {
	[ -n "$VAULTD_PID" ] && kill "$VAULTD_PID" 2>/dev/null && wait "$VAULTD_PID" 2>/dev/null
	for p in $SIM_PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	if [ "${KEEP:-}" ]; then echo "demo files kept in $D"; else rm -rf "$D"; fi
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
ctl() { run vaultctl "$@"; }
vaultctl() { "$B/vaultctl" "$@"; }

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
shelves = 1:SH-1, 2:SH-2, 3:SH-3
response_timeout_ms = 100
poll_interval_ms = 50
EOC
export VAULT_CONFIG=$D/vault.ini

step "Initialise: database, keys (0600) and the first admin (you)"
ctl init --admin-id A0 --admin-name "Vault Administrator"
ls -l "$D/keys"

step "Start the simulators: PN532 emulators (door, exit, enrolment) and three shelves on RS-485"
for r in door exit enrol; do
	"$B/pn532-emu" --link "$D/$r-pty" --control "$D/$r.ctl" >"$D/emu-$r.log" 2>&1 &
	SIM_PIDS="$SIM_PIDS $!"
done
"$B/shelf-sim" --rtu-link "$D/rtu" --slaves 1,2,3 --control "$D/shelf.ctl" --scan-ms 20 \
	--appear 1 --vanish 1 >"$D/shelf.out" 2>&1 &
SIM_PIDS="$SIM_PIDS $!"
for _ in $(seq 100); do [ -S "$D/shelf.ctl" ] && [ -S "$D/enrol.ctl" ] && break; sleep 0.05; done
echo "PN532 emulators on $D/{door,exit,enrol}-pty; shelf-sim on $D/rtu (control $D/shelf.ctl)"

step "Start vaultd (the only writer of the database)"
"$B/vaultd" -c "$D/vault.ini" 2>"$D/vaultd.log" &
VAULTD_PID=$!
for _ in $(seq 100); do [ -S "$D/vaultd.sock" ] && [ -S "$D/gpio.sock" ] && break; sleep 0.05; done
ctl whoami

step "Registry changes, each one a ledger entry carrying the full new row"
ctl unit add --id U-SURVEY --name "Provincial Survey Institute" --first-time no
ctl unit add --id U-NEW --name "Coastal Mapping Co." --first-time yes
ctl person add --id C1 --name "Li Wei" --role custodian --unit U-SURVEY
ctl person add --id C2 --name "Chen Jing" --role custodian --unit U-SURVEY
ctl person add --id S1 --name "Zhang Min" --role staff --unit U-NEW --unix-user nobody
ctl person add --id SV --name "Wang Fang" --role supervisor --unit U-SURVEY
ctl cert add --id CERT-001 --person C1 --issued 2024-03-01
ctl training add --id T-001 --person C1 --date 2026-06-15 --kind annual
ctl badge add --id 04A1B2C3D4E5F6 --person C1
echo 482913 | run vaultctl pin set --id C1
ctl project add --id PR-COAST --name "Coastline revision" --unit U-NEW --start 2026-01-01 --end 2026-12-31
ctl medium register --id M-0001 --tag E2000017221101441890 --title "Coast sheet 1:50000 (HDD)" \
	--dataset coast-50k --category nav-map --classification secret --home-shelf SH-1 --project PR-COAST
if [ "$(id -u)" = 0 ]; then
chmod 666 "$D/vaultd.sock"
echo "(Zhang Min, staff, is Unix user nobody: she requests the approval herself)"
as_s1() { printf '$ [as nobody] vaultctl %s\n' "$*"; setpriv --reuid=nobody --regid=nogroup --clear-groups "$B/vaultctl" "$@"; }
as_s1 approval add --id AP-1 --unit U-NEW --person S1 --purpose "revision of coastline sheets" \
	--scope dataset:coast-50k --project PR-COAST --valid-from 2026-01-01 --valid-to 2026-12-31 \
	--authority-ref "NMA-2026-117"
ctl approval approve --id AP-1
echo "(a first-time unit: the approval waits for an on-site verification)"
ctl log --kind registry.approval
ctl approval verify-onsite --id AP-1
as_s1 approval approve --id AP-1 || true
fi

step "Refusals are named and ledgered"
ctl unit suspend --id U-NEW || true
ctl badge add --id 04FFFFFFFFFFFF --person A0 || true
ctl project add --id BAD --name X --start 2026-02-30 --end 2026-03-01 || true

step "The vault's people: certificates, training, PINs, schedules; badges issued on the enrolment reader"
today=$(TZ=Asia/Shanghai date +%F); year=${today%%-*}
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
}
: >"$D/keys.sed"
ctl badge revoke --id 04A1B2C3D4E5F6
issue C1 04C10000000001; issue C2 04C10000000002; issue X1 04C10000000003
printf 'place 1 1 E20000000000000000000001\nplace 2 1 E20000000000000000000002\n' |
	socat -t 2 - "UNIX-CONNECT:$D/shelf.ctl" >/dev/null
sleep 0.5

step "The door scenario, played by vault-sim (tools/scenarios/demo-door.vsim.in)"
sed -f "$D/keys.sed" "$B/../tools/scenarios/demo-door.vsim.in" >"$D/demo-door.vsim"
sqlite3 -readonly "$D/vault.db" 'SELECT max(seq) FROM ledger' >"$D/last"
show_new() { # the ledger as it grows
	local last; sleep 0.2; last=$(cat "$D/last")
	sqlite3 -readonly -separator '  ' "$D/vault.db" "SELECT printf('%5d', seq), kind, actors,
		substr(CAST(payload AS TEXT), 1, 70) FROM ledger WHERE seq > $last ORDER BY seq"
	sqlite3 -readonly "$D/vault.db" 'SELECT max(seq) FROM ledger' >"$D/last"
}
"$B/vault-sim" --target door="$D/door.ctl" --target exit="$D/exit.ctl" \
	--target gpio="$D/gpio.sock" --target shelves="$D/shelf.ctl" "$D/demo-door.vsim" |
	while IFS= read -r line; do
		case "$line" in ---*) show_new; echo; echo "$line" ;; *) ;; esac
	done
show_new
echo
echo "sensor events cited as evidence (door contacts, tags):"
sqlite3 -readonly -separator '  ' "$D/vault.db" "SELECT id, source, kind, data FROM sensor_event ORDER BY id DESC LIMIT 6"

step "A realistic site: units, 20+ persons, projects, approvals in every state, 200+ media"
run "$B/../tools/demo-site.sh" SITE | tail -3
step "Early warnings (vaultctl alerts)"
ctl alerts | head -25
echo "..."
step "The four regulation ledgers"
ctl ledger custody --format csv | head -6
echo "..."
ctl ledger copy --format csv | head -4
ctl ledger checkout --format csv | head -3
ctl ledger destruction --format csv | head -4
step "Self-inspection report (excerpt)"
ctl self-inspection | head -30

step "Sign a checkpoint and export it (keep this file off the box)"
ctl checkpoint now
ctl checkpoint export --out "$D/checkpoint.txt"
cat "$D/checkpoint.txt"

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
run "$B/vaultctl" -c "$D/tampered.ini" verify --checkpoint "$D/checkpoint.txt" || echo "(exit $?: verification failed, as it must)"
