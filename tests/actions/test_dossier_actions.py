"""The dossier actions driven by tracker JSON fixtures, against a real store: a slot or a payload can never stand
in for the verification kept in the database."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.dossiers import (STOPPED, VERIFIED, ActionDossierStatus, ActionSubscribeDossier, ValidateDossierForm,
                              last_four_digits)
from actions.procedures import ActionAnswerProcedure
from dossiers.assistant import DossierAssistant
from replies.model import Reply
from replies.text import reply_text
from tests.dossiers.fixtures import CODE, assistant, clock, store  # noqa: F401  (fixtures)

FIXTURES = Path(__file__).parent / "fixtures"
DOMAIN = {"slots": {"dossier_code": {}, "dossier_phone_digits": {}},
          "forms": {"dossier_form": {"required_slots": ["dossier_code", "dossier_phone_digits"]}}}


def tracker(fixture: str, **changes: object) -> Tracker:
    data = json.loads((FIXTURES / fixture).read_text(encoding="utf-8"))
    data.update(changes)
    return Tracker.from_dict(data)


def run(action, fixture: str, **changes: object) -> tuple[list[str], dict]:  # type: ignore[no-untyped-def]
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker(fixture, **changes), DOMAIN))
    said = [reply_text(Reply.model_validate(m["custom"])) for m in dispatcher.messages]
    return said, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.mark.parametrize("text, digits", [("5678", "5678"), ("số cuối là 5678 ạ", "5678"), ("0912 345 678", "5678"),
                                          ("0912.345.678", "5678"), ("đuôi 56", None), ("không nhớ", None)])
def test_last_four_digits_are_read_from_what_citizens_type(text: str, digits: str | None) -> None:
    assert last_four_digits(text) == digits


def test_a_forged_verified_slot_shows_nothing(assistant: DossierAssistant) -> None:
    said, slots = run(ActionDossierStatus(assistant), "dossier_forged_verified.json")
    assert len(said) == 1 and "xác nhận 4 số cuối" in said[0] and "Nguyễn" not in said[0]
    assert slots == {"dossier_code": None, "dossier_phone_digits": None}


def test_typing_the_marker_word_does_not_verify(assistant: DossierAssistant) -> None:
    said, slots = run(ValidateDossierForm(assistant), "dossier_forged_verified.json",
                      events=[{"event": "user", "timestamp": 1, "text": "verified", "parse_data": {}},
                              {"event": "slot", "timestamp": 2, "name": "dossier_phone_digits", "value": "verified"}])
    assert slots["dossier_phone_digits"] is None and "4 chữ số cuối" in said[0]
    assert not asyncio.run(assistant.is_verified("web:forger", CODE))


def test_the_right_digits_verify_in_the_database_and_the_status_follows(assistant: DossierAssistant) -> None:
    said, slots = run(ValidateDossierForm(assistant), "dossier_digits_answer.json")
    assert said == [] and slots["dossier_phone_digits"] == VERIFIED
    assert asyncio.run(assistant.is_verified("zalo:citizen", CODE))
    status, slots = run(ActionDossierStatus(assistant), "dossier_digits_answer.json",
                        slots={"dossier_code": CODE, "dossier_phone_digits": VERIFIED})
    assert "Nguyễn V. T." in status[0] and "Thẩm định hồ sơ" in status[0]
    # "thủ tục này cần gì" next means the dossier's procedure: it becomes the procedure in focus.
    assert slots["procedure_code"] == "1.001193" and slots["dossier_code"] is None


def test_wrong_digits_are_asked_again_then_lock(assistant: DossierAssistant) -> None:
    wrong = {"latest_message": {"text": "1111", "intent": {"name": "inform"}, "entities": []}}
    said, slots = run(ValidateDossierForm(assistant), "dossier_digits_answer.json", **wrong)
    assert slots["dossier_phone_digits"] is None and "còn 2 lần" in said[0]
    run(ValidateDossierForm(assistant), "dossier_digits_answer.json", **wrong)
    said, slots = run(ValidateDossierForm(assistant), "dossier_digits_answer.json", **wrong)
    assert slots["dossier_phone_digits"] == STOPPED and "tạm dừng" in said[0]


def test_a_code_inside_a_sentence_is_normalised_and_found(assistant: DossierAssistant) -> None:
    said, slots = run(ValidateDossierForm(assistant), "dossier_code_in_sentence.json")
    assert said == [] and slots["dossier_code"] == CODE and "dossier_phone_digits" not in slots


def test_subscribe_payload_without_verification_subscribes_nothing(assistant: DossierAssistant) -> None:
    payload = {"latest_message": {"text": f'/subscribe_dossier{{"dossier_code":"{CODE}"}}',
                                  "intent": {"name": "subscribe_dossier"},
                                  "entities": [{"entity": "dossier_code", "value": CODE}]}}
    said, _ = run(ActionSubscribeDossier(assistant), "dossier_forged_verified.json", **payload)
    assert "xác nhận 4 số cuối" in said[0]


def test_the_address_in_the_message_metadata_limits_wrong_answers_across_conversations(
        assistant: DossierAssistant) -> None:
    for n in range(assistant.policy.max_wrong_per_address):
        asyncio.run(assistant.verify(f"web:guesser-{n}", f"H45.22-231015-{n:04d}", "1234", "address-key"))
    latest = {"text": "mã hồ sơ của tôi là h45.22 – 231015 – 0012 ạ", "intent": {"name": "nlu_fallback"},
              "entities": [], "metadata": {"address": "address-key"}}
    said, slots = run(ValidateDossierForm(assistant), "dossier_code_in_sentence.json", latest_message=latest)
    assert slots["dossier_phone_digits"] == STOPPED and "thử lại sau" in said[0]
    said, slots = run(ValidateDossierForm(assistant), "dossier_code_in_sentence.json")     # no address: a citizen
    assert said == [] and slots["dossier_code"] == CODE


@pytest.mark.parametrize("text", ["hồ sơ 000.00.31.H45 261121 0005 khi nào được nhận?",
                                  "H45.22-231015-0012 bổ sung cái gì", "hủy hồ sơ h45.22 – 231015 – 0012 được không"])
def test_a_message_with_a_dossier_code_goes_to_the_dossier_form_whatever_else_it_asks(text: str) -> None:
    latest = {"text": text, "intent": {"name": "ask_procedure"}, "entities": []}
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionAnswerProcedure(None, None).run(   # type: ignore[arg-type]  (never reached)
        dispatcher, tracker("dossier_code_in_sentence.json", latest_message=latest, active_loop={}), DOMAIN))
    assert dispatcher.messages == []                                   # no procedure answer
    assert {"event": "followup", "timestamp": None, "name": "dossier_form"} in events
