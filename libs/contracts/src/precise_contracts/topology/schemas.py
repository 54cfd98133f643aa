"""JSON Schemas (2020-12) of event payloads and of the envelope, from the pydantic models."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from precise_contracts.envelope import SCHEMA_URN, Envelope, Event

DIALECT = "https://json-schema.org/draft/2020-12/schema"
ENVELOPE_SCHEMA_ID = SCHEMA_URN + "envelope"


def event_schema(event: type[Event]) -> dict[str, Any]:
    """A standalone schema of the payload, identified by the URN its envelopes name in `dataschema`."""
    return _standalone(event, event.dataschema())


def envelope_schema() -> dict[str, Any]:
    return _standalone(Envelope, ENVELOPE_SCHEMA_ID)


def _standalone(model: type[BaseModel], schema_id: str) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema.setdefault("title", model.__name__)
    return {"$schema": DIALECT, "$id": schema_id, **schema}


def shared_definitions(
    models: Iterable[type[BaseModel]], ref_template: str
) -> tuple[dict[type[BaseModel], dict[str, Any]], dict[str, Any]]:
    """The schemas of several models as one set of definitions, nested models shared and name clashes
    resolved by pydantic: each model's `$ref`, and the definitions to place where `ref_template` points."""
    wanted = list(models)
    keyed, top = models_json_schema([(model, "validation") for model in wanted], ref_template=ref_template)
    refs = {model: keyed[(model, "validation")] for model in wanted}
    definitions: dict[str, Any] = top.get("$defs", {})
    return refs, definitions
