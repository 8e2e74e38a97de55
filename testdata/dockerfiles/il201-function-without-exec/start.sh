#!/bin/bash
run_server() {
  /usr/local/bin/server --port 80
}
run_server
