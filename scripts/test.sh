#!/bin/sh
# The whole test suite: install what is missing, then build and run every test twice:
#  1. GCC with warnings as errors;
#  2. Clang with AddressSanitizer + UndefinedBehaviorSanitizer, plus the fuzz targets for a
#     bounded time (RTC_FUZZ_SECONDS, default 60).
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/browser-deps.sh
scripts/nat-deps.sh
jobs=$(nproc)

echo "== gcc, -Werror" >&2
cmake -S . -B build/gcc -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/gcc -j"$jobs"
ctest --test-dir build/gcc --output-on-failure -j"$jobs"

echo "== clang, ASan + UBSan, fuzzers" >&2
cmake -S . -B build/asan -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
	-DRTC_SANITIZE=ON -DRTC_BUILD_FUZZERS=ON -DRTC_BUILD_BENCH=OFF \
	-DRTC_FUZZ_SECONDS="${RTC_FUZZ_SECONDS:-60}" >/dev/null
cmake --build build/asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --test-dir build/asan --output-on-failure -j"$jobs"
