#!/usr/bin/env bash
# Flakiness check of the browser tests: each browser test file, RUNS (default 5) runs in a row, each
# run a fresh pytest session (its own live Streamlit server); one line per file, logs kept under
# LOGS (default /tmp/browser-repeat). A file passes when every run passes.
#
#   bench/browser_repeat.sh                        # every file with pytest.mark.browser
#   RUNS=3 bench/browser_repeat.sh tests/test_state_browser.py
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${RUNS:-5}
logs=${LOGS:-/tmp/browser-repeat}
mkdir -p "$logs"
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  mapfile -t files < <(grep -l "pytest.mark.browser" tests/test_*.py)
fi
status=0
for file in "${files[@]}"; do
  name=$(basename "$file" .py)
  passed=0
  results=""
  for run in $(seq 1 "$runs"); do
    started=$(date +%s)
    if .venv/bin/python -m pytest -q -p no:cacheprovider "$file" > "$logs/$name-$run.log" 2>&1; then
      passed=$((passed + 1)); results="$results ok($(( $(date +%s) - started ))s)"
    else
      results="$results FAIL($(( $(date +%s) - started ))s)"; status=1
    fi
  done
  echo "$file: $passed/$runs passed:$results"
done
exit $status
