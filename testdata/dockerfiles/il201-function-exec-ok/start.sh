#!/bin/bash
main() {
  exec /usr/local/bin/server "$@"
}
main "$@"
