#!/usr/bin/env bash
# Run initlint for the action: annotations in the log, SARIF when asked, a job summary, and
# the outputs `findings` and `exit-code`. Fails the step when initlint exits non-zero.
set -uo pipefail
bin=${INITLINT_ROOT:?INITLINT_ROOT is not set}/bin/initlint
read -r -d '' -a targets <<<"${INPUT_TARGET:-Dockerfile}" || true
args=(--format "${INPUT_FORMAT:-github}" --color never)
[ -n "${INPUT_FAILURE_THRESHOLD:-}" ] && args+=(--failure-threshold "$INPUT_FAILURE_THRESHOLD")
[ -n "${INPUT_CONFIG:-}" ] && args+=(--config "$INPUT_CONFIG")
[ -n "${INPUT_SARIF_FILE:-}" ] && args+=(--output "sarif=$INPUT_SARIF_FILE")
case ${INPUT_BASE_IMAGE:-read} in
  read) ;;
  offline) args+=(--offline) ;;
  off) args+=(--no-base) ;;
  *) echo "::error title=initlint::base-image must be read, offline or off, not ${INPUT_BASE_IMAGE}"; exit 2 ;;
esac
json=$(mktemp)
args+=(--output "json=$json")
"$bin" "${args[@]}" "${targets[@]}"
code=$?
# One JSON object for one target, an array of them for several.
summary=$(python3 - "$json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
reports = doc if isinstance(doc, list) else [doc]
rows = []
for r in reports:
    for f in r["findings"]:
        msg = f["message"].replace("|", "\\|")
        rows.append(f"| {f['severity']} | [{f['code']}](rules/{f['code']}.md) | `{f['path']}:{f['line']}` | {msg} |")
verdicts = [f"- `{r['target']['path']}`: {r['verdict']['signal']} **{r['verdict']['stop_signal']}**, zombies **{r['verdict']['zombies']}**, PID 1 `{r['verdict']['pid1']}`" for r in reports]
print(len(rows))
print("## initlint")
print("\n".join(verdicts))
print()
if rows:
    print("| severity | rule | location | message |\n|---|---|---|---|")
    print("\n".join(rows))
else:
    print("No findings.")
PY
) || summary=$'0\n## initlint\ninitlint could not produce a report (see the log).'
count=$(head -1 <<<"$summary")
tail -n +2 <<<"$summary" >>"${GITHUB_STEP_SUMMARY:-/dev/null}"
rm -f "$json"

# verify: true: each image target in the runner's daemon is stopped for real as well.
if [ "${INPUT_VERIFY:-false}" = true ]; then
  echo "## initlint verify" >>"${GITHUB_STEP_SUMMARY:-/dev/null}"
  for t in "${targets[@]}"; do
    case $t in
      docker-archive:* | oci:* | oci-archive:* | dir:* | podman:* | docker://*) echo "verify: $t is not an image in the Docker daemon; skipped"; continue ;;
    esac
    [ -e "$t" ] && continue  # a Dockerfile or a directory: nothing to run
    image=${t#docker-daemon:}
    out=$("$bin" verify --format json "$image")
    vcode=$?
    if [ -z "$out" ]; then
      echo "::error title=initlint verify::$image could not be verified (see the log)"
      code=2
      continue
    fi
    VERIFY_JSON=$out python3 - "$image" >>"${GITHUB_STEP_SUMMARY:-/dev/null}" <<'PY'
import json, os, sys
d = json.loads(os.environ["VERIFY_JSON"]); m = d["measured"]
stop = f"SIGKILLed after the grace period (exit {m['exit_code']})" if m["killed"] else f"stopped in {m['latency_ms']} ms (exit {m['exit_code']})"
z = m["zombies"] if m["zombies"] is not None else "not counted"
agree = {True: "yes", False: "**NO: a bug in initlint, please report it**", None: "static verdict undecided"}[d["agree"]]
print(f"- `{sys.argv[1]}`: {m['stop_signal']} {stop}; zombies left: {z}; agrees with the static verdict: {agree}")
PY
    [ "$vcode" -gt "$code" ] && code=$vcode
    [ "$vcode" = 1 ] && echo "::error title=initlint verify::$image needed SIGKILL or kept zombies when stopped for real"
  done
fi
{
  echo "findings=$count"
  echo "exit-code=$code"
} >>"${GITHUB_OUTPUT:-/dev/null}"
exit "$code"
