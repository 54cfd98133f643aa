"""The CloudEvents 1.0 envelope every Precise event travels in, and the base class of event payloads."""

from __future__ import annotations

import builtins
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal, Self, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

from precise_contracts.data_encoding import DataEncoding, decoded, encoded

EVENT_TYPE = re.compile(r"^uk\.police\.precise\.[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*\.v[1-9][0-9]*$")
TRACEPARENT = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")
SCHEMA_URN = "urn:uk:police:precise:schema:"


class Event(BaseModel):
    """An event payload: plain, frozen data. Subclasses set `type` and document every field.

    A breaking change is a new class whose `type` ends in `.v<N+1>`; the old one stays while consumers move.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        event_type = cls.__dict__.get("type")
        if event_type is not None and not EVENT_TYPE.match(event_type):
            raise TypeError(f"{cls.__name__}.type {event_type!r} is not uk.police.precise.<domain>.<event>.v<N>")

    def subject(self) -> str | None:
        """The id of the entity this event is about (the envelope `subject`); override where there is one."""
        return None

    @classmethod
    def domain(cls) -> str:
        return cls.type.split(".")[3]

    @classmethod
    def dataschema(cls) -> str:
        return SCHEMA_URN + cls.type


E = TypeVar("E", bound=Event)


@dataclass(frozen=True)
class SerialisedEvent:
    """An event already serialised to its JSON: what a producer hands from one of its processes to another
    (ingest parses files in a process of its own, ADR 0011), so the JSON is made where the event is built and
    never re-made, and a large one compressed there too (`dataencoding`, ADR 0015). `Envelope.wrap` takes it as
    it takes an `Event`."""

    type: str
    dataschema: str
    subject: str | None
    data: bytes
    dataencoding: DataEncoding | None = None

    @classmethod
    def of(cls, event: Event) -> Self:
        data, encoding = encoded(event.__pydantic_serializer__.to_json(event))
        return cls(event.type, event.dataschema(), event.subject(), data, encoding)

    def data_json(self) -> bytes:
        """The payload's JSON, decompressed if it is to travel compressed."""
        return decoded(self.data, self.dataencoding)


class Envelope(BaseModel):
    """A CloudEvents 1.0 event with the W3C `traceparent` extension.

    `id` is also the broker message id, so broker-side duplicate detection and the inbox both key on it.
    `data` is the payload as the producer serialised it (JSON, UTF-8) and stays so through the outbox and the
    broker (binary content mode, ADR 0007): it is parsed once, by the consumer, straight into its contract.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, max_length=128, description="Unique per event; the broker message id.")
    source: str = Field(pattern=r"^/precise/[a-z][a-z0-9-]*$", description="/precise/<producing service>")
    type: str = Field(pattern=EVENT_TYPE.pattern, description="uk.police.precise.<domain>.<event>.v<N>")
    subject: str | None = Field(default=None, description="The id of the entity the event is about.")
    time: AwareDatetime = Field(description="When the producer recorded the event (UTC).")
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str | None = Field(default=None, description="URN of the JSON Schema of `data`.")
    dataencoding: DataEncoding | None = Field(
        default=None,
        description="Absent when `data` is the JSON itself; `zstd` when it is a Zstandard frame (RFC 8878) of the "
        "JSON, as payloads of 16 KiB or more travel in binary content mode (ADR 0015).",
    )
    traceparent: str | None = Field(default=None, description="W3C trace context of the producing span.")
    data: Annotated[bytes, WithJsonSchema({"type": "object"})] = Field(
        description="The event payload as JSON (UTF-8), valid against `dataschema`."
    )

    @field_validator("data", mode="before")
    @classmethod
    def _data_as_json(cls, value: object) -> object:
        # a payload given as plain JSON values (tools, tests) is serialised as compactly as the producers do
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        return value

    @field_validator("traceparent")
    @classmethod
    def _traceparent_is_w3c(cls, value: str | None) -> str | None:
        if value is not None and not TRACEPARENT.match(value):
            raise ValueError("traceparent must be a W3C trace context version 00 header")
        return value

    @classmethod
    def wrap(
        cls,
        event: Event | SerialisedEvent,
        *,
        service: str,
        traceparent: str | None = None,
        event_id: str | None = None,
        time: datetime | None = None,
    ) -> Self:
        if not isinstance(event, SerialisedEvent):
            event = SerialisedEvent.of(event)
        return cls(
            id=event_id or str(uuid.uuid4()),
            source=f"/precise/{service}",
            type=event.type,
            subject=event.subject,
            time=time or datetime.now(UTC),
            dataschema=event.dataschema,
            traceparent=traceparent,
            dataencoding=event.dataencoding,
            data=event.data,
        )

    def decode(self, event_class: builtins.type[E]) -> E:  # `type` is a field here
        """The payload as its contract, validated straight from the JSON (one pass, no dict in between);
        UndecodableData if `data` is not what `dataencoding` says."""
        return event_class.model_validate_json(self.data_json())

    def data_json(self) -> bytes:
        """The payload's JSON, decompressed if it travels compressed."""
        return decoded(self.data, self.dataencoding)

    def payload(self) -> dict[str, Any]:
        """The payload as plain JSON values, for tools and tests that read it without its contract."""
        value = json.loads(self.data_json())
        if not isinstance(value, dict):
            raise ValueError(f"event {self.id} carries {type(value).__name__} data, not a JSON object")
        return value

    def attributes(self) -> dict[str, str]:
        """The CloudEvents attributes but `data` and `datacontenttype`, as text: what binary content mode
        carries beside the body (the message's own content type says `datacontenttype`)."""
        values = self.model_dump(mode="json", exclude={"data", "datacontenttype"}, exclude_none=True)
        return {name: str(value) for name, value in values.items()}

    @classmethod
    def from_attributes(cls, attributes: Mapping[str, Any], data: bytes) -> Self:
        """An envelope from binary content mode: the attributes as carried beside the body, and the body."""
        return cls.model_validate({**attributes, "data": data})

    def to_bytes(self) -> bytes:
        """Structured content mode: the whole event as one JSON object, `data` inlined as the JSON it was produced
        as (so never compressed)."""
        head = self.model_dump_json(exclude={"data", "dataencoding"}, exclude_none=True).encode()
        return head[:-1] + b',"data":' + self.data_json() + b"}"

    @classmethod
    def from_bytes(cls, body: bytes) -> Self:
        """An envelope from structured content mode (see to_bytes); ValueError if the body is not one."""
        fields = json.loads(body)
        if not isinstance(fields, dict) or not isinstance(fields.get("data"), dict):
            raise ValueError("a structured CloudEvent is a JSON object whose `data` is a JSON object")
        if "dataencoding" in fields:
            raise ValueError("a structured CloudEvent's `data` is JSON as it stands: it has no `dataencoding`")
        return cls.model_validate(fields)

    @property
    def service(self) -> str:
        return self.source.removeprefix("/precise/")
