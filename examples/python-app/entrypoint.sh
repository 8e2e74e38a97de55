#!/bin/sh
set -e
echo "migrating"
"$@"
