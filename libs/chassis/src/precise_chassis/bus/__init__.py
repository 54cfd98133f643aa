"""The bus port and its adapters."""

from precise_chassis.bus.port import (
    MAX_DELIVERY_EXCEEDED,
    UNPROCESSABLE,
    Bus,
    BusUnavailable,
    DeadLetter,
    Delivery,
    MessageHandler,
    RetryPolicy,
    Unprocessable,
)

__all__ = [
    "MAX_DELIVERY_EXCEEDED",
    "UNPROCESSABLE",
    "Bus",
    "BusUnavailable",
    "DeadLetter",
    "Delivery",
    "MessageHandler",
    "RetryPolicy",
    "Unprocessable",
]
