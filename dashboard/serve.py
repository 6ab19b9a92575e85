"""`deliverability dashboard` runs Streamlit through this module:

    python -m deliverability.dashboard.serve run APP [streamlit options]

is `streamlit run APP [streamlit options]`, with one addition: once the server answers, while
the first browser loads Streamlit's scripts, a thread imports what a page run imports
(polars, DuckDB, SciPy's statistics, pandas for st.dataframe, Plotly's figure classes and the
dashboard's own modules). Streamlit imports an app's modules only in its first script run,
so without it the first session after a start waits for all of them.

The thread only imports and builds a throwaway figure: it reads no store and fills no cache,
so what any page shows is unchanged. If it fails, the page run that needs the module
imports it again and reports the error there. A script run that starts meanwhile waits for
it (app.py calls wait_for_warm_up first): two threads importing the same packages at once
can see each other's half-initialised modules.
"""

from __future__ import annotations

import atexit
import gc
import sys
import threading
import time

# Set while no warm-up runs: under `streamlit run app.py` or AppTest there is none to wait for.
_warmed = threading.Event()
_warmed.set()
# Upper bounds, should the server never come up or an import hang.
SERVER_WAIT_SECONDS = 30.0
WARM_UP_WAIT_SECONDS = 60.0


def _import_libraries() -> None:
    import duckdb  # noqa: F401
    import pandas  # noqa: F401  (st.dataframe checks every input against pandas' types)
    import plotly.graph_objects as go
    import plotly.io
    import polars  # noqa: F401
    import pyarrow  # noqa: F401
    import scipy.stats  # noqa: F401

    # Plotly loads a figure's classes and validators the first time one is built.
    figure = go.Figure(go.Bar(x=[1.0], y=["a"], orientation="h", customdata=["a"]))
    figure.add_bar(x=["2026-01-01"], y=[1], name="a", marker_color="#000")
    figure.add_scatter(x=[1], y=[1], mode="lines+markers", fill="toself")
    figure.add_heatmap(z=[[1]])
    figure.update_layout(height=300, margin={"l": 0}, legend={"orientation": "h"}, barmode="stack")
    figure.update_xaxes(tickformat=".1%")
    figure.update_yaxes(title="a")
    plotly.io.to_json(figure)


def _import_dashboard() -> None:
    from streamlit import delta_generator

    from deliverability.dashboard import auth, charts, data, filters, ui, uploads  # noqa: F401

    # Before the first element a process draws, Streamlit checks once whether it runs in a
    # REPL, through inspect.stack(), which looks up the file of every module imported so
    # far. Here, outside any page run, that check finds no REPL and logs nothing.
    check = getattr(delta_generator, "_maybe_print_use_warning", None)
    if check is not None:
        check()


def warm_up() -> None:
    """Import what the pages use, then freeze those long-lived objects (gc.freeze) so that
    the full garbage collection Streamlit runs after every script run skips them."""
    try:
        try:
            # After the server's start, which would otherwise share the interpreter with it
            # (so the health check, and the browser the CLI opens then, would come later);
            # and the dashboard's st.cache_data decorators look for the runtime when applied.
            deadline = time.monotonic() + SERVER_WAIT_SECONDS
            while not _server_ready() and time.monotonic() < deadline:
                time.sleep(0.02)
            _import_libraries()
            _import_dashboard()
        except Exception:
            pass  # the page run that imports it again reports the error
        gc.collect()
        gc.freeze()
        # At exit they are ordinary objects again, collected and finalised as usual.
        atexit.register(gc.unfreeze)
    finally:
        _warmed.set()


def _server_ready() -> bool:
    from streamlit import runtime
    from streamlit.runtime import RuntimeState

    return runtime.exists() and runtime.get_instance().state != RuntimeState.INITIAL


def wait_for_warm_up() -> None:
    """Return once the warm-up (if one runs) is done."""
    _warmed.wait(WARM_UP_WAIT_SECONDS)


def main() -> None:
    from streamlit.web import cli

    _warmed.clear()
    threading.Thread(target=warm_up, name="dashboard-warm-up", daemon=True).start()
    sys.exit(cli.main(prog_name="streamlit"))


if __name__ == "__main__":
    # Run as `python -m`, this file is __main__; app.py imports it by its name, and must find
    # the same event.
    from deliverability.dashboard import serve

    serve.main()
