# shellcheck shell=sh
# apt.sh - sourced by deps.sh, nat-deps.sh and browser-deps.sh (POSIX sh).
#
# install_missing WHO PACKAGE...: installs, from Debian's archive, those of the packages that are
# not installed yet. Prints nothing and touches nothing when none is missing. Needs root, or sudo;
# without either it names what is missing and fails. WHO prefixes its messages.
install_missing() {
	who=$1
	shift
	missing=""
	for p in "$@"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
			missing="$missing $p"
		fi
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -eq 0 ]; then
		sudo=""
	elif command -v sudo >/dev/null 2>&1; then
		sudo="sudo"
	else
		echo "$who: need root or sudo to install:$missing" >&2
		return 1
	fi
	echo "$who: installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq >/dev/null
	# shellcheck disable=SC2086
	$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
}
