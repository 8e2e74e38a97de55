#!/usr/bin/env bash
# Build initlint from the action's own checkout (cargo install --locked), unless the cached
# binary in $INITLINT_ROOT is already this version.
set -euo pipefail
root=${INITLINT_ROOT:?INITLINT_ROOT is not set}
want=$(sed -n 's/^version = "\(.*\)"/\1/p' "$GITHUB_ACTION_PATH/Cargo.toml" | head -1)
if [ -x "$root/bin/initlint" ] && [ "$("$root/bin/initlint" --version)" = "initlint $want" ]; then
  echo "initlint $want from the cache"
  exit 0
fi
command -v cargo >/dev/null || { echo "::error title=initlint::cargo is needed to build initlint (use actions-rust-lang/setup-rust-toolchain first)"; exit 2; }
# INITLINT_INSTALL_FLAGS lets tests reuse a debug build; the action itself builds release.
# shellcheck disable=SC2086
cargo install --locked --quiet --path "$GITHUB_ACTION_PATH" --root "$root" ${INITLINT_INSTALL_FLAGS:-}
"$root/bin/initlint" --version
