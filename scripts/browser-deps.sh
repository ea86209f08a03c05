#!/bin/sh
# Installs what the real-browser tests (tests/browser/) need: Debian's Chromium and Firefox ESR,
# iproute2 (network namespaces), Node.js + npm only if there is no node/npm at all, and
# playwright-core and puppeteer-core (the versions pinned in tests/browser/package-lock.json) into
# tests/browser/node_modules. No browser is ever downloaded (no `playwright install`, no
# puppeteer browser download): the tests drive /usr/bin/chromium and /usr/bin/firefox-esr.
# Idempotent and quiet: prints nothing and touches nothing when everything is already there.
# Root, or sudo otherwise (for apt only).
set -eu
cd "$(dirname "$0")/.."

# shellcheck source=scripts/apt.sh
. scripts/apt.sh
# node and npm may come from elsewhere (e.g. NodeSource's nodejs, which bundles npm and conflicts
# with Debian's npm package): ask for Debian's only when the command is missing.
extra=""
command -v node >/dev/null 2>&1 || extra="$extra nodejs"
command -v npm >/dev/null 2>&1 || extra="$extra npm"
# shellcheck disable=SC2086
install_missing browser-deps.sh chromium firefox-esr iproute2 $extra

# playwright-core and puppeteer-core, exactly as locked. Skip npm when the installed copies
# already match the lock.
dir=tests/browser
locked() {
	sed -n "/\"node_modules\/$1\"/,/}/s/.*\"version\": *\"\([^\"]*\)\".*/\1/p" \
		"$dir/package-lock.json" | head -n 1
}
present() {
	sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' \
		"$dir/node_modules/$1/package.json" 2>/dev/null | head -n 1 || true
}
stale=""
for m in playwright-core puppeteer-core; do
	want=$(locked "$m")
	if [ -z "$want" ] || [ "$(present "$m")" != "$want" ]; then
		stale="$stale $m@${want:-?}"
	fi
done
if [ -n "$stale" ]; then
	echo "browser-deps.sh: npm ci in $dir (for$stale)" >&2
	(cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit \
		--no-fund --loglevel=error >/dev/null)
fi
