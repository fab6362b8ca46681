"""Command line: `python -m analysis study INPUT... --out DIR` runs the whole study (see README)."""
from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from analysis.common.progress import Progress
from analysis.common.staging import OutputError
from analysis.inputs.load import DEFAULT_ORGS, InputError
from analysis.study.pareto import STUDY_EXCLUDED
from analysis.study.run import GROUP_METHODS, METHODS, ConfigError, StudyConfig, run_study
from analysis.study.tokens import RULES


def _csv_list(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    # `detect` is dispatched to analysis.versions.detector.main before parsing (see main); listed here for --help
    sub.add_parser("detect", add_help=False, help="detect model versions in ids: one JSON line per id "
                                                  "(python -m analysis detect --help)")
    st = sub.add_parser("study", help="run every experiment of the study and write the report",
                        description="Inputs: crawl feeds (JSON Lines, several allowed) and/or folders of per-task "
                                    "<tag>.txt lists as the study published them.")
    st.add_argument("inputs", nargs="+", type=Path, help="feed .jsonl files and/or list folders")
    st.add_argument("--out", type=Path, default=Path("output/study"), help="output folder (default: output/study)")
    st.add_argument("--orgs", type=_csv_list, default=list(DEFAULT_ORGS),
                    help="organisations for experiment 3, comma-separated (default: google,facebook,openai); in a "
                         "list folder, files with these names are organisation lists")
    st.add_argument("--threshold", type=float, default=0.8, help="Pareto threshold (default 0.8)")
    st.add_argument("--exclude", type=_csv_list, default=list(STUDY_EXCLUDED),
                    help="tasks left out after the Pareto cut, comma-separated (default: the study's "
                         "reinforcement-learning,automatic-speech-recognition; '' for none)")
    st.add_argument("--top", type=int, default=20, help="tokens/groups shown per figure (default 20)")
    st.add_argument("--method", choices=METHODS, default="both",
                    help="version detection for experiments 1/2a: the study's regex, the detector, or both "
                         "(regex for the experiments plus the regex-vs-detector comparison; default)")
    st.add_argument("--token-rules", choices=RULES, default="study",
                    help="2b rules: study.md as written (default) or the published code's (reproduces its outputs)")
    st.add_argument("--groups", choices=sorted(GROUP_METHODS), default="fast",
                    help="2c counting: fast (no pair enumeration, default) or the study's pairwise loop")
    st.add_argument("--repos", type=Path, default=None,
                    help="the repos feed of these models (`scrapy crawl repos`): adds the section 'Versioning in "
                         "the repositories'")
    st.add_argument("--no-figures", action="store_true", help="tables and report only")
    st.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    _add_trend_parser(sub)
    return parser


def _add_trend_parser(sub: argparse._SubParsersAction) -> None:
    tr = sub.add_parser("trend", help="share of versioned names per snapshot, per task and per creation month",
                        description="Inputs: LABEL=INPUT, INPUT a crawl feed, a list folder, or a Hub snapshot "
                                    "(../shared/data/hub-snapshots/); see docs/trend.md.")
    tr.add_argument("inputs", nargs="+", metavar="LABEL=INPUT", help="e.g. 2022-10=models-2022-10.csv.gz")
    tr.add_argument("--out", type=Path, default=Path("output/trend"), help="output folder (default: output/trend)")
    tr.add_argument("--no-figures", action="store_true", help="tables and report only")
    tr.add_argument("-q", "--quiet", action="store_true", help="no progress display")


def _trend_main(args: argparse.Namespace, argv: list[str]) -> int:
    """`python -m analysis trend`: a bad input is one line on stderr and exit 2, before anything is written."""
    from analysis.trend import run as trend  # noqa: PLC0415 - only this subcommand needs it

    progress = Progress(quiet=args.quiet)
    try:
        inputs = trend.parse_inputs(args.inputs)
        result = trend.run_trend(inputs, args.out, make_figures=not args.no_figures, progress=progress,
                                 command="python -m analysis " + " ".join(shlex.quote(a) for a in argv))
    except (InputError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    n = int(result.cohorts["models"].sum()) if not result.cohorts.empty else 0
    progress.say(f"{len(inputs)} snapshots, {n:,} dated models in the cohorts; report: {args.out / 'report.html'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "detect":
        from analysis.versions.detector import main as detect_main  # noqa: PLC0415

        return detect_main(argv[1:])
    args = build_parser().parse_args(argv)
    if args.command == "trend":
        return _trend_main(args, argv)
    cfg = StudyConfig(inputs=args.inputs, out=args.out, orgs=args.orgs, threshold=args.threshold,
                      exclude=args.exclude, top=args.top, method=args.method, token_rules=args.token_rules,
                      groups=args.groups, make_figures=not args.no_figures, repos=args.repos,
                      command="python -m analysis " + " ".join(shlex.quote(a) for a in argv))
    progress = Progress(quiet=args.quiet)
    try:
        summary = run_study(cfg, progress)
    except (ConfigError, InputError, OutputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    e1 = summary["e1"]
    progress.say(f"{e1['matching']:,}/{e1['models']:,} ids ({e1['share_pct']:.2f}%) with a version; "
                 f"report: {cfg.out / 'report.html'}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
