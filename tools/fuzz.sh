#!/bin/bash
# SPDX-License-Identifier: MIT
# Build each libFuzzer harness (fuzz/fuzz-NAME.c) against the fuzz build of
# libvault ($B/libvault.a, compiled with -fsanitize=fuzzer-no-link,address,
# undefined) and run it for FUZZ_SECONDS. Crashes land in $B/fuzz/NAME/.
# Prints one line per harness; exits non-zero if any harness crashed.
set -u
B=${B:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
PKGS="libnfc libfreefare libmodbus libgpiod sqlite3 libsodium inih libcjson libsystemd libmicrohttpd libcrypto"
cflags="-std=gnu11 -D_GNU_SOURCE -O1 -g -Iinclude -I$B/gen -Ifirmware-glue $(pkg-config --cflags $PKGS)"
libs="$(pkg-config --libs $PKGS) -lpaho-mqtt3as -lpthread -lutil -lm"
fail=0
for src in "$@"; do
	name=$(basename "$src" .c)
	out="$B/fuzz/$name"
	mkdir -p "$out/corpus"
	if ! clang $cflags -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o "$out/$name" "$src" "$B/libvault.a" $libs 2>"$out/build.log"; then
		echo "FUZZ $name: build failed (see $out/build.log)"
		fail=1
		continue
	fi
	if (cd "$out" && ./"$name" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 corpus >run.log 2>&1); then
		runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/run.log" | grep -o '[0-9]*$')
		echo "FUZZ $name: ${runs:-?} runs in ${FUZZ_SECONDS}s, 0 crashes"
	else
		echo "FUZZ $name: CRASH (see $out/run.log and $out/crash-*)"
		fail=1
	fi
done
exit $fail
