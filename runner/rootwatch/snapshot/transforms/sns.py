"""SNS ListSubscriptions (and GetSubscriptionAttributes) → ``aws_sns_topic_subscription`` rows.

An unconfirmed subscription's ARN is the literal ``PendingConfirmation``; it delivers nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rootwatch.snapshot import strict_json
from rootwatch.snapshot.transforms.common import Origin, Row, TransformError, flag, items, mapping

PENDING_CONFIRMATION = "PendingConfirmation"

_POLICY_ATTRIBUTES = {
    "delivery_policy": "DeliveryPolicy",
    "effective_delivery_policy": "EffectiveDeliveryPolicy",
    "redrive_policy": "RedrivePolicy",
    "filter_policy": "FilterPolicy",
}
_FLAG_ATTRIBUTES = {
    "confirmation_was_authenticated": "ConfirmationWasAuthenticated",
    "pending_confirmation": "PendingConfirmation",
    "raw_message_delivery": "RawMessageDelivery",
}


def subscription_rows(
    response: Mapping[str, Any],
    *,
    origin: Origin,
    region: str,
    attributes: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Row]:
    """Rows of ``aws_sns_topic_subscription`` from a ListSubscriptions or ListSubscriptionsByTopic response.

    ``attributes`` maps a subscription ARN to its GetSubscriptionAttributes response
    (``{"Attributes": {...}}``, values are strings; policies are JSON text). Without attributes,
    ``pending_confirmation`` is still known from the ARN (true for ``PendingConfirmation``, false
    otherwise) and the other attribute columns are NULL.
    """
    rows: list[Row] = []
    for index, subscription in enumerate(items(response, "Subscriptions", "list-subscriptions")):
        arn = subscription.get("SubscriptionArn")
        if not arn or not subscription.get("TopicArn"):
            raise TransformError(f"Subscriptions[{index}] needs SubscriptionArn and TopicArn")
        row: Row = {
            "subscription_arn": arn,
            "topic_arn": subscription["TopicArn"],
            "owner": subscription.get("Owner"),
            "protocol": subscription.get("Protocol"),
            "endpoint": subscription.get("Endpoint"),
            **dict.fromkeys(_FLAG_ATTRIBUTES),
            **dict.fromkeys(_POLICY_ATTRIBUTES),
        }
        found = (attributes or {}).get(arn) if arn != PENDING_CONFIRMATION else None
        if found is not None:
            values = mapping(mapping(found, f"attributes of {arn}").get("Attributes", {}), f"attributes of {arn}")
            for column, key in _FLAG_ATTRIBUTES.items():
                row[column] = flag(values.get(key), f"attributes of {arn}: {key}")
            for column, key in _POLICY_ATTRIBUTES.items():
                row[column] = _policy(values.get(key), f"attributes of {arn}: {key}")
        if row["pending_confirmation"] is None:
            row["pending_confirmation"] = arn == PENDING_CONFIRMATION
        row["title"] = arn
        row["akas"] = [arn]
        row.update(origin.columns(region))
        rows.append(row)
    return rows


def _policy(value: Any, what: str) -> Any:
    if value is None or not isinstance(value, str):
        return value
    try:
        return strict_json.loads(value)
    except strict_json.StrictJsonError:
        raise TransformError(f"{what}: not JSON text") from None
