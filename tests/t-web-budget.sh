# SPDX-License-Identifier: MIT
# A flood of anonymous bad requests cannot flood the ledger: the HTTP layer's
# refusals are ledgered one by one up to 60 a minute; the next raises
# alarm.http_flood and the rest are counted, by reason and remote address, into
# http.refused.batch entries (controller/flood.h), so that every refusal is
# still in the ledger. Missing static files are never ledgered.
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
is "exactly 60 are ledgered as http.refused, then one alarm.http_flood" "$((n + 61))|60|1" \
	"$(vt_count)|$(vt_sql "SELECT count(*) FROM ledger WHERE kind='http.refused' AND instr(payload,'HTTP_HOST')>0")|$(vt_sql "SELECT count(*) FROM ledger WHERE kind='alarm.http_flood'")"
ok "the log says the rest are counted" grep -q "further ones are counted" "$T/vaultd.log"
vt_stop
is "a clean stop ledgers the ten counted in one batch: by reason and remote address" \
	"10|10|10" "$(vt_sql "SELECT json_extract(payload,'$.refused')||'|'||json_extract(payload,'$.reasons.HTTP_HOST')||'|'||json_extract(payload,'$.remotes.\"127.0.0.1\"') FROM ledger WHERE kind='http.refused.batch'")"
is "every refused request is in the ledger: 60 alone + 10 counted" 70 \
	"$(vt_sql "SELECT (SELECT count(*) FROM ledger WHERE kind='http.refused') + (SELECT sum(json_extract(payload,'$.refused')) FROM ledger WHERE kind='http.refused.batch')")"
ok "the ledger verifies" "$VAULTCTL" verify
vt_done
