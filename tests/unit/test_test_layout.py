"""The tests' own layout (issue 12): helpers live in conftest.py files and
tests/support/, never in a test module another one imports; one redis-server
starter; one `Members`; settings are real `Settings` (tests.support.settings),
not hand-made classes that lack the fields the code reads.

PENDING lists what is known and not moved yet, each entry in a module another
change owns; an entry that no longer offends fails too, so the list only shrinks.
"""
from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
REDIS_STARTER = "tests/support/redis_server.py"
MEMBERS_HOME = "tests/support/lab_calls.py"

PENDING_IMPORTS: set[tuple[str, str]] = set()
PENDING_REDIS: set[str] = set()
PENDING_MEMBERS: set[str] = set()
PENDING_SETTINGS_CLASSES: set[str] = set()


def _sources(*folders: Path) -> dict[str, ast.Module]:
    return {str(path.relative_to(REPO)): ast.parse(path.read_text(), str(path))
            for folder in folders for path in sorted(folder.rglob("*.py"))}


def imports_of_test_modules(tree: ast.Module) -> set[str]:
    """Modules `tree` imports that are test modules (tests.*.test_*) or conftest files."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "tests" and any(part.startswith("test_") or part == "conftest"
                                           for part in parts[1:]):
                found.add(".".join(parts[:next(i for i, part in enumerate(parts) if i and (
                    part.startswith("test_") or part == "conftest")) + 1]))
    return found


def starts_redis_server(tree: ast.Module) -> bool:
    """A "redis-server" argument (Popen, shutil.which) or a call of a start_redis helper."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for argument in ast.walk(node):
                if isinstance(argument, ast.Constant) and argument.value == "redis-server":
                    return True
            called = node.func.attr if isinstance(node.func, ast.Attribute) else \
                getattr(node.func, "id", "")
            if called == "start_redis":
                return True
    return False


def classes_named(tree: ast.Module, predicate) -> list[str]:
    return [node.name for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef) and predicate(node.name)]


def _settings_double(name: str) -> bool:
    return name.endswith("Settings")


def _check(offending: set, pending: set) -> None:
    assert offending - pending == set(), "move these to conftest.py / tests/support/"
    assert pending - offending == set(), "fixed: take these off PENDING"


def test_no_module_imports_a_test_module_or_a_conftest():
    offending = {(path, module) for path, tree in _sources(TESTS).items()
                 for module in imports_of_test_modules(tree)}
    _check(offending, PENDING_IMPORTS)


def test_redis_server_is_started_by_tests_support_alone():
    offending = {path for path, tree in _sources(TESTS).items()
                 if path != REDIS_STARTER and starts_redis_server(tree)}
    _check(offending, PENDING_REDIS)
    assert starts_redis_server(_sources(TESTS)[REDIS_STARTER])


def test_one_members_helper():
    offending = {path for path, tree in _sources(TESTS).items()
                 if path != MEMBERS_HOME and classes_named(tree, lambda name: name == "Members")}
    _check(offending, PENDING_MEMBERS)


def test_no_hand_made_settings_in_tests_or_benches():
    offending = {path for path, tree in _sources(TESTS, REPO / "bench").items()
                 if classes_named(tree, _settings_double)}
    _check(offending, PENDING_SETTINGS_CLASSES)


def test_the_detectors_find_what_they_are_for():
    tree = ast.parse(
        "from tests.unit.test_state_machine import replay\n"
        "import tests.integration.test_bridge_lab\n"
        "from tests.unit import conftest\n"
        "from tests.support.transcripts import replay\n"
        "subprocess.Popen(['redis-server', '--port', '0'])\n"
        "class FakeSettings:\n    pass\n")
    assert imports_of_test_modules(tree) == {
        "tests.unit.test_state_machine", "tests.integration.test_bridge_lab",
        "tests.unit.conftest"}
    assert starts_redis_server(tree)
    assert starts_redis_server(ast.parse("process, url = start_redis(tmp_path)"))
    assert not starts_redis_server(ast.parse('"""a private redis-server"""'))
    assert classes_named(tree, _settings_double) == ["FakeSettings"]
