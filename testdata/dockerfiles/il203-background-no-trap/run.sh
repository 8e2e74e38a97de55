#!/bin/sh
/usr/local/bin/worker &
/usr/local/bin/server &
wait
