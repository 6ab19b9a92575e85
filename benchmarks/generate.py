"""Synthetic send and delivery logs for the benchmark, written by DuckDB (no Python row loops).

N messages over 30 days from four providers (twilio, azure_acs, telnyx, sinch), with codes
taken from the shipped catalog (catalog/*.csv): mostly delivered, a realistic spread of
failure codes (skewed toward the common ones), some pending-only messages, some messages
with no receipt, a few receipts with no send, and a sprinkle of uncatalogued codes.

About 1.3 events per message: every reported message has its final event, and about 30%
also an interim one (sent/queued/...); a third of those interim events are stamped AFTER
the final event (a late callback), and the events file is in shuffled order, so ingest has
to get out-of-order finals right.

Outputs, under OUT_DIR:
  sends.csv         canonical send log (message_id, provider, channel, sent_at, sender,
                    recipient, country, carrier, campaign, segments); country is left empty
                    for half the rows so ingest derives it from the number
  events.csv        canonical delivery log (message_id, provider, channel, event_at,
                    status_code, status_text, carrier)
  twilio_bulk.ndjson.gz  the Twilio messages as a Twilio Bulk Export (gzip NDJSON, one
                    record per message with its current status), when asked for
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "catalog"
START = "2025-05-01 00:00:00"
DAYS = 30

# provider -> (share of messages, channel the provider's codes are filed under, channel)
PROVIDERS = {
    "twilio": (0.40, "*", "sms"),
    "azure_acs": (0.20, "sms", "sms"),
    "telnyx": (0.20, "*", "sms"),
    "sinch": (0.20, "sms", "sms"),
}
# Fallbacks while the catalog is missing: (delivered, failed..., interim...)
FALLBACK = {
    "twilio": (["delivered"], ["30003", "30007", "undelivered", "30005", "30006"], ["sent"]),
    "azure_acs": (["2000"], ["4000", "4001", "4002", "5000"], ["5002"]),
    "telnyx": (["delivered"], ["40001", "40002", "40008", "40300"], ["sent", "queued"]),
    "sinch": (["0"], ["402", "403", "404"], ["401", "400"]),
}
# The failures that dominate real traffic go first (the mix is skewed toward the first).
COMMON_FAILURES = {"twilio": ["30003", "30007", "30005", "30006", "30008", "30004", "30034"]}
GENERATOR_VERSION = 3


def catalog_codes(provider: str, channel: str) -> tuple[list[str], list[str], list[str]]:
    """(delivered finals, failed finals, interim codes) of PROVIDER from the shipped catalog."""
    path = CATALOG / f"{provider}.csv"
    if not path.exists():
        return FALLBACK[provider]
    with open(path, newline="", encoding="utf-8") as fh:
        rows = [
            r for r in csv.DictReader(fh) if r["variant"] == "0" and r["channel"] in (channel, "*")
        ]
    final = [r for r in rows if r["final"] == "true"]
    delivered = [r["code"] for r in final if r["outcome"] == "delivered"][:1]
    # Numeric error codes first (what a failure callback carries), in catalog order.
    failed = [r["code"] for r in final if r["outcome"] == "failed"]
    common = COMMON_FAILURES.get(provider, [])
    failed = sorted(
        failed,
        key=lambda c: (c not in common, common.index(c) if c in common else 0, not c.isdigit()),
    )[:12]
    interim = [r["code"] for r in rows if r["final"] == "false" and r["outcome"] == "pending"]
    interim = [c for c in ("sent", "queued", "dispatched", "401", "400") if c in interim] or interim
    if not (delivered and failed and interim):
        return FALLBACK[provider]
    return delivered, failed, interim[:2]


def sql_list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def build(con: duckdb.DuckDBPyConnection, n: int, seed: int) -> dict:
    """TEMP tables msg (one row per message) and ev (one row per event)."""
    mix = {p: catalog_codes(p, cat_channel) for p, (_, cat_channel, _) in PROVIDERS.items()}
    cum, bounds = 0.0, []
    for p, (share, _, _) in PROVIDERS.items():
        cum += share
        bounds.append((p, cum))
    provider_case = (
        "CASE "
        + " ".join(f"WHEN u_provider < {b} THEN '{p}'" for p, b in bounds[:-1])
        + f" ELSE '{bounds[-1][0]}' END"
    )

    def per_provider(kind: int) -> str:
        return (
            "CASE provider "
            + " ".join(f"WHEN '{p}' THEN {sql_list(codes[kind])}" for p, codes in mix.items())
            + " END"
        )

    con.execute(f"SELECT setseed({(seed % 1000) / 1000})")
    # u(k): a uniform number in [0, 1) from the message number, stable across runs.
    con.execute(
        "CREATE OR REPLACE TEMP MACRO u(i, k) AS "
        f"((hash(i * 1000003 + k * 7919 + {seed}) % 1000000007) / 1000000007.0)"
    )
    con.execute(
        "CREATE OR REPLACE TEMP MACRO uuid_text(x) AS substr(x, 1, 8) || '-' || substr(x, 9, 4)"
        " || '-' || substr(x, 13, 4) || '-' || substr(x, 17, 4) || '-' || substr(x, 21, 12)"
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE msg AS
        WITH base AS (
            SELECT i, u(i, 1) AS u_provider, u(i, 2) AS u_outcome, u(i, 3) AS u_code,
                   u(i, 4) AS u_country, u(i, 5) AS u_time, u(i, 6) AS u_interim,
                   u(i, 7) AS u_late, u(i, 8) AS u_misc, u(i, 9) AS u_delay,
                   CAST(hash(i * 31 + {seed}) // 2 AS BIGINT) AS h
            FROM range({n}) r(i)
        ), p AS (
            SELECT *, {provider_case} AS provider FROM base
        ), c AS (
            SELECT *,
                {per_provider(0)} AS delivered_codes,
                {per_provider(1)} AS failed_codes,
                {per_provider(2)} AS interim_codes,
                CASE WHEN u_country < 0.60 THEN 'US' WHEN u_country < 0.72 THEN 'GB'
                     WHEN u_country < 0.82 THEN 'DE' WHEN u_country < 0.92 THEN 'IN'
                     ELSE 'BR' END AS cc
            FROM p
        )
        SELECT
            i, provider, 'sms' AS channel,
            CASE provider
                WHEN 'twilio' THEN 'SM' || md5(i::VARCHAR || '{seed}')
                WHEN 'azure_acs' THEN 'Outgoing_' || substr(md5(i::VARCHAR || 'a{seed}'), 1, 24)
                WHEN 'telnyx' THEN uuid_text(md5(i::VARCHAR || 't{seed}'))
                ELSE upper(substr(md5(i::VARCHAR || 's{seed}'), 1, 26)) END AS message_id,
            TIMESTAMP '{START}' + to_microseconds(CAST(u_time * {DAYS} * 86400e6 AS BIGINT))
                AS sent_at,
            -- outcome: 2% no receipt, 2% only an interim event, 8.5% failed, 0.3% an
            -- uncatalogued code, the rest delivered; 0.5% of reported messages have no send.
            CASE WHEN u_outcome < 0.02 THEN 'none' WHEN u_outcome < 0.04 THEN 'interim'
                 WHEN u_outcome < 0.125 THEN 'failed' WHEN u_outcome < 0.128 THEN 'uncatalogued'
                 ELSE 'delivered' END AS fate,
            u_misc < 0.005 AND u_outcome >= 0.02 AS no_send,
            delivered_codes[1] AS delivered_code,
            -- failure codes skewed toward the first ones (u^2)
            failed_codes[1 + CAST(floor(u_code * u_code * len(failed_codes)) AS INTEGER)]
                AS failed_code,
            interim_codes[1 + CAST(floor(u_code * len(interim_codes)) AS INTEGER)] AS interim_code,
            u_interim < 0.30 AS with_interim, u_late < 0.33 AS late_interim,
            CAST(2 + u_delay * u_delay * 600 AS INTEGER) AS delay_s,
            cc,
            CASE cc
                WHEN 'US' THEN '+1' || (['201','212','213','305','312','415','512','617','646',
                    '702','713','718','773','818','917','929','206','303','404','469'])[1 + h % 20]
                    || (2 + (h // 20) % 8)::VARCHAR || lpad(((h // 160) % 1000000)::VARCHAR, 6, '0')
                WHEN 'GB' THEN '+447' || lpad(((h // 7) % 1000000000)::VARCHAR, 9, '0')
                WHEN 'DE' THEN '+4915' || lpad(((h // 7) % 1000000000)::VARCHAR, 9, '0')
                WHEN 'IN' THEN '+91' || (7 + (h // 3) % 3)::VARCHAR
                    || lpad(((h // 11) % 1000000000)::VARCHAR, 9, '0')
                ELSE '+55119' || lpad(((h // 13) % 100000000)::VARCHAR, 8, '0') END AS recipient,
            CASE cc
                WHEN 'US' THEN (['Verizon Wireless','T-Mobile USA','AT&T Wireless','US Cellular'])[1 + (h // 7) % 4]
                WHEN 'GB' THEN (['EE','Vodafone UK','O2 UK','Three UK'])[1 + (h // 7) % 4]
                WHEN 'DE' THEN (['Telekom','Vodafone DE','O2 DE'])[1 + (h // 7) % 3]
                WHEN 'IN' THEN (['Jio','Airtel','Vi'])[1 + (h // 7) % 3]
                ELSE (['Vivo','Claro BR','TIM BR'])[1 + (h // 7) % 3] END AS carrier,
            (['otp','login_otp','order_update','shipping','reminder','spring_promo','newsletter',
              'winback','survey','alerts'])[1 + (h // 13) % 10] AS campaign,
            (['+14155550100','+14155550101','+12125550199','44000','72345','ACME','ACMEShop',
              '+447700900123'])[1 + (h // 17) % 8] AS sender,
            1 + CAST(u_misc * 10 AS INTEGER) % 3 // 2 AS segments,
            u_misc < 0.5 AS country_known
        FROM c
        """  # noqa: S608 - benchmark-generated numbers and paths only
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE ev AS
        WITH finals AS (
            SELECT i, provider, channel, message_id, carrier,
                   CASE fate WHEN 'delivered' THEN delivered_code WHEN 'failed' THEN failed_code
                             WHEN 'uncatalogued' THEN '99' || (i % 7)::VARCHAR || '99' END AS code,
                   sent_at + to_seconds(delay_s) AS event_at
            FROM msg WHERE fate IN ('delivered', 'failed', 'uncatalogued')
        ), interims AS (
            -- the interim event: before the final, or (a third) a late callback after it
            SELECT i, provider, channel, message_id, carrier, interim_code AS code,
                   CASE WHEN fate = 'interim' OR NOT late_interim
                        THEN sent_at + to_seconds(1)
                        ELSE sent_at + to_seconds(delay_s + 5) END AS event_at
            FROM msg WHERE fate = 'interim' OR (fate <> 'none' AND with_interim)
        )
        SELECT * FROM finals UNION ALL SELECT * FROM interims
        """
    )
    return {k: list(v) for k, v in mix.items()}


def write_canonical(con: duckdb.DuckDBPyConnection, out: Path) -> None:
    con.execute(
        f"""
        COPY (
            SELECT message_id, provider, channel,
                   strftime(sent_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS sent_at, sender, recipient,
                   CASE WHEN country_known THEN cc END AS country, carrier, campaign, segments
            FROM msg WHERE NOT no_send ORDER BY sent_at
        ) TO '{out / "sends.csv"}' (HEADER, DELIMITER ',')
        """  # noqa: S608 - benchmark-generated numbers and paths only
    )
    # Shuffled: a delivery log as a provider's callbacks arrive, not sorted by message.
    con.execute(
        f"""
        COPY (
            SELECT message_id, provider, channel,
                   strftime(event_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS event_at, code AS status_code,
                   code AS status_text, carrier
            FROM ev ORDER BY event_at + to_seconds(CAST(hash(i, code) % 900 AS INTEGER))
        ) TO '{out / "events.csv"}' (HEADER, DELIMITER ',')
        """  # noqa: S608 - benchmark-generated numbers and paths only
    )


def write_twilio_bulk(con: duckdb.DuckDBPyConnection, out: Path) -> None:
    """Twilio's Bulk Export: one gzip NDJSON record per message, with its current status."""
    con.execute(
        f"""
        COPY (
            SELECT 'AC' || md5('account') AS account_sid, m.message_id AS sid,
                   strftime(m.sent_at, '%a, %d %b %Y %H:%M:%S +0000') AS date_created,
                   strftime(m.sent_at, '%a, %d %b %Y %H:%M:%S +0000') AS date_sent,
                   strftime(coalesce(f.event_at, m.sent_at), '%a, %d %b %Y %H:%M:%S +0000')
                       AS date_updated,
                   m.sender AS "from", m.recipient AS "to", 'outbound-api' AS direction,
                   CASE WHEN f.code IS NULL THEN 'sent'
                        WHEN f.code = 'delivered' THEN 'delivered'
                        WHEN f.code LIKE '3%' THEN 'undelivered' ELSE 'failed' END AS status,
                   CASE WHEN f.code SIMILAR TO '[0-9]+' THEN CAST(f.code AS INTEGER) END
                       AS error_code,
                   m.segments::VARCHAR AS num_segments, '-0.0079' AS price, 'USD' AS price_unit
            FROM msg m LEFT JOIN (
                SELECT i, arg_max(code, event_at) AS code, max(event_at) AS event_at
                FROM ev WHERE code NOT IN ('sent', 'queued') GROUP BY i
            ) f USING (i)
            WHERE m.provider = 'twilio' AND NOT m.no_send
        ) TO '{out / "twilio_bulk.ndjson.gz"}' (FORMAT json, COMPRESSION gzip)
        """  # noqa: S608 - benchmark-generated numbers and paths only
    )


def generate(n: int, out: Path, seed: int = 42, native: bool = True) -> dict:
    """Write the files for N messages into OUT unless they are already there."""
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if (
            manifest.get("n") == n
            and manifest.get("version") == GENERATOR_VERSION
            and (manifest.get("native") or not native)
        ):
            return manifest
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"SET temp_directory = '{out / 'tmp'}'")
    mix = build(con, n, seed)
    write_canonical(con, out)
    if native:
        write_twilio_bulk(con, out)
    stats = con.execute(
        """
        SELECT (SELECT count(*) FROM msg) AS messages,
               (SELECT count(*) FROM msg WHERE NOT no_send) AS sends,
               (SELECT count(*) FROM ev) AS events,
               (SELECT count(*) FROM msg WHERE provider = 'twilio' AND NOT no_send) AS twilio,
               (SELECT count(*) FROM ev e JOIN msg m USING (i)
                WHERE e.event_at > m.sent_at + to_seconds(m.delay_s)) AS late_interims
        """
    ).fetchone()
    con.close()
    manifest = {
        "version": GENERATOR_VERSION,
        "n": n,
        "seed": seed,
        "native": native,
        "messages": stats[0],
        "sends": stats[1],
        "events": stats[2],
        "twilio_messages": stats[3],
        "late_interim_events": stats[4],
        "codes": mix,
        "files": {
            p.name: p.stat().st_size
            for p in sorted(out.iterdir())
            if p.is_file() and p.name != "manifest.json"
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    manifest_path.write_text(json.dumps(manifest, indent=2))
    return manifest


def parse_size(text: str) -> int:
    text = text.strip().upper()
    mult = {"K": 1_000, "M": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("KM")) * mult)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", help="number of messages, e.g. 1M, 300K")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "data")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    n = parse_size(args.size)
    print(json.dumps(generate(n, args.out / args.size, args.seed), indent=2))


if __name__ == "__main__":
    main()
