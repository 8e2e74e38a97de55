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
{
  echo "findings=$count"
  echo "exit-code=$code"
} >>"${GITHUB_OUTPUT:-/dev/null}"
tail -n +2 <<<"$summary" >>"${GITHUB_STEP_SUMMARY:-/dev/null}"
rm -f "$json"
exit "$code"
