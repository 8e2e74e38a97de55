#!/bin/sh
set -e
if [ "$1" = 'postgres' ] && [ "$(id -u)" = '0' ]; then
  chown -R postgres /var/lib/postgresql/data
  exec gosu postgres "$0" "$@"
fi
if [ "${1#-}" != "$1" ]; then
  set -- postgres "$@"
fi
exec "$@"
