"""The lock files pin, with hashes, a version of every dependency pyproject.toml asks for.

A dependency added to pyproject.toml without `bash scripts/lock` would install nowhere (the
installs use `--no-deps` from the lock) or fall out of step with production: this catches it.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ ;\\]+)(.*)$")
BUILD = [Requirement("setuptools>=68"), Requirement("wheel")]


def pins(lock: str) -> dict[str, Version]:
    """Name → pinned version, for every pin in a lock file; each must carry a hash."""
    found: dict[str, Version] = {}
    lines = (ROOT / lock).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        match = PIN.match(line)
        if match is None:
            continue
        assert "--hash=sha256:" in lines[number + 1], f"{lock}: {line} has no hash"
        found[canonicalize_name(match.group(1))] = Version(match.group(2))
    return found


def wanted(extra: str | None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = list(project["dependencies"])
    if extra is not None:
        names += project["optional-dependencies"][extra]
    return [Requirement(name) for name in names] + BUILD


@pytest.mark.parametrize(
    ("lock", "extra"), [("requirements.lock", None), ("requirements-dev.lock", "dev")]
)
def test_the_lock_pins_every_dependency_within_its_range(lock: str, extra: str | None) -> None:
    pinned = pins(lock)
    for requirement in wanted(extra):
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement} is not in {lock}: run bash scripts/lock"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{lock} pins {name} {pinned[name]}, outside {requirement}: run bash scripts/lock"
        )


def test_production_and_tests_run_the_same_versions() -> None:
    production, tests = pins("requirements.lock"), pins("requirements-dev.lock")
    assert {name: tests.get(name) for name in production} == production
