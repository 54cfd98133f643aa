"""Ingest events: records read from PNC, ANPR, IDENT1 and legacy systems, in canonical form, each with its
provenance. Published on topic "ingest" by ingest-adapters."""

from precise_contracts.events.ingest.biometric import BiometricIdentified
from precise_contracts.events.ingest.incident import IncidentCategory, IncidentRecorded
from precise_contracts.events.ingest.intelligence import (
    HandlingCode,
    IntelligenceAssessment,
    IntelligenceGrading,
    IntelligenceRecorded,
    SourceEvaluation,
    SubjectKind,
    SubjectRef,
)
from precise_contracts.events.ingest.person import (
    AddressKind,
    MissingRisk,
    MissingStatus,
    NameKind,
    PersonAddress,
    PersonIdentifiers,
    PersonName,
    PersonRecordObserved,
    Sex,
    WantedStatus,
    WarningMarker,
)
from precise_contracts.events.ingest.places import Address, Coordinates
from precise_contracts.events.ingest.source import BlobRef, SourceRecordRef, SourceSystem, SourceSystemRef
from precise_contracts.events.ingest.vehicle import (
    MAX_BATCH_BYTES,
    MAX_BATCH_JSON_BYTES,
    MAX_SIGHTINGS_PER_BATCH,
    CameraLocation,
    CameraPosition,
    Direction,
    VehicleSighting,
    VehicleSightingsBatched,
)

__all__ = [
    "MAX_BATCH_BYTES",
    "MAX_BATCH_JSON_BYTES",
    "MAX_SIGHTINGS_PER_BATCH",
    "Address",
    "AddressKind",
    "BiometricIdentified",
    "BlobRef",
    "CameraLocation",
    "CameraPosition",
    "Coordinates",
    "Direction",
    "HandlingCode",
    "IncidentCategory",
    "IncidentRecorded",
    "IntelligenceAssessment",
    "IntelligenceGrading",
    "IntelligenceRecorded",
    "MissingRisk",
    "MissingStatus",
    "NameKind",
    "PersonAddress",
    "PersonIdentifiers",
    "PersonName",
    "PersonRecordObserved",
    "Sex",
    "SourceEvaluation",
    "SourceRecordRef",
    "SourceSystem",
    "SourceSystemRef",
    "SubjectKind",
    "SubjectRef",
    "VehicleSighting",
    "VehicleSightingsBatched",
    "WantedStatus",
    "WarningMarker",
]
