"""Dossier status in the dialogue: the form that asks for the code and the phone digits, the status answer,
subscriptions. The actions only carry words to and from `DossierAssistant`, which keeps everything that must be
trusted (verification, counters) in the database."""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from dossiers import replies
from dossiers.assistant import DossierAssistant, Outcome
from dossiers.codes import extract_dossier_code as find_code
from replies.model import Reply

VERIFIED, STOPPED = "verified", "stopped"          # what the phone-digits slot holds once the form may end
_DIGIT_RUNS = re.compile(r"\d+")
CONTINUE = {Outcome.FOUND, Outcome.VERIFIED}


def say(dispatcher: CollectingDispatcher, reply: Reply) -> None:
    dispatcher.utter_message(json_message=reply.model_dump(exclude_none=True))


def last_four_digits(text: str) -> str | None:
    """"4821", "số cuối là 4821", or a whole phone number typed: its last 4 digits."""
    runs = _DIGIT_RUNS.findall(text.replace(" ", "").replace(".", ""))
    fours = [r for r in runs if len(r) == 4]
    if fours:
        return fours[-1]
    phones = [r for r in runs if len(r) >= 9]
    return phones[-1][-4:] if phones else None


def _text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


def _address(tracker: Tracker) -> str | None:
    """The web client's address key the gateway put in the message metadata (None on other channels)."""
    metadata = tracker.latest_message.get("metadata")
    address = metadata.get("address") if isinstance(metadata, dict) else None
    return address if isinstance(address, str) and address else None


class ValidateDossierForm(FormValidationAction):
    def __init__(self, assistant: DossierAssistant) -> None:
        self._assistant = assistant

    def name(self) -> str:
        return "validate_dossier_form"

    async def extract_dossier_code(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: dict[str, Any]) -> dict[str, Any]:
        """A code anywhere in the message, however typed (spaces, dashes, case), even where NLU saw none."""
        code = find_code(_text(tracker))
        return {"dossier_code": code} if code else {}

    async def validate_dossier_code(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: dict[str, Any]) -> dict[str, Any]:
        code = find_code(str(value or "")) or find_code(_text(tracker))
        if code is None:
            say(dispatcher, replies.no_code_found())
            return {"dossier_code": None}
        step = await self._assistant.look_up(tracker.sender_id, code, _address(tracker))
        if step.outcome not in CONTINUE:
            say(dispatcher, step.reply)
            return {"dossier_code": code, "dossier_phone_digits": STOPPED}
        if step.outcome is Outcome.VERIFIED:
            return {"dossier_code": code, "dossier_phone_digits": VERIFIED}
        return {"dossier_code": code}

    async def validate_dossier_phone_digits(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                            domain: dict[str, Any]) -> dict[str, Any]:
        text = _text(tracker)
        if find_code(text):                   # a (new) code: validate_dossier_code decides this turn
            current = tracker.get_slot("dossier_phone_digits")
            return {"dossier_phone_digits": current if current in (VERIFIED, STOPPED) else None}
        code = tracker.get_slot("dossier_code")
        digits = last_four_digits(text)
        if not code:
            return {"dossier_phone_digits": None}
        if digits is None:
            say(dispatcher, Reply.plain("Dạ, anh/chị nhập giúp em đúng 4 chữ số cuối của số điện thoại ạ."))
            return {"dossier_phone_digits": None}
        step = await self._assistant.verify(tracker.sender_id, code, digits, _address(tracker))
        if step.outcome is Outcome.VERIFIED:
            return {"dossier_phone_digits": VERIFIED}
        say(dispatcher, step.reply)
        return {"dossier_phone_digits": None if step.outcome is Outcome.WRONG else STOPPED}


class DossierAction(Action):
    """An action that asks the dossier assistant (injected)."""

    def __init__(self, assistant: DossierAssistant) -> None:
        self._assistant = assistant


class ActionDossierStatus(DossierAction):
    """Submits the form: the status when verified (checked again in the database), then forgets the slots."""

    def name(self) -> str:
        return "action_dossier_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        code = tracker.get_slot("dossier_code")
        events = [SlotSet("dossier_code", None), SlotSet("dossier_phone_digits", None)]
        if code and tracker.get_slot("dossier_phone_digits") == VERIFIED:
            reply = await self._assistant.status(tracker.sender_id, code)
            say(dispatcher, reply)
            # "thủ tục này cần gì" after the status means the dossier's procedure.
            events += [SlotSet("procedure_code", c) for c in reply.procedure_codes[:1]]
        return events


class ActionSubscribeDossier(DossierAction):
    def name(self) -> str:
        return "action_subscribe_dossier"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        code = next(tracker.get_latest_entity_values("dossier_code"), None) or find_code(_text(tracker))
        code = find_code(code) if code else await self._assistant.last_verified(tracker.sender_id)
        if code is None:
            say(dispatcher, Reply.plain("Dạ, anh/chị muốn em theo dõi hồ sơ nào ạ? Anh/chị nhắn \"tra cứu hồ sơ\" "
                                        "kèm mã hồ sơ, sau khi xác nhận em sẽ đăng ký theo dõi giúp anh/chị."))
            return []
        say(dispatcher, await self._assistant.subscribe(tracker.sender_id, code))
        return []


class ActionUnsubscribeDossier(DossierAction):
    def name(self) -> str:
        return "action_unsubscribe_dossier"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        say(dispatcher, await self._assistant.unsubscribe(tracker.sender_id))
        return []


def dossier_actions(assistant: DossierAssistant) -> list[Action]:
    return [ValidateDossierForm(assistant), ActionDossierStatus(assistant), ActionSubscribeDossier(assistant),
            ActionUnsubscribeDossier(assistant)]
