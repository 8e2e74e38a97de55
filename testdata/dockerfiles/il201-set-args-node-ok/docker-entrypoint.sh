#!/bin/sh
set -e
set -- node "$@"
exec "$@"
