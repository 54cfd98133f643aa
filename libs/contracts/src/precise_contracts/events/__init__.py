"""Event payloads, one module per producing domain."""
