"""ingest-adapters: PNC, ANPR, IDENT1 and legacy exports in, canonical events out (topic "ingest")."""

from pathlib import Path

from fastapi import APIRouter

from precise_chassis.service import Service
from precise_ingest import api, api_anpr, api_mappings
from precise_ingest.intake import start_intake, stop_intake

router = APIRouter()
router.include_router(api.router)
router.include_router(api_mappings.router)
router.include_router(api_anpr.router)

service = Service(
    name="ingest-adapters",
    prefix="/ingest",
    title="Ingest adapters",
    router=router,
    migrations=Path(__file__).parent / "migrations" / "versions",
    uses_blobs=True,
    on_start=start_intake,
    on_stop=stop_intake,
)
