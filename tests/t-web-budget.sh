# SPDX-License-Identifier: MIT
# A flood of anonymous bad requests cannot flood the ledger: the HTTP layer's
# refusals are ledgered one by one up to 60 a minute; the next raises
# alarm.http_flood and the rest are counted, by reason and remote address, into
# http.refused.batch entries (controller/flood.h), so that every refusal is
# still in the ledger. Missing static files are never ledgered. The budget is
# [http] refusal_limit per refusal_window_s; behind a [http] trusted_proxy a
# refusal names, and is counted under, the client the proxy forwarded
# (X-Forwarded-For), which from any other peer is ignored.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-web.sh"
vt_init "[http]" "enabled = 1" "port = 0" "static_root = $VAULT_SRC/web"
ok "vaultd starts with [http] enabled" vt_start
ok "and logs its port" web_port
n=$(vt_count)
for _ in $(seq 30); do http GET /missing.js "" >/dev/null; done
is "30 requests for a missing file: no ledger entry" "$n" "$(vt_count)"
codes=
for _ in $(seq 70); do codes="$codes$(http GET /api/session "" -H 'Host: evil.example' -H 'X-Forwarded-For: 192.0.2.9')"; done
is "70 requests with a foreign Host header are all refused (421)" "$(printf '421%.0s' $(seq 70))" "$codes"
is "exactly 60 are ledgered as http.refused, then one alarm.http_flood" "$((n + 61))|60|1" \
	"$(vt_count)|$(vt_sql "SELECT count(*) FROM ledger WHERE kind='http.refused' AND instr(payload,'HTTP_HOST')>0")|$(vt_sql "SELECT count(*) FROM ledger WHERE kind='alarm.http_flood'")"
ok "the log says the rest are counted" grep -q "further ones are counted" "$T/vaultd.log"
vt_stop
is "a clean stop ledgers the ten counted in one batch: by reason and remote address" \
	"10|10|10" "$(vt_sql "SELECT json_extract(payload,'$.refused')||'|'||json_extract(payload,'$.reasons.HTTP_HOST')||'|'||json_extract(payload,'$.remotes.\"127.0.0.1\"') FROM ledger WHERE kind='http.refused.batch'")"
is "every refused request is in the ledger: 60 alone + 10 counted" 70 \
	"$(vt_sql "SELECT (SELECT count(*) FROM ledger WHERE kind='http.refused') + (SELECT sum(json_extract(payload,'$.refused')) FROM ledger WHERE kind='http.refused.batch')")"
is "no proxy is trusted: X-Forwarded-For is ignored" 0 \
	"$(vt_sql "SELECT count(*) FROM ledger WHERE instr(payload,'192.0.2.9')>0")"

# A trusted_proxy entry that is no address: vaultd does not start, and says why.
web=("[http]" "enabled = 1" "port = 0" "static_root = $VAULT_SRC/web")
vt_config "${web[@]}" "trusted_proxy = 127.0.0.1, proxy.example"
n=$(vt_count)
ok "a trusted_proxy naming a host, not an address: vaultd refuses to start" \
	eval '! vt_start || ! { sleep 0.5; kill -0 $VAULTD_PID; }'
VAULTD_PID=
contains "and says which entry" '[http] trusted_proxy = 127.0.0.1, proxy.example: "proxy.example" is not an IPv4 or IPv6 address' "$(cat "$T/vaultd.log")"

# Behind a trusted proxy (here: curl on loopback, sending the header a proxy
# adds), with a budget of 3 a minute.
vt_config "${web[@]}" "trusted_proxy = 10.1.1.1, 127.0.0.1" "refusal_limit = 3" "refusal_window_s = 60"
ok "vaultd starts with a trusted proxy and a budget of 3" vt_start
ok "and logs its port" web_port
n=$(vt_count)
foreign() { http GET /api/session "" -H 'Host: evil.example' "$@"; }
foreign >/dev/null
foreign -H 'X-Forwarded-For: 6.6.6.6, 192.0.2.7' >/dev/null
foreign -H 'X-Forwarded-For: 6.6.6.6' -H 'X-Forwarded-For: 2001:db8::8' >/dev/null
detail() { vt_sql "SELECT json_extract(payload,'$.detail') FROM ledger WHERE kind='http.refused' AND seq>$n ORDER BY seq LIMIT 1 OFFSET $1"; }
contains "the proxy's own request names the proxy" "HTTP 421 from 127.0.0.1:" "$(detail 0)"
contains "a forwarded one names the last address the proxy appended" "HTTP 421 from 192.0.2.7 via 127.0.0.1:" "$(detail 1)"
is "never the client's own word before it" 0 "$(vt_sql "SELECT count(*) FROM ledger WHERE seq>$n AND instr(payload,'6.6.6.6')>0")"
contains "of two headers, the last one's (IPv6)" "HTTP 421 from 2001:db8::8 via 127.0.0.1:" "$(detail 2)"
for _ in 1 2 3 4; do foreign -H 'X-Forwarded-For: 192.0.2.7' >/dev/null; done
foreign -H 'X-Forwarded-For: 2001:db8::8' >/dev/null
foreign -H 'X-Forwarded-For: 192.0.2.7, not-an-address' >/dev/null
is "3 ledgered alone, then alarm.http_flood" "3|1" \
	"$(vt_sql "SELECT count(*) FROM ledger WHERE seq>$n AND kind='http.refused'")|$(vt_sql "SELECT count(*) FROM ledger WHERE seq>$n AND kind='alarm.http_flood'")"
vt_stop
is "the batch counts each client apart; a header that is no address is the proxy's" "6|4|1|1" \
	"$(vt_sql "SELECT json_extract(payload,'$.refused')||'|'||json_extract(payload,'$.remotes.\"192.0.2.7\"')||'|'||json_extract(payload,'$.remotes.\"2001:db8::8\"')||'|'||json_extract(payload,'$.remotes.\"127.0.0.1\"') FROM ledger WHERE kind='http.refused.batch' AND seq>$n")"
ok "the ledger verifies" "$VAULTCTL" verify
vt_done
