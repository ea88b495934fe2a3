"""Ratings of answers: "Câu trả lời có hữu ích không?" with 👍/👎 under some answers (not every message), and a
one-tap reason for a 👎. The picks come only from choices the gateway issued."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from feedback.store import DOWN, REASONS, UP, FeedbackStore
from replies.model import Choice, Reply
from storage.tables import utcnow

RATE, EXPLAIN = "rate_answer", "rate_reason"
ASK_EVERY = 3                      # after the first answer of a conversation, then every third answer
OFFER_AFTER_MISSES = 2             # answers in a row that did not help before an officer is offered
OFFER_HANDOVER = Choice(title="Gặp cán bộ tư vấn", intent="request_human")
OFFER_PROMPT = "Em chưa giúp được anh/chị. Anh/chị có muốn gặp cán bộ tư vấn không ạ?"


def say(dispatcher: CollectingDispatcher, reply: Reply) -> None:
    dispatcher.utter_message(json_message=reply.model_dump(exclude_none=True))


def rating_request(code: str, question: str) -> Reply:
    entities = {"rated_code": code, "question": question[:300]}
    return Reply.plain("Câu trả lời có hữu ích không ạ?", [
        Choice(title="👍 Hữu ích", intent=RATE, entities={"rating": UP, **entities}),
        Choice(title="👎 Chưa hữu ích", intent=RATE, entities={"rating": DOWN, **entities})])


def should_ask(answers_since_rating: Any) -> bool:
    return answers_since_rating is None or int(answers_since_rating) >= ASK_EVERY - 1


def with_officer_offer(reply: Reply, misses: int) -> Reply:
    """After OFFER_AFTER_MISSES answers in a row that did not help, an officer is one tap away."""
    if misses >= OFFER_AFTER_MISSES:
        reply.choices.append(OFFER_HANDOVER)
        reply.choices_prompt = reply.choices_prompt or OFFER_PROMPT
    return reply


def _entity(tracker: Tracker, name: str) -> str | None:
    return next(tracker.get_latest_entity_values(name), None)


class ActionRateAnswer(Action):
    def __init__(self, feedback: FeedbackStore) -> None:
        self._feedback = feedback

    def name(self) -> str:
        return "action_rate_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        rating = _entity(tracker, "rating")
        if rating not in (UP, DOWN):
            return []
        await self._feedback.rate(tracker.sender_id, _entity(tracker, "question") or "", _entity(tracker, "rated_code"),
                                  rating, utcnow())
        if rating == UP:
            say(dispatcher, Reply.plain("Dạ, em cảm ơn anh/chị đã đánh giá! Anh/chị cần hỏi thêm gì cứ nhắn em nhé."))
            return [SlotSet("missed_answers", 0.0)]
        misses = int(tracker.get_slot("missed_answers") or 0) + 1
        reasons = [Choice(title=label, intent=EXPLAIN, entities={"reason": key}) for key, label in REASONS.items()]
        reply = Reply.plain("Dạ, em xin lỗi vì câu trả lời chưa giúp được anh/chị. Câu trả lời chưa ổn ở điểm nào ạ?",
                            reasons)
        say(dispatcher, with_officer_offer(reply, misses))
        return [SlotSet("missed_answers", float(misses))]


class ActionRateReason(Action):
    def __init__(self, feedback: FeedbackStore) -> None:
        self._feedback = feedback

    def name(self) -> str:
        return "action_rate_reason"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        reason = _entity(tracker, "reason")
        if reason in REASONS:
            await self._feedback.explain(tracker.sender_id, reason)
        say(dispatcher, Reply.plain("Dạ, em đã ghi nhận để cán bộ xem lại và cải thiện câu trả lời. Anh/chị có thể "
                                    "hỏi lại với tên thủ tục cụ thể hơn, hoặc nhắn \"gặp cán bộ\" để được hỗ trợ ạ."))
        return []


def feedback_actions(feedback: FeedbackStore) -> list[Action]:
    return [ActionRateAnswer(feedback), ActionRateReason(feedback)]
