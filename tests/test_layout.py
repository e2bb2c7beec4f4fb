"""The tests' own layout: a test module never imports another test module, nor a conftest.py. What
several test modules share lives in helper modules (tests/factories.py, samples.py, apiclient.py,
pages.py, mail.py, mfa.py, browser/flows.py); fixtures live in conftest.py files, which pytest loads."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_modules(source: str, package: str) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of every module an import statement may load, anywhere in the source (also
    inside functions); relative imports resolved against `package`, and `from a import b` counted as
    a.b too, since b may be a module."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            yield node.lineno, module
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}"


def is_test_module(name: str) -> bool:
    parts = name.split(".")
    return parts[0] == "tests" and any(part.startswith("test_") or part == "conftest" for part in parts)


def imports_of_test_modules(source: str, package: str) -> list[tuple[int, str]]:
    return [(line, name) for line, name in imported_modules(source, package) if is_test_module(name)]


def test_no_test_module_imports_a_test_module_or_a_conftest():
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        package = ".".join(("tests", *path.relative_to(TESTS).parent.parts))
        for line, name in imports_of_test_modules(path.read_text(), package):
            found.append(f"{path.relative_to(TESTS.parent)}:{line} imports {name}")
    assert found == [], "move what is shared into a helper module:\n" + "\n".join(found)


def test_the_check_finds_every_way_of_writing_such_an_import():
    source = """
import tests.accounts.test_mfa
from tests.portal.conftest import load
from tests.accounts import test_mfa
from .test_logo import JPEG
from ..conftest import Api
def later():
    from tests.browser.test_passkeys import EMAIL
from tests.factories import make_user
from tests.grants import reference
import testsuite.test_other
"""
    found = imports_of_test_modules(source, "tests.brokers")

    assert {line for line, _ in found} == {2, 3, 4, 5, 6, 8}
    assert (5, "tests.brokers.test_logo") in found
    assert (6, "tests.conftest") in found
