"""Which adapter reads which source. PNC is built in; the other adapters are imported only when first
used, so the service runs while any of them is missing (an upload for it is then refused, not crashed)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from types import MappingProxyType

from precise_ingest.adapters.pnc import PncAdapter
from precise_ingest.adapters.port import ChunkedAdapter, SourceAdapter

Adapter = SourceAdapter | ChunkedAdapter
AdapterFactory = Callable[[], Adapter]


class UnknownSource(LookupError):
    """No adapter is registered for the source."""


class AdapterUnavailable(RuntimeError):
    """The source is known but its adapter cannot be loaded in this installation."""


def _lazy(module: str, name: str) -> AdapterFactory:
    def load() -> Adapter:
        try:
            factory: AdapterFactory = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError) as exc:
            raise AdapterUnavailable(f"the adapter {module}.{name} cannot be loaded: {exc}") from exc
        return factory()

    return load


ADAPTERS: Mapping[str, AdapterFactory] = MappingProxyType(
    {
        "pnc": PncAdapter,
        "anpr": _lazy("precise_ingest.adapters.anpr", "AnprAdapter"),
        "ident1": _lazy("precise_ingest.adapters.ident1", "Ident1Adapter"),
        "legacy": _lazy("precise_ingest.adapters.legacy", "LegacyAdapter"),
    }
)
# sources whose files are described by a mapping file named with each upload
NEEDS_MAPPING = frozenset({"legacy"})


def adapter_for(source: str, adapters: Mapping[str, AdapterFactory] = ADAPTERS) -> Adapter:
    if source not in adapters:
        raise UnknownSource(f"no adapter for source {source!r}; known: {', '.join(sorted(adapters))}")
    return adapters[source]()
