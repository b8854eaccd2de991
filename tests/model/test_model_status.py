"""One status per model, derived from the production pointer, the promotions and the model's
latest model check, whatever the stored row says: `model list`, `model show`, `model promote`,
`pipeline run` and the Data Docs runs page agree, also after the production model's day is
trained again (which re-registers its row)."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from tests.conftest import REPO, one_line
from training.cli.main import main
from training.warehouse.model_status import STATUSES

pytestmark = pytest.mark.usefixtures("demo_warehouse")

PIPELINE = "trips_status"
DAY = "2026-09-05"


@pytest.fixture
def pipelines(tmp_path, monkeypatch):
    """The demo pipeline file under a name of its own (so other tests' trips_duration models
    are not its history), made the pipelines folder of in-process ``main()`` calls."""
    from training.core.settings import get_settings

    text = (REPO / "pipelines" / "trips_duration.yaml").read_text()
    text = text.replace("name: trips_duration", f"name: {PIPELINE}").replace("dag_id: trainguard_demo", "dag_id: x")
    # Fewer, larger boosting steps: the same checks pass, in a fraction of the demo's fit time.
    demo_params = "params: {max_iter: 200, learning_rate: 0.1, random_state: 0}"
    assert demo_params in text
    text = text.replace(demo_params, "params: {max_iter: 30, learning_rate: 0.3, random_state: 0}")
    (tmp_path / f"{PIPELINE}.yaml").write_text(text)
    monkeypatch.setenv("TRAINGUARD_PIPELINES_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    monkeypatch.undo()
    get_settings.cache_clear()  # later tests must not see this folder


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _copy(engine: sa.Engine, model_id: str, new_id: str, day: str, **holdout: float) -> str:
    """Register ``new_id`` as another model of the pipeline with ``model_id``'s metrics (the
    holdout ones changed by ``holdout``), as a retraining would."""
    from training.model.registry import get_model, register_model

    record = get_model(engine, model_id)
    metrics = record.pop("metrics")
    metrics["holdout"].update(holdout)
    # The stored column says "candidate" on purpose: no reader may trust it.
    register_model(engine, {**record, "model_id": new_id, "trained_for": day, "status": "candidate"}, metrics)
    return new_id


def _listed(capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    code, out, _ = _cli(capsys, "model", "list", "--pipeline", PIPELINE)
    assert code == 0
    rows = [line.split() for line in out.splitlines()]
    assert all(len(r) == 4 for r in rows), out  # id, one status, trained_for, rows
    return {r[0]: r[1] for r in rows}


def test_each_model_has_one_status_and_the_production_model_keeps_it_when_retrained(
    pipelines, demo_warehouse, settings, capsys
):
    from training.docs_site.pages import runs_page
    from training.gx.run import run_checkpoint

    code, out, err = _cli(capsys, "pipeline", "run", PIPELINE, "--date", DAY)
    assert code == 0, out + err
    model = re.search(rf"production: ({PIPELINE}-\S+) -- ", out).group(1)

    # An older model forced into production, then replaced by the validated one: retired.
    older = _copy(demo_warehouse, model, f"{PIPELINE}-20260904-older", "2026-09-04")
    assert _cli(capsys, "model", "promote", older, "--force", "--reason", "rollback drill")[0] == 0
    code, out, _ = _cli(capsys, "model", "promote", model)
    assert code == 0 and out == f"{model} is production for {PIPELINE} (passed trips_model)\n"
    # Checked and failed, checked and passed, never checked.
    worse = _copy(demo_warehouse, model, f"{PIPELINE}-20260904-worse", "2026-09-04", mae=4.0)
    checked = _copy(demo_warehouse, model, f"{PIPELINE}-20260904-checked", "2026-09-04")
    unchecked = _copy(demo_warehouse, model, f"{PIPELINE}-20260904-unchecked", "2026-09-04")
    run = run_checkpoint("trips_model", [worse, checked], by_date=False, settings=settings)
    assert [r.success for r in run.results] == [False, True]

    # The production model's day again: same model id, its row deleted and inserted anew.
    code, out, err = _cli(capsys, "pipeline", "run", PIPELINE, "--date", DAY)
    assert code == 0, out + err
    assert f"{model} unchanged: already in production" in out
    assert f"production: {model} -- {model} kept (already in production)" in out

    expected = {model: "production", older: "retired", worse: "rejected", checked: "candidate", unchecked: "unchecked"}
    assert _listed(capsys) == expected
    code, out, _ = _cli(capsys, "model", "list", "--pipeline", PIPELINE, "--json")
    assert {row["model_id"]: row["status"] for row in json.loads(out)} == expected
    # SQL readers of the stored column see the same (it is written at each registry write).
    with demo_warehouse.connect() as conn:
        stored = dict(
            conn.execute(
                sa.text("SELECT model_id, status FROM trainguard_models WHERE pipeline = :p"), {"p": PIPELINE}
            ).all()
        )
    assert stored[model] == "production" and stored[older] == "retired" and stored[worse] == "rejected"

    for model_id, status in expected.items():
        code, out, _ = _cli(capsys, "model", "show", model_id)
        head = out.splitlines()[0]
        assert code == 0 and head.startswith(f"model      {model_id} ({status}: "), head
        others = set(STATUSES) - {status}
        assert not others & set(re.findall(r"\w+", head)), head  # one status, not "(candidate, production)"
    code, out, _ = _cli(capsys, "model", "show", model, "--json")
    shown = json.loads(out)
    assert shown["status"] == "production" and shown["is_production"] is True

    # Promoting the production model again says so and changes nothing; refusals change nothing.
    code, out, _ = _cli(capsys, "model", "promote", model)
    assert code == 0 and out == f"{model} is production for {PIPELINE} (already in production)\n"
    code, _, err = _cli(capsys, "model", "promote", worse)
    assert code == 1
    assert one_line(err) == f"model {worse} not promoted: its 'trips_model' validation failed; production stays {model}"
    code, _, err = _cli(capsys, "model", "promote", unchecked)
    assert code == 1 and "validation never ran" in one_line(err)
    assert _listed(capsys) == expected

    page = runs_page(settings.data_docs_dir, demo_warehouse)
    for model_id, status in expected.items():
        assert f"{model_id} [{status}]:" in page
    assert "(production)" not in page
