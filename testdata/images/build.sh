#!/usr/bin/env bash
# Build the fixture images the image-mode tests read, from real parts:
#   - static C programs compiled here (src/*.c),
#   - dash and busybox from Debian's packages (apt-get download + dpkg -x; not the host's),
#   - layers made by umoci (init/new/unpack/repack/config), whiteouts included,
#   - each image written as an OCI layout (OUT/oci:NAME), a docker-archive (OUT/NAME.tar)
#     and an oci-archive (OUT/NAME.oci.tar) by skopeo,
#   - every image again with eStargz layers by estargz.py (OUT/estargz:NAME),
#   - hostile images written byte by byte by hostile.py (no tool would make them),
#   - the application servers of apps.sh (python, node, npm…: OUT/apps).
# Usage: testdata/images/build.sh [OUT]   (default: target/fixture-images)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=$(mkdir -p "${1:-target/fixture-images}" && cd "${1:-target/fixture-images}" && pwd)
work="$out/work"
layout="$out/oci"
rm -rf "$work" "$layout" "$out"/*.tar "$out/hostile"
mkdir -p "$work/bin" "$out/debs"

for tool in umoci skopeo gcc musl-gcc dpkg apt-get python3; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool is missing (./x test installs it)" >&2; exit 1; }
done
# The Go fixture is skipped only when asked (INITLINT_TEST_SKIP=go), never silently.
skip_go=0
case ",${INITLINT_TEST_SKIP:-}," in *,go,*) skip_go=1 ;; esac
if [ "$skip_go" = 0 ] && ! command -v go >/dev/null; then
  echo "build.sh: go is missing (Debian package golang-go; ./x test installs it, INITLINT_TEST_SKIP=go skips the Go fixture)" >&2
  exit 1
fi

# Real binaries: static and dynamic (glibc) C programs, and Go if the toolchain is here.
for prog in sleeper handler; do
  gcc -static -O2 -o "$work/bin/$prog" "$here/src/$prog.c"
done
for prog in sleeper handler forker reaper waiter intonly; do
  gcc -O2 -o "$work/bin/$prog-dyn" "$here/src/$prog.c"
done
# Static and unstripped (call sites resolved through .symtab), and static stripped.
gcc -static -O2 -o "$work/bin/intonly-static" "$here/src/intonly.c"
gcc -static -O2 -s -o "$work/bin/handler-stripped" "$here/src/handler.c"
gcc -static -O2 -s -o "$work/bin/sleeper-stripped" "$here/src/sleeper.c"
gcc -static -O2 -s -o "$work/bin/reaper-stripped" "$here/src/reaper.c"
# The same with musl (as Alpine's and Rust's musl targets link), static and stripped.
for prog in handler sleeper; do
  musl-gcc -static -O2 -s -o "$work/bin/$prog-musl-stripped" "$here/src/$prog.c"
done
have_go=0
if [ "$skip_go" = 0 ]; then
  (cd "$here/src" && CGO_ENABLED=0 GOCACHE="$out/gocache" GOPATH="$out/gopath" GO111MODULE=off \
    go build -o "$work/bin/go-server" server.go)
  have_go=1
fi
# Debian's packages, unpacked with dpkg -x (the host's /usr/bin is never copied).
debs="dash busybox-static libc6 tini dumb-init catatonit python3.11-minimal
  libpython3.11-minimal libexpat1 zlib1g bash libtinfo6 util-linux libpam0g libpam-modules
  libaudit1 libcap-ng0 libselinux1 libpcre2-8-0"
(cd "$out/debs" && for pkg in $debs; do
  ls "$pkg"_*.deb >/dev/null 2>&1 || apt-get download "$pkg" >/dev/null 2>&1 || { echo "build.sh: apt-get download $pkg failed" >&2; exit 1; }
done)
for pkg in $debs; do
  dpkg -x "$out/debs/$pkg"_*.deb "$work/$pkg"
done
mv "$work/busybox-static" "$work/busybox"

umoci init --layout "$layout"

# new NAME: an empty image unpacked into $work/NAME; commit NAME: a layer from its rootfs.
new() { umoci new --image "$layout:$1"; umoci unpack --rootless --image "$layout:$1" "$work/$1" >/dev/null; }
# repack appends to the manifest the bundle was unpacked from: unpack again so the next
# commit becomes a layer of its own.
commit() {
  umoci repack --image "$layout:$1" "$work/$1"
  rm -rf "$work/$1"
  umoci unpack --rootless --image "$layout:$1" "$work/$1" >/dev/null
}
config() { local name=$1; shift; umoci config --image "$layout:$name" "$@"; }
root() { echo "$work/$1/rootfs"; }

# glibc from Debian's libc6, for dynamic programs.
libc() {
  local r; r=$(root "$1")
  cp -a "$work/libc6/lib" "$work/libc6/lib64" "$r/" 2>/dev/null || cp -a "$work/libc6/." "$r/"
}

# A Debian-like base: usr-merged, /bin/sh -> dash, glibc, dynamic programs.
debian_base() {
  local r; r=$(root "$1")
  mkdir -p "$r/usr/bin" "$r/app" "$r/etc"
  ln -s usr/bin "$r/bin"
  cp "$work/dash/bin/dash" "$r/usr/bin/dash"
  ln -s dash "$r/usr/bin/sh"
  libc "$1"
  cp "$work/bin/sleeper-dyn" "$r/app/sleeper"
  cp "$work/bin/handler-dyn" "$r/app/handler"
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
}

# An Alpine-like base: /bin/sh is a hard link to a static busybox.
busybox_base() {
  local r; r=$(root "$1")
  mkdir -p "$r/bin" "$r/app" "$r/etc"
  cp "$work/busybox/bin/busybox" "$r/bin/busybox"
  ln "$r/bin/busybox" "$r/bin/sh"
  cp "$work/bin/sleeper" "$work/bin/handler" "$r/app/"
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
}

# 1-2: the same shell-form CMD on dash and on busybox.
new dash-shell-form; debian_base dash-shell-form; commit dash-shell-form
config dash-shell-form --config.cmd /bin/sh --config.cmd -c --config.cmd "/app/sleeper --serve"
new busybox-shell-form; busybox_base busybox-shell-form; commit busybox-shell-form
config busybox-shell-form --config.cmd /bin/sh --config.cmd -c --config.cmd "/app/sleeper --serve"

# 3: an entrypoint script in its own layer that forgets exec.
new script-no-exec; busybox_base script-no-exec; commit script-no-exec
printf '#!/bin/sh\nset -e\necho "starting"\n/app/sleeper "$@"\n' >"$(root script-no-exec)/docker-entrypoint.sh"
chmod 755 "$(root script-no-exec)/docker-entrypoint.sh"
commit script-no-exec
config script-no-exec --config.entrypoint /docker-entrypoint.sh --config.cmd --serve \
  --config.env PATH=/app:/bin --config.workingdir /app

# 4: the script is fine but not executable.
new script-not-executable; debian_base script-not-executable
printf '#!/bin/sh\nexec /app/handler "$@"\n' >"$(root script-not-executable)/entrypoint.sh"
chmod 644 "$(root script-not-executable)/entrypoint.sh"
commit script-not-executable
config script-not-executable --config.entrypoint /entrypoint.sh

# 5: CRLF line endings (checked out on Windows).
new crlf-shebang; debian_base crlf-shebang
printf '#!/bin/sh\r\nexec /app/handler\r\n' >"$(root crlf-shebang)/entrypoint.sh"
chmod 755 "$(root crlf-shebang)/entrypoint.sh"
commit crlf-shebang
config crlf-shebang --config.entrypoint /entrypoint.sh

# 6: a later layer deletes the entrypoint (a whiteout).
new deleted-entrypoint; debian_base deleted-entrypoint
printf '#!/bin/sh\nexec /app/handler\n' >"$(root deleted-entrypoint)/entrypoint.sh"
chmod 755 "$(root deleted-entrypoint)/entrypoint.sh"
commit deleted-entrypoint
rm "$(root deleted-entrypoint)/entrypoint.sh"
commit deleted-entrypoint
config deleted-entrypoint --config.entrypoint /entrypoint.sh

# 7: exec form straight to a program that handles SIGTERM.
new exec-form-ok; busybox_base exec-form-ok; commit exec-form-ok
config exec-form-ok --config.entrypoint /app/handler --config.stopsignal SIGTERM

# 8: the shebang names an interpreter the image lacks.
new missing-interpreter; busybox_base missing-interpreter
printf '#!/usr/bin/python3\nimport time\ntime.sleep(1e9)\n' >"$(root missing-interpreter)/app/main.py"
chmod 755 "$(root missing-interpreter)/app/main.py"
commit missing-interpreter
config missing-interpreter --config.cmd /app/main.py

# 9: an entrypoint script that execs the program: nothing to report.
new script-exec-ok; debian_base script-exec-ok
printf '#!/bin/sh\nset -e\nexec /app/handler "$@"\n' >"$(root script-exec-ok)/usr/bin/start"
chmod 755 "$(root script-exec-ok)/usr/bin/start"
commit script-exec-ok
config script-exec-ok --config.entrypoint start --config.env PATH=/usr/bin:/app

# 10: no Entrypoint and no Cmd at all.
new no-command; busybox_base no-command; commit no-command

# The PID 1 programs of the ground-truth test (tests/ground_truth.rs): each is run in a real
# PID namespace and sent its stop signal, and initlint's verdict must match what happens.
new c-handler-dyn; debian_base c-handler-dyn; commit c-handler-dyn
config c-handler-dyn --config.entrypoint /app/handler
new c-nohandler-dyn; debian_base c-nohandler-dyn; commit c-nohandler-dyn
config c-nohandler-dyn --config.entrypoint /app/sleeper

for init in tini dumb-init catatonit; do
  name=$init-nohandler
  new "$name"; debian_base "$name"
  cp "$work/$init/usr/bin/$init" "$(root "$name")/usr/bin/$init"
  commit "$name"
done
config tini-nohandler --config.entrypoint /usr/bin/tini --config.entrypoint -- --config.cmd /app/sleeper
config dumb-init-nohandler --config.entrypoint /usr/bin/dumb-init --config.cmd /app/sleeper
config catatonit-nohandler --config.entrypoint /usr/bin/catatonit --config.entrypoint -- --config.cmd /app/sleeper

new forker-noreap; debian_base forker-noreap
cp "$work/bin/forker-dyn" "$(root forker-noreap)/app/worker"; commit forker-noreap
config forker-noreap --config.entrypoint /app/worker
new forker-reap; debian_base forker-reap
cp "$work/bin/reaper-dyn" "$(root forker-reap)/app/worker"; commit forker-reap
config forker-reap --config.entrypoint /app/worker

# busybox execs the last command of -c: the dynamic handler becomes PID 1.
new busybox-exec-handler; busybox_base busybox-exec-handler; libc busybox-exec-handler
cp "$work/bin/handler-dyn" "$(root busybox-exec-handler)/app/handler-dyn"; commit busybox-exec-handler
config busybox-exec-handler --config.cmd /bin/sh --config.cmd -c --config.cmd "/app/handler-dyn"

# bash execs a simple last command too.
new bash-exec-handler; debian_base bash-exec-handler
cp "$work/bash/bin/bash" "$(root bash-exec-handler)/usr/bin/bash"
cp -a "$work/libtinfo6/lib/." "$(root bash-exec-handler)/lib/"; commit bash-exec-handler
config bash-exec-handler --config.entrypoint /bin/bash --config.entrypoint -c --config.entrypoint "/app/handler"

# python as PID 1: ignores SIGTERM unless the app installs a handler.
python_base() {
  local r; r=$(root "$1")
  debian_base "$1"
  for pkg in python3.11-minimal libpython3.11-minimal libexpat1 zlib1g; do
    cp -a "$work/$pkg/." "$r/"
  done
  rm -rf "$r/usr/share/doc" "$r/usr/share/man"
}
new python-nohandler; python_base python-nohandler
printf 'import time\nwhile True:\n    time.sleep(1)\n' >"$(root python-nohandler)/app/main.py"
commit python-nohandler
config python-nohandler --config.cmd /usr/bin/python3.11 --config.cmd /app/main.py
new python-handler; python_base python-handler
printf 'import signal, sys, time\nsignal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\nwhile True:\n    time.sleep(1)\n' >"$(root python-handler)/app/main.py"
commit python-handler
config python-handler --config.cmd /usr/bin/python3.11 --config.cmd /app/main.py
# 9. the handler is in a module of the app that main.py imports.
new python-handler-in-module; python_base python-handler-in-module
printf 'import lifecycle\nlifecycle.serve()\n' >"$(root python-handler-in-module)/app/main.py"
printf 'import signal, sys, time\ndef serve():\n    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\n    while True:\n        time.sleep(1)\n' >"$(root python-handler-in-module)/app/lifecycle.py"
commit python-handler-in-module
config python-handler-in-module --config.cmd /usr/bin/python3.11 --config.cmd /app/main.py
# 9. python that execs the real program (os.execv): the program is PID 1, not python.
new python-execv-handler; python_base python-execv-handler
printf 'import os
os.execv("/app/handler", ["/app/handler"])
' >"$(root python-execv-handler)/app/start.py"
commit python-execv-handler
config python-execv-handler --config.cmd /usr/bin/python3.11 --config.cmd /app/start.py

# Issue 10's points, each measured by tests/ground_truth.rs.
# script PID1 NAME CONTENT: a dash-based image whose entrypoint is /entrypoint.sh.
script_image() {
  local name=$1 content=$2
  new "$name"; debian_base "$name"
  printf '%s' "$content" >"$(root "$name")/entrypoint.sh"
  chmod 755 "$(root "$name")/entrypoint.sh"
  commit "$name"
}
# An `if` on the environment, as minio's docker-entrypoint.sh: with APP_USER unset the script
# execs the handler; with it set (ENV), the other branch runs it without exec and dash stays.
env_script='#!/bin/sh
if [ -n "$APP_USER" ] && [ "$APP_USER" != root ]; then
  /app/handler
else
  exec /app/handler
fi
'
script_image script-env-unset "$env_script"
config script-env-unset --config.entrypoint /entrypoint.sh
script_image script-env-set "$env_script"
config script-env-set --config.entrypoint /entrypoint.sh --config.env APP_USER=app
# 1. dash stays PID 1 even though its child cannot be resolved statically.
new dash-unresolved-child; debian_base dash-unresolved-child; commit dash-unresolved-child
config dash-unresolved-child --config.cmd /bin/sh --config.cmd -c --config.cmd 'prog=/app/handler; $prog'
# 2. busybox execs `./handler` after `cd /app`.
new busybox-cd-handler; busybox_base busybox-cd-handler; libc busybox-cd-handler
cp "$work/bin/handler-dyn" "$(root busybox-cd-handler)/app/handler-dyn"; commit busybox-cd-handler
config busybox-cd-handler --config.cmd /bin/sh --config.cmd -c --config.cmd 'cd /app && ./handler-dyn'
# 3. a trap behind a foreground child waits for it; behind `& wait` it runs at once.
script_image trap-foreground "$(printf '#!/bin/sh
trap "exit 0" TERM
/app/handler
')"
config trap-foreground --config.entrypoint /entrypoint.sh
script_image trap-background-wait "$(printf '#!/bin/sh
/app/handler &
pid=$!
trap '"'"'kill -TERM $pid; wait $pid; exit 0'"'"' TERM
wait $pid
')"
config trap-background-wait --config.entrypoint /entrypoint.sh
# 4. an init whose child is a script without exec: tini signals only the script (abrupt);
# dumb-init and tini -g signal the process group (the app gets it).
for init in tini dumb-init; do
  name=$init-script-noexec
  script_image "$name" "$(printf '#!/bin/sh
echo starting
/app/handler
')"
  cp "$work/$init/usr/bin/$init" "$(root "$name")/usr/bin/$init"; commit "$name"
done
config tini-script-noexec --config.entrypoint /usr/bin/tini --config.entrypoint -- --config.cmd /entrypoint.sh
config dumb-init-script-noexec --config.entrypoint /usr/bin/dumb-init --config.cmd /entrypoint.sh
script_image tini-g-script-noexec "$(printf '#!/bin/sh
echo starting
/app/handler
')"
cp "$work/tini/usr/bin/tini" "$(root tini-g-script-noexec)/usr/bin/tini"; commit tini-g-script-noexec
config tini-g-script-noexec --config.entrypoint /usr/bin/tini --config.entrypoint -g --config.entrypoint -- --config.cmd /entrypoint.sh
# 7. a busybox applet as PID 1.
new busybox-sleep; busybox_base busybox-sleep; ln -s busybox "$(root busybox-sleep)/bin/sleep"
commit busybox-sleep
config busybox-sleep --config.cmd sleep --config.cmd 100000 --config.env PATH=/bin
# 10. bash does not exec the last command of a list that ran a background job.
new bash-bg-list; debian_base bash-bg-list
cp "$work/bash/bin/bash" "$(root bash-bg-list)/usr/bin/bash"
cp -a "$work/libtinfo6/lib/." "$(root bash-bg-list)/lib/"; commit bash-bg-list
config bash-bg-list --config.entrypoint /bin/bash --config.entrypoint -c --config.entrypoint "/app/sleeper & /app/handler"

# Issue 26: shells that exec a utility, and `trap '' TERM` (SIG_IGN, kept across exec).
# sleep is busybox's applet on the Debian-like base (it has no coreutils).
sleep_base() {
  debian_base "$1"
  cp "$work/busybox/bin/busybox" "$(root "$1")/usr/bin/busybox"
  ln -s busybox "$(root "$1")/usr/bin/sleep"
}
# bash execs `sleep`, which is PID 1: it ignores SIGTERM and leaves orphans.
new bash-sleep; sleep_base bash-sleep
cp "$work/bash/bin/bash" "$(root bash-sleep)/usr/bin/bash"
cp -a "$work/libtinfo6/lib/." "$(root bash-sleep)/lib/"; commit bash-sleep
config bash-sleep --config.cmd /bin/bash --config.cmd -c --config.cmd "sleep 100000" --config.env PATH=/usr/bin
# busybox execs the last command of a list.
new busybox-echo-sleep; busybox_base busybox-echo-sleep; ln -s busybox "$(root busybox-echo-sleep)/bin/sleep"
commit busybox-echo-sleep
config busybox-echo-sleep --config.cmd /bin/sh --config.cmd -c --config.cmd "echo starting; sleep 100000" --config.env PATH=/bin
# tini forwards SIGTERM to dash, which ignores it, as does sleep (inherited): ignored, not abrupt.
new tini-trap-ignore; sleep_base tini-trap-ignore
cp "$work/tini/usr/bin/tini" "$(root tini-trap-ignore)/usr/bin/tini"; commit tini-trap-ignore
config tini-trap-ignore --config.entrypoint /usr/bin/tini --config.entrypoint -- --config.cmd /bin/sh \
  --config.cmd -c --config.cmd "trap '' TERM; sleep 100000" --config.env PATH=/usr/bin
# A program that installs its own handler over the inherited SIG_IGN gets the signal.
new tini-trap-ignore-handler; debian_base tini-trap-ignore-handler
cp "$work/tini/usr/bin/tini" "$(root tini-trap-ignore-handler)/usr/bin/tini"; commit tini-trap-ignore-handler
config tini-trap-ignore-handler --config.entrypoint /usr/bin/tini --config.entrypoint -- --config.cmd /bin/sh \
  --config.cmd -c --config.cmd "trap '' TERM; exec /app/handler"

# 4. su and runuser stay PID 1, pass SIGTERM to their child and SIGKILL it 2 s later. Root
# switches without a password through pam_rootok, as Debian's /etc/pam.d/su starts.
su_base() {
  local r; r=$(root "$1")
  debian_base "$1"
  mkdir -p "$r/usr/sbin" "$r/etc/pam.d" "$r/lib/x86_64-linux-gnu/security"
  cp "$work/util-linux/bin/su" "$r/usr/bin/su"
  cp "$work/util-linux/sbin/runuser" "$r/usr/sbin/runuser"
  for pkg in libpam0g libaudit1 libcap-ng0 libselinux1; do cp -a "$work/$pkg/lib/." "$r/lib/"; done
  cp -a "$work/libpcre2-8-0/usr/lib/x86_64-linux-gnu/." "$r/lib/x86_64-linux-gnu/"
  cp "$work/libpam-modules/lib/x86_64-linux-gnu/security/pam_rootok.so" \
    "$work/libpam-modules/lib/x86_64-linux-gnu/security/pam_permit.so" \
    "$r/lib/x86_64-linux-gnu/security/"
  for svc in su runuser; do
    printf 'auth sufficient pam_rootok.so\nauth required pam_permit.so\naccount required pam_permit.so\nsession required pam_permit.so\n' >"$r/etc/pam.d/$svc"
  done
  printf 'root:x:0:\n' >"$r/etc/group"
}
# root's login shell is /bin/sh (dash), which does not exec the command: abrupt.
new su-dash-handler; su_base su-dash-handler; commit su-dash-handler
config su-dash-handler --config.entrypoint /usr/bin/su --config.entrypoint root \
  --config.entrypoint -c --config.entrypoint /app/handler
# bash execs the single command, which gets SIGTERM from su.
new su-bash-handler; su_base su-bash-handler
cp "$work/bash/bin/bash" "$(root su-bash-handler)/usr/bin/bash"
cp -a "$work/libtinfo6/lib/." "$(root su-bash-handler)/lib/"; commit su-bash-handler
config su-bash-handler --config.entrypoint /usr/bin/su --config.entrypoint root \
  --config.entrypoint -s --config.entrypoint /bin/bash --config.entrypoint -c --config.entrypoint /app/handler
# runuser -u runs the program directly.
new runuser-handler; su_base runuser-handler; commit runuser-handler
config runuser-handler --config.entrypoint /usr/sbin/runuser --config.entrypoint -u \
  --config.entrypoint root --config.entrypoint -- --config.entrypoint /app/handler

# 5. call sites: waitpid(pid) only; a static binary that handles SIGINT only; a stripped one.
new waiter-own-child; debian_base waiter-own-child
cp "$work/bin/waiter-dyn" "$(root waiter-own-child)/app/waiter"; commit waiter-own-child
config waiter-own-child --config.entrypoint /app/waiter
new static-sigint-only; busybox_base static-sigint-only
cp "$work/bin/intonly-static" "$(root static-sigint-only)/app/intonly"; commit static-sigint-only
config static-sigint-only --config.entrypoint /app/intonly
new static-stripped; busybox_base static-stripped
cp "$work/bin/handler-stripped" "$(root static-stripped)/app/handler"; commit static-stripped
config static-stripped --config.entrypoint /app/handler
# Stripped too, found by the system calls their libc makes: no handler; a handler that reaps.
new static-stripped-nohandler; busybox_base static-stripped-nohandler
cp "$work/bin/sleeper-stripped" "$(root static-stripped-nohandler)/app/server"; commit static-stripped-nohandler
config static-stripped-nohandler --config.entrypoint /app/server
new static-stripped-reaper; busybox_base static-stripped-reaper
cp "$work/bin/reaper-stripped" "$(root static-stripped-reaper)/app/server"; commit static-stripped-reaper
config static-stripped-reaper --config.entrypoint /app/server
for prog in handler sleeper; do
  name=static-musl-stripped-$prog
  new "$name"; busybox_base "$name"
  cp "$work/bin/$prog-musl-stripped" "$(root "$name")/app/server"; commit "$name"
  config "$name" --config.entrypoint /app/server
done

# 6. layers read from the top: the static server in the top layer settles every lookup
# there, so the base layer (with the shell) is never read.
new static-on-top; busybox_base static-on-top; commit static-on-top
mkdir -p "$(root static-on-top)/srv"
cp "$work/bin/handler" "$(root static-on-top)/srv/server"; commit static-on-top
config static-on-top --config.entrypoint /srv/server

if [ "$have_go" = 1 ]; then
  new go-server; debian_base go-server
  cp "$work/bin/go-server" "$(root go-server)/app/server"; commit go-server
  config go-server --config.entrypoint /app/server
fi

# Every image in every on-disk format.
for dir in "$work"/*/; do
  name=$(basename "$dir")
  [ -f "$dir/config.json" ] || continue
  skopeo copy -q "oci:$layout:$name" "docker-archive:$out/$name.tar:initlint/$name:latest"
  skopeo copy -q "oci:$layout:$name" "oci-archive:$out/$name.oci.tar:$name"
done

# A multi-platform index: amd64 runs dash-shell-form, arm64 runs exec-form-ok.
python3 "$here/index.py" "$layout" multi \
  dash-shell-form=linux/amd64 exec-form-ok=linux/arm64/v8

# Every image again with eStargz layers, in a layout of its own (no tool here writes eStargz).
rm -rf "$out/estargz"
python3 "$here/estargz.py" "$layout" "$out/estargz"

python3 "$here/hostile.py" "$out/hostile"
# The application servers (python, node, npm…), in a layout of their own (OUT/apps).
"$here/apps.sh" "$out"
rm -rf "$work"
echo "fixture images in $out"
