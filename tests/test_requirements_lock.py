"""requirements.lock pins, with hashes, every dependency pyproject.toml declares.

Why: the README's set-up and .ci/run install from the lock only (`--require-hashes`, then
shapan with `--no-deps`); a dependency added to pyproject.toml without refreshing the lock
would be missing on a fresh machine, and a pin outside a declared bound would install a
version nobody allowed. The refresh command is in the README ("Dependencies").
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def _lock() -> dict[str, tuple[str, list[str]]]:
    """Package -> (pinned version, its sha256 hashes), from the lock's `name==v \\` blocks."""
    text = (ROOT / "requirements.lock").read_text()
    pins: dict[str, tuple[str, list[str]]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = re.match(r"([A-Za-z0-9_.\-]+)==([^\s;\\]+)", block)
        if match:
            name = canonicalize_name(match.group(1))
            pins[name] = (match.group(2), re.findall(r"--hash=sha256:([0-9a-f]{64})", block))
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in ("ui", "test"):
        reqs += project["optional-dependencies"][extra]
    return [Requirement(r) for r in reqs]


def test_every_declared_dependency_is_pinned_with_hashes_within_its_bounds():
    pins = _lock()
    assert len(pins) > 20
    for req in _declared():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in requirements.lock; refresh it (README)"
        version, hashes = pins[name]
        assert req.specifier.contains(version, prereleases=True), f"{name}=={version} vs {req}"
    for name, (version, hashes) in pins.items():
        assert hashes, f"{name}=={version} has no --hash in requirements.lock"


def test_simpy_has_a_tested_upper_bound_and_mypy_is_locked():
    declared = {canonicalize_name(r.name): r for r in _declared()}
    assert any(s.operator == "<" for s in declared["simpy"].specifier)
    assert "mypy" in _lock()
