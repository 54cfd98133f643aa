"""What a service's routes depend on: its unit of work, its blob store, and answers as problem details."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from precise_chassis.blob import BlobStore
from precise_chassis.runtime import ServiceRuntime
from precise_chassis.uow import UnitOfWork


def service_runtime(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.precise
    return runtime


def unit_of_work(runtime: Annotated[ServiceRuntime, Depends(service_runtime)]) -> UnitOfWork:
    return runtime.unit_of_work()


def blob_store(runtime: Annotated[ServiceRuntime, Depends(service_runtime)]) -> BlobStore:
    if runtime.blobs is None:
        raise RuntimeError(f"{runtime.name} did not declare uses_blobs=True")
    return runtime.blobs


class NotFound(HTTPException):
    def __init__(self, detail: str) -> None:
        super().__init__(status_code=status.HTTP_404_NOT_FOUND, detail=detail)
