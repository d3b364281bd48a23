# SPDX-License-Identifier: MIT
# An out-of-date kiosk-pad read counts for nothing. The pad is a shelf node on
# the custody site's Modbus TCP bus (shelf-sim); when it falls silent vaultd
# keeps its last known contents (a silent shelf is never "tags gone"), so a
# medium lying there before the failure still looks "on the pad". Checkout and
# return must refuse it (PAD_NOT_ANSWERING, ledgered per medium, the medium
# unchanged) both while the pad is in fault and, before the fault is declared
# (long response timeouts), once its last answer is older than
# [custody] pad_window_s (1 s here); with the pad answering again both work.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-door.sh"
. "$(dirname "$0")/lib-custody.sh"
shelf_start
put 1 "$T1"; put 1 "$T2"; put 2 "$T3"
mapfile -t ini < <(custody_ini "pad_window_s = 1")
vt_init "${ini[@]}"
# No door readers (occupancy is not part of this); long windows, and a pad that
# is declared in fault only after 2 x 2.5 s without an answer.
sed -i 's/^door = pn532_uart.*/door =/; s/^exit = pn532_uart.*/exit =/;
	s/^removal_window_s = .*/removal_window_s = 300/; s/^return_window_s = .*/return_window_s = 300/;
	s/^response_timeout_ms = .*/response_timeout_ms = 2500/' "$T/vault.ini"
ok "vaultd starts with the shelves and the pad" vt_start
AP1_QUANTITY=2 site_setup
ok "the shelves' contents are read (M1 on SH-1)" wait_sev SH-1 arrived "$T1"
pad_n() { vt_sql "SELECT count(*) FROM ledger WHERE kind='shelf.$1' AND json_extract(payload,'$.shelf')='kiosk-pad'"; }
refusal() { # KIND: code and detail of the last <KIND>.refused
	vt_sql "SELECT json_extract(payload,'$.code')||' '||json_extract(payload,'$.detail') FROM ledger WHERE kind='$1.refused' ORDER BY seq DESC LIMIT 1"
}

# 1. M1 on the pad, then the pad falls silent and is declared in fault.
take 1 "$T1"
ok "M1 laid on the pad is read there" put_wait 10 kiosk-pad "$T1"
padev=$(sev kiosk-pad arrived "$T1")
f=$(pad_n fault)
sim "silence 10 on"
for _ in $(seq 200); do [ "$(pad_n fault)" -gt "$f" ] && break; sleep 0.05; done
is "the silent pad is a ledgered shelf fault" $((f + 1)) "$(pad_n fault)"
rf=$(n_kind checkout.refused)
out=$(as nobody custody checkout --approval AP1 --media M1); rc=$?
is "checking out M1 from the silent pad is refused (exit 1)" 1 "$rc"
contains "with PAD_NOT_ANSWERING" '"medium":"M1","ok":false,"code":"PAD_NOT_ANSWERING"' "$out"
contains "and a detail a person can read" '"detail":"pad kiosk-pad not answering (a shelf fault' "$out"
ok "the refusal is ledgered" wait_more checkout.refused "$rf" PAD_NOT_ANSWERING
contains "naming the medium and the pad" "PAD_NOT_ANSWERING medium M1: pad kiosk-pad not answering" \
	"$(refusal checkout)"
out=$(as nobody custody checkout --approval AP1)
contains "without --media, the pad's last known contents are refused too" \
	'"medium":"M1","ok":false,"code":"PAD_NOT_ANSWERING"' "$out"
is "both refusals are ledgered, per medium" 2 "$(n_kind checkout.refused PAD_NOT_ANSWERING)"
is "no checkout.confirmed" 0 "$(n_kind checkout.confirmed)"
is "M1 stays in the vault" in-vault "$(status_of M1)"

# 2. The pad answers again: the same read counts.
r=$(pad_n recovered)
sim "silence 10 off"
for _ in $(seq 200); do [ "$(pad_n recovered)" -gt "$r" ] && break; sleep 0.05; done
is "the pad's recovery is ledgered" $((r + 1)) "$(pad_n recovered)"
out=$(as nobody custody checkout --approval AP1 --media M1)
contains "with the pad answering, M1 is checked out" '"medium":"M1","ok":true' "$out"
is "checkout.confirmed cites the pad read" "M1|$padev" \
	"$(vt_sql "SELECT medium||'|'||json_extract(payload,'$.pad_read') FROM ledger WHERE kind='checkout.confirmed'")"
is "M1 is checked out" checked-out "$(status_of M1)"

# 3. Return: M1 (still on the pad) with the pad silent, then answering again.
f=$(pad_n fault)
sim "silence 10 on"
for _ in $(seq 200); do [ "$(pad_n fault)" -gt "$f" ] && break; sleep 0.05; done
is "the pad is in fault again" $((f + 1)) "$(pad_n fault)"
rr=$(n_kind return.refused)
out=$(as nobody custody return --media M1); rc=$?
is "returning M1 on the silent pad is refused (exit 1)" 1 "$rc"
contains "with PAD_NOT_ANSWERING" '"medium":"M1","ok":false,"code":"PAD_NOT_ANSWERING"' "$out"
ok "the refusal is ledgered" wait_more return.refused "$rr" PAD_NOT_ANSWERING
contains "naming the medium and the pad" "PAD_NOT_ANSWERING medium M1: pad kiosk-pad not answering" \
	"$(refusal return)"
is "no return.pending" 0 "$(n_kind return.pending)"
is "M1 stays checked out" checked-out "$(status_of M1)"
r=$(pad_n recovered)
sim "silence 10 off"
for _ in $(seq 200); do [ "$(pad_n recovered)" -gt "$r" ] && break; sleep 0.05; done
out=$(as nobody custody return --media M1)
contains "with the pad answering, M1 is returned" '"medium":"M1","ok":true' "$out"
is "return.pending cites the pad read" "M1|$padev" \
	"$(vt_sql "SELECT medium||'|'||json_extract(payload,'$.pad_read') FROM ledger WHERE kind='return.pending'")"
c=$(n_kind return.confirmed)
take 10 "$T1"; put 1 "$T1"
ok "read on its home shelf: return.confirmed" wait_more return.confirmed "$c"

# 4. Not yet in fault (the bus is still waiting out its timeouts), but the pad
# has not answered within pad_window_s: its read is out of date already.
take 1 "$T2"
ok "M2 laid on the pad is read there" put_wait 10 kiosk-pad "$T2"
f=$(pad_n fault)
sim "silence 10 on"
sleep 1.6
rf=$(n_kind checkout.refused)
out=$(as nobody custody checkout --approval AP1 --media M2); rc=$?
is "the pad has no fault yet" "$f" "$(pad_n fault)"
is "checking out M2 is refused all the same (exit 1)" 1 "$rc"
contains "with PAD_NOT_ANSWERING" '"medium":"M2","ok":false,"code":"PAD_NOT_ANSWERING"' "$out"
contains "naming the window" \
	'"detail":"pad kiosk-pad not answering: no answer within [custody] pad_window_s = 1 s"' "$out"
ok "the refusal is ledgered" wait_more checkout.refused "$rf" PAD_NOT_ANSWERING
is "M2 stays in the vault" in-vault "$(status_of M2)"
sim "silence 10 off"
# Answering again (within one more timeout), and sampled within a quarter second.
for _ in $(seq 100); do
	out=$(as nobody custody checkout --approval AP1 --media M2) && break
	sleep 0.1
done
contains "once the pad answers again, M2 is checked out" '"medium":"M2","ok":true' "$out"
is "M2 is checked out" checked-out "$(status_of M2)"
vt_stop
ok "the ledger verifies" "$VAULTCTL" verify
vt_done
