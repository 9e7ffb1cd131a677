"""Builds kb with its translations compiled: each kb/translations/*/LC_MESSAGES/messages.po
becomes the messages.mo the portal reads. Everything else is declared in pyproject.toml."""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

CATALOGUES = Path(__file__).resolve().parent / "kb" / "translations"


def compile_catalogues() -> None:
    for source in sorted(CATALOGUES.glob("*/LC_MESSAGES/messages.po")):
        target = source.with_suffix(".mo")
        if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
            continue
        with source.open("rb") as readable:
            catalogue = read_po(readable, locale=source.parent.parent.name)
        with target.open("wb") as writable:
            write_mo(writable, catalogue)


class BuildWithCatalogues(build_py):
    """build_py that compiles the catalogues first, so wheels and installs ship them."""

    def run(self) -> None:
        compile_catalogues()
        super().run()


setup(cmdclass={"build_py": BuildWithCatalogues})
