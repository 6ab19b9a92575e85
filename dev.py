#!/usr/bin/env python3
"""Set up the project's environment and run it: the README's two commands.

    python3 dev.py dashboard     # make .venv if needed, start the dashboard on the sample logs
    python3 dev.py test          # make .venv if needed, lint (ruff, lint-imports), run every test
                                 # (Spark's too: installs Java and pyspark when missing)
    python3 dev.py test --fast   # the same without the tests marked slow (the quick loop; no Spark)
    python3 dev.py lint          # only the lints: ruff and lint-imports

Only the standard library is used here, because this runs before anything is installed.
The environment is rebuilt only when requirements.lock or pyproject.toml change.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed"
# requirements.lock's lines for the [spark] extra: installed only for the full test run
# (pyspark is a 456 MB source archive, about two minutes to build the first time).
SPARK_MARK = "# [spark]"
PIP = [BIN / "python", "-m", "pip", "--disable-pip-version-check", "-q"]


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
    core = VENV / "requirements-core.txt"
    core.write_text("".join(_lock_lines(spark=False)))
    _run(*PIP, "install", "-r", core)
    _run(*PIP, "install", "--no-deps", "-e", f"{ROOT}[test]")
    STAMP.write_text(wanted)


def _lock_lines(spark: bool) -> list[str]:
    """requirements.lock's pins: the [spark] extra's, or every other."""
    lines = (ROOT / "requirements.lock").read_text().splitlines(keepends=True)
    return [line for line in lines if (SPARK_MARK in line) == spark]


def ensure_spark() -> None:
    """pyspark for the tests marked spark, as pinned (its own step: a source archive)."""
    pins = _lock_lines(spark=True)
    wanted = "".join(sorted(line.split("#")[0].strip() + "\n" for line in pins))
    stamp = VENV / ".installed-spark"
    if stamp.exists() and stamp.read_text() == wanted:
        return
    print("dev.py: installing pyspark for the Spark tests (first time: ~2 min)", file=sys.stderr)
    spark = VENV / "requirements-spark.txt"
    spark.write_text(wanted)
    _run(*PIP, "install", "-r", spark)
    stamp.write_text(wanted)


def ensure_java() -> None:
    """The Spark tests run pyspark in local mode, on a JVM: Debian's Java 17."""
    if shutil.which("java"):
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        print("dev.py: installing Debian's openjdk-17-jre-headless for Spark", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        _run("apt-get", "update", "-qq", env=env)
        _run(
            "apt-get", "install", "-y", "-qq", "openjdk-17-jre-headless",
            env=env, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    else:
        print("dev.py: java is missing: the Spark tests skip (under CI they fail)", file=sys.stderr)


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


def installed_layout(layout: Path = ROOT / "build" / "layout") -> Path:
    """A copy of the package's modules where the wheel puts them (queries/ as
    deliverability/queries, ...), from pyproject's package-dir: import-linter reads a
    package's files from its folder, and in a checkout deliverability/ holds only part."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = config.get("package-dir", {})
    shutil.rmtree(layout, ignore_errors=True)
    for package in config["packages"]:
        mapped = max((p for p in folders if package == p or package.startswith(p + ".")),
                     key=len, default=None)  # fmt: skip
        rest = package[len(mapped) + 1 :] if mapped else package
        source = ROOT / (folders[mapped] if mapped else "") / rest.replace(".", "/")
        target = layout / package.replace(".", "/")
        target.mkdir(parents=True, exist_ok=True)
        for module in source.glob("*.py"):
            shutil.copy2(module, target / module.name)
    return layout


def lint_imports(layout: Path | None = None, **run) -> subprocess.CompletedProcess:
    """lint-imports with pyproject's contracts, on LAYOUT (default: installed_layout())."""
    layout = layout or installed_layout()
    env = {**os.environ, "PYTHONPATH": str(layout)}
    lint = [str(BIN / "lint-imports"), str(ROOT / "pyproject.toml"), "--no-cache"]
    return subprocess.run(lint, cwd=layout, env=env, **run)


def cmd_lint(extra: list[str]) -> int:
    ensure_venv()
    for lint in (["check", "."], ["format", "--check", "."]):
        if subprocess.run([str(BIN / "ruff"), *lint], cwd=ROOT).returncode != 0:
            print("dev.py: ruff failed", file=sys.stderr)
            return 1
    if lint_imports().returncode != 0:
        print("dev.py: lint-imports failed (the layers in pyproject.toml)", file=sys.stderr)
        return 1
    return 0


def cmd_test(extra: list[str]) -> int:
    ensure_venv()
    ensure_chromium()
    if "--fast" not in extra:
        ensure_java()
        ensure_spark()
    if cmd_lint([]) != 0:
        return 1
    if "--fast" in extra:
        extra = [a for a in extra if a != "--fast"] + ["-m", "not slow"]
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
    commands = {"test": cmd_test, "lint": cmd_lint, "dashboard": cmd_dashboard}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        return commands[sys.argv[1]](sys.argv[2:])
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
