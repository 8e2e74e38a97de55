#!/bin/sh
exec sudo -u app /usr/local/bin/server
