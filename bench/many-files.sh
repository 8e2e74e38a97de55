#!/usr/bin/env bash
# Memory against file count: one gzip layer of FILES empty files (in directories of 1,000,
# paths like real node_modules ones), plus a small top layer with an entrypoint script, as a
# docker-archive; then `initlint docker-archive:…`, timed, with its peak RSS.
#
# usage: bench/many-files.sh [FILES=1000000] [RUNS=1] [FORMAT=gzip] [LAYOUT=split]
#   (BENCH_REUSE=1 keeps the image)
#   LAYOUT split: the entrypoint in a small top layer (the big layer is never read); same: the
#   entrypoint inside the big layer, after its files (the whole layer is read).
#   FORMAT gzip: the docker-archive as built; zstd-chunked or estargz: its layers converted
#   (skopeo; testdata/images/estargz.py) into an OCI layout, read by their tables of contents.
# needs: python3, /usr/bin/time (Debian package `time`), a release build; skopeo for the
# TOC formats.
set -euo pipefail
files=${1:-1000000}
runs=${2:-1}
format=${3:-gzip}
layout=${4:-split}
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/initlint
[ -x /usr/bin/time ] || { echo "bench/many-files.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
out=$PWD/target/bench-many-files-$layout
if [ "${BENCH_REUSE:-0}" = 1 ] && [ -f "$out/image.tar" ]; then
  echo "reusing $out/image.tar (BENCH_REUSE=1)"
else
rm -rf "$out" && mkdir -p "$out"
python3 - "$out" "$files" "$layout" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
out, n, layout = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def layer(add):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as t:
        add(t)
    data = raw.getvalue()
    return data, gzip.compress(data, 6)

def many(t):
    for d in range((n + 999) // 1000):
        base = f"app/node_modules/pkg-{d:05d}/lib"
        for i in range(min(1000, n - d * 1000)):
            info = tarfile.TarInfo(f"{base}/module-{i:04d}.js")
            info.mode = 0o644
            t.addfile(info, io.BytesIO(b""))

def top(t):
    script = b'#!/bin/sh\nset -e\nexec node /app/server.js "$@"\n'
    info = tarfile.TarInfo("entrypoint.sh"); info.mode = 0o755; info.size = len(script)
    t.addfile(info, io.BytesIO(script))

def both(t):
    many(t)
    top(t)

layers, diff_ids, arch = [], [], {}
for add in ((many, top) if layout == "split" else (both,)):
    raw, gz = layer(add)
    diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
    name = hashlib.sha256(gz).hexdigest() + ".tar.gz"
    arch[name] = gz
    layers.append(name)
config = json.dumps({"architecture": "amd64", "os": "linux",
    "config": {"Entrypoint": ["/entrypoint.sh"]},
    "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
cfg = hashlib.sha256(config).hexdigest() + ".json"
arch[cfg] = config
arch["manifest.json"] = json.dumps([{"Config": cfg, "RepoTags": ["many:latest"], "Layers": layers}]).encode()
with tarfile.open(os.path.join(out, "image.tar"), "w") as t:
    for name, data in arch.items():
        info = tarfile.TarInfo(name); info.size = len(data)
        t.addfile(info, io.BytesIO(data))
print(f"{n} files in one layer ({layout}); image {os.path.getsize(os.path.join(out, 'image.tar')) >> 20} MiB")
PY
fi
target="docker-archive:$out/image.tar"
case "$format" in
  gzip) ;;
  zstd-chunked)
    [ -f "$out/chunked/index.json" ] || {
      skopeo copy -q "docker-archive:$out/image.tar" "oci:$out/gzip-oci:many"
      skopeo copy -q --dest-compress-format zstd:chunked "oci:$out/gzip-oci:many" "oci:$out/chunked:many"
    }
    target="oci:$out/chunked:many" ;;
  estargz)
    [ -f "$out/estargz/index.json" ] || {
      [ -f "$out/gzip-oci/index.json" ] || skopeo copy -q "docker-archive:$out/image.tar" "oci:$out/gzip-oci:many"
      python3 testdata/images/estargz.py "$out/gzip-oci" "$out/estargz" $((4 << 20)) >/dev/null
    }
    target="oci:$out/estargz:many" ;;
  *) echo "bench/many-files.sh: FORMAT is gzip, zstd-chunked or estargz" >&2; exit 2 ;;
esac
echo "reading $target"
for r in $(seq 1 "$runs"); do
  /usr/bin/time -f "%e %M" -o "$out/t" "$bin" --format json "$target" >"$out/report.json" || true
  tail -1 "$out/t"
done | sort -n | head -1 >"$out/best"
read -r secs rss <"$out/best"
python3 - "$secs" "$rss" "$files" "$out/report.json" <<'PY'
import json, sys
secs, rss, n = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
r = json.load(open(sys.argv[4]))
print(f"initlint: {secs:.2f} s, peak RSS {rss / 1024:.1f} MiB ({rss * 1024 / n:.0f} bytes per file); target < 100 MiB at 1,000,000 files")
print(f"verdict: {r['verdict']['stop_signal']}; findings: {[f['code'] for f in r['findings']]}; "
      f"layers: {[l['read'] for l in r['target']['layer_reads']]}")
PY
