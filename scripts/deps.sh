#!/bin/sh
# Installs what building and testing need, from Debian's archive. Idempotent and quiet: prints
# nothing and touches nothing when every package is already there. Root, or sudo otherwise.
set -eu

PACKAGES="build-essential cmake pkg-config clang libclang-rt-14-dev
libwebsockets-dev libwebsockets-evlib-glib libjansson-dev libcmocka-dev
libglib2.0-dev libnice-dev libgnutls28-dev libusrsctp-dev
python3 python3-websockets openssl curl procps"

# shellcheck source=scripts/apt.sh
. "$(dirname "$0")/apt.sh"
# shellcheck disable=SC2086 # one word per package
install_missing deps.sh $PACKAGES
