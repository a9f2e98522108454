#!/usr/bin/env bash
# The web client's whole check, as `make test` runs it on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/opentype/noto ]; then
  echo "web-test: installing Debian's chromium for the end-to-end tests"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi

npm ci --no-audit --no-fund
touch node_modules/.installed
npm run typecheck
npm run check
npm run i18n
npm test
npm run build
npm run size
npm run e2e
