"""Ratings of answers from tracker fixtures, against a real store: not after every answer, 👍/👎 stored with the
question and procedure, a one-tap reason for 👎, and an officer offered after two answers that did not help."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.feedback import ActionRateAnswer, ActionRateReason
from actions.procedures import ActionAnswerProcedure
from feedback.store import FeedbackStore
from replies.model import Reply
from storage.database import Database
from storage.tables import AnswerEvent, Rating
from tests.actions.test_answer_procedure import FIXTURES, knowledge_base  # noqa: F401  (fixture)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'gateway.db'}")
    database.migrate()
    return database


def run(action, fixture: str, **changes: object) -> tuple[list[Reply], dict]:  # type: ignore[no-untyped-def]
    data = json.loads((FIXTURES / fixture).read_text(encoding="utf-8"))
    for key, value in changes.items():
        data["slots" if key != "latest_message" else key] = (
            {**data["slots"], **value} if key == "slots" else value)
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, Tracker.from_dict(data), {}))
    return ([Reply.model_validate(m["custom"]) for m in dispatcher.messages],
            {e["name"]: e["value"] for e in events if e.get("event") == "slot"})


def rows(db: Database, table):  # type: ignore[no-untyped-def]
    return db.call(lambda s: [r.__dict__ for r in s.scalars(select(table).order_by(table.id))])


def test_ratings_are_asked_after_the_first_answer_then_every_third(knowledge_base, db: Database) -> None:  # noqa: F811
    action = ActionAnswerProcedure(knowledge_base, FeedbackStore(db))
    asked, since = [], None
    for _ in range(7):
        replies, slots = run(action, "button_choice.json", slots={"answers_since_rating": since})
        asked.append(len(replies) == 2)
        since = slots["answers_since_rating"]
    assert asked == [True, False, False, True, False, False, True]
    events = rows(db, AnswerEvent)
    assert len(events) == 7 and {(e["kind"], e["procedure_code"], e["channel"]) for e in events} == {
        ("answer", "1.001193", "web")}


def test_a_rating_due_under_an_answer_with_choices_waits_for_the_next_answer(knowledge_base, db: Database) -> None:  # noqa: F811
    """One numbered menu per turn (a Zalo "2" must not be ambiguous): the rating is not added under an answer that
    offers other procedures, and is asked under the next answer that offers none."""
    action = ActionAnswerProcedure(knowledge_base, FeedbackStore(db))
    replies, slots = run(action, "ask_birth_documents.json", slots={"answers_since_rating": None})
    assert replies[0].choices and len(replies) == 1 and slots["answers_since_rating"] is None
    replies, slots = run(action, "button_choice.json", slots={"answers_since_rating": None})
    assert len(replies) == 2 and replies[1].choices[0].intent == "rate_answer"


def test_a_thumbs_up_is_stored_with_the_question_and_procedure(db: Database) -> None:
    up = {"text": "/rate_answer{...}", "intent": {"name": "rate_answer"},
          "entities": [{"entity": "rating", "value": "up"}, {"entity": "rated_code", "value": "1.001193"},
                       {"entity": "question", "value": "đăng ký khai sinh cần giấy tờ gì"}]}
    replies, slots = run(ActionRateAnswer(FeedbackStore(db)), "weather.json", latest_message=up)
    assert "cảm ơn" in replies[0].blocks[0].text and slots == {"missed_answers": 0.0}
    stored = rows(db, Rating)[0]
    assert (stored["rating"], stored["procedure_code"], stored["question"]) == (
        "up", "1.001193", "đăng ký khai sinh cần giấy tờ gì")


def test_a_thumbs_down_asks_why_in_one_tap_and_the_second_miss_offers_an_officer(db: Database) -> None:
    down = {"text": "/rate_answer{...}", "intent": {"name": "rate_answer"},
            "entities": [{"entity": "rating", "value": "down"}, {"entity": "rated_code", "value": "1.001193"},
                         {"entity": "question", "value": "làm khai sinh"}]}
    store = FeedbackStore(db)
    replies, slots = run(ActionRateAnswer(store), "weather.json", latest_message=down,
                         slots={"missed_answers": 1.0})
    titles = [c.title for c in replies[0].choices]
    assert titles == ["Sai thủ tục", "Thiếu thông tin", "Khó hiểu", "Gặp cán bộ tư vấn"]
    assert slots["missed_answers"] == 2.0
    reason = {"text": "/rate_reason{...}", "intent": {"name": "rate_reason"},
              "entities": [{"entity": "reason", "value": "missing_info"}]}
    run(ActionRateReason(store), "weather.json", latest_message=reason)
    assert rows(db, Rating)[0]["reason"] == "missing_info"


def test_an_unknown_rating_value_stores_nothing(db: Database) -> None:
    odd = {"text": "x", "intent": {"name": "rate_answer"}, "entities": [{"entity": "rating", "value": "5 sao"}]}
    replies, _ = run(ActionRateAnswer(FeedbackStore(db)), "weather.json", latest_message=odd)
    assert replies == [] and rows(db, Rating) == []
