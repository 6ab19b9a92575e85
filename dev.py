#!/usr/bin/env python3
"""Set up the project's environment and run it: the README's two commands.

    python3 dev.py dashboard   # make .venv if needed, start the dashboard on the sample logs
    python3 dev.py test        # make .venv if needed, lint with ruff, run the whole test suite

Only the standard library is used here, because this runs before anything is installed.
The environment is rebuilt only when requirements.lock or pyproject.toml change.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed"


def _inputs_digest() -> str:
    digest = hashlib.sha256()
    for name in ("requirements.lock", "pyproject.toml"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def _run(*args: str | Path, **kwargs) -> None:
    subprocess.run([str(a) for a in args], check=True, **kwargs)


def ensure_venv() -> None:
    wanted = _inputs_digest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("dev.py: creating .venv", file=sys.stderr)
        _run(sys.executable, "-m", "venv", VENV)
    print("dev.py: installing pinned dependencies into .venv", file=sys.stderr)
    pip = [BIN / "python", "-m", "pip", "--disable-pip-version-check", "-q"]
    _run(*pip, "install", "-r", ROOT / "requirements.lock")
    _run(*pip, "install", "--no-deps", "-e", f"{ROOT}[test]")
    STAMP.write_text(wanted)


def ensure_chromium() -> None:
    """The browser test drives Debian's chromium; install it where we are allowed to."""
    if Path("/usr/bin/chromium").exists():
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        print("dev.py: installing Debian's chromium for the browser test", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        _run("apt-get", "update", "-qq", env=env)
        _run("apt-get", "install", "-y", "-qq", "chromium", env=env, stdout=subprocess.DEVNULL)
    else:
        print("dev.py: /usr/bin/chromium is missing; the browser test will fail", file=sys.stderr)


def cmd_test(extra: list[str]) -> int:
    ensure_venv()
    ensure_chromium()
    for lint in (["check", "."], ["format", "--check", "."]):
        if subprocess.run([str(BIN / "ruff"), *lint], cwd=ROOT).returncode != 0:
            print("dev.py: ruff failed", file=sys.stderr)
            return 1
    code = subprocess.run([str(BIN / "python"), "-m", "pytest", *extra], cwd=ROOT).returncode
    if code == 5:
        print("dev.py: pytest collected no tests", file=sys.stderr)
        return 1
    return code


def cmd_dashboard(extra: list[str]) -> int:
    ensure_venv()
    args = [str(BIN / "deliverability"), "dashboard", "--demo", *extra]
    return subprocess.run(args, cwd=ROOT).returncode


def main() -> int:
    commands = {"test": cmd_test, "dashboard": cmd_dashboard}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        return commands[sys.argv[1]](sys.argv[2:])
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
