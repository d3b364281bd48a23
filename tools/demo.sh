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
cleanup() {
	[ -n "$VAULTD_PID" ] && kill "$VAULTD_PID" 2>/dev/null && wait "$VAULTD_PID" 2>/dev/null
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
door =
[gpio]
backend = sim
sim_socket = $D/gpio.sock
EOC
export VAULT_CONFIG=$D/vault.ini

step "Initialise: database, keys (0600) and the first admin (you)"
ctl init --admin-id A0 --admin-name "Vault Administrator"
ls -l "$D/keys"

step "Start vaultd (the only writer of the database)"
"$B/vaultd" -c "$D/vault.ini" 2>"$D/vaultd.log" &
VAULTD_PID=$!
for _ in $(seq 100); do [ -S "$D/vaultd.sock" ] && break; sleep 0.05; done
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
