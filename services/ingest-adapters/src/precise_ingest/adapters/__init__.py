"""One adapter per source system; each reads that source's documented export format (docs/formats/)."""
