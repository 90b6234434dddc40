"""The package layout type checkers and tools see is the one setuptools installs."""

from __future__ import annotations

import ast
import tomllib

import maestro
import maestro.graphs
from tests.conftest import ROOT


def test_maestro_links_every_mapped_folder() -> None:
    # mypy cannot run the editable install's import hook: maestro/<name> links let it (and
    # editors) resolve `maestro.<name>` to the same folder setuptools maps.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    mapping = config["tool"]["setuptools"]["package-dir"]
    for package, folder in mapping.items():
        parts = package.split(".")
        if len(parts) == 2 and folder != "maestro/" + parts[1]:
            link = ROOT / "maestro" / parts[1]
            assert link.is_symlink() and link.resolve() == (ROOT / folder).resolve(), package
    assert (ROOT / "maestro" / "py.typed").is_file()
    assert "py.typed" in config["tool"]["setuptools"]["package-data"]["maestro"]


def _type_checking_names(path: str) -> set[str]:
    tree = ast.parse((ROOT / path).read_text())
    guarded = next(
        n for n in tree.body if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.dump(n.test)
    )
    return {
        a.asname or a.name for n in guarded.body if isinstance(n, ast.ImportFrom) for a in n.names
    }


def test_lazy_exports_are_visible_to_type_checkers() -> None:
    # The lazy __getattr__ is Any to a type checker; the TYPE_CHECKING imports and a literal
    # __all__ must name the same things, and each must load.
    for module, path in ((maestro, "maestro/__init__.py"), (maestro.graphs, "graphs/__init__.py")):
        exports = set(module._EXPORTS)  # type: ignore[attr-defined]
        assert set(module.__all__) == exports == _type_checking_names(path)
        for name in exports:
            assert getattr(module, name) is not None
