"""The command line: `fusiondoctor check | fix | demo | rules | explain`.

Reports go to stdout, logs and errors to stderr. Exit codes: 0 nothing at or above --fail-on,
1 findings, 2 usage error, unreadable input or an incomplete diagnosis (a crashed rule, a failed
measurement); `fix` exits 0 when a fix is confirmed or nothing can be trialled, 1 otherwise.
Importing this module loads no TensorFlow, Keras or matplotlib; `check` without --data loads none
of them either.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from . import __version__, catalogue
from .config import resolve
from .engine import diagnose
from .errors import FusionDoctorError, InputError
from .render import RENDERERS, SUFFIXES, render
from .subject import make_subject, needed_measurements
from .types import Report

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fusiondoctor",
                                     description="Find out why a Keras (fusion) model fails to train.")
    parser.add_argument("--version", action="version", version=f"fusiondoctor {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser("check", help="diagnose model files (.keras, .h5, config .json) and training histories")
    check.add_argument("paths", nargs="*", metavar="PATH", help="model files to check")
    check.add_argument("--history", metavar="FILE", help="training history: History JSON, CSV (CSVLogger or pandas "
                                                         "to_csv), TensorBoard log dir, or mlflow:RUN_ID")
    check.add_argument("--data", metavar="NPZ", help="probe the model with data: one array per input (named after the "
                                                   "input layer) plus y; enables the FD5xx rules (loads Keras)")
    check.add_argument("--max-samples", type=int, default=None, metavar="N",
                       help="samples probed from --data (default 512)")
    check.add_argument("--samples", type=int, default=None, metavar="N",
                       help="training samples the model was trained on, for FD312 (else the history's steps per epoch "
                            "x batch size)")
    _cache_flags(check)
    check.add_argument("--unsafe-load", action="store_true", help="allow Lambda layers when loading a model for --data "
                                                                 "(runs code from the file: only for files you trust)")
    check.add_argument("--format", choices=sorted(RENDERERS), default=None,
                       help="report format (default: text, or from --output's suffix)")
    check.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    check.add_argument("--select", metavar="CODES",
                       help="comma-separated rule codes, prefixes or names to run (replaces the configured set)")
    check.add_argument("--extend-select", metavar="CODES", help="rules to add to the selection")
    check.add_argument("--ignore", metavar="CODES", help="rules to leave out")
    check.add_argument("--fail-on", choices=["info", "warning", "error"],
                       help="lowest severity that makes the exit code 1 (default: warning)")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when findings are reported")
    check.add_argument("--config", metavar="FILE", help="read settings from this pyproject.toml")
    limits = check.add_argument_group("limits", "bounds on what is read (raise them for very large models)")
    limits.add_argument("--max-file-mb", type=float, metavar="MB",
                        help="largest config or history file parsed (default 64)")
    limits.add_argument("--max-layers", type=int, metavar="N", help="most layer calls in a model (default 100000)")
    limits.add_argument("--max-depth", type=int, metavar="N", help="deepest nesting of models (default 32)")
    check.add_argument("--plot", metavar="FILE",
                       help="write the learning curves (with --history) and the model drawing (FILE_model.png when "
                            "both), findings marked (.png, .svg, .pdf)")
    check.add_argument("--plots", metavar="DIR", help="write every picture that applies (model drawing, learning "
                                                       "curves, branch scales, modality contribution, BatchNorm "
                                                       "shift) as PNG files into DIR")
    check.add_argument("--verbose", "-v", action="store_true", help="show tracebacks of crashed rules")

    fix = commands.add_parser("fix", help="trial each proposed fix by retraining against the baseline (loads Keras)")
    fix.add_argument("path", metavar="MODEL", help="model file (.keras or .h5); never modified")
    fix.add_argument("--data", required=True, metavar="NPZ", help="training data: one array per input plus y")
    fix.add_argument("--select", metavar="CODES", help="only trial fixes of these rules")
    fix.add_argument("--ignore", metavar="CODES", help="leave these rules out")
    fix.add_argument("--epochs", type=int, default=5, help="epochs per run (default 5; small data is repeated "
                                                             "within an epoch for at least 100 steps per run)")
    fix.add_argument("--seeds", type=int, default=3,
                     help="paired seeds a trial starts with (default 3); more are added while it is undecided")
    fix.add_argument("--max-seeds", type=int, default=20, metavar="N",
                     help="the most paired seeds a trial may grow to (default 20)")
    fix.add_argument("--budget", type=float, metavar="SECONDS", help="stop starting new runs after this much wall time")
    fix.add_argument("--keep-weights", choices=["frozen", "all", "none"], default="frozen",
                     help="saved weights to start from: of frozen layers (default), all layers, or none")
    fix.add_argument("--max-samples", type=int, default=None, metavar="N",
                     help="samples used from --data (default 4096)")
    fix.add_argument("--write", metavar="PATH",
                     help="save the model to keep here: every confirmed fix together when that is confirmed, "
                          "else the best one (never over the input)")
    fix.add_argument("--format", choices=sorted(RENDERERS), default="text")
    fix.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    fix.add_argument("--plots", metavar="DIR", help="write baseline-vs-candidate learning curves into DIR")
    fix.add_argument("--unsafe-load", action="store_true", help="allow Lambda layers (runs code from the file)")
    _cache_flags(fix)
    fix.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")

    demo = commands.add_parser("demo",
                               help="the seed-000 story end to end: train, diagnose, confirm the fix (loads Keras)")
    demo.add_argument("--out", default="reports/demo", metavar="DIR",
                      help="where to write the reports (default reports/demo)")
    demo.add_argument("--samples", type=int, default=32, help="synthetic memes to train on (default 32)")

    rules = commands.add_parser("rules", help="list the rule catalogue")
    rules.add_argument("--format", choices=["text", "json", "markdown"], default="text")

    explain = commands.add_parser("explain", help="print the documentation of one rule")
    explain.add_argument("rule", metavar="CODE", help="rule code (FD101) or name (softmax-single-unit)")

    cache = commands.add_parser("cache", help="where the frozen-backbone feature cache is and its size (--clear)")
    cache.add_argument("--cache-dir", metavar="DIR", help="the cache to show (default: the platform cache directory)")
    cache.add_argument("--clear", action="store_true", help="remove every cached entry")
    return parser


def _cache_flags(command: argparse.ArgumentParser) -> None:
    command.add_argument("--no-cache", action="store_true",
                         help="neither read nor write the frozen backbone's cached features")
    command.add_argument("--cache-dir", metavar="DIR", help="keep cached features in DIR (default: the platform cache "
                                                            "directory, never the project unless asked here)")


def _cache_option(args: argparse.Namespace):
    """``cache=`` for check/fix from ``--no-cache`` / ``--cache-dir``."""
    return False if args.no_cache else (args.cache_dir or True)


def _err(message: str) -> None:
    encoding = sys.stderr.encoding or "utf-8"
    text = f"fusiondoctor: error: {message}".encode(encoding, "backslashreplace").decode(encoding, "replace")
    print(text.replace("\n", " "), file=sys.stderr)


def _report_format(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    if args.output:
        return SUFFIXES.get(Path(args.output).suffix.lower(), "text")
    return "text"


def _subjects(args: argparse.Namespace) -> list[tuple]:
    """(model path, history path) pairs to diagnose."""
    if not args.paths and not args.history:
        raise FusionDoctorError("check needs a model PATH, a --history FILE, or both")
    if (args.history or args.data) and len(args.paths) > 1:
        raise FusionDoctorError("--history and --data belong to one model: give a single PATH with them")
    if args.data and not args.paths:
        raise FusionDoctorError("--data needs the model PATH to run it through")
    if not args.paths:
        return [(None, args.history)]
    return [(path, args.history) for path in args.paths]


def _check(args: argparse.Namespace) -> int:
    pairs = _subjects(args)
    start = pairs[0][0] or pairs[0][1]
    settings = resolve(config=args.config, start=start, select=args.select, extend_select=args.extend_select or (),
                       ignore=args.ignore or (), fail_on=args.fail_on,
                       limits={"max_file_mb": args.max_file_mb, "max_layers": args.max_layers,
                               "max_depth": args.max_depth})
    if args.samples is not None:
        if args.samples < 1:
            raise FusionDoctorError(f"--samples must be a positive number of training samples, not {args.samples}")
        settings = settings.with_rule_option("head-too-large-for-data", "samples", args.samples)
    measures = needed_measurements(settings.rules())
    report = Report()
    unreadable = 0
    fmt = _report_format(args)
    for model_path, history_path in pairs:
        try:
            subject = make_subject(model_path, history=history_path, limits=settings.limits, data=args.data,
                                   unsafe=args.unsafe_load, max_samples=args.max_samples, measures=measures,
                                   cache=_cache_option(args))
        except InputError as exc:
            _err(str(exc))
            unreadable += 1
            continue
        subject_report = diagnose(subject, settings)
        report = report.merged(subject_report)
        if args.plot:
            _plot(subject, subject_report, args.plot)
        if args.plots:
            _plots(subject, subject_report, args.plots)
    if unreadable == len(pairs):
        return EXIT_ERROR
    options = {"text": {"verbose": args.verbose}}
    if fmt == "markdown":
        options["markdown"] = {"images": _markdown_pictures(report, args.output)}
    _write(render(report, fmt, **options.get(fmt, {})), args.output)
    if unreadable:
        return EXIT_ERROR
    code = report.exit_code(settings.fail_on)
    return EXIT_OK if args.exit_zero and code == EXIT_FINDINGS else code


def _plot(subject, report: Report, path: str) -> None:
    """``--plot FILE``: the learning curves (with a history) and the model drawing (with a model; into
    FILE itself when there is no history, else next to it as ``<name>_model<suffix>``)."""
    from .render import figures, plots  # lazy: matplotlib only when a plot is asked for

    drawn = figures.figures_for(subject, report)
    target = Path(path)
    wanted = []
    if "learning_curves" in drawn:
        wanted.append(("learning curves", drawn["learning_curves"], target))
    if "model" in drawn:
        where = target.with_name(f"{target.stem}_model{target.suffix}") if wanted else target
        wanted.append(("model drawing", drawn["model"], where))
    for what, draw, where in wanted:
        try:
            plots.save_figure(draw(), str(where))
        except (OSError, ValueError) as exc:
            raise FusionDoctorError(f"cannot write plot {where}: {exc}") from None
        print(f"fusiondoctor: {what} written to {where}", file=sys.stderr)


def _markdown_pictures(report: Report, output: str | None) -> dict:
    """For ``--output report.md``: every picture written next to it (``report_<name>.png``), linked
    by a relative path. Markdown on stdout gets none: it has nowhere to put them."""
    if not output or not report.inputs:
        return {}
    from .render import figures  # lazy: matplotlib only when pictures are written

    target = Path(output)
    links = {}
    for name, data in figures.report_images(report).items():
        path = target.with_name(f"{target.stem}_{''.join(c if c.isalnum() else '_' for c in name)}.png")
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise FusionDoctorError(f"cannot write {path}: {exc.strerror or exc}") from None
        links[name] = path.name
    return links


def _plots(subject, report: Report, folder: str) -> None:
    from .render import figures  # lazy: matplotlib only when plots are asked for

    try:
        written = figures.write_all(subject, report, Path(folder))
    except (OSError, ValueError) as exc:
        raise FusionDoctorError(f"cannot write plots to {folder}: {exc}") from None
    for path in written:
        print(f"fusiondoctor: plot written to {path}", file=sys.stderr)


def _write(text: str, output: str | None) -> None:
    """Write the report; names from a hostile file may hold unencodable characters: escape them."""
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8", errors="backslashreplace")
        except OSError as exc:
            raise FusionDoctorError(f"cannot write {output}: {exc.strerror or exc}") from None
        print(f"fusiondoctor: report written to {output}", file=sys.stderr)
    else:
        encoding = sys.stdout.encoding or "utf-8"
        sys.stdout.write(text.encode(encoding, "backslashreplace").decode(encoding, "replace"))


def _fix(args: argparse.Namespace) -> int:
    from .live.quiet import import_keras_for_training
    from .trials.confirm import DEFAULT_TRIAL_SAMPLES, confirm  # lazy: loads numpy, and Keras when it runs

    import_keras_for_training()  # without TensorFlow's start-up lines on stderr, on any backend

    result = confirm(args.path, args.data, select=args.select, ignore=args.ignore or (),
                     epochs=args.epochs, seeds=args.seeds, max_seeds=args.max_seeds, budget=args.budget,
                     keep_weights=args.keep_weights,
                     max_samples=args.max_samples or DEFAULT_TRIAL_SAMPLES, unsafe=args.unsafe_load,
                     progress=not args.quiet, write=args.write, cache=_cache_option(args))
    from_suffix = args.format == "text" and args.output
    fmt = SUFFIXES.get(Path(args.output).suffix.lower(), "text") if from_suffix else args.format
    options = {}
    if fmt == "html":
        from .render import figures, plots

        options["images"] = {**figures.report_images(result.report),
                             **{f"trial {t.code}": plots.figure_bytes(plots.trial_curves(result.baseline, t))
                                for t in result.shown() if t.runs}}
    _write(render(result.report, fmt, **options), args.output)
    if args.plots:
        from .render import plots

        folder = Path(args.plots)
        folder.mkdir(parents=True, exist_ok=True)
        for trial in (t for t in result.shown() if t.runs):  # a trial not run has no curves to draw
            path = folder / f"trial_{'combined' if trial.combined else trial.code}.png"
            plots.save_figure(plots.trial_curves(result.baseline, trial), str(path))
            print(f"fusiondoctor: plot written to {path}", file=sys.stderr)
    if result.written:
        what = "the combined fix (every confirmed patch)" if result.best().combined else "best confirmed model"
        print(f"fusiondoctor: {what} written to {result.written}", file=sys.stderr)
    if not result.trials:
        print("fusiondoctor: no finding has a fix that can be trialled", file=sys.stderr)
    return EXIT_OK if result.best() is not None or not result.trials else EXIT_FINDINGS


def _demo(args: argparse.Namespace) -> int:
    from .demo import run

    return run(args.out, samples=args.samples)


def _rules(args: argparse.Namespace) -> int:
    text = {"text": catalogue.as_text, "json": catalogue.as_json, "markdown": catalogue.as_markdown}[args.format]()
    sys.stdout.write(text)
    return EXIT_OK


def _explain(args: argparse.Namespace) -> int:
    sys.stdout.write(catalogue.explain(args.rule))
    return EXIT_OK


def _cache(args: argparse.Namespace) -> int:
    from .probes.feature_cache import FeatureCache

    cache = FeatureCache.resolve(args.cache_dir or True)
    if cache is None:
        print("fusiondoctor: the feature cache is off (FUSIONDOCTOR_NO_CACHE)")
        return EXIT_OK
    if args.clear:
        print(f"fusiondoctor: removed {cache.clear()} cached entries from {cache.directory}")
        return EXIT_OK
    entries = cache.entries()
    print(f"{cache.directory}: {len(entries)} entries, {cache.size() / 2**20:.1f} MB "
          f"(cap {cache.max_bytes / 2**20:.0f} MB, FUSIONDOCTOR_CACHE_MAX_MB)")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    from .history import readers

    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    handlers = {"check": _check, "fix": _fix, "demo": _demo, "rules": _rules, "explain": _explain, "cache": _cache}
    before = readers.AVOID_TENSORFLOW
    readers.AVOID_TENSORFLOW = "tensorflow" not in sys.modules  # a fresh CLI process: read TensorBoard logs without TF
    try:
        with warnings.catch_warnings():  # Keras, numpy, scikit-learn and h5py warnings: the report says what matters
            warnings.simplefilter("ignore")
            return handlers[args.command](args)
    except FusionDoctorError as exc:
        _err(str(exc))
        return EXIT_ERROR
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    finally:
        readers.AVOID_TENSORFLOW = before


def run() -> None:
    """Console-script entry point. A process that loaded TensorFlow ends without the interpreter's
    teardown (about a second of freeing TensorFlow's modules), once its output is flushed."""
    code = main()
    if "tensorflow" not in sys.modules:
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
