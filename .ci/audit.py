"""make audit: bandit over app/ (medium and high findings fail) and pip-audit over the
pinned requirements (a known vulnerability fails).

pip-audit asks the package index for each pinned version's known vulnerabilities. An index
that has no vulnerability data (some mirrors, this project's CI machine among them) makes
it skip packages as "not found" and still report "no known vulnerabilities": that would be
a silent pass, so the packages it could not check are counted and printed, loudly. See
docs/security.md ("Dependencies").
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def bandit() -> bool:
    done = subprocess.run([str(BIN / "bandit"), "-r", "app", "-ll", "-q"], cwd=ROOT)  # noqa: S603
    print("bandit: " + ("no medium or high finding" if done.returncode == 0 else "FINDINGS"))
    return done.returncode == 0


def pip_audit() -> bool:
    done = subprocess.run([str(BIN / "pip-audit"), "-r", "requirements.txt", "-r",  # noqa: S603
                           "tests/requirements.txt", "--format", "json",
                           "--progress-spinner", "off"], cwd=ROOT, capture_output=True,
                          text=True)
    try:
        report = json.loads(done.stdout or "{}")
    except ValueError:
        print(f"pip-audit: could not run ({done.returncode}): {done.stderr.strip()[-500:]}")
        return False
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    for dep in vulnerable:
        ids = ", ".join(v["id"] for v in dep["vulns"])
        print(f"pip-audit: {dep['name']} {dep.get('version')}: {ids}")
    checked = len(dependencies) - len(skipped)
    print(f"pip-audit: {checked} of {len(dependencies)} pinned packages checked, "
          f"{len(vulnerable)} with known vulnerabilities")
    if skipped:
        print(f"pip-audit: WARNING — {len(skipped)} packages could not be checked (the "
              f"package index gave no vulnerability data, e.g. "
              f"{skipped[0]['name']}: {skipped[0]['skip_reason']}). Run `make audit` where "
              "pypi.org is reachable.")
    return not vulnerable


if __name__ == "__main__":
    results = [bandit(), pip_audit()]
    sys.exit(0 if all(results) else 1)
