"""`trainguard pipeline`: list and run declarative training pipelines."""

from __future__ import annotations

import argparse
from typing import Any

from training.cli.options import EXIT_OK, EXIT_USAGE, add_command, json_flag, parse_date, pipeline_named, print_json


def cmd_pipeline_list(args: argparse.Namespace) -> int:
    from training.core.settings import get_settings
    from training.pipelines.config import discover

    folder = get_settings().pipelines_dir
    files = discover(folder)
    if args.json:
        print_json(
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

    outcome = run_pipeline(pipeline_named(args.name), args.date, revalidate=args.revalidate)
    if args.json:
        print_json(outcome.to_dict())
    else:
        print(format_outcome(outcome))
    return outcome.exit_code


def add_commands(groups: Any) -> None:
    """The `trainguard pipeline` commands and their options."""
    pipeline = groups.add_parser("pipeline", help="declarative training pipelines (pipelines/*.yaml)").add_subparsers(
        dest="command", required=True, metavar="SUBCOMMAND"
    )
    json_flag(add_command(pipeline, "list", cmd_pipeline_list, "list the pipeline files and whether each is valid"))
    prun = add_command(
        pipeline,
        "run",
        cmd_pipeline_run,
        "validate the training window, train, validate the model and promote it if every check passes",
    )
    prun.add_argument("name", help="pipeline name (see 'trainguard pipeline list')")
    prun.add_argument("--date", type=parse_date, required=True, help="the day to train for, YYYY-MM-DD")
    prun.add_argument("--revalidate", action="store_true", help="re-run the data checkpoint on every day of the window")
    json_flag(prun)
