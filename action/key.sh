#!/usr/bin/env bash
# The cache key for the action's binary: runner, version, the action's ref, and a hash of the
# source it would be built from. (hashFiles() cannot see the action's own files, which live
# outside GITHUB_WORKSPACE; a constant key would restore a stale binary.)
set -euo pipefail
src=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$src/Cargo.toml" | head -1)
sum() { if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi; }
inputs=()
for p in Cargo.toml Cargo.lock build.rs src rules; do [ -e "$src/$p" ] && inputs+=("$p"); done
hash=$(cd "$src" && find "${inputs[@]}" -type f | LC_ALL=C sort |
  while IFS= read -r f; do sum "$f"; done | sum | cut -c1-16)
ref=$(printf '%s' "${INITLINT_ACTION_REF:-local}" | tr -c 'A-Za-z0-9._-' '_')
echo "key=initlint-${RUNNER_OS:-$(uname -s)}-${RUNNER_ARCH:-$(uname -m)}-$version-$ref-$hash" >>"${GITHUB_OUTPUT:-/dev/stdout}"
