#!/usr/bin/env bash
# README's two set-up commands on a fresh Debian machine, for real:
#   1. debootstrap a minimal root of this machine's release, from the mirror this machine's
#      apt already uses (read from apt, never written here),
#   2. bind this machine's Rust toolchain into it (read-only) — a newcomer has Rust, and the
#      C compiler rustc links with — and nothing else of the host,
#   3. `git clone` the repository's HEAD into it, and run the two commands exactly as README
#      writes them, timing each. Both must exit 0.
# Usage (as root): bench/fresh-machine.sh [WORKDIR]   (default: a new dir under /tmp)
# It takes a while: a release build, then the whole test suite with its first build.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "fresh-machine.sh: run as root (debootstrap, chroot)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "fresh-machine.sh: apt-get install debootstrap" >&2; exit 1; }

work=${1:-$(mktemp -d /tmp/initlint-fresh.XXXXXX)}
root="$work/root"
mkdir -p "$work"

. /etc/os-release
suite=$VERSION_CODENAME
# The mirror this machine's apt uses for its own release's main component.
mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' 'Created-By: Packages' |
  awk -v s="$suite" '$2 == s && $3 == "main" { print $1; exit }')
[ -n "$mirror" ] || { echo "fresh-machine.sh: no apt source for $suite main on this machine" >&2; exit 1; }

# The commands, read from README so this cannot drift from what a newcomer is told.
mapfile -t commands < <(awk '/^## Set-up on a fresh machine/ { on = 1 } on && /^```sh/ { block = 1; next }
  block && /^```/ { exit } block { sub(/[[:space:]]+#.*/, ""); print }' "$repo/README.md")
[ ${#commands[@]} -eq 2 ] || { echo "fresh-machine.sh: README's set-up block has ${#commands[@]} commands, not 2" >&2; exit 1; }

mounts=()
cleanup() {
  local m
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
bind() { mkdir -p "$2"; mount --bind "$1" "$2"; mounts+=("$2"); [ "${3:-}" = ro ] && mount -o remount,bind,ro "$2"; true; }

if [ ! -x "$root/bin/sh" ]; then
  echo "== debootstrap $suite from $mirror into $root"
  start=$SECONDS
  # minbase + git (to clone) + gcc/libc6-dev (the linker every Rust toolchain needs).
  debootstrap --variant=minbase --include=git,ca-certificates,gcc,libc6-dev \
    "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  echo "   took $((SECONDS - start)) s"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
# The machine's own network trust (a local CA that its HTTPS egress needs), as any machine
# of this network has it: the certificates only, nothing of the project.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null 2>&1
fi

# The root must be a mount point, as a machine's / is: `unshare --mount-proc` (the ground
# truth) makes / private and fails with EINVAL on a plain directory.
mount --bind "$root" "$root"; mounts+=("$root")
mount -t proc proc "$root/proc"; mounts+=("$root/proc")
bind /sys "$root/sys"
bind /dev "$root/dev"
mount -t devpts devpts "$root/dev/pts" 2>/dev/null && mounts+=("$root/dev/pts") || true
mount -t tmpfs tmpfs "$root/tmp"; mounts+=("$root/tmp")
sysroot=$(rustc --print sysroot)
bind "$sysroot" "$root/opt/rust" ro
bind "$repo" "$root/src/initlint" ro

rm -rf "$root/root/initlint"
chroot "$root" git clone -q /src/initlint /root/initlint 2>&1 ||
  chroot "$root" git -c safe.directory='*' clone -q /src/initlint /root/initlint
echo "== cloned $(git -C "$repo" rev-parse --short HEAD) into the fresh root"

# A container engine cannot start in this chroot (it has no /sys/fs/cgroup): the engine
# tests are skipped here, saying so, and run in CI. FRESH_SKIP= runs them anyway.
run() {
  chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    INITLINT_TEST_SKIP="${FRESH_SKIP-docker,podman}" \
    PATH=/opt/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /bin/bash -c "cd /root/initlint && $1"
}

status=0
for c in "${commands[@]}"; do
  echo "== $c"
  start=$SECONDS
  if run "$c" >"$work/cmd.log" 2>&1; then
    echo "   exit 0, took $((SECONDS - start)) s"
  else
    rc=$?
    echo "   FAILED (exit $rc) after $((SECONDS - start)) s; last lines:"
    tail -40 "$work/cmd.log"
    status=1
  fi
  cp "$work/cmd.log" "$work/$(echo "$c" | tr -c 'a-zA-Z0-9' '_' | cut -c1-40).log"
done
echo "== logs in $work"
exit $status
