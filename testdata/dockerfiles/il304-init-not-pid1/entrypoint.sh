#!/bin/sh
echo "preparing"
/usr/bin/tini -- "$@"
