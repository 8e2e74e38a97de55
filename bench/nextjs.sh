#!/usr/bin/env bash
# Next.js's standalone server.js as PID 1: does it stop on SIGTERM? (knowledge::NEXT_STANDALONE)
# Not in tests/ground_truth.rs: it needs Next.js from the npm registry (about 100 MB) and a
# `next build`. usage: bench/nextjs.sh [NEXT_VERSION]   (default 15; needs node, npm, unshare)
# Measured 2026-12-06 with Next.js 15.5.29 and 14.2.35 on node 20: exit 0 in 0.11 s; with
# NEXT_MANUAL_SIG_HANDLE=true (and no handler of the app's), still running 5 s after SIGTERM.
# initlint's verdict on the same server.js (dir: target) is printed after each measurement.
set -euo pipefail
version=${1:-15}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
echo '{"name":"m","private":true}' >package.json
npm install --no-audit --no-fund --legacy-peer-deps "next@$version" react@19 react-dom@19 >/dev/null
mkdir pages && echo 'export default function Home() { return <p>hello</p>; }' >pages/index.js
echo "module.exports = { output: 'standalone' };" >next.config.js
NEXT_TELEMETRY_DISABLED=1 npx next build >/dev/null
echo "next $(node -p 'require("next/package.json").version'), node $(node --version)"
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
mkdir -p rootfs/app rootfs/usr/local/bin
cp .next/standalone/server.js rootfs/app/ && cp "$(command -v node)" rootfs/usr/local/bin/node
measure() { # $1: extra environment (or empty)
  ( cd .next/standalone && exec env $1 PORT=3917 unshare --pid --fork --kill-child node server.js ) >/dev/null 2>&1 &
  local outer=$! pid1=""
  for _ in $(seq 100); do curl -s -o /dev/null localhost:3917 && break; sleep 0.1; done
  pid1=$(pgrep -P "$outer")
  grep -q 'NSpid:.*[[:space:]]1$' "/proc/$pid1/status" || { echo "server is not PID 1"; exit 1; }
  local start; start=$(date +%s%N); kill -TERM "$pid1"
  for _ in $(seq 50); do kill -0 "$pid1" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid1" 2>/dev/null; then
    echo "  ${1:-default env}: still running 5 s after SIGTERM (ignored)"; kill -KILL "$pid1"; wait "$outer" || true
  else
    local rc=0; wait "$outer" || rc=$?
    echo "  ${1:-default env}: exited $rc in $(( ($(date +%s%N) - start) / 1000000 )) ms"
  fi
  local env_flag=(); [ -z "$1" ] || env_flag=(--env "$1")
  "$root/target/release/initlint" --format json "${env_flag[@]}" --entrypoint '["/usr/local/bin/node","/app/server.js"]' \
    "dir:$work/rootfs" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("  initlint:", d["verdict"]["stop_signal"])'
}
measure ""
measure "NEXT_MANUAL_SIG_HANDLE=true"
