"""probe-echo (test only): answers each ProbeRequested with a ProbeEchoed and counts what it handled."""

from pathlib import Path

from precise_chassis.service import Service
from precise_probe.contracts import ECHO, ProbeRequested
from precise_probe.echo.api import router
from precise_probe.echo.handlers import on_probe_requested

service = Service(
    name=ECHO,
    prefix=f"/{ECHO}",
    title="Probe echo (test only)",
    router=router,
    handlers={ProbeRequested: on_probe_requested},
    migrations=Path(__file__).parent / "migrations" / "versions",
)
