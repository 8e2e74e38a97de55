#!/usr/bin/env bash
# Dockerfile mode's decided/unknown rate on real projects, and why it says unknown.
# usage: bench/unknown-rate.sh DIR [initlint flags…]
#   DIR holds checked-out repositories (e.g. `git archive` of each into DIR/owner+name).
#   Default flags: --offline (bases come from the local engines and cache only), so the
#   figure is what a pre-commit hook without network sees; pass other flags to compare.
# Every Dockerfile* under DIR (not *.md, *.template, *.dockerignore) is linted alone with its
# own directory as the context unless its COPY sources are in a parent (initlint's rule).
set -euo pipefail
dir=${1:?usage: bench/unknown-rate.sh DIR [initlint flags…]}; shift
flags=("$@"); [ ${#flags[@]} -gt 0 ] || flags=(--offline)
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/release/initlint"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$dir"
find -L . -name 'Dockerfile*' -not -name '*.md' -not -name '*.template' -not -name '*.dockerignore' \
  -not -path '*/node_modules/*' | sort >"$tmp/files"
cat >"$tmp/rate.py" <<'PY'
import collections, json, os, subprocess, sys
bin, flags = sys.argv[1], sys.argv[2:]
fates, why = collections.Counter(), collections.Counter()
def reason(text):
    t = text.lower()
    if "no copy or build shows how it is made" in t or "which initlint does not run" in t or "copies no" in t:
        return "a build stage's product (toolchain not modelled or sources not read)"
    if "no stage sets entrypoint or cmd" in t: return "launch inherited from an unread base"
    if "which was not read" in t or "could not be read: not found" in t or "which could not be read" in t:
        return "a file from an unread base or image"
    if "runs without a script" in t: return "an interpreter with no script (an official base image's REPL default)"
    if "not in the build context" in t: return "a COPY source not in the build context"
    if "package.json script" in t: return "npm/yarn script not read"
    return "other: " + text[:70]
files = [l.strip() for l in open(sys.argv[0].replace("rate.py", "files")) if l.strip()]
for f in files:
    # From the repository's top directory (resolved: DIR may hold symlinks to checkouts), as a
    # developer runs it: without .git, initlint searches a context up to the working directory.
    top, rest = f.split("/", 2)[1], f.split("/", 2)[2] if f.count("/") > 1 else f
    p = subprocess.run([bin, *flags, "--format", "json", rest], capture_output=True, text=True,
                       cwd=os.path.realpath(top))
    if not p.stdout.strip():
        fates["error (exit %d)" % p.returncode] += 1
        why["error: " + p.stderr.strip().split(": ")[-1][:60]] += 1
        continue
    d = json.loads(p.stdout)
    d = d if isinstance(d, dict) else (d or [None])[0]
    if d is None:
        fates["no report"] += 1; why["no report: " + p.stderr.strip().split(": ")[-1][:50]] += 1
        continue
    v = d["verdict"]
    fates[v["stop_signal"]] += 1
    if v["stop_signal"] == "unknown":
        why[reason(" ".join(r["text"] for r in v.get("reasons", [])))] += 1
n = len(files)
decided = sum(c for k, c in fates.items() if k in ("delivered", "ignored", "abrupt"))
print(f"{n} Dockerfiles, flags {' '.join(flags)}: decided {decided} ({100*decided/max(n,1):.0f} %)")
for k, c in fates.most_common(): print(f"  {k:12} {c}")
print("unknown, by reason:")
for k, c in why.most_common(): print(f"  {c:4}  {k}")
PY
python3 "$tmp/rate.py" "$bin" "${flags[@]}"
