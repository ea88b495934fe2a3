"""Asking for an officer: the request goes to the handover desk with what the assistant last answered."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from handover.desk import HandoverDesk
from replies.model import Reply
from replies.text import reply_text

REQUEST_HUMAN = "request_human"


def last_answer(tracker: Tracker) -> str | None:
    """The assistant's last words in this conversation, for the officer who takes over."""
    for event in reversed(tracker.events):
        if event.get("event") != "bot":
            continue
        custom = (event.get("data") or {}).get("custom")
        if isinstance(custom, dict):
            try:
                return reply_text(Reply.model_validate(custom))
            except ValueError:
                continue
        if event.get("text"):
            return str(event["text"])
    return None


class ActionRequestHandover(Action):
    def __init__(self, desk: HandoverDesk) -> None:
        self._desk = desk

    def name(self) -> str:
        return "action_request_handover"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        offered = (tracker.latest_message.get("text") or "").startswith("/")      # the gateway-issued offer
        reply = await self._desk.request(tracker.sender_id, "offered" if offered else "asked", last_answer(tracker))
        dispatcher.utter_message(json_message=reply.model_dump(exclude_none=True))
        return [SlotSet("missed_answers", 0.0)]
