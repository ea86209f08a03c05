#!/bin/sh
# Installs what building and testing need, from Debian's archive. Idempotent and quiet: prints
# nothing and touches nothing when every package is already there. Root, or sudo otherwise.
set -eu

PACKAGES="build-essential cmake pkg-config clang libclang-rt-14-dev
libwebsockets-dev libwebsockets-evlib-glib libjansson-dev libcmocka-dev
libglib2.0-dev libnice-dev libgnutls28-dev libusrsctp-dev
python3 python3-websockets openssl curl procps"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "deps.sh: need root or sudo to install:$missing" >&2
	exit 1
fi
echo "deps.sh: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
