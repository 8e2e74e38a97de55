#!/usr/bin/env bash
# Time against layer count (issue 27: "20,000 layers read top-down grow quadratically"): a
# docker-archive of LAYERS layers, the program (a static C handler) in the bottom one, and
# every layer above adding one file to /app (with the `app/` directory entry a real layer
# has), then `initlint docker-archive:…` read top-down and with --all-layers, timed.
#
# usage: bench/many-layers.sh [LAYERS=20000]   (BENCH_REUSE=1 keeps the image)
# needs: python3, gcc, /usr/bin/time (Debian package `time`), a release build.
set -euo pipefail
layers=${1:-20000}
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/initlint
[ -x /usr/bin/time ] || { echo "bench/many-layers.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
out=$PWD/target/bench-many-layers
if [ "${BENCH_REUSE:-0}" = 1 ] && [ -f "$out/image-$layers.tar" ]; then
  echo "reusing $out/image-$layers.tar (BENCH_REUSE=1)"
else
rm -rf "$out" && mkdir -p "$out"
gcc -static -O2 -o "$out/server" testdata/images/src/handler.c
python3 - "$out/image-$layers.tar" "$layers" "$out/server" <<'PY'
import hashlib, io, json, sys, tarfile
out, n, prog = sys.argv[1], int(sys.argv[2]), open(sys.argv[3], "rb").read()

def tar_of(entries):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data, mode in entries:
            ti = tarfile.TarInfo(name)
            if data is None:
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                t.addfile(ti)
            else:
                ti.size, ti.mode = len(data), mode
                t.addfile(ti, io.BytesIO(data))
    return b.getvalue()

layers = [tar_of([("app", None, 0), ("app/server", prog, 0o755)])]
layers += [tar_of([("app", None, 0), (f"app/f{i}", b"x", 0o644)]) for i in range(1, n)]
with tarfile.open(out, mode="w") as t:
    names, diff_ids = [], []
    for layer in layers:
        d = hashlib.sha256(layer).hexdigest()
        diff_ids.append("sha256:" + d)
        names.append(f"{d}/layer.tar")
        ti = tarfile.TarInfo(names[-1]); ti.size = len(layer)
        t.addfile(ti, io.BytesIO(layer))
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "config": {"Entrypoint": ["/app/server"]},
                      "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    cname = hashlib.sha256(cfg).hexdigest() + ".json"
    for name, data in [(cname, cfg), ("manifest.json", json.dumps(
            [{"Config": cname, "RepoTags": ["many-layers:latest"], "Layers": names}]).encode())]:
        ti = tarfile.TarInfo(name); ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
PY
fi
for mode in top-down --all-layers; do
  flag=(); [ "$mode" = --all-layers ] && flag=(--all-layers)
  /usr/bin/time -f "$layers layers, $mode: %e s, %M KiB peak RSS" \
    "$bin" "${flag[@]}" "docker-archive:$out/image-$layers.tar" >/dev/null
done
