#!/usr/bin/env bash
# The application-server fixture images of tests/ground_truth.rs (issue 26): the programs
# people really run as PID 1, from real parts, each measured as PID 1 by the test:
#   - Python 3.11 with gunicorn, uvicorn, celery, flask, Django and supervisor, all Debian's
#     own packages (apt-get download + dpkg -x, as build.sh does for dash and busybox);
#   - node from Debian's nodejs/libnode packages, npm and yarn (classic) from the npm
#     registry, pinned by their sha512 integrity;
#   - Debian's OpenJDK 17 runtime with a jar compiled by the machine's javac;
#   - an Elixir release built by the machine's mix (Debian's Elixir and Erlang/OTP);
#   - one shared base layer per language, and the application in a layer of its own.
# Only an OCI layout (OUT/apps) is written: the images are large, and build.sh's fixtures
# already cover every on-disk format.
# Usage: testdata/images/apps.sh OUT   (build.sh runs it)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "$1" && pwd)
work="$out/apps-work"
layout="$out/apps"
debs="$out/debs"
rm -rf "$work" "$layout"
mkdir -p "$work" "$debs"

for tool in umoci gcc dpkg apt-get apt-cache curl python3 tar javac jar mix; do
  command -v "$tool" >/dev/null || { echo "apps.sh: $tool is missing (./x test installs it)" >&2; exit 1; }
done

# fetch PKG…: Debian's packages into $debs (kept between builds).
fetch() {
  (cd "$debs" && for pkg in "$@"; do
    local name=${pkg%%=*}
    ls "$name"_*.deb >/dev/null 2>&1 || apt-get download "$pkg" >/dev/null 2>&1 ||
      { echo "apps.sh: apt-get download $pkg failed" >&2; exit 1; }
  done)
}
# install ROOT PKG…: unpack the packages over ROOT. Through tar so that ROOT's /bin -> usr/bin
# stays a link (dpkg -x would replace it with a directory).
install() {
  local root=$1; shift
  local pkg x
  for pkg in "$@"; do
    x="$work/x-$pkg"
    rm -rf "$x"; dpkg -x "$debs/$pkg"_*.deb "$x"
    tar -C "$x" -cf - . | tar -C "$root" -xf - --keep-directory-symlink
    rm -rf "$x"
  done
}
# npm_package NAME VERSION SHA512: a package tarball from the npm registry, checked.
npm_package() {
  local tgz="$debs/$1-$2.tgz"
  if [ ! -f "$tgz" ]; then
    curl -fsSL --retry 3 -o "$tgz.part" "https://registry.npmjs.org/$1/-/$1-$2.tgz" ||
      { echo "apps.sh: downloading $1@$2 from the npm registry failed" >&2; exit 1; }
    mv "$tgz.part" "$tgz"
  fi
  local got; got=$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)
  [ "$got" = "$3" ] || { echo "apps.sh: $tgz: sha512 $got, expected $3" >&2; rm -f "$tgz"; exit 1; }
  echo "$tgz"
}

umoci init --layout "$layout"
new() { umoci new --image "$layout:$1"; umoci unpack --rootless --image "$layout:$1" "$work/$1" >/dev/null; }
# from BASE NAME: NAME starts as BASE (its layers shared), unpacked for the app's layer.
from() { umoci tag --image "$layout:$1" "$2"; umoci unpack --rootless --image "$layout:$2" "$work/$2" >/dev/null; }
commit() { umoci repack --image "$layout:$1" "$work/$1"; rm -rf "$work/$1"; }
config() { local name=$1; shift; umoci config --image "$layout:$name" "$@"; }
root() { echo "$work/$1/rootfs"; }

# A Debian-like root: usr-merged, /bin/sh -> dash, glibc.
debian_root() {
  local r; r=$(root "$1")
  mkdir -p "$r/usr/bin" "$r/usr/lib" "$r/usr/lib64" "$r/app" "$r/etc" "$r/tmp"
  ln -s usr/bin "$r/bin"; ln -s usr/lib "$r/lib"; ln -s usr/lib64 "$r/lib64"
  chmod 1777 "$r/tmp"
  install "$r" libc6 dash tini coreutils
  ln -sfn dash "$r/usr/bin/sh"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
}
slim() { rm -rf "$(root "$1")"/usr/share/{doc,man,locale,lintian} ; }

# --- Python -------------------------------------------------------------------------------
py_debs="python3.11-minimal libpython3.11-minimal libpython3.11-stdlib python3-minimal
  libffi8 libssl3 libbz2-1.0 liblzma5 libuuid1 libexpat1 zlib1g media-types tzdata
  python3-flask python3-werkzeug python3-jinja2 python3-markupsafe python3-click
  python3-itsdangerous python3-django python3-asgiref python3-sqlparse python3-tz
  gunicorn python3-gunicorn python3-pkg-resources uvicorn python3-uvicorn python3-h11
  celery python3-celery python3-billiard python3-kombu python3-vine python3-amqp
  python3-click-didyoumean python3-click-repl python3-click-plugins python3-dateutil
  python3-six python3-prompt-toolkit python3-wcwidth supervisor"
# shellcheck disable=SC2086
fetch libc6 dash tini coreutils $py_debs
new pybase; debian_root pybase
# shellcheck disable=SC2086
install "$(root pybase)" $py_debs
slim pybase
find "$(root pybase)/usr/lib/python3/dist-packages/django" \( -name '*.po' -o -name '*.mo' \) -delete
commit pybase

PY_ENV=(--config.env PATH=/usr/local/bin:/usr/bin --config.env PYTHONUNBUFFERED=1 --config.workingdir /app)
# py NAME FILE CONTENT…: an app image over the Python base, with /app/FILE.
py() {
  local name=$1; shift
  from pybase "$name"
  while [ $# -gt 0 ]; do printf '%s' "$2" >"$(root "$name")/app/$1"; shift 2; done
  commit "$name"
}

# A WSGI app, and the proof that a server's worker shut down cleanly: its exit hook runs on a
# normal exit (a SIGKILLed process runs none).
wsgi='import atexit, sys
atexit.register(lambda: print("handler: clean exit", file=sys.stderr, flush=True))
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok\n"]
'
asgi='import atexit, sys
atexit.register(lambda: print("handler: clean exit", file=sys.stderr, flush=True))
async def app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok\n"})
'
# werkzeug's reloader (PID 1) imports the app too: the hook goes only where the app serves.
flask_app='import atexit, os, sys
from flask import Flask
if os.environ.get("WERKZEUG_RUN_MAIN") == "true" or "--debug" not in sys.argv:
    atexit.register(lambda: print("handler: clean exit", file=sys.stderr, flush=True))
app = Flask(__name__)
@app.route("/")
def index():
    return "ok\n"
'

# gunicorn's console script (python): the master stops its workers and reaps any child.
py py-gunicorn app.py "$wsgi"
config py-gunicorn "${PY_ENV[@]}" --config.cmd gunicorn --config.cmd -b --config.cmd 127.0.0.1:8000 \
  --config.cmd -w --config.cmd 2 --config.cmd app:app
# uvicorn's console script.
py py-uvicorn app.py "$asgi"
config py-uvicorn "${PY_ENV[@]}" --config.cmd uvicorn --config.cmd --host --config.cmd 127.0.0.1 \
  --config.cmd app:app
# celery's worker (Debian's /usr/bin/celery is a sh/python polyglot that execs python3).
py py-celery tasks.py 'import atexit, sys
from celery import Celery
atexit.register(lambda: print("handler: clean exit", file=sys.stderr, flush=True))
app = Celery("tasks", broker="memory://")
@app.task
def add(x, y):
    return x + y
'
config py-celery "${PY_ENV[@]}" --config.env C_FORCE_ROOT=1 --config.cmd celery --config.cmd -A \
  --config.cmd tasks --config.cmd worker --config.cmd --loglevel --config.cmd INFO --config.cmd -c --config.cmd 1 --config.cmd --without-mingle \
  --config.cmd --without-gossip --config.cmd --without-heartbeat
# flask's development server: with --debug the reloader is PID 1 and the server its child.
py py-flask-debug app.py "$flask_app"
config py-flask-debug "${PY_ENV[@]}" --config.cmd flask --config.cmd --app --config.cmd app \
  --config.cmd --debug --config.cmd run
py py-flask-run app.py "$flask_app"
config py-flask-run "${PY_ENV[@]}" --config.cmd flask --config.cmd --app --config.cmd app --config.cmd run
# Django's runserver: the same reloader; the exit hook is in urls.py, which only the server
# (the child) imports.
py py-django-runserver manage.py '#!/usr/bin/env python3
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
from django.core.management import execute_from_command_line
execute_from_command_line(sys.argv)
' settings.py 'SECRET_KEY = "fixture"
DEBUG = True
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "urls"
INSTALLED_APPS = []
DATABASES = {}
' urls.py 'import atexit, sys
from django.http import HttpResponse
from django.urls import path
atexit.register(lambda: print("handler: clean exit", file=sys.stderr, flush=True))
urlpatterns = [path("", lambda request: HttpResponse("ok\n"))]
'
config py-django-runserver "${PY_ENV[@]}" --config.cmd python3 --config.cmd manage.py \
  --config.cmd runserver --config.cmd 127.0.0.1:8000
umoci tag --image "$layout:py-django-runserver" py-django-noreload
config py-django-noreload --config.cmd python3 --config.cmd manage.py --config.cmd runserver \
  --config.cmd --noreload --config.cmd 127.0.0.1:8000
# python's own test server.
py py-http-server index.html 'ok'
config py-http-server "${PY_ENV[@]}" --config.cmd python3 --config.cmd -m --config.cmd http.server \
  --config.cmd --bind --config.cmd 127.0.0.1 --config.cmd 8000
# supervisord in the foreground, running the handler program.
gcc -O2 -o "$work/handler" "$here/src/handler.c"
from pybase py-supervisord
cp "$work/handler" "$(root py-supervisord)/app/handler"
printf '%s' '[supervisord]
nodaemon=true
logfile=/dev/null
logfile_maxbytes=0
pidfile=/tmp/supervisord.pid

[program:handler]
command=/app/handler
stdout_logfile=/dev/stderr
stdout_logfile_maxbytes=0
redirect_stderr=true
' >"$(root py-supervisord)/app/supervisord.conf"
commit py-supervisord
config py-supervisord "${PY_ENV[@]}" --config.cmd supervisord --config.cmd -c --config.cmd /app/supervisord.conf

# --- Node ---------------------------------------------------------------------------------
# Debian's node (not nodesource's, whatever the machine has): the newest version a Debian
# archive offers.
node_version=$(apt-cache madison nodejs | awk -F' *[|] *' '$3 ~ /debian/ {print $2; exit}')
[ -n "$node_version" ] || { echo "apps.sh: no Debian nodejs in the package lists" >&2; exit 1; }
node_debs="nodejs=$node_version libnode108=$node_version libuv1 libicu72 libssl3 libc-ares2
  libnghttp2-14 libbrotli1 libstdc++6 libgcc-s1 zlib1g node-undici node-acorn
  node-cjs-module-lexer"
# shellcheck disable=SC2086
fetch busybox-static $node_debs
npm_tgz=$(npm_package npm 10.8.2 'x/AIjFIKRllrhcb48dqUNAAZl0ig9+qMuN91RpZo3Cb2+zuibfh+KISl6+kVVyktDz230JKc208UkQwwMqyB+w==')
yarn_tgz=$(npm_package yarn 1.22.22 'prL3kGtyG7o9Z9Sv8IPfBNrWTDmXB4Qbes8A9rEzt6wkJV8mUvoirjU0Mp3GGAU06Y0XQyA3/2/RQFVuK7MTfg==')
new nodebase; debian_root nodebase
r=$(root nodebase)
# shellcheck disable=SC2086
install "$r" $(printf '%s\n' $node_debs | sed 's/=.*//')
# As the node image lays them out: global packages under /usr/local/lib/node_modules.
mkdir -p "$r/usr/local/lib/node_modules/npm" "$r/usr/local/lib/node_modules/yarn" "$r/usr/local/bin"
tar -C "$r/usr/local/lib/node_modules/npm" --strip-components=1 -xzf "$npm_tgz"
tar -C "$r/usr/local/lib/node_modules/yarn" --strip-components=1 -xzf "$yarn_tgz"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$r/usr/local/bin/npm"
ln -s ../lib/node_modules/yarn/bin/yarn.js "$r/usr/local/bin/yarn"
# The node image's entrypoint: a first argument that is a file (not a command) runs with node.
cat >"$r/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e

# Run command with node if the first argument contains a "-" or is not a system command. The last
# part inside the "{}" is a workaround for the following bug in ash/dash:
# https://bugs.debian.org/cgi-bin/bugreport.cgi?bug=874264
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi

exec "$@"
EOF
chmod 755 "$r/usr/local/bin/docker-entrypoint.sh"
mkdir -p "$r/root"
slim nodebase
commit nodebase

NODE_ENV=(--config.env PATH=/usr/local/bin:/usr/bin --config.env HOME=/root --config.workingdir /app)
server_js='const http = require("http");
const server = http.createServer((req, res) => res.end("ok\n"));
server.listen(8000, "127.0.0.1", () => console.error("app: ready"));
process.on("SIGTERM", () => {
  server.close(() => { console.error("handler: clean exit"); process.exit(0); });
});
'
plain_js='const http = require("http");
http.createServer((req, res) => res.end("ok\n")).listen(8000, "127.0.0.1", () => console.error("app: ready"));
'
package_json='{ "name": "app", "version": "1.0.0", "private": true, "scripts": { "start": "node server.js" } }
'
# node NAME [BASE]: an app image with server.js (a SIGTERM handler) and package.json.
node_app() {
  from "${2:-nodebase}" "$1"
  printf '%s' "$server_js" >"$(root "$1")/app/server.js"
  printf '%s' "$package_json" >"$(root "$1")/app/package.json"
  printf '%s' "$plain_js" >"$(root "$1")/app/plain.js"
  commit "$1"
}
node_app node-handler
config node-handler "${NODE_ENV[@]}" --config.cmd node --config.cmd server.js
umoci tag --image "$layout:node-handler" node-nohandler
config node-nohandler --config.cmd node --config.cmd plain.js
umoci tag --image "$layout:node-handler" node-entrypoint-file
config node-entrypoint-file --config.entrypoint docker-entrypoint.sh --config.cmd server.js
# npm and yarn run the script with sh -c: dash stays between them and node.
umoci tag --image "$layout:node-handler" npm-start
config npm-start --config.cmd npm --config.cmd start
umoci tag --image "$layout:node-handler" yarn-start
config yarn-start --config.cmd yarn --config.cmd start
umoci tag --image "$layout:node-handler" tini-npm-start
config tini-npm-start --config.entrypoint tini --config.entrypoint -- --config.cmd npm --config.cmd start
# The same npm start where /bin/sh is busybox, which execs the last command of -c.
from nodebase nodebase-busybox
install "$(root nodebase-busybox)" busybox-static
ln -sf busybox "$(root nodebase-busybox)/usr/bin/sh"
commit nodebase-busybox
node_app npm-start-busybox nodebase-busybox
config npm-start-busybox "${NODE_ENV[@]}" --config.cmd npm --config.cmd start
umoci tag --image "$layout:npm-start-busybox" yarn-start-busybox
config yarn-start-busybox --config.cmd yarn --config.cmd start

# --- Java ---------------------------------------------------------------------------------
# Debian's OpenJDK 17 runtime (only the libraries its launcher and libjvm load), and a jar
# compiled here with the machine's javac: a loop with a shutdown hook, which the JVM runs when
# its own SIGTERM handler makes it exit (and not with -Xrs, which installs none).
java_debs="openjdk-17-jre-headless libstdc++6 libgcc-s1 zlib1g"
# shellcheck disable=SC2086
fetch $java_debs
new javabase; debian_root javabase
r=$(root javabase)
# shellcheck disable=SC2086
install "$r" $java_debs
jvm=$(cd "$r/usr/lib/jvm" && ls -d java-17-openjdk-* | head -1)
[ -x "$r/usr/lib/jvm/$jvm/bin/java" ] || { echo "apps.sh: no java in openjdk-17-jre-headless" >&2; exit 1; }
# dpkg -x runs no maintainer script: the alternatives link /usr/bin/java is made here.
ln -s "../lib/jvm/$jvm/bin/java" "$r/usr/bin/java"
slim javabase
commit javabase
mkdir -p "$work/java-src"
cat >"$work/java-src/App.java" <<'JAVA'
public class App {
    public static void main(String[] args) throws Exception {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.err.println("handler: clean exit")));
        System.err.println("app: ready");
        while (true) {
            Thread.sleep(1000);
        }
    }
}
JAVA
javac --release 17 -d "$work/java-src" "$work/java-src/App.java"
(cd "$work/java-src" && jar --create --file app.jar --main-class App App.class)
from javabase java-jar
cp "$work/java-src/app.jar" "$(root java-jar)/app/app.jar"
commit java-jar
config java-jar --config.env PATH=/usr/bin --config.workingdir /app --config.cmd java --config.cmd -jar --config.cmd /app/app.jar
umoci tag --image "$layout:java-jar" java-xrs
config java-xrs --config.cmd java --config.cmd -Xrs --config.cmd -jar --config.cmd /app/app.jar

# --- Elixir ---------------------------------------------------------------------------------
# A release `mix release` builds here with Debian's Elixir and Erlang/OTP (the release carries
# its own ERTS), over a root with only what the release script and the BEAM load. Its worker
# traps exits, so init:stop (the BEAM's SIGTERM handler) runs its terminate/2, which says
# "handler: clean exit". RELEASE_DISTRIBUTION=none: no epmd, no host name to resolve.
ex_debs="libtinfo6 zlib1g libgcc-s1 libstdc++6 grep libpcre2-8-0 sed libacl1 libselinux1"
# shellcheck disable=SC2086
fetch $ex_debs
mkdir -p "$work/ex"
(cd "$work/ex" && MIX_HOME="$work/ex/.mix" mix new exapp --sup >/dev/null)
cat >"$work/ex/exapp/lib/exapp/application.ex" <<'EX'
defmodule Exapp.Application do
  use Application

  @impl true
  def start(_type, _args) do
    Supervisor.start_link([Exapp.Worker], strategy: :one_for_one, name: Exapp.Supervisor)
  end
end

defmodule Exapp.Worker do
  use GenServer

  def start_link(arg), do: GenServer.start_link(__MODULE__, arg, name: __MODULE__)

  @impl true
  def init(_) do
    Process.flag(:trap_exit, true)
    IO.puts(:stderr, "app: ready")
    {:ok, nil}
  end

  @impl true
  def terminate(_reason, _state), do: IO.puts(:stderr, "handler: clean exit")
end
EX
(cd "$work/ex/exapp" && MIX_HOME="$work/ex/.mix" MIX_ENV=prod mix release --quiet >/dev/null)
new exbase; debian_root exbase
# shellcheck disable=SC2086
install "$(root exbase)" $ex_debs
slim exbase
commit exbase
from exbase elixir-release
cp -a "$work/ex/exapp/_build/prod/rel/exapp/." "$(root elixir-release)/app/"
commit elixir-release
config elixir-release --config.env PATH=/usr/bin --config.env RELEASE_DISTRIBUTION=none \
  --config.env LANG=C.UTF-8 --config.workingdir /app --config.cmd /app/bin/exapp --config.cmd start

umoci gc --layout "$layout"
rm -rf "$work"
echo "application images in $layout"
