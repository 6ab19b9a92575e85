"""The references each benchmark size is measured against in the same run (issue 8), each a
step of benchmarks/worker.py:

- `floor_ingest`: DuckDB's plain load of the files (`CREATE TABLE AS SELECT * FROM
  read_csv`): the floor the ingest target is set against;
- `floor_derive`: that load, then the final status of every message derived by one
  hand-written statement (floor_derive.sql) within the store's memory limit: the floor for
  an ingest that derives, as ours does;
- `floor_views`: one hand-written GROUP BY per view over the stored tables;
- `pandas`: the notebook pipeline a user would write for the `report --by code` answer.

None of them uses the product's code; `floor_derive` only reads the memory limit the store
runs under, so that both derive within the same budget.
"""

from __future__ import annotations

import glob
import statistics
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - started, out


# -- the ingest floors ----------------------------------------------------------------------


def plain_load(con, files: list[str]) -> dict[str, float]:
    """DuckDB's own load of each file into table t0, t1, ...: seconds per file."""
    per_file = {}
    for i, path in enumerate(files):
        t0 = time.perf_counter()
        reader = "read_json" if ".ndjson" in path or ".json" in path else "read_csv"
        con.execute(f"CREATE TABLE t{i} AS SELECT * FROM {reader}(?)", [path])  # noqa: S608
        per_file[Path(path).name] = time.perf_counter() - t0
    return per_file


def step_floor_ingest(args: dict) -> dict:
    """DuckDB's own load of the same files into a fresh database file: the ingest floor."""
    import duckdb

    con = duckdb.connect(args["db"])
    started = time.perf_counter()
    per_file = plain_load(con, args["files"])
    con.execute("CHECKPOINT")
    seconds = time.perf_counter() - started
    rows = sum(
        con.execute(f"SELECT count(*) FROM t{i}").fetchone()[0]  # noqa: S608
        for i in range(len(args["files"]))
    )
    con.close()
    return {"seconds": seconds, "rows": rows, "per_file": per_file}


def step_floor_derive(args: dict) -> dict:
    """The plain load of the send log and the delivery log, then floor_derive.sql: every
    message's final status, in one statement. The whole step, load included, runs within
    the memory limit our ingest runs under (DuckDB's default would take 80% of RAM; our
    target is a 3 GB peak)."""
    import duckdb

    from deliverability.connection import memory_limit

    con = duckdb.connect(args["db"])
    # memory_limit() only returns a validated size ("2GB"): no text from outside.
    con.execute(f"SET memory_limit = '{memory_limit()}'")
    started = time.perf_counter()
    per_file = plain_load(con, [args["sends"], args["events"]])
    load = time.perf_counter() - started
    t0 = time.perf_counter()
    con.execute(
        "CREATE TABLE codes AS SELECT provider, channel, code, outcome, category, final "
        "FROM read_csv(?, union_by_name = true, "
        "types = {'code': 'VARCHAR', 'channel': 'VARCHAR', 'final': 'BOOLEAN'}) "
        "WHERE variant = 0",
        [sorted(glob.glob(str(ROOT / "catalog" / "*.csv")))],
    )
    con.execute((HERE / "floor_derive.sql").read_text(encoding="utf-8"))
    con.execute("CHECKPOINT")
    derive = time.perf_counter() - t0
    messages, delivered = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE outcome = 'delivered') FROM messages"
    ).fetchone()
    con.close()
    return {
        "seconds": load + derive,
        "load_seconds": load,
        "derive_seconds": derive,
        "per_file": per_file,
        "memory_limit": memory_limit(),
        "check": {"messages": messages, "delivered": delivered},
    }


# -- the view floors -------------------------------------------------------------------------

COUNTS_SQL = """count(*) AS messages,
    count(*) FILTER (WHERE outcome = 'delivered') AS delivered,
    count(*) FILTER (WHERE outcome = 'failed') AS failed,
    count(*) FILTER (WHERE outcome = 'pending') AS pending,
    count(*) FILTER (WHERE outcome = 'unconfirmed') AS unconfirmed,
    count(*) FILTER (WHERE outcome = 'no_report') AS no_report,
    count(*) FILTER (WHERE outcome = 'unknown') AS unknown"""

# The week before the week of the data's last message: the review's default week (the last
# complete one) unless the data ends on a Sunday.
_WEEK = """WITH w AS (SELECT date_trunc('week', max(message_at)) - INTERVAL 7 DAY AS since,
    date_trunc('week', max(message_at)) AS until FROM messages)"""

# The least SQL that gives each view's numbers from the stored tables: one GROUP BY over
# `messages` at the grain the view needs (no filters macro, no catalog names, no polars).
_FLOOR_SQL = {
    "report --by code": """SELECT provider, channel, code, category, outcome, @COUNTS
        FROM messages GROUP BY ALL ORDER BY messages DESC""",
    "report --by carrier,day": """SELECT carrier, date_trunc('day', message_at) AS day,
        @COUNTS FROM messages GROUP BY ALL ORDER BY messages DESC""",
    "spikes --grain day": """SELECT date_trunc('day', message_at) AS t, provider, channel,
        code, @COUNTS FROM messages GROUP BY ALL""",
    "spikes --grain hour": """SELECT date_trunc('hour', message_at) AS t, provider, channel,
        code, @COUNTS FROM messages GROUP BY ALL""",
    "overview": """SELECT date_trunc('day', message_at) AS day, provider, channel, code,
        category, @COUNTS FROM messages GROUP BY ALL""",
    "failures": """SELECT provider, channel, code, category, carrier, count(*) AS failed
        FROM messages WHERE outcome = 'failed' GROUP BY ALL""",
    "spikes": """SELECT date_trunc('day', message_at) AS t, provider, channel, code,
        @COUNTS FROM messages GROUP BY ALL""",
    # The newest messages, then the event history of the first (the page shows both).
    "messages": [
        """SELECT * FROM messages ORDER BY message_at DESC LIMIT 5000""",
        """SELECT * FROM events WHERE (provider, message_id) = (
            SELECT (provider, message_id) FROM messages ORDER BY message_at DESC LIMIT 1)
        ORDER BY event_at""",
    ],
    "catalog": """SELECT provider, channel, status_code, count(*) FROM events e
        WHERE NOT EXISTS (SELECT 1 FROM codes c WHERE c.provider = e.provider
            AND c.code = e.status_code AND c.channel IN (e.channel, '*')) GROUP BY ALL""",
    # The review's numbers for the last complete week (the page's default): outcomes by day
    # over it and the 4 weeks before (headline, chart, gaps), failures by each dimension in
    # it and the week before (worse/better), codes by day (spikes), the code keys of the
    # events in those weeks (new codes), unknown codes in the week, send-log coverage.
    # The review's numbers for that week: outcomes by day over it and the 4 weeks before
    # (headline, chart, gaps), each dimension's counts in the week, the week before and the
    # 4-week baseline (worse/better), codes by day (spikes), the code keys of the events in
    # those weeks (new codes), reports per day and unknown codes in the week, send-log
    # coverage.
    "review": [
        """@WEEK SELECT date_trunc('day', message_at) AS day, provider, outcome,
            count(*) FROM messages, w WHERE message_at >= w.since - INTERVAL 28 DAY
            AND message_at < w.until GROUP BY ALL""",
        *[
            """@WEEK SELECT message_at >= w.since AS this_week,
            message_at >= w.since - INTERVAL 7 DAY AS previous_week, @DIM, @COUNTS
            FROM messages, w WHERE message_at >= w.since - INTERVAL 28 DAY
            AND message_at < w.until GROUP BY ALL""".replace("@DIM", dim)
            for dim in ("provider, channel, code", "carrier", "country", "campaign")
        ],
        """@WEEK SELECT date_trunc('day', message_at) AS day, provider, channel, code,
            count(*) FROM messages, w WHERE message_at >= w.since - INTERVAL 28 DAY
            AND message_at < w.until GROUP BY ALL""",
        """@WEEK SELECT event_at >= w.since AS this_week, provider, channel, status_code,
            count(*) FROM events, w WHERE event_at >= w.since - INTERVAL 28 DAY
            AND event_at < w.until GROUP BY ALL""",
        """@WEEK SELECT date_trunc('day', event_at) AS day, provider, count(*) FROM events, w
            WHERE event_at >= w.since AND event_at < w.until GROUP BY ALL""",
        """@WEEK SELECT provider, channel, status_code, count(*),
            count(DISTINCT message_id) FROM events e, w
            WHERE event_at >= w.since AND event_at < w.until AND NOT EXISTS (
                SELECT 1 FROM codes c WHERE c.provider = e.provider
                AND c.code = e.status_code AND c.channel IN (e.channel, '*'))
            GROUP BY ALL""",
        """@WEEK SELECT provider, count(*), count(*) FILTER (WHERE has_send),
            count(*) FILTER (WHERE outcome = 'no_report') FROM messages, w
            WHERE message_at >= w.since AND message_at < w.until GROUP BY ALL""",
    ],
    "upload": """SELECT * FROM ingests""",
    "sidebar": """SELECT 'carrier', carrier, count(*) FROM messages GROUP BY ALL""",
}
FLOOR_SQL = {
    k: [
        q.replace("@COUNTS", COUNTS_SQL).replace("@WEEK", _WEEK)
        for q in (v if isinstance(v, list) else [v])
    ]
    for k, v in _FLOOR_SQL.items()
}


def step_floor_views(args: dict) -> dict:
    import duckdb

    con = duckdb.connect(args["db"], read_only=True)
    result = {}

    def run_all(statements: list[str]) -> None:
        for statement in statements:
            con.execute(statement).fetchall()

    for name, statements in FLOOR_SQL.items():
        cold = timed(run_all, statements)[0]
        warm = [timed(run_all, statements)[0] for _ in range(args.get("warm", 5))]
        result[name] = {"cold": cold, "warm": statistics.median(warm)}
    return result


# -- pandas --------------------------------------------------------------------------------


def step_pandas(args: dict) -> dict:
    """The notebook way: read both CSVs, the catalog, pick each message's final event
    (sort + drop_duplicates), merge with the sends, group by code."""
    import pandas as pd

    started = time.perf_counter()
    sends = pd.read_csv(args["sends"])
    events = pd.read_csv(args["events"], dtype={"status_code": str})
    t_read = time.perf_counter() - started
    catalog = pd.concat(
        [pd.read_csv(f, dtype={"code": str}) for f in glob.glob(str(ROOT / "catalog" / "*.csv"))]
    )
    catalog = catalog[catalog["variant"] == 0]
    events["event_at"] = pd.to_datetime(events["event_at"], utc=True, format="ISO8601")
    exact = catalog[catalog["channel"] != "*"][["provider", "channel", "code", "final", "outcome"]]
    star = catalog[catalog["channel"] == "*"][["provider", "code", "final", "outcome"]]
    events = events.merge(
        exact.rename(columns={"code": "status_code"}),
        on=["provider", "channel", "status_code"],
        how="left",
    ).merge(
        star.rename(columns={"code": "status_code", "final": "final_s", "outcome": "outcome_s"}),
        on=["provider", "status_code"],
        how="left",
    )
    events["final"] = events["final"].fillna(events["final_s"]).fillna(False).astype(bool)
    events["outcome"] = events["outcome"].fillna(events["outcome_s"]).fillna("unknown")
    latest = events.sort_values(["final", "event_at"]).drop_duplicates(
        ["provider", "message_id"], keep="last"
    )
    messages = sends.merge(
        latest[["provider", "message_id", "status_code", "outcome"]],
        on=["provider", "message_id"],
        how="outer",
    )
    messages["outcome"] = messages["outcome"].fillna("no_report")
    by_code = (
        messages.groupby(["provider", "status_code", "outcome"], dropna=False)
        .size()
        .sort_values(ascending=False)
    )
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "read_seconds": t_read,
        "messages": int(len(messages)),
        "delivered": int((messages["outcome"] == "delivered").sum()),
        "rows": int(len(by_code)),
        "pandas": pd.__version__,
    }


STEPS = {
    "floor_ingest": step_floor_ingest,
    "floor_derive": step_floor_derive,
    "floor_views": step_floor_views,
    "pandas": step_pandas,
}
