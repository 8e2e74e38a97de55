#!/bin/sh
set -e
mkdir -p /data && chown app /data
exec gosu app "$@"
