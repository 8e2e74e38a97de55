#!/usr/bin/env bash
# Lint N generated Dockerfiles (each with a build-context entrypoint script) in one
# initlint run and report Dockerfiles/second.  usage: bench/dockerfiles.sh [N]
set -euo pipefail
n=${1:-1000}
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/release/initlint"
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
bases=(debian:bookworm alpine:3.20 python:3.12-slim node:20 ubuntu:24.04)
for i in $(seq 1 "$n"); do
  d="$dir/app$i"; mkdir -p "$d"
  printf '#!/bin/sh\nset -e\nif [ "$1" = serve ]; then\n  exec gosu app "$@"\nfi\necho start %s\n"$@"\n' "$i" > "$d/entrypoint.sh"
  chmod 755 "$d/entrypoint.sh"
  printf 'import time\nwhile True: time.sleep(1)\n' > "$d/app.py"
  cat > "$d/Dockerfile" <<DF
ARG BASE=${bases[$((i % 5))]}
FROM \$BASE AS build
RUN <<EOT
echo building $i
EOT
FROM \$BASE
ENV PORT=$i
WORKDIR /srv
COPY entrypoint.sh app.py ./
ENTRYPOINT ["./entrypoint.sh"]
CMD python app.py --port \$PORT
DF
done
start=$(date +%s.%N)
# --no-base: the rate of the linting itself, not of reading base images.
"$bin" --no-base --format json "$dir"/app*/ > "$dir/out.json" || true
end=$(date +%s.%N)
python3 - "$n" "$start" "$end" "$dir/out.json" <<'PY'
import sys, json
n, start, end = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
text = open(sys.argv[4]).read()
dec, i, count = json.JSONDecoder(), 0, 0
while i < len(text):
    while i < len(text) and text[i].isspace(): i += 1
    if i >= len(text): break
    _, i = dec.raw_decode(text, i); count += 1
assert count == n, f"expected {n} reports, got {count}"
print(f"{n} Dockerfiles in {end-start:.3f} s: {n/(end-start):.0f} Dockerfiles/s")
PY
