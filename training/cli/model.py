"""`trainguard model`: train, list, show and promote models."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from training.cli.options import (
    EXIT_FAILED,
    EXIT_OK,
    add_command,
    json_flag,
    number,
    parse_date,
    pipeline_named,
    print_json,
    round_floats,
)
from training.core.errors import TrainguardError


def _model_pipeline(model_id: str) -> tuple[str, str]:
    """The pipeline a registered model belongs to, and that pipeline's model checkpoint
    (``<pipeline>_model`` for pipelines fed through the Python API rather than a file)."""
    from training.core.settings import get_settings
    from training.model.registry import get_model
    from training.pipelines.config import discover
    from training.warehouse.engine import get_engine

    settings = get_settings()
    pipeline = get_model(get_engine(settings.warehouse_url), model_id)["pipeline"]
    specs = [f.spec for f in discover(settings.pipelines_dir) if f.spec and f.spec.pipeline == pipeline]
    return pipeline, specs[0].model_checkpoint_name if specs else f"{pipeline}_model"


def cmd_model_train(args: argparse.Namespace) -> int:
    from training.model.train import train_for_day

    result = train_for_day(pipeline_named(args.pipeline), args.date)
    if args.json:
        print_json(result.__dict__)
    else:
        print(f"trained {result.model_id} on {len(result.train_days)} day(s), holdout {result.holdout_days}")
        for split, values in result.metrics.items():
            print(f"  {split:<8} " + "  ".join(f"{k}={number(v)}" for k, v in values.items()))
    return EXIT_OK


def cmd_model_list(args: argparse.Namespace) -> int:
    from training.core.settings import get_settings
    from training.model.registry import list_models
    from training.warehouse.engine import get_engine

    rows = list_models(get_engine(get_settings().warehouse_url), args.pipeline)
    if args.json:
        print_json(rows)
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
        print_json(report)
        return EXIT_OK
    from training.model.report import format_report

    print(format_report(round_floats(report)))  # 4 significant digits; --json keeps them all
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


def add_commands(groups: Any) -> None:
    """The `trainguard model` commands and their options."""
    model = groups.add_parser("model", help="train, list and promote models").add_subparsers(
        dest="command", required=True, metavar="SUBCOMMAND"
    )
    train = add_command(model, "train", cmd_model_train, "train a pipeline's model on the validated days up to a day")
    train.add_argument("--date", type=parse_date, required=True, help="last day of the training window")
    train.add_argument("--pipeline", default="trips_duration", help="pipeline name (default: the demo's)")
    json_flag(train)
    listing = add_command(model, "list", cmd_model_list, "list registered models")
    listing.add_argument("--pipeline", help="only this pipeline's models")
    json_flag(listing)
    show = add_command(model, "show", cmd_model_show, "a model's metrics, metadata, validation outcome and promotions")
    show.add_argument("model_id", help="id of a registered model (see 'trainguard model list')")
    json_flag(show)
    promote = add_command(model, "promote", cmd_model_promote, "promote a model whose model checkpoint passed")
    promote.add_argument(
        "model_id", help="id of the model to make production for its pipeline (see 'trainguard model list')"
    )
    promote.add_argument("--force", action="store_true", help="human override: promote whatever the checks said")
    promote.add_argument("--reason", help="why the override is needed (required with --force; recorded)")
