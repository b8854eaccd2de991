"""Model artifacts on disk: one folder per model id, written atomically."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import tempfile
from pathlib import Path
from typing import Any

from training.errors import TrainguardError


def save_model(store: Path, model_id: str, model: Any, meta: dict[str, Any]) -> Path:
    """Write ``model`` (joblib) and ``meta`` (JSON) to ``store/model_id``.

    Files go to a temporary folder first and are swapped in with a rename, so a crash never
    leaves a half-written model under the final name.
    """
    import joblib

    store.mkdir(parents=True, exist_ok=True)
    final = store / model_id
    tmp = Path(tempfile.mkdtemp(prefix=f".{model_id}.", dir=store))
    try:
        try:
            joblib.dump(model, tmp / "model.joblib")
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise TrainguardError(
                f"cannot store model {model_id}: it does not pickle ({exc}); "
                "define estimator classes at module level so they can be loaded again"
            ) from None
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True, default=str))
        if final.exists():
            old = final.with_name(f".{model_id}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final
