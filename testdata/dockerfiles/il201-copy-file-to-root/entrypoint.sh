#!/bin/sh
echo "starting"
/usr/local/bin/server "$@"
