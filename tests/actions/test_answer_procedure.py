"""ActionAnswerProcedure against the real knowledge base, driven by tracker JSON fixtures."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.procedures import ActionAnswerProcedure, choice_payload
from knowledge_base.types import Aspect

FIXTURES = Path(__file__).parent / "fixtures"


def run_action(fixture: str) -> tuple[list[dict], list[dict]]:
    tracker = Tracker.from_dict(json.loads((FIXTURES / fixture).read_text(encoding="utf-8")))
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionAnswerProcedure().run(dispatcher, tracker, {}))
    # The action sends each reply whole as a custom payload (see actions/procedures.py).
    return [m["custom"] for m in dispatcher.messages], events


def slot_events(events: list[dict]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_documents_question_answers_birth_registration_with_source_link() -> None:
    messages, events = run_action("ask_birth_documents.json")
    assert len(messages) == 1
    message = messages[0]
    assert message["procedure_codes"][0] == "1.001193"
    assert "Giấy chứng sinh" in message["text"]
    assert "https://dichvucong.gov.vn/" in message["text"]
    assert "Không có thông tin" not in message["text"]
    assert slot_events(events) == {"aspect": "documents", "procedure_code": "1.001193"}


def test_followup_without_procedure_keeps_the_procedure_and_switches_aspect() -> None:
    messages, events = run_action("followup_fee.json")
    assert messages[0]["procedure_codes"] == ["1.001193"]
    assert "phí" in messages[0]["text"].lower()
    assert slot_events(events)["aspect"] == "fee"


def test_button_payload_answers_the_chosen_procedure_for_its_aspect() -> None:
    messages, events = run_action("button_choice.json")
    assert messages[0]["procedure_codes"] == ["1.001193"]
    assert slot_events(events) == {"aspect": "duration", "procedure_code": "1.001193"}
    assert "ngày" in messages[0]["text"].lower()


def test_unrelated_text_gets_a_polite_no_match_and_sets_no_procedure() -> None:
    messages, events = run_action("weather.json")
    assert messages[0]["procedure_codes"] == []
    assert messages[0]["buttons"] == []
    assert "procedure_code" not in slot_events(events)


@pytest.mark.parametrize("aspect", list(Aspect))
def test_choice_payload_is_a_rasa_intent_payload(aspect: Aspect) -> None:
    payload = choice_payload("1.001193", aspect)
    intent, _, entities = payload.partition("{")
    assert intent == "/ask_procedure"
    assert json.loads("{" + entities) == {"procedure_code": "1.001193", "aspect": aspect.value}
