#!/usr/bin/env bash
# Install initlint for the action into $INITLINT_ROOT/bin:
#   1. the cached binary, when it is this version;
#   2. when the action runs from a version tag (uses: initlint/initlint@v0.1.0, or @v1),
#      the release archive for this runner from GitHub releases, checked against its SHA-256;
#   3. otherwise (a branch, a commit, `uses: ./`, or no release for this version or
#      platform), a build from the action's own source with `cargo install --locked`.
# A checksum that does not match is an error, never a reason to fall back.
set -euo pipefail
root=${INITLINT_ROOT:?INITLINT_ROOT is not set}
src=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}
want=$(sed -n 's/^version = "\(.*\)"/\1/p' "$src/Cargo.toml" | head -1)
ref=${INITLINT_ACTION_REF:-}
base=${INITLINT_RELEASE_BASE:-https://github.com/initlint/initlint/releases/download}

if [ -x "$root/bin/initlint" ] && [ "$("$root/bin/initlint" --version)" = "initlint $want" ]; then
  echo "initlint $want from the cache"
  exit 0
fi

# The release target for this runner (RUNNER_OS/RUNNER_ARCH on GitHub, uname elsewhere).
target() {
  local os=${RUNNER_OS:-$(uname -s)} arch=${RUNNER_ARCH:-$(uname -m)}
  case "$os/$arch" in
    Linux/X64 | Linux/x86_64) echo x86_64-unknown-linux-musl ;;
    Linux/ARM64 | Linux/aarch64) echo aarch64-unknown-linux-musl ;;
    macOS/X64 | Darwin/x86_64) echo x86_64-apple-darwin ;;
    macOS/ARM64 | Darwin/arm64) echo aarch64-apple-darwin ;;
    *) return 1 ;;
  esac
}

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -d' ' -f1
}

# 0 installed, 1 no release to download (fall back), 2 a release that is wrong (fail).
download() {
  local t name tmp
  t=$(target) || { echo "no release binary for ${RUNNER_OS:-$(uname -s)}/${RUNNER_ARCH:-$(uname -m)}"; return 1; }
  name="initlint-$want-$t"
  tmp=$(mktemp -d)
  echo "downloading $base/v$want/$name.tar.gz"
  if ! curl -fsSL --retry 3 --connect-timeout 15 -o "$tmp/$name.tar.gz" "$base/v$want/$name.tar.gz" ||
    ! curl -fsSL --retry 3 --connect-timeout 15 -o "$tmp/$name.tar.gz.sha256" "$base/v$want/$name.tar.gz.sha256"; then
    echo "no release archive $name at $base/v$want"
    rm -rf "$tmp"
    return 1
  fi
  local expected actual
  expected=$(cut -d' ' -f1 "$tmp/$name.tar.gz.sha256")
  actual=$(sha256 "$tmp/$name.tar.gz")
  if [ -z "$expected" ] || [ "$expected" != "$actual" ]; then
    echo "::error title=initlint::$name.tar.gz has SHA-256 $actual, but its .sha256 says ${expected:-nothing}: not installed"
    rm -rf "$tmp"
    return 2
  fi
  mkdir -p "$root/bin"
  tar -xzf "$tmp/$name.tar.gz" -C "$tmp"
  install -m 0755 "$tmp/$name/initlint" "$root/bin/initlint"
  rm -rf "$tmp"
  echo "initlint $want: release binary $name (SHA-256 $actual)"
}

case $ref in
  v[0-9]*)
    status=0
    download || status=$?
    case $status in
      0) "$root/bin/initlint" --version; exit 0 ;;
      2) exit 2 ;;
    esac
    echo "falling back to a build from source"
    ;;
  *) echo "the action runs from ${ref:-a local checkout}, not a release tag: building it from source" ;;
esac

command -v cargo >/dev/null || { echo "::error title=initlint::cargo is needed to build initlint (use dtolnay/rust-toolchain first, or the action from a release tag, e.g. initlint/initlint@v$want)"; exit 2; }
# INITLINT_INSTALL_FLAGS lets tests reuse a debug build; the action itself builds release.
# shellcheck disable=SC2086
cargo install --locked --quiet --path "$src" --root "$root" ${INITLINT_INSTALL_FLAGS:-}
"$root/bin/initlint" --version
