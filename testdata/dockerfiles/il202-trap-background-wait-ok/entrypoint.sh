#!/bin/sh
term() {
  kill -TERM "$child" 2>/dev/null
  wait "$child"
}
trap term TERM INT
/usr/local/bin/server --port 80 &
child=$!
wait "$child"
