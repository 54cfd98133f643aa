"""Legacy mapping files over HTTP: list them, read one, add one (docs/formats/legacy-mappings.md).

Mounted under the service prefix: `GET /ingest/v1/mappings`, `GET /ingest/v1/mappings/{name}`,
`POST /ingest/v1/mappings` (the YAML file as the body). Mappings hold no personal data, so reading them needs
ingest:read without a stated purpose; adding one needs ingest:write. An added mapping is kept in the blob
store and can never be replaced: a changed export layout is a new mapping under a new name.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from precise_chassis.api import NotFound, blob_store
from precise_chassis.auth import Caller, Permission, require
from precise_chassis.blob import BlobStore
from precise_ingest.adapters.mappings import (
    MAX_MAPPING_BYTES,
    InvalidMapping,
    MappingExists,
    MappingRegistry,
    StoredMapping,
)

router = APIRouter(prefix="/v1/mappings", tags=["legacy mappings"])

_PROBLEM = "application/problem+json"


def mapping_registry(blobs: Annotated[BlobStore, Depends(blob_store)]) -> MappingRegistry:
    return MappingRegistry(blobs)


Registry = Annotated[MappingRegistry, Depends(mapping_registry)]


class MappingSummary(BaseModel):
    name: str = Field(description="The legacy system's name, which is also the mapping's name.")
    system: str = Field(description="The source its records carry: legacy/<name>.")
    description: str | None = Field(description="What the system is.")
    record: str = Field(description="What each record becomes: person, intelligence or incident.")
    format: str = Field(description="csv, fixed-width or json.")
    encoding: str = Field(description="utf-8, utf-8-sig, cp1252 or auto.")
    shipped: bool = Field(description="True for mappings shipped with the service, false for those added.")


class MappingDetail(MappingSummary):
    yaml: str = Field(description="The mapping file as written.")
    definition: dict[str, Any] = Field(description="The mapping as JSON, with every default filled in.")


def _summary(stored: StoredMapping) -> dict[str, Any]:
    mapping = stored.mapping
    return {
        "name": mapping.name,
        "system": f"legacy/{mapping.name}",
        "description": mapping.description,
        "record": mapping.record.value,
        "format": mapping.input.format.value,
        "encoding": mapping.input.encoding.value,
        "shipped": stored.shipped,
    }


def _problem(status_code: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status_code, "detail": detail, **extra}
    return JSONResponse(body, status_code=status_code, media_type=_PROBLEM)


@router.get("", summary="List the legacy mappings")
async def list_mappings(
    registry: Registry, _: Annotated[Caller, Depends(require(Permission.INGEST_READ))]
) -> list[MappingSummary]:
    return [MappingSummary(**_summary(stored)) for stored in await registry.all()]


@router.get("/{name}", summary="Read one legacy mapping")
async def show_mapping(
    name: str, registry: Registry, _: Annotated[Caller, Depends(require(Permission.INGEST_READ))]
) -> MappingDetail:
    stored = await registry.get(name)
    if stored is None:
        raise NotFound(f"no mapping named {name!r}")
    definition = stored.mapping.model_dump(mode="json", by_alias=True)
    return MappingDetail(**_summary(stored), yaml=stored.text, definition=definition)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Add a legacy mapping",
    openapi_extra={"requestBody": {"required": True, "content": {"application/yaml": {"schema": {"type": "string"}}}}},
    responses={409: {"description": "A mapping of that name exists"}, 422: {"description": "Invalid mapping"}},
)
async def add_mapping(
    request: Request, registry: Registry, _: Annotated[Caller, Depends(require(Permission.INGEST_WRITE))]
) -> JSONResponse:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_MAPPING_BYTES:
            return _problem(413, "Mapping too large", f"a mapping file is at most {MAX_MAPPING_BYTES} bytes")
    try:
        stored = await registry.add(bytes(body))
    except InvalidMapping as exc:
        errors = [{"path": problem.path, "message": problem.message} for problem in exc.problems]
        return _problem(422, "Invalid mapping", str(exc), errors=errors)
    except MappingExists as exc:
        return _problem(409, "Mapping exists", f"{exc}; mappings are never replaced, add it under a new name")
    location = str(request.url_for("show_mapping", name=stored.mapping.name).path)
    return JSONResponse(_summary(stored), status_code=201, headers={"Location": location})
