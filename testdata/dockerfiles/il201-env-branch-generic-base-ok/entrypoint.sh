#!/bin/sh
# minio's docker-entrypoint.sh, reduced: chroot without exec only when a user is asked for.
if [ -n "$APP_USERNAME" ] && [ -n "$APP_GROUPNAME" ]; then
    chroot --userspec="$APP_USERNAME:$APP_GROUPNAME" / "$@"
else
    exec "$@"
fi
