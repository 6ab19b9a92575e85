"""dashboard/serve.py, the `streamlit run` that `deliverability dashboard` starts: its warm-up
imports what a page run imports and freezes it for the garbage collector, and never holds a
page run back when there is none (AppTest, a plain `streamlit run`).

The server itself, started through it by the CLI, is driven by tests/test_browser.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from deliverability.dashboard import serve

WARM_UP = """
import gc, json, sys
from deliverability.dashboard import serve
serve._server_ready = lambda: True  # no Streamlit server in this process
before = set(sys.modules)
serve._warmed.clear()
serve.warm_up()
print(json.dumps({
    "warmed": serve._warmed.is_set(),
    "frozen": gc.get_freeze_count(),
    "imported": sorted(m for m in set(sys.modules) - before if m.count(".") <= 2),
}))
"""


def test_without_a_warm_up_a_page_run_does_not_wait():
    started = time.perf_counter()
    serve.wait_for_warm_up()
    assert time.perf_counter() - started < 0.5


def test_the_warm_up_imports_the_pages_modules_and_freezes_them():
    done = subprocess.run(
        [sys.executable, "-c", WARM_UP], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["warmed"]
    assert result["frozen"] > 10_000
    for module in (
        "deliverability.dashboard.data",
        "deliverability.dashboard.charts",
        "deliverability.dashboard.ui",
        "pandas",
        "plotly.graph_objects",
        "polars",
        "scipy.stats",
    ):
        assert module in result["imported"], module
