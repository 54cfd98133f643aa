"""Service Bus subscription rules: one correlation rule per event type on the message `subject` (label),
plus a replay rule on `to`, through which a dead letter is sent back to the one subscription that lost it.

Terraform creates these rules in production (services hold Send/Listen only); the Service Bus bus adapter
creates the same ones where it may manage the namespace. Both take names from here.
"""

from __future__ import annotations

import hashlib

from precise_contracts.registry import Subscription

RULE_NAME_LIMIT = 50  # Service Bus limit on rule names
EVENT_TYPE_PREFIX = "uk.police.precise."
REPLAY_RULE = "precise-replay"


def rule_name(event_type: str) -> str:
    """A readable, stable rule name within Service Bus's 50 characters."""
    name = event_type.removeprefix(EVENT_TYPE_PREFIX)
    if len(name) <= RULE_NAME_LIMIT:
        return name
    digest = hashlib.sha256(event_type.encode()).hexdigest()[:8]
    return f"{name[: RULE_NAME_LIMIT - len(digest) - 1]}-{digest}"


def correlation_rules(subscription: Subscription) -> dict[str, dict[str, str]]:
    """Rule name -> correlation filter (`label` or `to`, as azurerm and the SDK spell them)."""
    rules = {rule_name(t): {"label": t} for t in sorted(subscription.event_types)}
    rules[REPLAY_RULE] = {"to": subscription.name}
    return rules
