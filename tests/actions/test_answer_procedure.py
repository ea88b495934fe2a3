"""ActionAnswerProcedure against the real knowledge base (injected), driven by tracker JSON fixtures."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.procedures import ASK_PROCEDURE, ActionAnswerProcedure
from feedback.store import FeedbackStore
from knowledge_base.service import KnowledgeBase
from replies.model import Checklist, Reply
from replies.text import reply_text
from settings import SETTINGS
from storage.database import Database

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def knowledge_base() -> KnowledgeBase:
    return KnowledgeBase.load(SETTINGS)


@pytest.fixture
def feedback(tmp_path: Path) -> FeedbackStore:
    db = Database(f"sqlite:///{tmp_path / 'gateway.db'}")
    db.migrate()
    return FeedbackStore(db)


@pytest.fixture
def action(knowledge_base: KnowledgeBase, feedback: FeedbackStore) -> ActionAnswerProcedure:
    return ActionAnswerProcedure(knowledge_base, feedback)


def run_action(action: ActionAnswerProcedure, fixture: str) -> tuple[list[Reply], list[dict]]:
    tracker = Tracker.from_dict(json.loads((FIXTURES / fixture).read_text(encoding="utf-8")))
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    # The action sends each reply whole as a custom payload in the reply model the gateway reads.
    return [Reply.model_validate(m["custom"]) for m in dispatcher.messages], events


def slot_events(events: list[dict]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_documents_question_answers_birth_registration_as_a_checklist_with_source(action) -> None:
    replies, events = run_action(action, "ask_birth_documents.json")
    reply = replies[0]
    assert reply.procedure_codes[0] == "1.001193"
    items = [i.name for b in reply.blocks if isinstance(b, Checklist) for i in b.items]
    assert any("Giấy chứng sinh" in name for name in items)
    assert reply.source_url and reply.source_url.startswith("https://dichvucong.gov.vn/")
    assert "Không có thông tin" not in reply_text(reply)
    # One menu per turn: the answer offers other procedures, so "was it useful?" waits for a later answer.
    assert reply.choices and len(replies) == 1
    assert slot_events(events) == {"aspect": "documents", "procedure_code": "1.001193", "missed_answers": 0.0,
                                   "answers_since_rating": None}


def test_followup_without_procedure_keeps_the_procedure_and_switches_aspect(action) -> None:
    replies, events = run_action(action, "followup_fee.json")
    assert replies[0].procedure_codes == ["1.001193"]
    assert "phí" in reply_text(replies[0]).lower()
    assert slot_events(events)["aspect"] == "fee"


def test_a_picked_choice_answers_the_chosen_procedure_for_its_aspect(action) -> None:
    replies, events = run_action(action, "button_choice.json")
    assert replies[0].procedure_codes == ["1.001193"] and not replies[0].choices
    # An answer without choices of its own is followed by the rating, the turn's only menu.
    assert [(c.title, c.entities["rating"], c.entities["rated_code"]) for c in replies[1].choices] == [
        ("👍 Hữu ích", "up", "1.001193"), ("👎 Chưa hữu ích", "down", "1.001193")]
    assert slot_events(events) == {"aspect": "duration", "procedure_code": "1.001193", "missed_answers": 0.0,
                                   "answers_since_rating": 0.0}
    assert "ngày" in reply_text(replies[0]).lower()


def test_unrelated_text_gets_a_polite_no_match_and_sets_no_procedure(action) -> None:
    replies, events = run_action(action, "weather.json")
    assert replies[0].procedure_codes == [] and replies[0].choices == []
    assert "chưa tìm thấy" in reply_text(replies[0])
    assert "procedure_code" not in slot_events(events)


def test_choices_are_dialogue_actions_for_the_gateway_to_issue(action) -> None:
    tracker = Tracker.from_dict({**json.loads((FIXTURES / "weather.json").read_text(encoding="utf-8")),
                                 "latest_message": {"text": "chứng thực", "intent": {"name": "ask_procedure"},
                                                    "entities": []}})
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, tracker, {}))
    reply = Reply.model_validate(dispatcher.messages[0]["custom"])
    assert len(reply.choices) >= 2 and reply.choices_prompt
    for choice, code in zip(reply.choices, reply.procedure_codes):
        assert choice.intent == ASK_PROCEDURE and choice.text is None
        assert choice.entities == {"procedure_code": code, "aspect": "overview"}


def test_the_second_answer_in_a_row_that_found_nothing_offers_an_officer(action) -> None:
    first, events = run_action(action, "weather.json")
    assert slot_events(events)["missed_answers"] == 1.0 and first[0].choices == []
    data = json.loads((FIXTURES / "weather.json").read_text(encoding="utf-8"))
    data["slots"]["missed_answers"] = 1.0
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, Tracker.from_dict(data), {}))
    second = Reply.model_validate(dispatcher.messages[0]["custom"])
    assert [(c.title, c.intent) for c in second.choices] == [("Gặp cán bộ tư vấn", "request_human")]
    assert "gặp cán bộ tư vấn" in second.choices_prompt and slot_events(events)["missed_answers"] == 2.0


def test_a_yes_no_follow_up_is_answered_with_a_verdict_on_the_procedure_in_focus(action) -> None:
    tracker = Tracker.from_dict({**json.loads((FIXTURES / "followup_fee.json").read_text(encoding="utf-8")),
                                 "latest_message": {"text": "có cần giấy chứng sinh không",
                                                    "intent": {"name": "ask_procedure"}, "entities": []}})
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    reply = Reply.model_validate(dispatcher.messages[0]["custom"])
    text = reply_text(reply)
    assert reply.procedure_codes == ["1.001193"] and text.split("\n")[2].startswith("Dạ có")
    assert "Giấy chứng sinh" in text and slot_events(events)["procedure_code"] == "1.001193"
