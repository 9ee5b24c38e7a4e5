"""The progress core shows one face: other code imports academy.progress.api, never Redis.

Read from the source (every import statement, by its AST), so a new module is checked
the day it is added.
"""
from __future__ import annotations

import ast
from pathlib import Path

ACADEMY = Path(__file__).resolve().parents[2]
ROOT = ACADEMY.parent
PROGRESS = ACADEMY / "progress"

# What other production code may import of the progress package.
FACE = {"academy.progress.api"}
# urls.py routes the progress endpoints like every app's apis module.
ALLOWED = {"academy/urls.py": {"academy.progress.apis"}}
# The one other module that talks to Redis: the messaging rate limit is a per-tenant token
# bucket shared by all workers, not task progress; it uses the process's connection pool.
# Login throttles and token revocation stamps (academy/access) are counters and stamps, not
# task progress either: the same exception, the same pool.
EXCEPTED = {
    "academy/messaging/ratelimit.py": {"redis", "academy.progress.client"},
    "academy/access/throttle.py": {"redis", "academy.progress.client"},
    "academy/access/revocation.py": {"redis", "academy.progress.client"},
}
# Behind the face: no test of another app reads these (academy.progress.testing does).
INTERNAL = {"academy.progress.keys", "academy.progress.store", "academy.progress.client"}
DOMAIN_APPS = {"tenants", "jobs", "videos", "students", "messaging", "ai"}


def imports(path: Path) -> set[str]:
    """Return every module a file imports (`from a import b` counts as a.b and a)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def is_test(path: Path) -> bool:
    return "tests" in path.relative_to(ROOT).parts or path.name == "conftest.py"


def outside_progress() -> list[Path]:
    files = [p for p in ACADEMY.rglob("*.py") if PROGRESS not in p.parents and "migrations" not in p.parts]
    return sorted(files + [ROOT / "conftest.py"])


def redis_or_progress(name: str) -> bool:
    return name == "redis" or name.startswith("redis.") or name.startswith("academy.progress.")


def test_production_code_imports_only_the_face_of_progress_and_never_redis():
    offences = []
    for path in outside_progress():
        if is_test(path):
            continue
        rel = str(path.relative_to(ROOT))
        allowed = FACE | ALLOWED.get(rel, set()) | EXCEPTED.get(rel, set())
        for name in sorted(imports(path)):
            if redis_or_progress(name) and name not in allowed and not any(
                    name.startswith(a + ".") for a in allowed):
                offences.append(f"{rel}: {name}")
    assert offences == []


def test_tests_of_other_apps_never_reach_keys_store_or_client():
    offences = [f"{path.relative_to(ROOT)}: {name}"
                for path in outside_progress() if is_test(path)
                for name in sorted(imports(path)) if name in INTERNAL]
    assert offences == []


def test_progress_imports_no_domain_app_nor_the_metrics_view():
    offences = []
    for path in PROGRESS.rglob("*.py"):
        if "tests" in path.relative_to(PROGRESS).parts:
            continue  # its tests run the contract against the real kinds
        for name in imports(path):
            parts = name.split(".")
            if name == "academy.metrics" or (parts[0] == "academy" and len(parts) > 1 and parts[1] in DOMAIN_APPS):
                offences.append(f"{path.relative_to(ROOT)}: {name}")
    assert offences == []


def test_the_counters_module_imports_nothing_of_the_project():
    assert not [name for name in imports(ACADEMY / "counters.py") if name.startswith("academy")]


def test_the_checks_see_real_offences(tmp_path):
    """The AST reading catches each spelling of a forbidden import."""
    sample = tmp_path / "sample.py"
    sample.write_text("import redis\nfrom academy.progress import store\nfrom academy.progress.keys import TaskRef\n")
    assert {"redis", "academy.progress.store", "academy.progress.keys"} <= imports(sample)
