#!/usr/bin/env bash
# A real Splash 3.5 server (JavaScript rendering for scrapy-splash) without Docker, on Debian 12.
#
#   scripts/splash.sh install          apt packages (Qt WebKit/WebEngine, Xvfb) + .splash-venv; fast when done
#   scripts/splash.sh start [PORT]     start on 127.0.0.1:PORT (default 8050), wait for /_ping
#   scripts/splash.sh stop [PORT]      stop it (and the Xvfb it started)
#   scripts/splash.sh status [PORT]    exit 0: running and answering; 1: running, not answering; 3: not running
#   scripts/splash.sh log [PORT]       last lines of its log
#   scripts/splash.sh free-port        print a free loopback port, 8050 first
#
# Splash lives in its own venv (.splash-venv, Debian's /usr/bin/python3 with --system-site-packages to see
# Debian's PyQt5): it needs Twisted < 23, the project's .venv has Scrapy with a current Twisted.
# Pid files and logs go to .splash-venv/run/ (git-ignored, and not wiped by `make clean`).
#
# Environment: SPLASH_VENV (default .splash-venv), SPLASH_PORT (default 8050), SPLASH_START_TIMEOUT (s, 60),
# SPLASH_STOP_TIMEOUT (s, 15), SPLASH_ARGS (extra splash.server options, e.g. "--slots 4").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SPLASH_VENV:-$ROOT/.splash-venv}"
RUN_DIR="$VENV/run"
SYS_PY=/usr/bin/python3          # Debian's Python: the one Debian's PyQt5 is built for
DEFAULT_PORT="${SPLASH_PORT:-8050}"
START_TIMEOUT="${SPLASH_START_TIMEOUT:-60}"
STOP_TIMEOUT="${SPLASH_STOP_TIMEOUT:-15}"

APT_PKGS=(python3-pyqt5.qtwebkit python3-pyqt5.qtwebengine python3-venv xvfb)
# Exact versions seen working together (splash 3.5 needs Twisted < 23). The whole set is pinned, so that a
# fresh machine gets what was tested.
PIP_PINS=(
  splash==3.5 qt5reactor==0.6.3 "Twisted[http2]==22.10.0"
  adblockparser==0.7 attrs==26.1.0 Automat==25.4.16 constantly==23.10.4 funcparserlib==1.0.1
  h2==4.4.1 hpack==4.2.0 hyperframe==6.1.0 hyperlink==21.0.0 idna==3.20 Incremental==24.11.0
  packaging==26.4 pillow==13.0.0 priority==1.3.0 psutil==7.2.2 typing_extensions==4.16.0
  xvfbwrapper==0.2.37 zope.interface==8.7
)
# Options of every start. Lua stays off: render.html (what the crawler uses) needs no Lua, and Lua would need
# the 'lupa' package, which is not installed (Splash would switch Lua off by itself, with a warning).
# Xvfb stays on (Splash starts its own): the WebKit engine renders with the offscreen platform alone, but a
# request with engine=chromium aborts the whole server when there is no X display.
SPLASH_OPTS=(--ip 127.0.0.1 --disable-browser-caches --disable-lua)

# Splash 3.5 was made for Python 3.6: on Python >= 3.9 json.loads() takes no 'encoding' argument, so every POST
# with a JSON body (what scrapy-splash sends, for render.html too) failed with a 500 "Processing Failed" and a
# TypeError in the log. The one such call in splash/ is patched at install time (checked by venv_ok).
PATCH_FILE=splash/render_options.py
PATCH_FROM="data.update(json.loads(content, encoding='utf8'))"
PATCH_TO="data.update(json.loads(content))  # patched by hfcrawl: no 'encoding' argument (Python >= 3.9)"

die() { echo "splash.sh: error: $*" >&2; exit 1; }
say() { echo "splash.sh: $*" >&2; }

stamp() {   # what an installed venv must match; changes when the pins or the package list change
  printf '%s\n' "v3" "${APT_PKGS[@]}" "${PIP_PINS[@]}" "$PATCH_TO" | sha256sum | cut -d' ' -f1
}

missing_apt() {
  local p
  for p in "${APT_PKGS[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -qx 'install ok installed' || echo "$p"
  done
}

site_packages() { "$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'; }

patch_splash() {
  local f
  f="$(site_packages)/$PATCH_FILE"
  [ -f "$f" ] || die "$f not found"
  if grep -qF "$PATCH_FROM" "$f"; then
    PATCH_FROM="$PATCH_FROM" PATCH_TO="$PATCH_TO" "$VENV/bin/python" - "$f" <<'EOF'
import os, sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
open(path, "w", encoding="utf-8").write(text.replace(os.environ["PATCH_FROM"], os.environ["PATCH_TO"]))
EOF
  fi
  grep -qF "$PATCH_TO" "$f" || die "could not patch $f for Python 3.11 (json.loads encoding=)"
}

venv_ok() {   # the venv's Python runs and imports everything the server needs
  [ -x "$VENV/bin/python" ] && [ -f "$VENV/.installed" ] && [ "$(cat "$VENV/.installed")" = "$(stamp)" ] &&
    grep -qF "$PATCH_TO" "$(site_packages)/$PATCH_FILE" 2>/dev/null &&
    timeout 60 "$VENV/bin/python" -c \
      'import splash.render_options, splash.server, qt5reactor, twisted, PyQt5.QtWebKit, PyQt5.QtWebEngineWidgets' >/dev/null 2>&1
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo -n "$@"
  else die "need root (or password-less sudo) to run: $*"
  fi
}

cmd_install() {
  local t0=$SECONDS missing log
  mkdir -p "$VENV"   # so that the install log has a home; python -m venv accepts an existing folder
  log="$VENV/install.log"
  : >"$log"
  missing="$(missing_apt)"
  if [ -n "$missing" ]; then
    say "installing Debian packages: $(echo $missing) (and their dependencies)"
    export DEBIAN_FRONTEND=noninteractive
    as_root timeout 600 apt-get update -q >>"$log" 2>&1 ||
      { tail -n 20 "$log" >&2; die "apt-get update failed (log: $log)"; }
    # shellcheck disable=SC2086
    as_root timeout 1500 apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 \
      $missing >>"$log" 2>&1 || { tail -n 20 "$log" >&2; die "apt-get install failed (log: $log)"; }
    missing="$(missing_apt)"
    [ -z "$missing" ] || die "still not installed after apt-get: $missing"
  fi
  [ -x "$SYS_PY" ] || die "$SYS_PY not found (Debian's python3)"
  if venv_ok; then
    say "already installed in $VENV ($((SECONDS - t0)) s)"
    return 0
  fi
  if [ -e "$VENV/bin/python" ] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    say "the venv's Python is broken: recreating $VENV"
    ls "$RUN_DIR"/*.pid >/dev/null 2>&1 && die "a Splash seems to run from $VENV: scripts/splash.sh stop first"
    rm -rf "$VENV"; mkdir -p "$VENV"
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV (Debian's $SYS_PY, --system-site-packages)"
    timeout 300 "$SYS_PY" -m venv --system-site-packages "$VENV" >>"$log" 2>&1 ||
      { tail -n 20 "$log" >&2; die "could not create the venv (is python3-venv installed?)"; }
  fi
  say "pip installing splash 3.5 and its pinned dependencies"
  timeout 900 "$VENV/bin/python" -m pip install -q --disable-pip-version-check --timeout 60 --retries 3 \
    "${PIP_PINS[@]}" >>"$log" 2>&1 || { tail -n 20 "$log" >&2; die "pip install failed (log: $log)"; }
  # A pristine splash/ to patch (an earlier install may have left another version of the patch).
  timeout 300 "$VENV/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps \
    splash==3.5 >>"$log" 2>&1 || { tail -n 20 "$log" >&2; die "pip install splash failed (log: $log)"; }
  patch_splash
  stamp >"$VENV/.installed"
  venv_ok || { rm -f "$VENV/.installed"; timeout 60 "$VENV/bin/python" -c \
    'import splash.render_options, splash.server, qt5reactor, twisted, PyQt5.QtWebKit, PyQt5.QtWebEngineWidgets' >&2 || true
    die "the venv does not import splash with Qt WebKit"; }
  say "installed in $VENV ($((SECONDS - t0)) s): $("$VENV/bin/python" -c \
    'import splash, twisted, PyQt5.QtCore as q; print("splash", splash.__version__, "twisted", twisted.__version__, "Qt", q.QT_VERSION_STR)')"
}

pidfile() { echo "$RUN_DIR/splash-$1.pid"; }
logfile() { echo "$RUN_DIR/splash-$1.log"; }

check_port() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ] || die "not a port: $1"; }

is_our_splash() {   # pid $1 is a Splash server started for port $2
  [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q -- "splash.server .*--port $2 "
}

running_pid() {   # prints the pid of our Splash on port $1, or fails (and drops a stale pid file)
  local f pid
  f="$(pidfile "$1")"
  [ -f "$f" ] || return 1
  pid="$(cat "$f" 2>/dev/null || true)"
  if [[ "$pid" =~ ^[0-9]+$ ]] && is_our_splash "$pid" "$1"; then echo "$pid"; return 0; fi
  rm -f "$f"
  return 1
}

ping_url() {   # /_ping of a Splash base URL answers {"status": "ok"}
  timeout 10 "$SYS_PY" - "$1" <<'EOF' >/dev/null 2>&1
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1].rstrip("/") + "/_ping", timeout=5) as r:
    assert json.load(r).get("status") == "ok"
EOF
}

port_taken() {   # something accepts connections on 127.0.0.1:$1
  timeout 5 "$SYS_PY" -c 'import socket, sys
s = socket.socket(); s.settimeout(1)
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)' "$1"
}

group_rss_mb() { ps -o rss= -g "$1" 2>/dev/null | awk '{s += $1} END {printf "%d", s / 1024}'; }

cmd_start() {
  local port="${1:-$DEFAULT_PORT}" pid log f t0 deadline
  check_port "$port"
  [ -x "$VENV/bin/python" ] && [ -f "$VENV/.installed" ] ||
    die "Splash is not installed in $VENV: run scripts/splash.sh install"
  mkdir -p "$RUN_DIR"
  if pid="$(running_pid "$port")"; then
    if ping_url "http://127.0.0.1:$port"; then say "already running on http://127.0.0.1:$port (pid $pid)"; return 0; fi
    die "a Splash (pid $pid) holds port $port but does not answer: scripts/splash.sh stop $port"
  fi
  port_taken "$port" && die "port $port on 127.0.0.1 is taken by another program (try: scripts/splash.sh free-port)"
  f="$(pidfile "$port")"; log="$(logfile "$port")"
  [ -f "$log" ] && mv -f "$log" "$log.prev"
  mkdir -p -m 700 "$RUN_DIR/xdg"
  t0=$(date +%s%N)
  # setsid: its own session and process group (pgid = pid), so that a Ctrl-C in the caller's terminal does
  # not reach it, and stop can end the whole group (Splash and its Xvfb). The pid is written by the process
  # itself, then it execs the server.
  # shellcheck disable=SC2016,SC2086
  (cd "$RUN_DIR" && exec setsid sh -c 'echo $$ >"$0"; exec "$@"' "$f" \
    env QTWEBENGINE_DISABLE_SANDBOX=1 QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="$RUN_DIR/xdg" \
    "$VENV/bin/python" -m splash.server "${SPLASH_OPTS[@]}" --port "$port" ${SPLASH_ARGS:-} \
    </dev/null >"$log" 2>&1 &)
  deadline=$((SECONDS + START_TIMEOUT))
  while :; do
    pid="$(cat "$f" 2>/dev/null || true)"
    if [[ "$pid" =~ ^[0-9]+$ ]] && ping_url "http://127.0.0.1:$port"; then break; fi
    if [[ "$pid" =~ ^[0-9]+$ ]] && ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$f"
      say "Splash exited during start-up; last lines of $log:"; tail -n 30 "$log" >&2
      die "Splash did not start on port $port"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "no answer from http://127.0.0.1:$port/_ping after ${START_TIMEOUT} s; last lines of $log:"
      tail -n 30 "$log" >&2
      cmd_stop "$port" >/dev/null 2>&1 || true
      die "Splash did not start on port $port within ${START_TIMEOUT} s"
    fi
    sleep 0.2
  done
  say "running on http://127.0.0.1:$port (pid $pid, up in $(( ($(date +%s%N) - t0) / 1000000 )) ms," \
    "RSS $(group_rss_mb "$pid") MB with Xvfb; log: $log)"
}

cmd_stop() {
  local port="${1:-$DEFAULT_PORT}" pid i
  check_port "$port"
  if ! pid="$(running_pid "$port")"; then say "not running on port $port"; return 0; fi
  # TERM to the server alone first: it shuts down and stops its Xvfb itself.
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    say "pid $pid ignored SIGTERM for ${STOP_TIMEOUT} s: SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  # Whatever is left in its process group (an Xvfb whose parent was killed), by the group's id only.
  if kill -0 -- "-$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$(pidfile "$port")"
  say "stopped (port $port, pid $pid)"
}

cmd_status() {
  local port="${1:-$DEFAULT_PORT}" pid
  check_port "$port"
  if ! pid="$(running_pid "$port")"; then echo "splash: not running on port $port"; return 3; fi
  if ping_url "http://127.0.0.1:$port"; then
    echo "splash: running on http://127.0.0.1:$port (pid $pid, RSS $(group_rss_mb "$pid") MB with Xvfb)"
    return 0
  fi
  echo "splash: pid $pid runs but http://127.0.0.1:$port/_ping does not answer (log: $(logfile "$port"))"
  return 1
}

cmd_free_port() {
  "$SYS_PY" -c 'import socket
for p in list(range(8050, 8100)) + [0]:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Twisted does: TIME_WAIT is no obstacle
        try:
            s.bind(("127.0.0.1", p))
        except OSError:
            continue
        print(s.getsockname()[1])
        break'
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start "${2:-}" ;;
  stop) cmd_stop "${2:-}" ;;
  restart) cmd_stop "${2:-}"; cmd_start "${2:-}" ;;
  status) cmd_status "${2:-}" ;;
  log) tail -n "${3:-50}" "$(logfile "${2:-$DEFAULT_PORT}")" ;;
  free-port) cmd_free_port ;;
  *) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
