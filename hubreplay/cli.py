"""``python -m hubreplay``: serve the replay hub on a port until Ctrl-C or SIGTERM."""
from __future__ import annotations

import argparse
import json
import signal
import time

from .faults import Fault, Faults
from .paths import default_lists_dir
from .server import ReplayHub

DESCRIPTION = ("A local replay of the Hugging Face Hub model listings (API, HTML, pagination, rate limits, faults) "
               "from the study's real lists; see docs/replay-hub.md.")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m hubreplay", description=DESCRIPTION)
    ap.add_argument("--lists", default=str(default_lists_dir()), help="folder of <tag>.txt / <org>.txt lists")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000, help="0 = a free port")
    ap.add_argument("--multiply", type=int, default=1, help="synthetic hub K times larger (lazy)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--faults", default=None, help='JSON: [{"kind":"error","p":0.05}, ...] or {"seed":..,"rules":[..]}')
    ap.add_argument("--error-rate", type=float, default=0, help="shortcut: 500/502/503 with this probability")
    ap.add_argument("--drop-rate", type=float, default=0, help="shortcut: dropped connections with this probability")
    ap.add_argument("--burst", default=None, help="shortcut: EVERY,K,RESET[,retry-after] 429 bursts")
    ap.add_argument("--slow", type=float, default=0, help="shortcut: delay every answer by this many seconds")
    ap.add_argument("--quota", default=None, help="enforce a quota per window: N, or JSON {\"api\":N,\"pages\":M}")
    ap.add_argument("--window", type=int, default=300)
    ap.add_argument("--no-enrich", action="store_true", help="synthetic values only (faster start)")
    ap.add_argument("-v", "--verbose", action="store_true")
    return ap


def faults_from_args(a: argparse.Namespace) -> Faults:
    """The rules of --faults plus those of the shortcut options."""
    faults = Faults.parse(a.faults) if a.faults else Faults(seed=a.seed)
    if a.error_rate:
        faults.rules.append(Fault("error", p=a.error_rate))
    if a.drop_rate:
        faults.rules.append(Fault("drop", p=a.drop_rate))
    if a.burst:
        x = a.burst.split(",")
        faults.rules.append(Fault("burst429", every=int(x[0]), burst=int(x[1]), reset=float(x[2]),
                                  retry_after=len(x) > 3 and x[3].lower() in ("1", "true", "retry-after")))
    if a.slow:
        faults.rules.append(Fault("slow", delay=a.slow))
    return faults


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    a = build_parser().parse_args(argv)
    quota = json.loads(a.quota) if a.quota else None
    hub = ReplayHub(a.lists, multiply=a.multiply, faults=faults_from_args(a), seed=a.seed, host=a.host,
                    port=a.port, quota=quota, window=a.window, enrich=not a.no_enrich, verbose=a.verbose)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:  # started in the background by a shell: still stoppable
        signal.signal(signal.SIGINT, _raise_interrupt)
    hub.start()
    u = hub.universe
    print(f"hubreplay: {u.N * u.K:,} models ({u.N:,} x {u.K}), {len(u.task_names)} tasks, started in "
          f"{u.startup_seconds:.2f}s; serving on {hub.url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        hub.stop()
    return 0
