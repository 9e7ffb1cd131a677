"""A built kb ships what it reads at run time: templates, static files and compiled catalogues."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent


def test_a_wheel_carries_the_compiled_translations(tmp_path: Path) -> None:
    # Built from a copy without any .mo, as a fresh clone is: the build must compile them.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(REPOSITORY / name, source / name)
    shutil.copytree(
        REPOSITORY / "kb",
        source / "kb",
        ignore=shutil.ignore_patterns("__pycache__", "*.mo"),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
        + ["--wheel-dir", str(tmp_path / "dist"), str(source)],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    (wheel,) = (tmp_path / "dist").glob("kb-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "kb/translations/es/LC_MESSAGES/messages.mo" in names
    assert "kb/translations/es/LC_MESSAGES/messages.po" in names
    assert "kb/web/templates/base.html" in names and "kb/web/static/kb.css" in names
