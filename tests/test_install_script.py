"""scripts/install runs pip only when pyproject.toml or a lock file changed since the last install.

The script runs for real on a copy of the files it reads, with a stand-in `.venv/bin/python`
that records how it was called instead of installing: a restart must not call it at all.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
INPUTS = ("pyproject.toml", "requirements.lock", "requirements-dev.lock")
RECORDING_PYTHON = '#!/bin/sh\necho "$*" >> "$(dirname "$0")/../../calls.log"\n'


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    (tmp_path / "scripts").mkdir()
    for name in (*INPUTS, "scripts/install", "scripts/build-requirements.in"):
        shutil.copyfile(ROOT / name, tmp_path / name)
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("python", "kontaktlotsen"):
        (bin_dir / name).write_text(RECORDING_PYTHON, encoding="utf-8")
        (bin_dir / name).chmod(0o755)
    return tmp_path


def install(checkout: Path, *args: str) -> list[str]:
    """Run scripts/install; return the calls of the stand-in python it made."""
    log = checkout / "calls.log"
    log.unlink(missing_ok=True)
    env = {"PATH": "/usr/bin:/bin", "PYTHON": str(checkout / ".venv" / "bin" / "python")}
    subprocess.run(["bash", "scripts/install", *args], cwd=checkout, env=env, check=True)
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def test_installs_once_then_a_restart_runs_no_pip(checkout: Path) -> None:
    first = install(checkout)
    assert any("--require-hashes --requirement requirements.lock" in call for call in first)
    assert any("--no-build-isolation --editable ." in call for call in first)
    assert install(checkout) == []


def test_dev_installs_the_dev_lock_and_covers_the_runtime(checkout: Path) -> None:
    install(checkout)
    dev = install(checkout, "dev")
    assert any("--requirement requirements-dev.lock" in call for call in dev)
    assert install(checkout) == []
    assert install(checkout, "dev") == []


@pytest.mark.parametrize("changed", INPUTS)
def test_a_changed_dependency_file_installs_again(checkout: Path, changed: str) -> None:
    install(checkout)
    with (checkout / changed).open("a", encoding="utf-8") as handle:
        handle.write("\n# changed\n")
    assert install(checkout) != []
    assert install(checkout) == []


def test_a_failed_install_leaves_no_stamp_so_the_next_start_tries_again(checkout: Path) -> None:
    install(checkout)
    python = checkout / ".venv" / "bin" / "python"
    working = python.read_text(encoding="utf-8")
    python.write_text('#!/bin/sh\ncase "$*" in *pip*) exit 1;; esac\n', encoding="utf-8")
    with (checkout / "requirements.lock").open("a", encoding="utf-8") as handle:
        handle.write("\n# changed\n")
    with pytest.raises(subprocess.CalledProcessError):
        install(checkout)
    assert not (checkout / ".venv" / "kontaktlotsen-installed").exists()
    python.write_text(working, encoding="utf-8")
    assert install(checkout) != []
