"""The portal's thresholds in the JSON API: managers and admins read them, admins change them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from kb.store.thresholds import THRESHOLD_NAMES, ThresholdChange, ThresholdStore
from kb.web.inputs import json_body
from kb.web.security import actor, require_role
from kb.web.visits import services

blueprint = Blueprint("thresholds_api", __name__, url_prefix="/api/v1/thresholds")


def change_json(change: ThresholdChange) -> dict[str, Any]:
    return {
        "name": change.name,
        "value": change.value,
        "changed_by": change.changed_by,
        "changed_at": change.changed_at.isoformat(),
    }


def thresholds_json(store: ThresholdStore) -> dict[str, Any]:
    """Each threshold in force with its setting and its last change, and the latest changes."""
    current, defaults, last = store.current(), store.defaults(), store.last_changes()
    return {
        "thresholds": {
            name: {
                "value": getattr(current, name),
                "default": getattr(defaults, name),
                "changed": change_json(last[name]) if name in last else None,
            }
            for name in THRESHOLD_NAMES
        },
        "history": [change_json(change) for change in store.history()],
    }


@blueprint.get("")
@require_role("manager", "admin")
def thresholds() -> Response:
    return jsonify(thresholds_json(services().thresholds))


@blueprint.put("")
@require_role("admin")
def change() -> Response:
    """Set the thresholds the body names (all or none), recorded under the caller."""
    body = json_body(THRESHOLD_NAMES)
    store = services().thresholds
    store.change_all(body, actor())
    return jsonify(thresholds_json(store))
