"""Answer procedure questions from the knowledge base."""
from __future__ import annotations

import asyncio
import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from knowledge_base.service import get_knowledge_base
from knowledge_base.types import Aspect, Reply


def choice_payload(code: str, aspect: Aspect) -> str:
    """Rasa intent payload a button sends back to continue the conversation."""
    entities = {"procedure_code": code, "aspect": aspect.value}
    return "/ask_procedure" + json.dumps(entities, separators=(",", ":"))


def _aspect(value: Any) -> Aspect | None:
    try:
        return Aspect(value) if value else None
    except ValueError:
        return None


class ActionAnswerProcedure(Action):
    def name(self) -> str:
        return "action_answer_procedure"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        if text.startswith("/"):          # a button payload carries entities, not words
            text = ""
        chosen = next(tracker.get_latest_entity_values("procedure_code"), None)
        aspect = _aspect(next(tracker.get_latest_entity_values("aspect"), None))
        kb = get_knowledge_base()
        reply: Reply = await asyncio.to_thread(
            kb.respond, text, context_code=tracker.get_slot("procedure_code"),
            chosen_code=chosen, aspect=aspect,
        )
        # Sent whole as a custom payload: Rasa's REST channel would split plain text at blank lines.
        dispatcher.utter_message(json_message={
            "text": reply.text,
            "buttons": [{"title": c.title, "payload": choice_payload(c.code, reply.aspect)} for c in reply.choices],
            "procedure_codes": reply.procedure_codes,
        })
        events = [SlotSet("aspect", reply.aspect.value)]
        if reply.kind == "answer" and reply.procedure_codes:
            events.append(SlotSet("procedure_code", reply.procedure_codes[0]))
        return events
