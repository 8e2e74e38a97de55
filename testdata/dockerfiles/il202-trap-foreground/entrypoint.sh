#!/bin/sh
trap 'echo stopping; kill -TERM "$child"' TERM INT
/usr/local/bin/server --port 80
