"""scripts/audit_deps.py decides pass/fail from pip-audit's report and the PyPI fallback."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "audit_deps.py"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit_deps", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(
    monkeypatch: pytest.MonkeyPatch,
    report: list[dict[str, object]],
    latest: dict[str, list[str] | None],
) -> int:
    audit = load()
    monkeypatch.setattr(audit, "run_pip_audit", lambda: {"dependencies": report})
    monkeypatch.setattr(audit, "installed_versions", lambda: {"old-lib": "1.0", "new-lib": "2.0"})
    monkeypatch.setattr(audit, "latest_release_vulns", lambda name, version: latest.get(name))
    return int(audit.main())


SKIPPED = "Dependency not found on PyPI and could not be audited"


def test_a_vulnerability_pip_audit_reports_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    vuln = {"id": "PYSEC-1", "fix_versions": ["1.1"]}
    report = [{"name": "old-lib", "version": "1.0", "vulns": [vuln]}]
    assert run(monkeypatch, report, {}) == 1


def test_the_project_endpoint_fallback_catches_a_vulnerability(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    report = [{"name": "new-lib", "skip_reason": SKIPPED}]
    assert run(monkeypatch, report, {"new-lib": ["GHSA-xxxx"]}) == 1
    assert run(monkeypatch, report, {"new-lib": []}) == 0


def test_what_cannot_be_audited_fails_only_when_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    report = [{"name": "old-lib", "skip_reason": SKIPPED}, {"name": "kiosk", "skip_reason": "x"}]
    assert run(monkeypatch, report, {"old-lib": None}) == 0
    monkeypatch.setenv("KIOSK_AUDIT_STRICT", "1")
    assert run(monkeypatch, report, {"old-lib": None}) == 1
