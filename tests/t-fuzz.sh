# SPDX-License-Identifier: MIT
# Every libFuzzer harness runs for a bounded time (FUZZ_SECONDS, default 5)
# with sanitizers; any crash fails. `make fuzz` runs them longer.
. "$(dirname "$0")/lib.sh"
cd "$VAULT_SRC"
command -v clang >/dev/null || skip_all "clang is not installed"
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }' >"$T/p.c"
clang -fsanitize=fuzzer -o "$T/p" "$T/p.c" 2>/dev/null || skip_all "clang has no libFuzzer runtime (libclang-rt-14-dev)"
make --no-print-directory -s B=build-fuzz CC=clang CFLAGS="-O1 -g" \
	SAN="-fsanitize=fuzzer-no-link,address,undefined" build-fuzz/libvault.a >"$T/build.log" 2>&1
ok "the library builds with fuzzer instrumentation" test -f build-fuzz/libvault.a
for src in fuzz/fuzz-*.c; do
	out=$(B=build-fuzz FUZZ_SECONDS=${FUZZ_SECONDS:-5} tools/fuzz.sh "$src" 2>&1)
	contains "$(basename "$src" .c): $out" ", 0 crashes" "$out"
done
vt_done
