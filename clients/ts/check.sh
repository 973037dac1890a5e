#!/usr/bin/env bash
# CI: generate the TypeScript types from openapi/openapi.json (openapi-typescript) and type-check the example
# mini-program client with `tsc --strict`. Versions are pinned in package.json + package-lock.json (npm ci).
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v npm >/dev/null 2>&1; then
  echo "== node/npm missing: installing them from Debian packages =="
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq nodejs npm >/dev/null
  fi
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "SKIP TypeScript client check: node/npm are missing and could not be installed from Debian packages"
  exit 0
fi
if ! timeout 20 npm ping >/dev/null 2>&1; then
  echo "SKIP TypeScript client check: the npm registry cannot be reached ($(npm config get registry))"
  exit 0
fi
echo "== TypeScript client: openapi-typescript types + tsc --strict on clients/ts/src =="
npm ci --no-audit --no-fund --loglevel=error
npm run --silent check
echo "TypeScript client type-checks"
