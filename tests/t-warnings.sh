# SPDX-License-Identifier: MIT
# Early warnings as ledger entries: a certificate expiring in 20 days is raised
# once (not again after a restart), acknowledged (gone from alert.list),
# cleared when a new certificate replaces it; a forced door (a ledgered alarm)
# is listed by `vaultctl alerts` until acknowledged.
. "$(dirname "$0")/lib.sh"
command -v socat >/dev/null || skip_all "socat is missing"
d() { date -d "$1" +%F; }
vt_init "[log]" "level = debug"
ok "vaultd starts" vt_start
q() { "$VAULTCTL" "$@" >>"$T/ctl.log" 2>&1; }
q unit add --id U1 --name "Survey Institute" --first-time no
q person add --id P1 --name "Li Wei" --role custodian --unit U1
q cert add --id CERT-1 --person P1 --issued "$(d '-5 years +20 days')"
q training add --id TR-1 --person P1 --date "$(d '-10 days')"
raised() { vt_sql "SELECT count(*) FROM ledger WHERE kind='alert.raised' AND json_extract(payload,'$.code')='$1' AND json_extract(payload,'$.subject')='$2'"; }
wait_raised() { for _ in $(seq 100); do [ "$(raised "$1" "$2")" -gt 0 ] && return 0; sleep 0.05; done; return 1; }
ok "the expiring certificate is ledgered as alert.raised" wait_raised CERT_EXPIRING P1
rseq=$(vt_sql "SELECT seq FROM ledger WHERE kind='alert.raised' AND json_extract(payload,'$.subject')='P1' AND json_extract(payload,'$.code')='CERT_EXPIRING'")
is "with severity, date and band 30" "warning|$(d '+20 days')|30" \
	"$(vt_sql "SELECT json_extract(payload,'$.severity')||'|'||json_extract(payload,'$.date')||'|'||json_extract(payload,'$.band') FROM ledger WHERE seq=$rseq")"
contains "and the text of the alert" "certificate CERT-1 expires" \
	"$(vt_sql "SELECT json_extract(payload,'$.text') FROM ledger WHERE seq=$rseq")"
is "the missing training was raised and cleared when it was recorded" \
	"1|1" "$(raised TRAINING_MISSING P1)|$(vt_sql "SELECT count(*) FROM ledger WHERE kind='alert.cleared' AND json_extract(payload,'$.code')='TRAINING_MISSING' AND json_extract(payload,'$.subject')='P1'")"
# The alerts are computed on the loop after a registry change that can change
# one; a PIN change cannot (the debug log line counts the computations).
computed() { grep -c 'alerts computed in' "$T/vaultd.log"; }
wait_computed() { for _ in $(seq 100); do [ "$(computed)" -ge "$1" ] && return 0; sleep 0.05; done; return 1; }
n=$(computed)
echo 1357 | "$VAULTCTL" pin set --id P1 >>"$T/ctl.log" 2>&1
is "a PIN change is ledgered" 1 "$(vt_sql "SELECT count(*) FROM ledger WHERE kind='registry.pin.set'")"
sleep 0.3
is "and does not recompute the alerts" "$n" "$(computed)"
q unit update --id U1 --name "Survey Institute (renamed)"
ok "a unit change does" wait_computed $((n + 1))
vt_stop
ok "vaultd restarts" vt_start
"$VAULTCTL" whoami >/dev/null
is "raised once: not again after a change and a restart" 1 "$(raised CERT_EXPIRING P1)"

out=$("$VAULTCTL" alert list)
contains "alert.list shows the open alert" "\"seq\":$rseq," "$out"
ok "a supervisor or admin acknowledges it" "$VAULTCTL" alert ack --id "$rseq" --note "renewal booked"
is "alert.acked names the raised entry" "$rseq|admin|renewal booked" \
	"$(vt_sql "SELECT json_extract(payload,'$.entry')||'|'||actors||'|'||json_extract(payload,'$.note') FROM ledger WHERE kind='alert.acked'")"
out=$("$VAULTCTL" alert list)
is "gone from alert.list" 0 "$(printf '%s' "$out" | grep -c "\"seq\":$rseq,")"
out=$("$VAULTCTL" alert ack --id "$rseq" 2>&1); rc=$?
is "acknowledging it twice is refused (exit 1)" "1" "$rc"
contains "with a named reason" "ALERT_NOT_OPEN" "$out"
out=$("$VAULTCTL" alert ack --id 1 2>&1)
contains "the genesis is no alert" "ALERT_NOT_OPEN" "$out"

q cert add --id CERT-2 --person P1 --issued "$(d '-1 day')"
wait_cleared() { for _ in $(seq 100); do [ "$(vt_sql "SELECT count(*) FROM ledger WHERE kind='alert.cleared' AND json_extract(payload,'$.entry')=$rseq")" = 1 ] && return 0; sleep 0.05; done; return 1; }
ok "a renewed certificate clears it (alert.cleared citing the raised entry)" wait_cleared

# A ledgered alarm from another module: the forced door.
for _ in $(seq 50); do [ -S "$T/gpio.sock" ] && break; sleep 0.05; done
printf 'set door_a 1\n' | socat -t 2 - "UNIX-CONNECT:$T/gpio.sock" >/dev/null
wait_forced() { for _ in $(seq 100); do [ -n "$(vt_sql "SELECT seq FROM ledger WHERE kind='door.forced'")" ] && return 0; sleep 0.05; done; return 1; }
ok "opening the locked door is ledgered as door.forced" wait_forced
fseq=$(vt_sql "SELECT seq FROM ledger WHERE kind='door.forced'")
out=$("$VAULTCTL" alerts --format csv)
contains "vaultctl alerts lists the forced door as an alarm" "alarm,DOOR_FORCED,door.forced," "$out"
contains "naming its ledger entry" "door.forced #$fseq" "$out"
is "alarms first" "alarm" "$(printf '%s\n' "$out" | sed -n 2p | cut -d, -f1)"
contains "alert.list has it too" "\"seq\":$fseq,\"time\"" "$("$VAULTCTL" alert list)"
ok "it is acknowledged" "$VAULTCTL" alert ack --id "$fseq"
out=$("$VAULTCTL" alerts --format csv)
is "then no longer listed by vaultctl alerts" 0 "$(printf '%s' "$out" | grep -c "door.forced")"
vt_stop
ok "the ledger verifies" "$VAULTCTL" verify
vt_done
