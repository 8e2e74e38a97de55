#!/usr/bin/env bash
# Image-mode benchmark: how long `initlint docker-archive:…` takes, and its peak memory, next
# to the cost of reading the layers once (`gzip -dc` of every layer, one after the other).
#
# The image is generated from this machine's /usr (real binaries, libraries, data), split into
# LAYERS gzip layers of about SIZE_MB/LAYERS MB each, plus a small top layer. Two configs
# share those layers: bench:latest runs an entrypoint script that execs perl on an app file,
# so the launch chain crosses into the base layer and every layer is read; bench:static runs a
# static server of the top layer, so the layers below it cannot change the answer and are
# skipped (initlint reads layers top down).
#
# The same image is then pushed to a local registry as zstd:chunked and as eStargz and read by
# its tables of contents, with the bytes the registry sends counted.
#
# usage: bench/image.sh [SIZE_MB=600] [LAYERS=5] [RUNS=3]   (BENCH_REUSE=1 keeps the image)
# needs: tar, gzip, python3, /usr/bin/time (Debian package `time`), a release build.
set -euo pipefail
size_mb=${1:-600}
layers=${2:-5}
runs=${3:-3}
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin initlint --example floor
bin=$PWD/target/release/initlint
floor=$PWD/target/release/examples/floor
[ -x /usr/bin/time ] || { echo "bench/image.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
out=$PWD/target/bench-image
if [ "${BENCH_REUSE:-0}" = 1 ] && [ -f "$out/image.tar" ]; then
  echo "reusing $out/image.tar (BENCH_REUSE=1)"
else
rm -rf "$out" && mkdir -p "$out/layers"

# Split /usr's files into $layers lists of about equal size (files < 50 MB, sorted paths).
python3 - "$out" "$size_mb" "$layers" <<'EOF'
import os, sys
out, size_mb, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
target = size_mb << 20
files, total = [], 0
for root in ("/usr/bin", "/usr/lib", "/usr/share", "/usr/libexec"):
    for d, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            p = os.path.join(d, name)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            if os.path.islink(p) or not os.path.isfile(p) or st.st_size > 50 << 20:
                continue
            if not os.access(p, os.R_OK):
                continue
            files.append((p.lstrip("/"), st.st_size))
            total += st.st_size
            if total >= target:
                break
        if total >= target:
            break
    if total >= target:
        break
per = total / n
lists = [[] for _ in range(n)]
acc = 0
for p, s in files:
    lists[min(int(acc / per), n - 1)].append(p)
    acc += s
for i, l in enumerate(lists):
    with open(f"{out}/list{i + 1}", "w") as f:
        f.write("\n".join(l) + "\n")
print(f"{len(files)} files, {total / 2**20:.0f} MiB in {n} layers")
EOF

for i in $(seq 1 "$layers"); do
  tar -C / -cf - -T "$out/list$i" 2>/dev/null | gzip -6 >"$out/layers/layer$i.tar.gz"
done
# The top layer: /bin -> usr/bin, the entrypoint script and the app.
top=$out/top && mkdir -p "$top/app"
ln -s usr/bin "$top/bin"
printf '#!/bin/sh\nset -e\necho "migrating"\nexec perl /app/app.pl "$@"\n' >"$top/entrypoint.sh"
chmod 755 "$top/entrypoint.sh"
printf 'while (1) { sleep 1 }\n' >"$top/app/app.pl"
mkdir -p "$top/usr/bin" && cp /bin/dash "$top/usr/bin/dash" && ln -s dash "$top/usr/bin/sh"
# A static server for the second config (bench:static): every lookup it needs is in this
# layer, so the layers below it need not be read.
printf '#include <unistd.h>\nint main(void) { for (;;) pause(); }\n' | gcc -static -O2 -x c - -o "$top/app/server"
tar -C "$top" -cf - . | gzip -6 >"$out/layers/layer$((layers + 1)).tar.gz"

# A docker-archive with gzip layers (docker load accepts them), digests and diff_ids real.
python3 - "$out" <<'EOF'
import gzip, hashlib, json, os, shutil, sys
out = sys.argv[1]
arch = os.path.join(out, "archive")
os.makedirs(arch)
names = sorted(os.listdir(os.path.join(out, "layers")), key=lambda n: int(n[5:-7]))
layers, diff_ids = [], []
for n in names:
    src = os.path.join(out, "layers", n)
    h = hashlib.sha256()
    with gzip.open(src, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    diff_ids.append("sha256:" + h.hexdigest())
    blob = hashlib.sha256(open(src, "rb").read()).hexdigest()
    shutil.copy(src, os.path.join(arch, blob + ".tar.gz"))
    layers.append(blob + ".tar.gz")
# Two images on the same layers: bench:latest runs the script (which execs perl from the
# base layer), bench:static the static server of the top layer.
manifest = []
for tag, run in (("bench:latest", {"Entrypoint": ["/entrypoint.sh"], "Cmd": ["--serve"]}),
                 ("bench:static", {"Entrypoint": ["/app/server"]})):
    config = json.dumps({"architecture": "amd64", "os": "linux",
        "config": dict(run, Env=["PATH=/usr/local/bin:/usr/bin:/bin"]),
        "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    cfg = hashlib.sha256(config).hexdigest() + ".json"
    open(os.path.join(arch, cfg), "wb").write(config)
    manifest.append({"Config": cfg, "RepoTags": [tag], "Layers": layers})
json.dump(manifest, open(os.path.join(arch, "manifest.json"), "w"))
EOF
tar -C "$out/archive" -cf "$out/image.tar" .
rm -rf "$out/archive" "$top"
fi

stored=$(du -cb "$out"/layers/*.tar.gz | tail -1 | cut -f1)
unpacked=$(for f in "$out"/layers/*.tar.gz; do gzip -dc "$f"; done | wc -c)
echo "image: $((layers + 1)) gzip layers, $((stored >> 20)) MiB stored, $((unpacked >> 20)) MiB uncompressed"

best() { sort -n | head -1; }
for r in $(seq 1 "$runs"); do
  /usr/bin/time -f "%e" -o "$out/t.gz" bash -c "for f in $out/layers/*.tar.gz; do gzip -dc \"\$f\" >/dev/null; done"
  tail -1 "$out/t.gz"
done | best >"$out/gzip"
# best_of NAME CMD…: the run with the least wall time, as "SECONDS PEAK_KIB", and the JSON
# report of the last run in $out/NAME.json.
best_of() {
  local name=$1; shift
  for r in $(seq 1 "$runs"); do
    /usr/bin/time -f "%e %M" -o "$out/t.$name" "$@" >"$out/$name.json" || true
    tail -1 "$out/t.$name"  # /usr/bin/time first notes the non-zero exit (findings)
  done | sort -n | head -1
}
# The floor: inflate and walk every layer, on initlint's threads, nothing else (bench/floor.rs).
best_of floor "$floor" "$out"/layers/*.tar.gz >"$out/floor" 2>/dev/null
archive=docker-archive:$out/image.tar
best_of script "$bin" --format json "$archive:bench:latest" >"$out/script"
best_of static "$bin" --format json "$archive:bench:static" >"$out/static"
# The same pinned to one core: initlint reads layers in parallel, gzip -dc cannot.
best_of script1 taskset -c 0 "$bin" --format json "$archive:bench:latest" >"$out/script1"
gz=$(cat "$out/gzip")
python3 - "$gz" "$out" <<'EOF'
import json, sys
gz, out = float(sys.argv[1]), sys.argv[2]
fl = float(open(f"{out}/floor").read().split()[0])
def run(name):
    t, rss = open(f"{out}/{name}").read().split()
    r = json.load(open(f"{out}/{name}.json"))
    return float(t), int(rss) / 1024, r
print(f"gzip -dc of all layers, one after the other (best of runs): {gz:.2f} s")
print(f"floor: zlib-rs inflate + tar walk of all layers, initlint's threads: {fl:.2f} s")
for name, what, target in (("script", "entrypoint script -> perl in the base layer", 1.2),
                           ("static", "static server in the top layer", 1.0)):
    t, rss, r = run(name)
    reads = [l["read"] for l in r["target"]["layer_reads"]]
    print(f"{name}: {what}")
    print(f"  {t:.2f} s: {t / fl:.2f}x the floor (target <= {target}x), {t / gz:.2f}x gzip -dc; "
          f"peak RSS {rss:.1f} MiB (target < 100 MiB)")
    print(f"  layers base first: {' '.join(reads)}; re-reads {r['target']['layer_rereads']}; "
          f"findings {[f['code'] for f in r['findings']]}")
t1, rss1, _ = run("script1")
print(f"script pinned to one core: {t1:.2f} s, {t1 / fl:.2f}x the floor, peak RSS {rss1:.1f} MiB")
EOF

# A table-of-contents image in a local registry: the same image pushed as zstd:chunked and as
# eStargz (converted by testdata/images/estargz.py), read through a proxy that counts the
# bytes the registry sends (bench/count-proxy.py). Needs docker-registry and skopeo (Debian
# packages).
if command -v docker-registry >/dev/null && command -v skopeo >/dev/null; then
  reg=$(mktemp -d)
  free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
  rport=$(free_port); pport=$(free_port)
  printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s/data\nhttp:\n  addr: 127.0.0.1:%s\n  secret: bench\n' \
    "$reg" "$rport" >"$reg/config.yml"
  docker-registry serve "$reg/config.yml" >"$reg/log" 2>&1 &
  regpid=$!
  python3 bench/count-proxy.py "$pport" "$rport" "$reg/count" &
  proxypid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$rport/v2/" >/dev/null && break; sleep 0.1; done
  echo 0 >"$reg/count"
  # skopeo 1.9 fails ("short write") converting this docker-archive to zstd:chunked in one
  # step; through an OCI layout it works.
  if [ ! -f "$out/chunked/index.json" ]; then
    rm -rf "$out/gzip-oci" "$out/chunked"
    for tag in latest static; do
      skopeo copy -q "docker-archive:$out/image.tar:bench:$tag" "oci:$out/gzip-oci:$tag"
      skopeo copy -q --dest-compress-format zstd:chunked "oci:$out/gzip-oci:$tag" "oci:$out/chunked:$tag"
    done
  fi
  # eStargz: no tool here writes it; the fixtures' converter does, with the real 4 MiB chunks.
  if [ ! -f "$out/estargz/index.json" ]; then
    python3 testdata/images/estargz.py "$out/gzip-oci" "$out/estargz" $((4 << 20)) >/dev/null
  fi
  # The same gzip layers in an OCI layout: only the stored (compressed) digest is checked,
  # where a docker-archive's layers are checked by their uncompressed diff_ids.
  best_of oci "$bin" --format json "oci:$out/gzip-oci:latest" >"$out/oci"
  python3 - "$out" <<'EOF'
import sys
out = sys.argv[1]
fl = float(open(f"{out}/floor").read().split()[0])
t, rss = open(f"{out}/oci").read().split()
print(f"script, OCI layout of the same gzip layers: {float(t):.2f} s: {float(t) / fl:.2f}x the floor "
      f"(target <= 1.2x), peak RSS {int(rss) / 1024:.1f} MiB")
EOF
  for tag in latest static; do
    skopeo copy -q --dest-tls-verify=false "oci:$out/chunked:$tag" "docker://127.0.0.1:$rport/bench:$tag-chunked"
    skopeo copy -q --dest-tls-verify=false "oci:$out/estargz:$tag" "docker://127.0.0.1:$rport/bench:$tag-estargz"
  done
  skopeo copy -q --dest-tls-verify=false "docker-archive:$out/image.tar:bench:latest" \
    "docker://127.0.0.1:$rport/bench:latest-gzip"
  for tag in latest-chunked static-chunked latest-estargz static-estargz latest-gzip; do
    before=$(cat "$reg/count")
    /usr/bin/time -f "%e %M" -o "$out/t.reg" "$bin" --format json "127.0.0.1:$pport/bench:$tag" >"$out/reg.json" || true
    sleep 0.5  # the proxy writes its count when the connections close
    after=$(cat "$reg/count")
    stored=$(skopeo inspect --raw --tls-verify=false "docker://127.0.0.1:$rport/bench:$tag" |
      python3 -c 'import json,sys; print(sum(l["size"] for l in json.load(sys.stdin)["layers"]))')
    python3 - "$tag" "$((after - before))" "$stored" "$out/reg.json" "$(tail -1 "$out/t.reg")" <<'EOF'
import json, sys
tag, sent, stored, t = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[5].split()
r = json.load(open(sys.argv[4]))["target"]
reads = " ".join(l["read"] for l in r["layer_reads"])
print(f"registry bench:{tag}: {sent / 2**20:.2f} MiB transferred of {stored / 2**20:.1f} MiB stored "
      f"({100 * sent / stored:.1f} %; TOC target <= 10 %), {t[0]} s, peak RSS {int(t[1]) / 1024:.1f} MiB")
print(f"  layers base first: {reads}; files fetched by range: {r['toc_file_reads']}")
EOF
  done
  kill "$proxypid" "$regpid" 2>/dev/null || true
  rm -rf "$reg"
else
  echo "registry run skipped: needs docker-registry and skopeo (apt-get install docker-registry skopeo)"
fi

# The local daemon: `initlint docker-daemon:bench` against `docker save bench > /dev/null`
# (the export alone), on a private dockerd. Skipped without dockerd (Debian docker.io).
if command -v dockerd >/dev/null && [ "$(id -u)" = 0 ]; then
  dk=$(mktemp -d)
  dockerd --host "unix://$dk/docker.sock" --data-root "$dk/data" --exec-root "$dk/exec" \
    --pidfile "$dk/pid" --iptables=false --bridge=none >"$dk/log" 2>&1 &
  export DOCKER_HOST="unix://$dk/docker.sock"
  for _ in $(seq 1 100); do docker version >/dev/null 2>&1 && break; sleep 0.2; done
  docker load -q -i "$out/image.tar" >/dev/null
  for r in $(seq 1 "$runs"); do
    /usr/bin/time -f "%e" -o "$out/t.save" sh -c 'docker save bench:latest >/dev/null'
    tail -1 "$out/t.save"
  done | best >"$out/save"
  for r in $(seq 1 "$runs"); do
    /usr/bin/time -f "%e %M" -o "$out/t.dk" "$bin" --format json docker-daemon:bench:latest >"$out/daemon.json" || true
    tail -1 "$out/t.dk"
  done | sort -n | head -1 >"$out/daemon"
  kill "$(cat "$dk/pid")" 2>/dev/null || true
  sleep 1
  rm -rf "$dk" 2>/dev/null || true
  save=$(cat "$out/save")
  read -r dkt dkrss <"$out/daemon"
  python3 - "$save" "$dkt" "$dkrss" "$out/daemon.json" <<'PY'
import json, sys
save, t, rss = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
r = json.load(open(sys.argv[4]))
print(f"docker save > /dev/null (best of runs):  {save:.2f} s")
print(f"initlint docker-daemon (best of runs):   {t:.2f} s, peak RSS {rss / 1024:.1f} MiB")
print(f"ratio: {t / save:.2f}x the export alone (target <= 1.3x); peak RSS target < 100 MiB; findings {[f['code'] for f in r['findings']]}")
PY
else
  echo "daemon run skipped: needs root and dockerd (apt-get install docker.io)"
fi
