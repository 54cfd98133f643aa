"""The CloudEvents 1.0 envelope every Precise event travels in, and the base class of event payloads."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

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


class Envelope(BaseModel):
    """A CloudEvents 1.0 structured event with the W3C `traceparent` extension.

    `id` is also the broker message id, so broker-side duplicate detection and the inbox both key on it.
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
    traceparent: str | None = Field(default=None, description="W3C trace context of the producing span.")
    data: dict[str, Any] = Field(description="The event payload, valid against `dataschema`.")

    @field_validator("traceparent")
    @classmethod
    def _traceparent_is_w3c(cls, value: str | None) -> str | None:
        if value is not None and not TRACEPARENT.match(value):
            raise ValueError("traceparent must be a W3C trace context version 00 header")
        return value

    @classmethod
    def wrap(
        cls,
        event: Event,
        *,
        service: str,
        traceparent: str | None = None,
        event_id: str | None = None,
        time: datetime | None = None,
    ) -> Self:
        return cls(
            id=event_id or str(uuid.uuid4()),
            source=f"/precise/{service}",
            type=event.type,
            subject=event.subject(),
            time=time or datetime.now(UTC),
            dataschema=event.dataschema(),
            traceparent=traceparent,
            data=event.model_dump(mode="json"),
        )

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def from_bytes(cls, body: bytes) -> Self:
        return cls.model_validate_json(body)

    @property
    def service(self) -> str:
        return self.source.removeprefix("/precise/")
