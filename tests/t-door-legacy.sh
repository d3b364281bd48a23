# SPDX-License-Identifier: MIT
# Legacy UID-only mode: an explicit setting, warned about at start and on every
# use, and refused while the vault holds top-secret media.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-door.sh"
command -v socat >/dev/null || skip_all "socat is missing"
today=$(TZ=Asia/Shanghai date +%F)
vt_init "[reader]" "door = pn532_uart:$T/door-pty" "legacy_uid_only = 1" "[door]" "unlock_s = 1" \
	"[gpio]" "debounce_ms = 5"
emu_start door || exit 1
vt_start || exit 1
for _ in $(seq 50); do [ -S "$T/gpio.sock" ] && break; sleep 0.05; done
contains "vaultd warns at start that UIDs can be copied" "legacy_uid_only is set" "$(cat "$T/vaultd.log")"
V() { "$VAULTCTL" "$@" >/dev/null; }
V unit add --id U1 --name Unit --first-time no
V schedule add --id W --role custodian --days 1-7 --start 00:00 --end 24:00
V person add --id C1 --name "Li Wei" --role custodian --unit U1
V cert add --id CERT-C1 --person C1 --issued "$(( ${today%%-*} - 1 ))-01-01"
V training add --id T-C1 --person C1 --date "$today"
echo 1357 | "$VAULTCTL" pin set --id C1 >/dev/null
V badge add --id 08112233 --person C1 --key-version 0
g=$(n_kind entry.granted)
emu door "place iso14443a 08112233" >/dev/null; sleep 0.3; type_keys "1357#"
ok "a plain UID card is accepted in legacy mode" wait_more entry.granted "$g"
emu door remove >/dev/null; sleep 0.2
contains "and each use is warned about" "legacy UID-only badge 08112233 used by C1" "$(cat "$T/vaultd.log")"
V medium register --id TS1 --tag E20000000000000000000001 --title "Geodetic control" --classification top-secret --home-shelf SH1
r=$(n_kind entry.refused LEGACY_TOP_SECRET)
emu door "place iso14443a 08112233" >/dev/null; sleep 0.3
ok "once a top-secret medium is held, UID-only badges are refused" wait_more entry.refused "$r" LEGACY_TOP_SECRET
emu door remove >/dev/null
vt_stop
emu_stop_all
vt_done
