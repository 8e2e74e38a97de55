#!/usr/bin/env bash
# Package a built initlint binary as a release archive, the way the release workflow does
# (.github/workflows/release.yml) and the action's download test does:
#   dist/package.sh TARGET BINARY OUTDIR
# writes OUTDIR/initlint-VERSION-TARGET.tar.gz (initlint-VERSION-TARGET/{initlint,README.md,
# LICENSE*}) and OUTDIR/initlint-VERSION-TARGET.tar.gz.sha256 (`sha256sum` format). VERSION is
# Cargo.toml's; the archive is reproducible (sorted, fixed owner and mtime).
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: dist/package.sh TARGET BINARY OUTDIR" >&2; exit 2; }
target=$1 binary=$2 out=$3
here=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$here/Cargo.toml" | head -1)
name="initlint-$version-$target"
[ -x "$binary" ] || { echo "package.sh: $binary is not an executable" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/$name"
cp "$binary" "$stage/$name/initlint"
cp "$here/README.md" "$stage/$name/"
for f in "$here"/LICENSE*; do [ -e "$f" ] && cp "$f" "$stage/$name/"; done
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$stage" -cf - "$name" |
  gzip -n >"$out/$name.tar.gz"
(cd "$out" && { command -v sha256sum >/dev/null && sha256sum "$name.tar.gz" || shasum -a 256 "$name.tar.gz"; } >"$name.tar.gz.sha256")
echo "$out/$name.tar.gz"
