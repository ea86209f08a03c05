#!/bin/sh
# Quick start: install what is missing, build, and run signald on localhost with its web page.
# Extra arguments go to signald, e.g. scripts/run-signald.sh --listen 0.0.0.0:8080
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DRTC_BUILD_TESTS=OFF >/dev/null
# rtcpeer too: the page is most useful with a terminal peer on the other side.
cmake --build build/release -j"$(nproc)" --target signald rtcpeer >/dev/null
echo "signald: open the page at the http:// address below; Ctrl-C stops it" >&2
echo "rtcpeer: $PWD/build/release/rtcpeer/rtcpeer send FILE (prints a code and a link for a browser)" >&2
exec build/release/signald/signald --web-root "$PWD/web" "$@"
