"""JSON Schema for a value type: what its canonical (wire) form looks like, for AsyncAPI and JSON Schema."""

from pydantic import WithJsonSchema


def string_schema(*, pattern: str, description: str, example: str) -> WithJsonSchema:
    """Describe a canonical string value; ``pattern`` is anchored, as JSON Schema does not anchor it."""
    return WithJsonSchema(
        {"type": "string", "pattern": f"^(?:{pattern})$", "description": description, "examples": [example]}
    )
