"""Model artifacts on disk: one folder per model id, swapped in atomically."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import tempfile
from pathlib import Path
from typing import Any

from training.core.errors import TrainguardError


def save_model(store: Path, model_id: str, model: Any, meta: dict[str, Any]) -> Path:
    """Write ``model`` (joblib) and ``meta`` (JSON) so that ``store/model_id`` holds them.

    Files go to a hidden, uniquely named folder first; ``store/model_id`` is a relative symlink
    to it, replaced with one rename. A process killed at any point leaves ``store/model_id``
    either as it was or complete: renaming a folder over a folder cannot be done in one step
    (the old one must move away first), which left a moment with no model under its name.
    """
    import joblib

    store.mkdir(parents=True, exist_ok=True)
    final = store / model_id
    tmp = Path(tempfile.mkdtemp(prefix=f".{model_id}.", dir=store))
    link = store / f"{tmp.name}.link"
    try:
        try:
            joblib.dump(model, tmp / "model.joblib")
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise TrainguardError(
                f"cannot store model {model_id}: it does not pickle ({exc}); "
                "define estimator classes at module level so they can be loaded again"
            ) from None
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True, default=str))
        if final.is_dir() and not final.is_symlink():
            # A folder written before artifacts were symlinked: it cannot be replaced atomically
            # by a link, so move it aside first (once per model id).
            old = store / f".{model_id}.legacy"
            shutil.rmtree(old, ignore_errors=True)
            os.replace(final, old)
            shutil.rmtree(old, ignore_errors=True)
        previous = final.resolve() if final.is_symlink() else None
        os.symlink(tmp.name, link)
        os.replace(link, final)
    except BaseException:
        link.unlink(missing_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if previous is not None and previous != tmp.resolve() and previous.parent == store.resolve():
        shutil.rmtree(previous, ignore_errors=True)
    return final
