"""Answer procedure questions from the knowledge base."""
from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.feedback import rating_request, should_ask, with_officer_offer
from dossiers.codes import extract_dossier_code
from feedback.store import FeedbackStore
from knowledge_base.service import KnowledgeBase
from knowledge_base.types import Aspect, Reply as KnowledgeReply
from replies.model import Choice, Reply
from storage.tables import utcnow

ASK_PROCEDURE = "ask_procedure"
DOSSIER_FORM = "dossier_form"


def procedure_choice(code: str, title: str, aspect: Aspect) -> Choice:
    """Picking it asks about procedure `code` for `aspect` (the gateway turns the pick back into the intent)."""
    return Choice(title=title, intent=ASK_PROCEDURE, entities={"procedure_code": code, "aspect": aspect.value})


def as_reply(answer: KnowledgeReply) -> Reply:
    return Reply(**answer.content.model_dump(), choices_prompt=answer.choices_prompt,
                 choices=[procedure_choice(c.code, c.title, answer.aspect) for c in answer.choices],
                 procedure_codes=answer.procedure_codes)


def _aspect(value: Any) -> Aspect | None:
    try:
        return Aspect(value) if value else None
    except ValueError:
        return None


class ActionAnswerProcedure(Action):
    def __init__(self, knowledge_base: KnowledgeBase, feedback: FeedbackStore) -> None:
        self._kb = knowledge_base
        self._feedback = feedback

    def name(self) -> str:
        return "action_answer_procedure"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        if text.startswith("/"):          # a pick the gateway issued carries entities, not words
            text = ""
        if extract_dossier_code(text):
            # A message with a dossier code is about that dossier, whatever else it asks ("… khi nào được nhận?",
            # "bổ sung cái gì"): the dossier form takes it (the phone digits first, then the status and next step).
            return [SlotSet("dossier_code", None), SlotSet("dossier_phone_digits", None), FollowupAction(DOSSIER_FORM)]
        chosen = next(tracker.get_latest_entity_values("procedure_code"), None)
        # The aspect of a picked choice, else the one last asked ("à mà em đăng ký lại" keeps asking for documents).
        aspect = _aspect(next(tracker.get_latest_entity_values("aspect"), None)) or _aspect(tracker.get_slot("aspect"))
        answer = await asyncio.to_thread(self._kb.respond, text, context_code=tracker.get_slot("procedure_code"),
                                         chosen_code=chosen, aspect=aspect)
        code = answer.procedure_codes[0] if answer.kind == "answer" and answer.procedure_codes else None
        question = text or f"(chọn thủ tục {chosen})"
        await self._feedback.answered(tracker.sender_id, question, answer.kind, code, utcnow())
        misses = int(tracker.get_slot("missed_answers") or 0) + 1 if answer.kind == "no_match" else 0
        reply = with_officer_offer(as_reply(answer), misses)
        # Sent whole as a custom payload: Rasa's REST channel would split plain text at blank lines.
        dispatcher.utter_message(json_message=reply.model_dump(exclude_none=True))
        events = [SlotSet("aspect", answer.aspect.value), SlotSet("missed_answers", float(misses))]
        if code is not None:
            since = tracker.get_slot("answers_since_rating")
            # One menu per turn: under an answer that offers choices the rating waits for a later answer (on Zalo
            # a typed "2" would otherwise be ambiguous between the two numbered menus).
            due = should_ask(since)
            ask = due and not reply.choices
            if ask:
                dispatcher.utter_message(json_message=rating_request(code, question).model_dump(exclude_none=True))
            events.append(SlotSet("answers_since_rating", 0.0 if ask else since if due else float(since) + 1))
        if answer.kind == "answer" and answer.procedure_codes:
            events.append(SlotSet("procedure_code", answer.procedure_codes[0]))
        return events
