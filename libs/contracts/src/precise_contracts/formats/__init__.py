"""The column lists of the source export formats in docs/formats/, shared by the adapters that read them and
the synthetic generator that writes them, so the two cannot drift apart."""

PNC_NOMINAL_COLUMNS = (
    "record_id",
    "pnc_id",
    "cro_number",
    "surname",
    "forenames",
    "aliases",
    "dates_of_birth",
    "sex",
    "addresses",
    "ni_number",
    "driving_licence",
    "passport",
    "warning_signals",
    "wanted_missing",
    "recorded_date",
    "review_date",
)
"""docs/formats/pnc-nominal.md: the header row, in order."""

ANPR_READ_FIELDS = (
    "read_id",
    "vrm",
    "capture_time",
    "camera_id",
    "site_id",
    "site_name",
    "latitude",
    "longitude",
    "lane",
    "direction",
    "confidence",
    "plate_image",
    "overview_image",
)
"""docs/formats/anpr-reads.md: the CSV header (in order) and the JSON-lines keys."""
