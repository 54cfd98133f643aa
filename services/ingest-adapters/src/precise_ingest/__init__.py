"""ingest-adapters: turns each source system's exports into canonical events, never loses a record and
never publishes the same record twice."""
