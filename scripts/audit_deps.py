"""Dependency audit of the installed environment: fails on a known vulnerability.

Runs `pip-audit --local` against PyPI's vulnerability data (OSV-backed, the PyPA advisory
database). pip-audit asks PyPI's per-release endpoint (/pypi/<name>/<version>/json); where that
endpoint can't be reached (some mirrors and proxies serve only the project endpoint), every
package comes back "not audited" and pip-audit would pass without having checked anything.
For those packages this script falls back to the project endpoint (/pypi/<name>/json), whose
`vulnerabilities` are authoritative for the project's latest release: a package installed at
its latest release is audited that way, any other one is listed as not audited. A known
vulnerability fails the run either way. KIOSK_AUDIT_STRICT=1 also fails on packages that could
not be audited at all (no network, or an outdated package behind such a proxy).

Run with the project's interpreter: .venv/bin/python scripts/audit_deps.py
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from importlib import metadata

PYPI_PROJECT = "https://pypi.org/pypi/{name}/json"
# Editable/local installs (Kiosk itself) are not on PyPI; nothing to audit.
NOT_ON_PYPI = {"kiosk"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_versions() -> dict[str, str]:
    return {normalise(d.metadata["Name"]): d.version for d in metadata.distributions()}


def run_pip_audit() -> dict[str, object]:
    """pip-audit's JSON report of this interpreter's environment."""
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--local",
        "--skip-editable",
        "--progress-spinner",
        "off",
        "--format",
        "json",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if not done.stdout.strip():
        sys.stderr.write(done.stderr)
        raise SystemExit(f"pip-audit produced no report (exit {done.returncode})")
    return dict(json.loads(done.stdout))


def latest_release_vulns(name: str, version: str) -> list[str] | None:
    """Vulnerability ids of `name` at `version` from the project endpoint, or None when it
    can't tell (unreachable, or `version` is not the latest release)."""
    try:
        with urllib.request.urlopen(PYPI_PROJECT.format(name=name), timeout=15) as response:
            project = json.load(response)
    except (urllib.error.URLError, TimeoutError, ValueError):
        return None
    if project.get("info", {}).get("version") != version:
        return None
    return [v["id"] for v in project.get("vulnerabilities", []) if not v.get("withdrawn")]


def main() -> int:
    report = run_pip_audit()
    versions = installed_versions()
    found: list[str] = []
    unaudited: list[str] = []
    audited = 0
    for dep in report.get("dependencies", []):  # type: ignore[union-attr]
        name = normalise(dep["name"])
        version = dep.get("version") or versions.get(name, "?")
        if "skip_reason" not in dep:
            audited += 1
            for vuln in dep.get("vulns", []):
                fixed = ", ".join(vuln["fix_versions"]) or "no release yet"
                found.append(f"{name} {version}: {vuln['id']} (fixed in {fixed})")
            continue
        if name in NOT_ON_PYPI:
            continue
        vulns = latest_release_vulns(name, version)
        if vulns is None:
            unaudited.append(f"{name} {version}")
            continue
        audited += 1
        found += [f"{name} {version}: {v} (upgrade past {version})" for v in vulns]
    print(f"dependency audit: {audited} packages audited, {len(found)} known vulnerabilities")
    if unaudited:
        print(
            f"not audited ({len(unaudited)}; vulnerability data unreachable for these "
            f"releases): {', '.join(unaudited)}"
        )
    for line in found:
        print(f"VULNERABLE {line}")
    if found:
        return 1
    if unaudited and os.environ.get("KIOSK_AUDIT_STRICT") == "1":
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
