"""The wheel holds what the bot runs on and nothing of the demo or the emulator.

Built the way a deployment builds it (`pip wheel --no-deps --no-build-isolation`), from a copy
of the checkout, so the build's own output (build/, *.egg-info) never lands in the working tree
other tests and tools read. Takes about ten seconds.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LEFT_OUT = (
    ".venv",
    ".git",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    "data",
    "test-output",
    ".*_cache",
    "node_modules",
    "*.sqlite3*",
)


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*LEFT_OUT))
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "-q",
            "-w",
            str(work / "dist"),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (work / "dist").glob("kiosk-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def test_the_wheel_leaves_out_the_demo_and_the_emulator(wheel_files: list[str]) -> None:
    shipped = {name.split("/")[0] for name in wheel_files}
    assert not {"demo", "sandbox"} & shipped, sorted(shipped)
    assert not [n for n in wheel_files if n.startswith(("demo/", "sandbox/", "tests/"))]


def test_the_wheel_holds_the_bot(wheel_files: list[str]) -> None:
    for path in (
        "bot/wiring.py",
        "bot/runtime/app.py",
        "handlers/__init__.py",
        "domain/kernel/errors.py",
        "storage/db.py",
    ):
        assert path in wheel_files, path
    for package in ("bot", "handlers", "domain", "storage"):
        assert any(n.startswith(f"{package}/") and n.endswith(".py") for n in wheel_files)


def test_the_web_package_ships_its_templates_and_static_files(wheel_files: list[str]) -> None:
    web = ROOT / "web"
    if not (web / "__init__.py").exists():
        pytest.skip("no web package in this checkout yet")
    assert "web/__init__.py" in wheel_files
    for folder in ("templates", "static"):
        files = (
            [p for p in (web / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
            if (web / folder).is_dir()
            else []
        )
        for path in files:
            assert path.relative_to(ROOT).as_posix() in wheel_files, path


def test_the_wheel_ships_every_catalogue_where_the_bot_reads_it(wheel_files: list[str]) -> None:
    from bot.i18n import LOCALES_DIR

    catalogues = sorted(p.relative_to(ROOT).as_posix() for p in LOCALES_DIR.rglob("*.po"))
    assert {"en", "zh"} <= {Path(c).parts[1] for c in catalogues}
    missing = [c for c in catalogues if c not in wheel_files]
    assert missing == [], missing
