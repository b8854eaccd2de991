"""``pip install .`` into an existing environment: the package declares what it imports, in
ranges that the pinned set of the two-command setup satisfies."""

from __future__ import annotations

import ast
import sys
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import REPO

# Import name -> distribution, where they differ.
DISTRIBUTIONS = {
    "sklearn": "scikit-learn",
    "yaml": "pyyaml",
    "jinja2": "jinja2",
    "airflow": "apache-airflow",
    "great_expectations_provider": "airflow-provider-great-expectations",
}


def _declared() -> dict[str, Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return {canonicalize_name(r.name): r for r in map(Requirement, project["dependencies"])}


def _pinned() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.txt").read_text().splitlines():
        name, _, version = line.strip().partition("==")
        if version:
            pins[canonicalize_name(name)] = version
    return pins


def test_the_pinned_set_satisfies_every_declared_range():
    pinned = _pinned()
    for name, requirement in _declared().items():
        assert name in pinned, f"{name} is declared but not pinned in requirements.txt"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (requirement, pinned[name])


def test_every_third_party_import_of_the_package_is_declared():
    imported = set()
    for path in (REPO / "training").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = {m for m in imported if m not in sys.stdlib_module_names and m != "training"}
    declared = set(_declared())
    missing = {m for m in third_party if canonicalize_name(DISTRIBUTIONS.get(m, m)) not in declared}
    assert not missing, f"imported but not declared in pyproject.toml: {sorted(missing)}"
