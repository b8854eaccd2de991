"""The ``trainguard`` command line: parse, call a service, print, exit.

Exit codes: 0 passed, 1 validation failed (or a model was refused), 2 usage or configuration
error. GX, Airflow, pandas and scikit-learn are imported inside the commands that need them,
so ``--help`` and listing stay fast.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from training.errors import TrainguardError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(text: str) -> dt.date:
    """A calendar date written exactly as YYYY-MM-DD."""
    try:
        if not _DATE.match(text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {text!r}: expected YYYY-MM-DD") from None


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


# --- checkpoint ---------------------------------------------------------------------------


def cmd_checkpoint_list(args: argparse.Namespace) -> int:
    from training.quality.catalog import checkpoint_info, checkpoint_names
    from training.settings import get_settings

    root = get_settings().gx_root
    infos = [checkpoint_info(root, name) for name in checkpoint_names(root)]
    if args.json:
        _print_json([info.__dict__ for info in infos])
        return EXIT_OK
    for info in infos:
        print(f"{info.name:<24} suites={','.join(info.suites)}  table={info.table}  batch={info.batch_column}")
    if not infos:
        print(f"no checkpoints in {root / 'checkpoints'}")
    return EXIT_OK


def _batch_values(args: argparse.Namespace) -> tuple[list[str], bool]:
    if args.model is not None:
        if args.date or args.start or args.end:
            raise TrainguardError("--model cannot be combined with --date/--from/--to")
        return [args.model], False
    if args.date is not None:
        if args.start or args.end:
            raise TrainguardError("--date cannot be combined with --from/--to")
        return [args.date.isoformat()], True
    if args.start is None or args.end is None:
        raise TrainguardError("give --date D, or --from D1 --to D2, or --model ID")
    from training.warehouse.partitions import days_between

    return [d.isoformat() for d in days_between(args.start, args.end)], True


def cmd_checkpoint_run(args: argparse.Namespace) -> int:
    from training.quality.progress import Progress
    from training.quality.run import run_checkpoint
    from training.quality.summary import format_batch, format_table

    values, by_date = _batch_values(args)
    progress = Progress(len(values)) if len(values) > 1 else None

    def show(result: Any) -> None:
        if progress is not None:
            progress(result)
        # A backfill prints the details of failed days only; the table at the end lists all.
        if not args.json and (progress is None or not result.success):
            print(format_batch(result), flush=True)

    try:
        run = run_checkpoint(args.name, values, by_date=by_date, on_result=show)
    finally:
        if progress is not None:
            progress.close()
    if args.json:
        _print_json(run.to_dict())
    elif len(run.results) > 1:
        print(format_table(run))
    return EXIT_OK if run.success else EXIT_FAILED


# --- data ---------------------------------------------------------------------------------


def cmd_data_load(args: argparse.Namespace) -> int:
    from pathlib import Path

    from training.settings import get_settings
    from training.warehouse.engine import check_reachable, get_engine
    from training.warehouse.loading import load_file

    engine = get_engine(get_settings().warehouse_url)
    check_reachable(engine)
    written = load_file(engine, args.table, Path(args.file), args.date_column, replace=args.mode == "replace")
    first, last = min(written), max(written)
    verb = "replaced" if args.mode == "replace" else "appended to"
    print(f"{verb} {len(written)} day(s) of {args.table!r} ({first}..{last}): {sum(written.values())} rows")
    return EXIT_OK


# --- suite --------------------------------------------------------------------------------


def _names(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def cmd_suite_scaffold(args: argparse.Namespace) -> int:
    from training.quality.scaffold.build import ScaffoldOptions
    from training.quality.scaffold.register import parse_reference, scaffold_suite

    options = ScaffoldOptions(
        strictness=args.strictness,
        target=args.target,
        max_categories=args.max_categories,
        bins=args.bins,
        drift_methods=tuple(_names(args.drift)),
    )
    result = scaffold_suite(
        args.name,
        args.table,
        args.date_column,
        parse_reference(args.reference),
        columns=_names(args.columns) or None,
        exclude=_names(args.exclude),
        options=options,
        force=args.force,
    )
    if result.backup:
        print(f"previous suite saved as {result.backup}")
    print(f"wrote suite and checkpoint {result.name!r}: {result.expectations} expectations ({result.suite_path})")
    for type_, count in sorted(result.by_type.items()):
        print(f"  {count:>4}  {type_}")
    print(f"review it, then: trainguard checkpoint run {result.name} --date YYYY-MM-DD")
    return EXIT_OK


# --- docs ---------------------------------------------------------------------------------


def cmd_docs_build(args: argparse.Namespace) -> int:
    from training.quality.docs import build_docs

    print(f"Data Docs built: {build_docs()}")
    return EXIT_OK


def cmd_docs_prune(args: argparse.Namespace) -> int:
    from training.quality.prune import parse_age, prune_docs

    result = prune_docs(parse_age(args.older_than))
    print(
        f"removed {result.results} validation result(s) and {result.pages} page(s) older than {args.older_than}; "
        f"{result.kept} kept; index rebuilt"
    )
    return EXIT_OK


def cmd_docs_serve(args: argparse.Namespace) -> int:
    from training.quality.serve import make_server
    from training.settings import get_settings

    settings = get_settings()
    port = settings.docs_port if args.port is None else args.port
    server = make_server(settings.data_docs_dir, args.host or settings.docs_host, port)
    host, port = server.server_address[:2]
    print(f"Serving Data Docs at http://{host}:{port}/index.html (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return EXIT_OK


# --- demo ---------------------------------------------------------------------------------


def cmd_demo_seed(args: argparse.Namespace) -> int:
    from training.demo.generate import Skew
    from training.demo.seed import seed_demo
    from training.settings import get_settings
    from training.warehouse.engine import get_engine

    skews = [Skew.parse(s) for s in args.skew]
    written = seed_demo(get_engine(get_settings().warehouse_url), args.start, args.end, skews, seed=args.seed)
    print(f"wrote {sum(written.values())} rows over {len(written)} days into 'trips'")
    return EXIT_OK


def cmd_demo_run(args: argparse.Namespace) -> int:
    from training.demo.run import run_demo

    return EXIT_OK if run_demo() else EXIT_FAILED


# --- model --------------------------------------------------------------------------------


def _pipeline(name: str) -> Any:
    from training.pipelines.config import find_pipeline
    from training.settings import get_settings

    return find_pipeline(get_settings().pipelines_dir, name)


def _model_pipeline(model_id: str) -> tuple[str, str]:
    """The pipeline a registered model belongs to, and that pipeline's model checkpoint
    (``<pipeline>_model`` for pipelines fed through the Python API rather than a file)."""
    from training.model.registry import get_model
    from training.pipelines.config import discover
    from training.settings import get_settings
    from training.warehouse.engine import get_engine

    settings = get_settings()
    pipeline = get_model(get_engine(settings.warehouse_url), model_id)["pipeline"]
    specs = [f.spec for f in discover(settings.pipelines_dir) if f.spec and f.spec.pipeline == pipeline]
    return pipeline, specs[0].model_checkpoint_name if specs else f"{pipeline}_model"


def cmd_model_train(args: argparse.Namespace) -> int:
    from training.model.train import train_for_day

    result = train_for_day(_pipeline(args.pipeline), args.date)
    if args.json:
        _print_json(result.__dict__)
    else:
        print(f"trained {result.model_id} on {len(result.train_days)} day(s), holdout {result.holdout_days}")
        for split, values in result.metrics.items():
            print(f"  {split:<8} " + "  ".join(f"{k}={v:.3f}" for k, v in values.items()))
    return EXIT_OK


def cmd_model_list(args: argparse.Namespace) -> int:
    from training.model.registry import list_models
    from training.settings import get_settings
    from training.warehouse.engine import get_engine

    rows = list_models(get_engine(get_settings().warehouse_url), args.pipeline)
    if args.json:
        _print_json(rows)
        return EXIT_OK
    for row in rows:
        print(f"{row['model_id']:<40} {row['status']:<10} trained_for={row['trained_for']} rows={row['train_rows']}")
    if not rows:
        print("no models yet")
    return EXIT_OK


def cmd_model_show(args: argparse.Namespace) -> int:
    from training.model.report import model_report

    report = model_report(args.model_id, _model_pipeline(args.model_id)[1])
    if args.json:
        _print_json(report)
        return EXIT_OK
    from training.model.report import format_report

    print(format_report(report))
    return EXIT_OK


def cmd_model_promote(args: argparse.Namespace) -> int:
    from training.model.promotion import PromotionRefusedError, force_promote, promote_if_validated

    if args.reason and not args.force:
        raise TrainguardError("--reason goes with --force (a validated promotion records its own reason)")
    pipeline, checkpoint = _model_pipeline(args.model_id)
    if args.force:
        result = force_promote(pipeline, args.model_id, args.reason or "")
    else:
        try:
            result = promote_if_validated(pipeline, checkpoint, args.model_id)
        except PromotionRefusedError as exc:
            print(str(exc), file=sys.stderr)
            return EXIT_FAILED
    print(f"{result.model_id} is production for {result.pipeline} ({result.reason})")
    return EXIT_OK


# --- pipeline -----------------------------------------------------------------------------


def cmd_pipeline_list(args: argparse.Namespace) -> int:
    from training.pipelines.config import discover
    from training.settings import get_settings

    folder = get_settings().pipelines_dir
    files = discover(folder)
    if args.json:
        _print_json(
            [
                {"file": str(f.path), "error": f.error, "pipeline": f.spec.pipeline if f.spec else None}
                | (_spec_summary(f.spec) if f.spec else {})
                for f in files
            ]
        )
    else:
        for f in files:
            if f.spec is None:
                print(f"INVALID  {f.error}")
                continue
            summary = _spec_summary(f.spec)
            print(
                f"{f.spec.pipeline:<20} table={summary['table']} data={summary['data_checkpoint']} "
                f"model={summary['model_checkpoint']} task={f.spec.task} metric={f.spec.metric} "
                f"estimator={summary['estimator']} dag={summary['dag_id']}"
            )
        if not files:
            print(f"no pipeline files (*.yaml) in {folder}")
    return EXIT_USAGE if any(f.error for f in files) else EXIT_OK


def _spec_summary(spec: Any) -> dict[str, Any]:
    return {
        "table": spec.table,
        "data_checkpoint": spec.data_checkpoint,
        "model_checkpoint": spec.model_checkpoint_name,
        "task": spec.task,
        "metric": spec.metric,
        "estimator": spec.estimator,
        "dag_id": spec.dag_id,
    }


def cmd_pipeline_run(args: argparse.Namespace) -> int:
    from training.pipelines.run import format_outcome, run_pipeline

    outcome = run_pipeline(_pipeline(args.name), args.date, revalidate=args.revalidate)
    if args.json:
        _print_json(outcome.to_dict())
    else:
        print(format_outcome(outcome))
    return outcome.exit_code


# --- airflow ------------------------------------------------------------------------------


def cmd_airflow_env(args: argparse.Namespace) -> int:
    import shlex

    from training.airflow.standalone import standalone_env
    from training.settings import get_settings

    env = standalone_env(get_settings())
    for key in sorted(k for k in env if k.startswith("AIRFLOW")):
        print(f"export {key}={shlex.quote(env[key])}")
    return EXIT_OK


def cmd_airflow_standalone(args: argparse.Namespace) -> int:
    from training.airflow.standalone import run_standalone
    from training.settings import get_settings

    return EXIT_OK if run_standalone(get_settings()) == 0 else EXIT_FAILED


# --- parser -------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors: the message and where to find help, no usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _add(sub: Any, name: str, func: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help_text, description=help_text)
    parser.set_defaults(func=func)
    return parser


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one machine-readable JSON object")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="trainguard", description="Data and model quality gates for ML training pipelines.")
    groups = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")

    checkpoint = groups.add_parser("checkpoint", help="list and run GX checkpoints").add_subparsers(
        dest="command", required=True, metavar="SUBCOMMAND"
    )
    _json_flag(_add(checkpoint, "list", cmd_checkpoint_list, "list the project's checkpoints"))
    run = _add(checkpoint, "run", cmd_checkpoint_run, "run a checkpoint for a day, a range of days or a model")
    run.add_argument("name", help="checkpoint name (see 'trainguard checkpoint list')")
    run.add_argument("--date", type=parse_date, help="the day to validate, YYYY-MM-DD")
    run.add_argument("--from", dest="start", type=parse_date, help="first day of a range (backfill)")
    run.add_argument("--to", dest="end", type=parse_date, help="last day of a range, inclusive")
    run.add_argument("--model", help="model id, for model checkpoints")
    _json_flag(run)

    data = groups.add_parser("data", help="load files into the warehouse").add_subparsers(
        dest="command", required=True, metavar="SUBCOMMAND"
    )
    load = _add(data, "load", cmd_data_load, "load a CSV or Parquet file into a daily-partitioned table")
    load.add_argument("--table", required=True, help="warehouse table (created if missing)")
    load.add_argument("--file", required=True, help="a .csv or .parquet file")
    load.add_argument("--date-column", required=True, help="column with the day; stored as YYYY-MM-DD")
    load.add_argument(
        "--mode",
        choices=["replace", "append"],
        default="replace",
        help="replace the file's days in the table (default) or append rows to them",
    )

    suite = groups.add_parser("suite", help="scaffold expectation suites from a reference window").add_subparsers(
        dest="command", required=True, metavar="SUBCOMMAND"
    )
    scaffold = _add(
        suite,
        "scaffold",
        cmd_suite_scaffold,
        "profile a reference window of a table and write a reviewable suite and checkpoint",
    )
    scaffold.add_argument("--table", required=True, help="warehouse table, partitioned by day")
    scaffold.add_argument("--date-column", required=True, help="column holding the day as YYYY-MM-DD")
    scaffold.add_argument("--reference", required=True, metavar="START:END", help="clean days to learn from, inclusive")
    scaffold.add_argument("--name", required=True, help="name of the suite and checkpoint to write")
    scaffold.add_argument("--columns", help="comma-separated columns to check (default: all)")
    scaffold.add_argument("--exclude", help="comma-separated columns to leave out")
    scaffold.add_argument("--target", help="the label column: it must never be null")
    scaffold.add_argument(
        "--strictness",
        choices=["loose", "normal", "strict"],
        default="normal",
        help="how wide the bands are: 6, 4.5 or 3 daily standard deviations (default normal)",
    )
    scaffold.add_argument(
        "--max-categories",
        type=int,
        default=50,
        help="text columns with more distinct values get no value set (default 50)",
    )
    scaffold.add_argument("--bins", type=int, default=10, help="reference bins for numeric drift (default 10)")
    scaffold.add_argument("--drift", default="psi,js_distance", help="drift scores to add (default psi,js_distance)")
    scaffold.add_argument("--force", action="store_true", help="replace an existing suite (a backup is kept)")

    docs = groups.add_parser("docs", help="build and serve the Data Docs site").add_subparsers(
        dest="command", required=True, metavar="SUBCOMMAND"
    )
    _add(docs, "build", cmd_docs_build, "rebuild the Data Docs site")
    prune = _add(docs, "prune", cmd_docs_prune, "delete validation results and pages older than an age, keep the index")
    prune.add_argument("--older-than", required=True, metavar="AGE", help="e.g. 90d, 12w or 36h")
    serve = _add(docs, "serve", cmd_docs_serve, "serve the Data Docs site over HTTP (loopback by default)")
    serve.add_argument("--host", help="address to bind (default from TRAINGUARD_DOCS_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default from TRAINGUARD_DOCS_PORT, 8765; 0 picks a free one)")

    demo = groups.add_parser("demo", help="demo data and the end-to-end demo").add_subparsers(
        dest="command", required=True, metavar="SUBCOMMAND"
    )
    seed = _add(demo, "seed", cmd_demo_seed, "write seeded demo days into the warehouse table 'trips'")
    seed.add_argument("--start", type=parse_date, required=True, help="first day, YYYY-MM-DD")
    seed.add_argument("--end", type=parse_date, required=True, help="last day, YYYY-MM-DD")
    seed.add_argument(
        "--skew",
        action="append",
        default=[],
        metavar="DAY:KIND[:COLUMN[:AMOUNT]]",
        help="inject skew; KIND is drop_column, new_column, type_change, null_burst (AMOUNT = null share, "
        "default 0.2), mean_shift (standard deviations, 3), new_category (share, 0.05) or row_collapse "
        "(share of rows lost, 0.5); repeatable",
    )
    seed.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    _add(demo, "run", cmd_demo_run, "seed the demo warehouse and run the Airflow DAG for several days")

    airflow = groups.add_parser("airflow", help="run Airflow for this project").add_subparsers(
        dest="command", required=True, metavar="SUBCOMMAND"
    )
    _add(airflow, "env", cmd_airflow_env, "print the AIRFLOW_* exports this project uses (embedded defaults)")
    _add(
        airflow,
        "standalone",
        cmd_airflow_standalone,
        "run 'airflow standalone' (SQLite metadata, 4 task slots) and the Data Docs server; Ctrl-C stops both",
    )

    pipeline = groups.add_parser("pipeline", help="declarative training pipelines (pipelines/*.yaml)").add_subparsers(
        dest="command", required=True, metavar="SUBCOMMAND"
    )
    _json_flag(_add(pipeline, "list", cmd_pipeline_list, "list the pipeline files and whether each is valid"))
    prun = _add(
        pipeline,
        "run",
        cmd_pipeline_run,
        "validate the training window, train, validate the model and promote it if every check passes",
    )
    prun.add_argument("name", help="pipeline name (see 'trainguard pipeline list')")
    prun.add_argument("--date", type=parse_date, required=True, help="the day to train for, YYYY-MM-DD")
    prun.add_argument("--revalidate", action="store_true", help="re-run the data checkpoint on every day of the window")
    _json_flag(prun)

    model = groups.add_parser("model", help="train, list and promote models").add_subparsers(
        dest="command", required=True, metavar="SUBCOMMAND"
    )
    train = _add(model, "train", cmd_model_train, "train a pipeline's model on the validated days up to a day")
    train.add_argument("--date", type=parse_date, required=True, help="last day of the training window")
    train.add_argument("--pipeline", default="trips_duration", help="pipeline name (default: the demo's)")
    _json_flag(train)
    listing = _add(model, "list", cmd_model_list, "list registered models")
    listing.add_argument("--pipeline", help="only this pipeline's models")
    _json_flag(listing)
    show = _add(model, "show", cmd_model_show, "a model's metrics, metadata, validation outcome and promotions")
    show.add_argument("model_id")
    _json_flag(show)
    promote = _add(model, "promote", cmd_model_promote, "promote a model whose model checkpoint passed")
    promote.add_argument("model_id")
    promote.add_argument("--force", action="store_true", help="human override: promote whatever the checks said")
    promote.add_argument("--reason", help="why the override is needed (required with --force; recorded)")
    return parser


def _log_to_file() -> None:
    """Library log records (GX logs each failed SQL statement with its traceback) go to
    ``var/trainguard.log`` instead of stderr, where the CLI prints one line per problem. The file
    is opened only when something is logged."""
    import logging
    from pathlib import Path

    from training.settings import get_settings

    path = Path(get_settings().var_dir) / "trainguard.log"
    root = logging.getLogger()
    if not any(isinstance(h, logging.FileHandler) for h in root.handlers):
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, delay=True)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)  # with a handler present, Python no longer prints to stderr


def _database_error(exc: BaseException) -> str | None:
    """A one-line message for a database error raised outside trainguard's own checks (a
    read-only warehouse, a connection lost mid-command), or None for any other exception."""
    sa_exc = sys.modules.get("sqlalchemy.exc")  # imported only by commands that use a database
    if sa_exc is None or not isinstance(exc, sa_exc.SQLAlchemyError):
        return None
    from training.warehouse.engine import database_reason

    return f"warehouse error: {database_reason(exc)}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _log_to_file()
    try:
        return args.func(args)
    except TrainguardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        message = _database_error(exc)
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
