# SPDX-License-Identifier: MIT
# vaultctl log: read-only, filters by person, medium, kind, since/until; table,
# CSV and JSON; and checkpoint export + verify --checkpoint.
. "$(dirname "$0")/lib.sh"
vt_init
vt_start || exit 1
"$VAULTCTL" unit add --id U1 --name "Bureau" >/dev/null
"$VAULTCTL" person add --id P1 --name "Li Wei" --role custodian --unit U1 >/dev/null
"$VAULTCTL" person add --id P2 --name "Chen, \"Jing\"" --role staff --unit U1 >/dev/null
"$VAULTCTL" medium add --id M1 --tag E200000000000000000000AA --title "Sheet 1" --classification secret --home-shelf SH1 >/dev/null
"$VAULTCTL" medium add --id M2 --tag E200000000000000000000BB --title "Sheet 2" --classification confidential --home-shelf SH1 >/dev/null
"$VAULTCTL" checkpoint now >/dev/null
ok "checkpoint export writes a file" "$VAULTCTL" checkpoint export --out "$T/ck.txt"
vt_stop
before=$(md5sum <"$T/vault.db")

out=$("$VAULTCTL" log --medium M1 --format json)
is "log --medium M1 returns exactly the entries about M1" 1 "$(printf '%s' "$out" | grep -c '"medium":')"
out=$("$VAULTCTL" log --person P2 --format csv)
is "log --person P2 (CSV) has a header and P2's entry" 2 "$(printf '%s\n' "$out" | wc -l)"
contains "CSV quotes fields with commas and quotes" '""Chen, \""Jing\""""' "$out"
out=$("$VAULTCTL" log --kind registry.medium)
is "log --kind registry.medium lists the two media" 2 "$(printf '%s\n' "$out" | grep -c registry.medium.add)"
out=$("$VAULTCTL" log --kind registry --format json)
contains "JSON payloads are embedded as objects" '"set":' "$out"
today=$(TZ=Asia/Shanghai date +%F)
n_all=$("$VAULTCTL" log --format csv | wc -l)
n_today=$("$VAULTCTL" log --since "$today" --until "$today" --format csv | wc -l)
is "everything happened today (site time zone)" "$n_all" "$n_today"
n_before=$("$VAULTCTL" log --until 2020-01-01 --format csv | wc -l)
is "nothing before 2020 (only the CSV header)" 1 "$n_before"
is "--limit caps the rows" 4 "$("$VAULTCTL" log --limit 3 --format csv | wc -l)"
is "reading the log changed nothing in the database" "$before" "$(md5sum <"$T/vault.db")"
ok "verify accepts the exported checkpoint" "$VAULTCTL" verify --checkpoint "$T/ck.txt"
sed 's/^seq .*/seq 99/' "$T/ck.txt" >"$T/ck2.txt"
out=$("$VAULTCTL" verify --checkpoint "$T/ck2.txt"); rc=$?
is "a checkpoint file altered by hand fails verification (exit 3)" 3 "$rc"
contains "and is named as a bad signature" "signature is not valid" "$out"
vt_done
