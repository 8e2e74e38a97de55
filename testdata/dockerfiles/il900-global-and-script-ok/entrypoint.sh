#!/bin/sh
# initlint global ignore=IL201
echo starting
/usr/local/bin/server "$@"
