"""Dependencies point one way, pure modules stay pure, and importing kb does nothing."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kb"
# A module may import only from layers at its own level or below.
LAYERS = [
    {
        "kb.errors",
        "kb.background",
        "kb.model",
        "kb.config",
        "kb.events",
        "kb.validation",
        "kb.workflow",
        "kb.notifications",
    },
    {"kb.backends"},
    {"kb.indexer", "kb.store", "kb.evaluation.metrics", "kb.evaluation.beir"},
    {"kb.search", "kb.insights"},
    {
        "kb.selfservice",
        "kb.browsing",
        "kb.desk",
        "kb.knowledge_queue",
        "kb.authoring",
        "kb.problems",
        "kb.holdout",
        "kb.track_record",
        "kb.mail",
    },
    {"kb.services", "kb.migration"},
    {"kb.evaluation.runner"},
    {"kb.cli", "kb.web"},
]
PURE = [
    "kb/indexer/parse.py",
    "kb/indexer/chunk.py",
    "kb/indexer/tickets.py",
    "kb/search/hybrid.py",
    "kb/search/filters.py",
    "kb/search/snippets.py",
    "kb/search/language.py",
    "kb/search/deflection.py",
    "kb/evaluation/metrics.py",
    "kb/model.py",
    "kb/events.py",
    "kb/validation.py",
    "kb/workflow.py",
    "kb/notifications.py",
    "kb/insights/outcomes.py",
    "kb/insights/learning.py",
    "kb/insights/clustering.py",
    "kb/insights/candidates.py",
    "kb/authoring/forms.py",
    "kb/web/charts.py",
    "kb/web/chart_parts.py",
    "kb/web/results.py",
    "kb/insights/outcomes.py",
    "kb/insights/metrics.py",
    "kb/insights/readout.py",
    "kb/insights/holdout.py",
    "kb/insights/articles.py",
    "kb/insights/calibration.py",
    "kb/insights/calibration_fit.py",
    "kb/insights/overview.py",
    "kb/insights/searches.py",
    "kb/insights/gaps.py",
    "kb/insights/wording.py",
]
HEAVY = {"flask", "whoosh", "faiss", "sqlalchemy", "sentence_transformers", "torch", "sqlite3"}
# What a pure module may not import besides HEAVY: the file system, processes and the network.
# `pathlib.PurePath` only computes with paths, so of pathlib only `Path` is refused.
INPUT_OUTPUT = {"os", "io", "shutil", "tempfile", "subprocess", "socket", "urllib", "fcntl"}
INPUT_OUTPUT_NAMES = {"pathlib.Path"}


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def layer_of(module: str) -> int:
    for level, names in enumerate(LAYERS):
        if any(module == name or module.startswith(name + ".") for name in names):
            return level
    raise AssertionError(f"{module} is in no layer; add it to LAYERS")


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_imports_point_down(path: Path) -> None:
    own = layer_of(module_name(path))
    for imported in imports_of(path):
        if imported.startswith("kb.") or imported == "kb":
            assert layer_of(imported) <= own, f"{module_name(path)} imports {imported}"


def impure_imports(path: Path) -> set[str]:
    """The modules (top level) and names a pure module may not import, found in `path`."""
    tree = ast.parse(path.read_text())
    found = {name.split(".")[0] for name in imports_of(path)} & (HEAVY | INPUT_OUTPUT)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {f"{node.module}.{alias.name}" for alias in node.names} & INPUT_OUTPUT_NAMES
    return found


@pytest.mark.parametrize("relative", PURE)
def test_pure_modules_import_no_backends(relative: str) -> None:
    assert impure_imports(PACKAGE.parent / relative) == set()


def test_the_purity_check_sees_backends_and_input_output(tmp_path: Path) -> None:
    module = tmp_path / "impure.py"
    module.write_text(
        "import os.path\nimport sqlalchemy.orm\nfrom pathlib import Path, PurePath\n"
        "from json import dumps\n"
    )
    assert impure_imports(module) == {"os", "sqlalchemy", "pathlib.Path"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_a_module_that_calls_itself_pure_is_checked(path: Path) -> None:
    docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
    if re.search(r"\bPure\.", docstring):
        assert str(path.relative_to(PACKAGE.parent)) in PURE, "add it to PURE"


def test_importing_kb_loads_no_model_and_writes_nothing(tmp_path: Path) -> None:
    code = (
        "import sys, kb.cli, kb.services, kb.search.searcher, kb.indexer.pipeline;"
        "heavy = ('torch', 'sentence_transformers', 'faiss');"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
    assert list(tmp_path.iterdir()) == []
