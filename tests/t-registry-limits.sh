# SPDX-License-Identifier: MIT
# What the registry accepts, vaultd can load: a name of 256 bytes (the most a
# text field takes) is a person like any other, not one whose "records do not
# load"; an id is at most 63 characters, and 64 is refused at the door of the
# registry instead of being stored and then unreadable.
. "$(dirname "$0")/lib.sh"
command -v socat >/dev/null || skip_all "socat is missing"
vt_init
ok "vaultd starts" vt_start
as() { shift; "$VAULTCTL" "$@"; }
q() { "$VAULTCTL" "$@" >>"$T/ctl.log" 2>&1; }
rep() { printf "%${2}s" "" | tr ' ' "$1"; }
alert_codes() { # SUBJECT: the codes of the alerts raised for it, sorted
	vt_sql "SELECT group_concat(c) FROM (SELECT json_extract(payload,'$.code') c FROM ledger
		WHERE kind='alert.raised' AND json_extract(payload,'$.subject')='$1' ORDER BY c)"
}
wait_alerts() { for _ in $(seq 100); do [ -n "$(alert_codes "$1")" ] && return 0; sleep 0.05; done; return 1; }
q unit add --id U1 --name "Survey Institute" --first-time no

# 1. A name of 256 bytes, ASCII and Chinese (85 characters of 3 bytes + 1).
long=$(rep N 256)
ok "a person with a 256-byte name is added" q person add --id P-LONG --name "$long" --role custodian --unit U1
ok "their alerts are computed" wait_alerts P-LONG
is "they are the alerts of a person without certificate or training, not 'does not load'" \
	"CERT_MISSING,TRAINING_MISSING" "$(alert_codes P-LONG)"
is "the name is stored whole" 256 "$(vt_sql "SELECT length(name) FROM person WHERE id='P-LONG'")"
zh="$(rep x 1)$(for _ in $(seq 85); do printf '测'; done)"
ok "a person with a 256-byte Chinese name is added" q person add --id P-ZH --name "$zh" --role custodian --unit U1
ok "their alerts are computed" wait_alerts P-ZH
is "and they load" "CERT_MISSING,TRAINING_MISSING" "$(alert_codes P-ZH)"
# (vaultctl checks a field before it asks vaultd, as vaultd checks it again)
out=$("$VAULTCTL" person add --id P-LONGER --name "$(rep N 257)" --role custodian --unit U1 2>&1)
is "a 257-byte name is refused" "2" "$?"
contains "the refusal says why" "longer than 256 bytes" "$out"
is "nothing of it was stored" 0 "$(vt_sql "SELECT count(*) FROM person WHERE id='P-LONGER'")"

# 2. Ids: 63 characters load, 64 are refused.
id63=$(rep I 63)
ok "a person with a 63-character id is added" q person add --id "$id63" --name "Sixty Three" --role custodian --unit U1
ok "their alerts are computed" wait_alerts "$id63"
is "and they load" "CERT_MISSING,TRAINING_MISSING" "$(alert_codes "$id63")"
refused "a 64-character id" INVALID_VALUE - person add --id "$(rep I 64)" --name "Sixty Four" --role custodian --unit U1
contains "the refusal names the limit" "1-63 characters" "$LAST_OUT"
is "nothing of it was stored" 0 "$(vt_sql "SELECT count(*) FROM person WHERE length(id)=64")"

# 3. Longest purpose and dataset: an approval and a medium that load.
q person add --id P1 --name "Li Wei" --role custodian --unit U1
ok "a medium with a 256-byte dataset is registered" q medium register --id M1 --tag "E2$(printf '%022d' 1)" \
	--title "Sheet" --classification secret --home-shelf SH-1 --dataset "$(rep D 256)"
contains "and shows" "$(rep D 256)" "$("$VAULTCTL" medium show --id M1 2>&1)"
vt_stop
ok "the ledger verifies" "$VAULTCTL" verify
vt_done
