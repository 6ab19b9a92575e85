"""The code catalog: seed coverage with the seeds' own text, taxonomy, lookups, overrides."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from deliverability.catalog import CATEGORIES, OUTCOMES, Catalog, CatalogError
from deliverability.settings import CATALOG_DIR
from tests.conftest import write
from tests.seeds import PROVIDER_BY_FILE, SOURCES, all_seed_rows, recorded_checksums

HEADER = (
    "provider,channel,code,variant,context,section,name,description,advice,provider_status,"
    "outcome,category,final,retryable,source,note\n"
)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


def test_sources_are_the_seed_tables_byte_for_byte():
    recorded = recorded_checksums()
    assert set(recorded) == set(PROVIDER_BY_FILE) == {p.name for p in SOURCES.glob("*.txt")}
    for name, checksum in recorded.items():
        assert hashlib.sha256((SOURCES / name).read_bytes()).hexdigest() == checksum, name


def test_seed_parser_finds_all_448_rows():
    rows = all_seed_rows()
    assert len({(r.provider, r.section, r.code) for r in rows}) == 448


@pytest.mark.parametrize("row", all_seed_rows(), ids=lambda r: f"{r.provider}-{r.channel}-{r.code}")
def test_every_seed_row_is_in_the_catalog_verbatim(catalog, row):
    candidates = [
        e
        for e in catalog.entries
        if (e.provider, e.channel, e.code) == (row.provider, row.channel, row.code)
    ]
    assert candidates, f"{row.provider} {row.channel} {row.code} missing"
    matching = [e for e in candidates if e.name == row.name]
    assert matching, f"no entry with the seed's name {row.name!r}: {[e.name for e in candidates]}"
    texts = {t for e in matching for t in (e.description, e.advice, e.provider_status)}
    for cell in row.other:
        assert cell in texts, f"seed text {cell!r} not kept for {row.code}"
    assert any(e.source == row.file for e in matching)


def test_repeated_codes_inside_a_channel_are_all_kept(catalog):
    for code, count in (("7000", 2), ("7003", 2), ("7004", 2), ("7704", 2)):
        variants = catalog.lookup(code, "webex_connect", "in_app")
        in_app = [e for e in variants if e.channel == "in_app"]
        assert len(in_app) == count, code
        assert sorted(e.variant for e in in_app) == list(range(count))
        assert all(e.context for e in in_app if e.variant > 0)


def test_taxonomy_is_consistent(catalog):
    assert len(catalog.entries) > 448
    for e in catalog.entries:
        assert e.outcome in OUTCOMES and e.category in CATEGORIES
        assert (e.outcome == "delivered") == (e.category == "delivered"), e.key
        assert (e.outcome == "pending") == (e.category == "in_progress"), e.key
        assert (e.outcome == "unconfirmed") == (e.category == "unconfirmed"), e.key
        if e.outcome == "pending":
            assert not e.final, e.key
        if e.outcome in ("failed", "delivered", "unconfirmed"):
            assert e.final, e.key
        assert e.source, e.key


@pytest.mark.parametrize(
    ("provider", "channel", "code", "outcome", "category"),
    [
        ("azure_acs", "sms", "2000", "delivered", "delivered"),
        ("sfmc", "sms", "2000", "unconfirmed", "unconfirmed"),
        ("sinch", "mms", "2000", "failed", None),
        ("azure_acs", "sms", "4000", "failed", "carrier_filtered"),
        ("sfmc", "sms", "4000", "delivered", "delivered"),
        ("sinch", "mms", "4000", "failed", "provider_error"),
    ],
)
def test_colliding_codes_resolve_per_provider(catalog, provider, channel, code, outcome, category):
    entry = catalog.resolve(provider, channel, code)
    assert entry is not None and entry.outcome == outcome
    if category:
        assert entry.category == category


def test_beyond_the_seeds(catalog):
    assert catalog.resolve("azure_acs", "sms", "4020") is not None
    for code in ["0", *map(str, range(400, 419))]:
        if code == "409":
            continue  # not a published Sinch code
        assert catalog.resolve("sinch", "sms", code) is not None, code
    twilio = {e.code for e in catalog.entries if e.provider == "twilio"}
    assert {"30003", "30005", "30006", "30007", "30008", "30032", "30034"} <= twilio
    telnyx = {e.code for e in catalog.entries if e.provider == "telnyx"}
    assert {"40001", "40008", "40300"} <= telnyx
    for e in catalog.entries:
        if e.provider in ("twilio", "telnyx") and e.code[:1].isdigit():
            assert e.source.startswith("http"), e.key


def test_status_words_have_outcomes(catalog):
    assert catalog.resolve("twilio", "sms", "undelivered").outcome == "failed"
    assert catalog.resolve("telnyx", "sms", "delivery_unconfirmed").outcome == "unconfirmed"
    assert catalog.resolve("sinch", "mms", "expired").outcome == "failed"


def test_channel_fallback_to_star(catalog):
    # Webex 7001 is a common code: any channel falls back to '*'
    assert catalog.resolve("webex_connect", "whatsapp", "7001").channel == "*"
    # ...but a channel's own entry wins over the common one
    assert catalog.resolve("webex_connect", "sms", "7004").channel == "sms"
    # a miss is a miss, never a guess from another provider
    assert catalog.resolve("webex_connect", "sms", "2000") is None


def test_lookup_across_providers(catalog):
    providers = {e.provider for e in catalog.lookup("2000")}
    assert {"azure_acs", "sfmc", "sinch"} <= providers


def test_override_precedence(tmp_path):
    extra = write(
        tmp_path / "mine.csv",
        HEADER
        + "azure_acs,sms,4000,0,,,Fraud (ours),,,,failed,rate_limited,true,true,team wiki,\n"
        + "azure_acs,sms,4999,0,,,Our own code,,,,failed,provider_error,true,true,team wiki,\n",
    )
    catalog = Catalog.load(extra)
    entry = catalog.resolve("azure_acs", "sms", "4000")
    assert (entry.name, entry.category, entry.origin) == ("Fraud (ours)", "rate_limited", "extra")
    assert catalog.resolve("azure_acs", "sms", "4999").origin == "extra"
    assert catalog.resolve("azure_acs", "sms", "2000").origin == "shipped"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("azure_acs,sms,1,0,,,x,,,,lost,delivered,true,false,s,", "unknown outcome 'lost'"),
        ("azure_acs,sms,1,0,,,x,,,,failed,oops,true,false,s,", "unknown category 'oops'"),
        ("azure_acs,sms,1,0,,,,,,,failed,unknown_error,true,false,s,", "missing name"),
        ("azure_acs,sms,1,0,,,x,,,,failed,unknown_error,maybe,false,s,", "final must be true"),
        ("nowhere,sms,1,0,,,x,,,,failed,unknown_error,true,false,s,", "unknown provider"),
    ],
)
def test_loader_errors_name_file_and_line(tmp_path, row, message):
    bad = write(
        tmp_path / "bad.csv",
        HEADER + "azure_acs,sms,9,0,,,ok,,,,failed,unknown_error,true,false,s,\n" + row + "\n",
    )
    with pytest.raises(CatalogError) as err:
        Catalog.load(bad)
    assert f"{bad}:3" in str(err.value) and message in str(err.value)


def test_conflicting_duplicate_key_is_refused(tmp_path):
    directory = tmp_path / "cat"
    write(
        directory / "a.csv",
        HEADER
        + "azure_acs,sms,1,0,,,One,,,,failed,unknown_error,true,false,s,\n"
        + "azure_acs,sms,1,0,,,Two,,,,delivered,delivered,true,false,s,\n",
    )
    with pytest.raises(CatalogError, match=r"a\.csv:3: duplicate key"):
        Catalog.load(directory=directory)


def test_shipped_files_one_per_provider():
    names = {p.stem for p in Path(CATALOG_DIR).glob("*.csv")}
    assert names == {"azure_acs", "sfmc", "sinch", "webex_connect", "chirp", "telnyx", "twilio"}


def test_every_failure_code_has_advice_marked_by_where_it_comes_from(catalog):
    import csv as _csv

    from deliverability.settings import CATALOG_DIR

    with (CATALOG_DIR / "advice" / "categories.csv").open(newline="") as fh:
        by_category = {r["category"]: r["advice"] for r in _csv.DictReader(fh)}
    failures = [e for e in catalog.entries if e.outcome == "failed"]
    assert failures and all(e.advice for e in failures)
    for entry in failures:
        assert entry.advice_from in ("provider", "category"), entry.key
        if entry.advice_from == "category":
            assert entry.advice == by_category[entry.category], entry.key
    # The provider's own advice is kept where the source gives one (Azure's 4000).
    azure = catalog.resolve("azure_acs", "sms", "4000")
    assert azure.advice_from == "provider" and azure.advice.startswith("Ensure you aren't")
    twilio = catalog.resolve("twilio", "sms", "30007")
    assert twilio.advice_from == "category" and twilio.category == "carrier_filtered"
    assert twilio.link == "https://www.twilio.com/docs/api/errors/30007"
    # Entries copied from a source file link to the page the file was copied from.
    sfmc = catalog.resolve("sfmc", "sms", "4503")
    assert sfmc.link.startswith("https://developer.salesforce.com/docs/marketing/marketing-cloud/")
    # Codes that are not failures get no advice of a category's.
    delivered = catalog.resolve("azure_acs", "sms", "2000")
    assert delivered.advice_from in ("", "provider")
