#!/usr/bin/env bash
# Runs the whole test suite with the project's venv, against a real Splash server (scripts/splash.sh).
#
#   scripts/run-tests.sh [pytest args...]
#
# - Runs `ruff check .` first: a lint error fails the run.
# - Installs Debian's chromium (apt-get, as root or with sudo -n) when it is missing: the report test opens
#   report.html in it. A Chromium that cannot be installed is a failure, not a skipped test.
# - Installs Splash (fast when installed), starts it on a free loopback port, exports SPLASH_URL, runs pytest,
#   stops Splash afterwards (also on failure or Ctrl-C) and exits with pytest's code.
# - pytest's exit 5 (no tests ran) is a failure.
# - Splash that cannot be installed or started is a failure: the Splash tests are never skipped silently.
# - SPLASH_URL already set: that server is used (it must answer /_ping); nothing is installed or started.
# - HFCRAWL_NO_SPLASH=1 (quick local runs; refused when CI is set): no Splash; its tests are skipped.
set -uo pipefail
cd "$(dirname "$0")/.."

splash_port=""
finish() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$splash_port" ]; then
    if ! bash scripts/splash.sh status "$splash_port" >/dev/null 2>&1; then
      echo "run-tests: Splash on port $splash_port died or stopped answering during the tests; its log ends:" >&2
      bash scripts/splash.sh log "$splash_port" 30 >&2 || true
    elif [ "$rc" -ne 0 ]; then
      echo "run-tests: tests failed; Splash's log: .splash-venv/run/splash-$splash_port.log" >&2
    fi
    bash scripts/splash.sh stop "$splash_port" || true
  fi
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() { echo "run-tests: FAILED: $*" >&2; exit 1; }

.venv/bin/ruff check . || fail "ruff check . found the problems above (ruff check --fix . fixes many)"

if ! command -v chromium >/dev/null 2>&1; then
  echo "run-tests: installing chromium (the report test checks report.html in a headless browser)"
  sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo -n"
  { timeout 600 $sudo_ apt-get update -q &&
    DEBIAN_FRONTEND=noninteractive timeout 900 $sudo_ apt-get install -y -q --no-install-recommends \
      -o DPkg::Lock::Timeout=300 chromium; } ||
    fail "could not install chromium with apt-get; install it (apt-get install chromium) and run again"
  command -v chromium >/dev/null 2>&1 || fail "chromium is still not on PATH after apt-get install chromium"
fi

opt_out="$(printf %s "${HFCRAWL_NO_SPLASH:-}" | tr '[:upper:]' '[:lower:]')"
case "$opt_out" in 1|true|yes) opt_out=1 ;; *) opt_out="" ;; esac

if [ -n "${SPLASH_URL:-}" ]; then
  echo "run-tests: using the Splash at SPLASH_URL=$SPLASH_URL"
  /usr/bin/python3 - "$SPLASH_URL" <<'EOF' || fail "SPLASH_URL=$SPLASH_URL does not answer /_ping"
import sys, urllib.request
urllib.request.urlopen(sys.argv[1].rstrip("/") + "/_ping", timeout=10).read()
EOF
elif [ -n "$opt_out" ]; then
  if [ -n "${CI:-}" ] && [ "${CI}" != "false" ]; then
    fail "HFCRAWL_NO_SPLASH is set in CI: CI must run the Splash tests"
  fi
  echo "run-tests: HFCRAWL_NO_SPLASH=$HFCRAWL_NO_SPLASH: no Splash server; the Splash tests will be SKIPPED"
else
  t0=$SECONDS
  timeout 1800 bash scripts/splash.sh install ||
    fail "could not install Splash (scripts/splash.sh install; log: .splash-venv/install.log)." \
      "For a quick local run without Splash: HFCRAWL_NO_SPLASH=1 $0"
  splash_port="$(bash scripts/splash.sh free-port)" || fail "no free loopback port for Splash"
  if ! timeout 120 bash scripts/splash.sh start "$splash_port"; then
    port="$splash_port"; splash_port=""
    bash scripts/splash.sh stop "$port" >/dev/null 2>&1 || true
    fail "could not start Splash on 127.0.0.1:$port (see its log above:" \
      ".splash-venv/run/splash-$port.log)"
  fi
  export SPLASH_URL="http://127.0.0.1:$splash_port"
  echo "run-tests: Splash ready at SPLASH_URL=$SPLASH_URL ($((SECONDS - t0)) s to install and start)"
fi

# The splash_url fixture comes from tests/splash_server.py, loaded by tests/conftest.py (pytest_plugins).
.venv/bin/python -m pytest "$@"
rc=$?
if [ "$rc" -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi
exit "$rc"
