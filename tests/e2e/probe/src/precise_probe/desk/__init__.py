"""probe-desk (test only): takes a probe over HTTP, stores its text as a blob, publishes ProbeRequested,
and records the ProbeEchoed that comes back."""

from pathlib import Path

from precise_chassis.service import Service
from precise_probe.contracts import DESK, ProbeEchoed
from precise_probe.desk.api import router
from precise_probe.desk.handlers import on_probe_echoed

service = Service(
    name=DESK,
    prefix=f"/{DESK}",
    title="Probe desk (test only)",
    router=router,
    handlers={ProbeEchoed: on_probe_echoed},
    migrations=Path(__file__).parent / "migrations" / "versions",
    uses_blobs=True,
)
