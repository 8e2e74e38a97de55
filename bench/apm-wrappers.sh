#!/usr/bin/env bash
# Python APM wrappers as PID 1: do they exec their command, and what does SIGTERM do then?
# (knowledge::programs: opentelemetry-instrument, ddtrace-run, newrelic-admin.) Not in
# tests/ground_truth.rs: the wrappers come from PyPI. usage: bench/apm-wrappers.sh
# Measured 2026-12-06 (opentelemetry-instrumentation 0.66b2, ddtrace 4.16.0, newrelic 14.1.0,
# CPython 3.11): under each, PID 1 is `python app.py` itself with no children, and an app
# without a handler still ignores SIGTERM, as bare python does.
set -euo pipefail
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q opentelemetry-distro ddtrace newrelic
"$work/venv/bin/pip" list 2>/dev/null | grep -iE '^(opentelemetry-instrumentation|ddtrace|newrelic) '
printf 'import time\nwhile True:\n    time.sleep(0.2)\n' >"$work/app.py"
export OTEL_TRACES_EXPORTER=none OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none \
  DD_TRACE_ENABLED=false DD_INSTRUMENTATION_TELEMETRY_ENABLED=false
measure() { # the wrapper's words; empty for bare python
  unshare --pid --fork --kill-child "$@" "$work/venv/bin/python" "$work/app.py" >/dev/null 2>&1 &
  local outer=$! pid1
  sleep 4
  pid1=$(pgrep -P "$outer")
  printf '%-40s PID 1: %s (%s children); ' "${*:-python app.py}" \
    "$(tr '\0' ' ' <"/proc/$pid1/cmdline" | sed "s|$work/venv/bin/||g; s|$work/||g")" "$(pgrep -P "$pid1" | wc -l)"
  kill -TERM "$pid1"; sleep 2
  if kill -0 "$pid1" 2>/dev/null; then echo "SIGTERM ignored"; kill -KILL "$pid1"; else echo "SIGTERM: exited"; fi
  wait "$outer" 2>/dev/null || true
}
measure
measure "$work/venv/bin/opentelemetry-instrument" --traces_exporter none
measure "$work/venv/bin/ddtrace-run"
measure "$work/venv/bin/newrelic-admin" run-program
