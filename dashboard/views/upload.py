"""Upload: ingest several files at once, in any supported format, and see what became of
every row (loaded, duplicate, rejected with a reason)."""

from __future__ import annotations

import re
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import streamlit as st

from deliverability.dashboard import data, filters, ui, uploads
from deliverability.dashboard.safe import md
from deliverability.queries.filters import to_datetime
from deliverability.queries.privacy import scrub_frame, scrub_phones

# Rejected rows shown per file; a file can reject millions.
QUARANTINE_SHOWN = 5000

st.title("Upload logs")
st.caption(
    "Send logs and delivery reports: canonical CSV/JSON/Parquet or a provider's native export "
    "(Azure, Salesforce, Sinch, Webex Connect, Telnyx, Chirp, Twilio). The format is "
    "recognised from the content; gzip is fine."
)


def mapping_form() -> dict[str, str]:
    """Column mapping for a CSV of unknown layout (the same as `ingest --map`)."""
    with st.expander("Map the columns of a CSV with an unknown layout"):
        saved = uploads.mapping_names()
        chosen = st.selectbox("Saved mapping", [None, *saved], key="upload_saved_mapping")
        preset = uploads.load_mapping(chosen) if chosen else {}
        st.caption("For each canonical column, the file's column that holds it (blank: none).")
        mapping: dict[str, str] = {}
        columns = st.columns(3)
        for index, name in enumerate(uploads.CANONICAL_COLUMNS):
            value = columns[index % 3].text_input(
                name, value=preset.get(name, ""), key=f"upload_map_{name}"
            )
            if value.strip():
                mapping[name] = value.strip()
        save_as = st.text_input("Save this mapping as", key="upload_mapping_name")
        if st.button("Save mapping", key="upload_save_mapping", disabled=not mapping):
            if re.fullmatch(r"[\w.-]{1,64}", save_as or ""):
                uploads.save_mapping(save_as, mapping)
                st.success("Mapping saved.")
            else:
                st.error("Name the mapping with letters, digits, '.', '_' or '-'.")
        return mapping


files = st.file_uploader(
    "Log files",
    accept_multiple_files=True,
    key="upload_files",
    help="Up to the configured upload limit per file (DELIVERABILITY_MAX_UPLOAD_MB).",
)
with st.expander("Options"):
    cols = st.columns(4)
    kind = cols[0].selectbox("Kind", ["auto", "sends", "events"], key="upload_kind")
    provider = cols[1].text_input("Provider (if the file lacks it)", key="upload_provider")
    channel = cols[2].text_input("Channel (if the file lacks it)", key="upload_channel")
    timezone = cols[3].text_input("Time zone of naive times", value="UTC", key="upload_tz")
    hint = st.selectbox(
        "Format",
        [None, *uploads.reader_names()],
        key="upload_hint",
        format_func=lambda v: "recognise from content" if v is None else v,
    )
    received = st.text_input(
        "Received at (UTC), for reports with no time of their own",
        key="upload_received_at",
        placeholder="the upload time",
        help="Sinch batch reports and bare Twilio callbacks carry no time: their events are "
        "dated by when the file was received. Give that time if it was not now.",
    )
mapping = mapping_form()

if st.button("Ingest", type="primary", disabled=not files, key="upload_go"):
    try:
        received_at = to_datetime(received) if received.strip() else None
    except ValueError as exc:
        st.error(md(exc))
        st.stop()
    options = uploads.ReadOptions(
        received_at=received_at or datetime.now(UTC).replace(tzinfo=None),
        received_from="the form's received-at time" if received_at else "upload time",
        kind=kind,
        provider=provider.strip() or None,
        channel=channel.strip() or None,
        timezone=timezone.strip() or "UTC",
        format_hint=hint,
        mapping=mapping,
    )
    progress = st.progress(0.0, text="Ingesting…")
    # Pressing Cancel makes Streamlit stop this run at its next progress update; leaving
    # uploads.uploading() then cancels the upload and takes back what it stored.
    st.button("Cancel", key="upload_cancel", help="Stop the upload; the store stays as before it.")
    with tempfile.TemporaryDirectory(prefix="deliverability-upload-") as tmp:
        targets = []
        for index, upload in enumerate(files):
            # Only the name's last part, and only safe characters, reaches the disk.
            safe_name = re.sub(r"[^\w.-]", "_", Path(upload.name).name)[:120] or "upload"
            target = Path(tmp) / f"{index}-{safe_name}"
            target.write_bytes(upload.getbuffer())
            targets.append(target)
        names = [u.name for u in files]
        st.session_state["upload_cancelled"] = names
        try:
            with uploads.uploading(targets, options, names) as running:
                while running.running():
                    progress.progress(
                        running.index / len(files),
                        text=f"Ingesting {md(names[running.index])} "
                        f"({running.index + 1} of {len(files)})…",
                    )
                    time.sleep(0.25)
            results = running.results
        except ValueError as exc:
            progress.empty()
            st.session_state.pop("upload_cancelled", None)
            st.error(md(str(exc)), icon=":material/error:")
            st.stop()
    st.session_state.pop("upload_cancelled", None)
    progress.progress(1.0, text="Done")
    st.session_state["upload_results"] = [r.as_dict() for r in results]

if st.session_state.get("upload_cancelled"):
    # The run before this one stopped during an upload (Cancel, or anything else pressed
    # meanwhile, stops a Streamlit run): the upload was taken back.
    cancelled = st.session_state.pop("upload_cancelled")
    st.warning(
        f"Upload of {len(cancelled)} file(s) cancelled: nothing of it was kept, the store is "
        "as it was before.",
        icon=":material/cancel:",
    )

if st.session_state.get("upload_results"):
    results = st.session_state["upload_results"]
    st.subheader("Result per file")
    frame = pl.DataFrame(
        [
            {
                "file": r["path"],
                "reader": r["reader"],
                "kind": r["kind"],
                "provider": r["provider"],
                "rows_read": r["rows_read"],
                "loaded": r["loaded"],
                "duplicates": r["duplicates"],
                "rejected": r["rejected"],
                "already_ingested": r["already_ingested"],
                "error": "; ".join(r["errors"]),
            }
            for r in results
        ],
        schema_overrides={
            "error": pl.String,
            "reader": pl.String,
            "kind": pl.String,
            "provider": pl.String,
        },
    )
    if not filters.reveal_numbers():
        frame = scrub_frame(frame, ["error"])  # an error quotes the line it failed on
    ui.table(frame, key="upload_results_table")
    for r in results:
        for error in r["errors"]:
            if not filters.reveal_numbers():
                error = scrub_phones(error)
            st.error(md(error), icon=":material/error:")

st.subheader("Rejected rows")
ledger = data.ingest_ledger()
with_rejects = ledger.filter(pl.col("rejected") > 0) if ledger.height else ledger
if with_rejects.is_empty():
    st.caption("No row has been rejected.")
else:
    ingest_id = st.selectbox(
        "File",
        with_rejects["ingest_id"].to_list(),
        key="upload_quarantine_file",
        format_func=lambda i: "{} (ingest {}, {:,} rejected)".format(
            *with_rejects.filter(pl.col("ingest_id") == i)
            .select("file_name", "ingest_id", "rejected")
            .row(0)
        ),
    )
    rows = data.quarantined_rows(ingest_id=ingest_id, limit=QUARANTINE_SHOWN)
    rejected = with_rejects.filter(pl.col("ingest_id") == ingest_id)["rejected"][0]
    if rejected > rows.height:
        st.caption(
            f"The first {rows.height:,} of {rejected:,} rejected rows; the store's "
            "`quarantine` table holds them all."
        )
    if not filters.reveal_numbers():
        rows = scrub_frame(rows, ["raw", "reason"])  # rejected lines carry phone numbers
    ui.table(rows, key="upload_quarantine")

st.subheader("Files ingested")
ui.table(ledger, key="upload_ledger")
