"""Text clean-up shared by the value parsers: identifiers arrive typed, pasted or OCR'd with stray spacing."""


def compact(value: str) -> str:
    """Upper-case ``value`` and drop every whitespace character."""
    return "".join(value.split()).upper()
