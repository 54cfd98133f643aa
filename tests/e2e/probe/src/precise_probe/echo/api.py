"""probe-echo's route: how many probes it has handled, so tests can see a duplicate effect."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from precise_chassis.api import unit_of_work
from precise_chassis.auth import Caller, Permission, require
from precise_chassis.uow import UnitOfWork
from precise_probe.echo.store import count_echoes

router = APIRouter(tags=["echoes"])


class EchoCount(BaseModel):
    count: int


@router.get("/echoes/count")
async def echo_count(
    _caller: Annotated[Caller, Depends(require(Permission.INGEST_READ))],
    uow: Annotated[UnitOfWork, Depends(unit_of_work)],
    probe_id: str | None = None,
) -> EchoCount:
    """Probes handled so far, or the times one probe was handled (more than 1 is a duplicate effect)."""
    async with uow:
        return EchoCount(count=await count_echoes(uow.session, probe_id))
