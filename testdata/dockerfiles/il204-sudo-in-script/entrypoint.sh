#!/bin/sh
exec sudo -u app sh -c "/usr/local/bin/server; echo stopped"
