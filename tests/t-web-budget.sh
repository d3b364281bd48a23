# SPDX-License-Identifier: MIT
# A flood of anonymous bad requests cannot flood the ledger: the HTTP layer's
# refusals are ledgered at most 60 a minute, the rest counted; missing static
# files are never ledgered.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-web.sh"
vt_init "[http]" "enabled = 1" "port = 0" "static_root = $VAULT_SRC/web"
ok "vaultd starts with [http] enabled" vt_start
ok "and logs its port" web_port
n=$(vt_count)
for _ in $(seq 30); do http GET /missing.js "" >/dev/null; done
is "30 requests for a missing file: no ledger entry" "$n" "$(vt_count)"
codes=
for _ in $(seq 70); do codes="$codes$(http GET /api/session "" -H 'Host: evil.example')"; done
is "70 requests with a foreign Host header are all refused (421)" "$(printf '421%.0s' $(seq 70))" "$codes"
is "exactly 60 are ledgered as http.refused" "$((n + 60))|60" \
	"$(vt_count)|$(vt_sql "SELECT count(*) FROM ledger WHERE kind='http.refused' AND instr(payload,'HTTP_HOST')>0")"
ok "the log says the rest were counted" grep -q "the rest are counted" "$T/vaultd.log"
vt_stop
ok "the ledger verifies" "$VAULTCTL" verify
vt_done
