#!/usr/bin/env bash
# Installs Debian's Chromium where it is missing: the browser tests (tests/browser) drive
# /usr/bin/chromium headless through Playwright (with a CJK font, so Chinese renders in the
# screenshots). Nothing downloads a browser build of its own.
# Quiet and idempotent; a no-op once installed.
set -euo pipefail

if [[ -x /usr/bin/chromium && -n $(fc-list :lang=zh 2> /dev/null) ]]; then
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo > /dev/null && sudo -n true 2> /dev/null; then
  as_root=(sudo -n)
else
  echo "ensure_chromium: chromium or a Chinese font missing and not root: run" \
    "'apt-get install chromium fonts-wqy-microhei' as root; the browser tests fail until then" >&2
  exit 0
fi

echo "ensure_chromium: installing Debian's chromium and a Chinese font (the browser tests drive it)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { "${as_root[@]}" apt-get update -qq \
  && "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends chromium fonts-wqy-microhei; } > "$log" 2>&1; then
  cat "$log" >&2
  echo "ensure_chromium: installing chromium failed" >&2
  exit 1
fi
[[ -x /usr/bin/chromium ]] || {
  echo "ensure_chromium: chromium installed but /usr/bin/chromium is missing" >&2
  exit 1
}
