#!/usr/bin/env bash
# Compiles the contracts with the pinned forge + solcjs (offline) and exports
# artifacts/<Name>.json. Called by `make contracts`; needs `npm ci` at the repo root.
set -euo pipefail
cd "$(dirname "$0")/.."
FORGE="../node_modules/.bin/forge"
[ -x "$FORGE" ] || FORGE="forge"
"$FORGE" build --offline
node script/export-artifacts.js
