"""The handover desk: a citizen asks for an officer (or accepts the offer), waits in a queue told their place,
an officer claims the conversation, talks, then hands it back or closes it. While an officer holds it the assistant
is silent there. Everything that decides who speaks lives in the database.

Nothing stays stuck: a claim whose officer has gone (no reply and the console closed for the idle time) goes back to
the queue, or, once the office has closed, back to the assistant, and the citizen is told; an administrator can take
over or reassign a claim."""
from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from cluster.rounds import every
from handover.hours import OfficeHours, when
from handover.store import CLAIMED, CLOSED, RELEASED, WAITING, Handoff, HandoffStore
from replies.model import Reply
from storage.tables import utcnow

Push = Callable[[str, str, list[Reply]], Awaitable[int]]        # (channel, sender_id, replies) -> undelivered
PHONE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[ .]?\d){9,10}(?!\d)")
OFFICER_PREFIX = "Cán bộ tư vấn: "
CLAIMED_TEXT = "Dạ, cán bộ tư vấn đã tiếp nhận cuộc trò chuyện và sẽ trả lời anh/chị ngay tại đây ạ."
RELEASED_TEXT = ("Dạ, cán bộ tư vấn đã chuyển cuộc trò chuyện lại cho trợ lý ảo. Anh/chị cần hỏi thêm thủ tục nào "
                 "cứ nhắn em nhé.")
REQUEUED_TEXT = ("Dạ, cán bộ tư vấn vừa phải tạm rời cuộc trò chuyện. Yêu cầu của anh/chị đã được đưa lại vào hàng "
                 "chờ; cán bộ khác sẽ trả lời anh/chị ngay tại đây. Trong lúc chờ, anh/chị vẫn có thể hỏi em ạ.")
AFTER_HOURS_TEXT = ("Dạ, đã hết giờ làm việc của bộ phận tư vấn nên cuộc trò chuyện được chuyển lại cho trợ lý ảo. "
                    "Anh/chị cần hỏi thêm thủ tục nào cứ nhắn em; khi cần gặp cán bộ, anh/chị nhắn \"gặp cán bộ\" "
                    "trong giờ làm việc ({hours}) ạ.")
CLOSED_TEXT = ("Dạ, cán bộ tư vấn đã kết thúc cuộc trò chuyện. Cảm ơn anh/chị; khi cần, anh/chị cứ nhắn em để tra "
               "cứu thủ tục hoặc gặp lại cán bộ ạ.")
ENDED = {RELEASED: "được trả lại cho trợ lý ảo", CLOSED: "kết thúc"}


class HandoverConflict(Exception):
    """The officer cannot do this to this request now (the message says why, in Vietnamese)."""


def split(conversation_id: str) -> tuple[str, str]:
    channel, _, sender_id = conversation_id.partition(":")
    return channel, sender_id


class HandoverDesk:
    def __init__(self, store: HandoffStore, hours: OfficeHours, push: Push,
                 clock: Callable[[], datetime] = utcnow, presence_window: timedelta = timedelta(minutes=3),
                 idle: timedelta = timedelta(minutes=15)) -> None:
        self.store = store
        self.hours = hours
        self._push = push
        self._clock = clock
        self._presence_window = presence_window
        self._idle = idle

    async def held(self, channel: str, sender_id: str) -> bool:
        """An officer holds this conversation: the assistant must stay silent."""
        found = await self.store.open_for(channel, sender_id)
        return found is not None and found.status == CLAIMED

    async def request(self, conversation_id: str, reason: str, last_answer: str | None) -> Reply:
        channel, sender_id = split(conversation_id)
        now = self._clock()
        handoff, new = await self.store.request(channel, sender_id, reason, last_answer, now)
        place = await self.store.position(handoff.id)
        if not new:
            return Reply.plain(f"Dạ, yêu cầu gặp cán bộ của anh/chị đã ở trong hàng chờ (vị trí số {place}). "
                               "Cán bộ sẽ trả lời ngay tại đây; trong lúc chờ anh/chị vẫn có thể hỏi em ạ.")
        if self.hours.is_open(now) and await self.store.officers_online(now - self._presence_window):
            return Reply.plain(f"Dạ, em đã chuyển yêu cầu của anh/chị đến cán bộ tư vấn. Anh/chị đang ở vị trí số "
                               f"{place} trong hàng chờ; cán bộ sẽ trả lời ngay tại đây. Trong lúc chờ, anh/chị vẫn "
                               "có thể hỏi em ạ.")
        opening = self.hours.next_opening(now)
        why = ("hiện chưa có cán bộ trực tuyến" if self.hours.is_open(now)
               else f"hiện đang ngoài giờ làm việc ({self.hours.describe()})")
        later = f"từ {when(opening)}" if opening and not self.hours.is_open(now) else "sớm nhất có thể"
        return Reply.plain(f"Dạ, {why}. Yêu cầu của anh/chị đã được ghi lại (vị trí số {place} trong hàng chờ); "
                           f"cán bộ sẽ trả lời anh/chị {later}. Nếu muốn được gọi lại, anh/chị có thể để lại số "
                           "điện thoại ạ.")

    async def note_contact(self, channel: str, sender_id: str, text: str) -> Reply | None:
        """A phone number left while waiting for an officer is kept with the request."""
        found = PHONE.search(text)
        if found is None:
            return None
        handoff = await self.store.open_for(channel, sender_id)
        if handoff is None or handoff.status != WAITING:
            return None
        await self.store.set_contact(handoff.id, re.sub(r"[ .]", "", found.group(0)))
        return Reply.plain("Dạ, em đã ghi lại số điện thoại; cán bộ tư vấn sẽ liên hệ với anh/chị ạ.")

    async def _get(self, handoff_id: int) -> Handoff:
        handoff = await self.store.get(handoff_id)
        if handoff is None:
            raise HandoverConflict("Không có yêu cầu này.")
        return handoff

    async def claim(self, handoff_id: int, username: str) -> Handoff:
        if not await self.store.claim(handoff_id, username, self._clock()):
            handoff = await self._get(handoff_id)
            if handoff.status == CLAIMED:
                raise HandoverConflict(f"Cán bộ {handoff.claimed_by} đang hỗ trợ cuộc trò chuyện này.")
            raise HandoverConflict("Yêu cầu này đã kết thúc.")
        handoff = await self._get(handoff_id)
        await self._push(handoff.channel, handoff.sender_id, [Reply.plain(CLAIMED_TEXT)])
        return handoff

    async def _held_by(self, handoff_id: int, username: str, doing: str) -> Handoff:
        """The request, if `username` holds it; otherwise why they cannot do `doing` (e.g. "trả lời") now."""
        handoff = await self._get(handoff_id)
        if handoff.status == CLAIMED and handoff.claimed_by == username:
            return handoff
        if handoff.status == CLAIMED:
            raise HandoverConflict(f"Cán bộ {handoff.claimed_by} đang hỗ trợ cuộc trò chuyện này; "
                                   f"anh/chị không thể {doing}.")
        if handoff.status in ENDED:
            raise HandoverConflict(f"Cuộc trò chuyện đã {ENDED[handoff.status]}; không thể {doing} nữa.")
        raise HandoverConflict(f"Anh/chị cần nhận hỗ trợ trước khi {doing}.")

    async def say(self, handoff_id: int, username: str, text: str) -> int:
        """The officer's words to the citizen, on the citizen's channel; how many could not be delivered."""
        handoff = await self._held_by(handoff_id, username, "trả lời")
        await self.store.active(handoff_id, username, self._clock())
        return await self._push(handoff.channel, handoff.sender_id, [Reply.plain(OFFICER_PREFIX + text)])

    async def reassign(self, handoff_id: int, username: str) -> Handoff:
        """An administrator takes over an open request or hands it to `username`, whoever held it; a citizen still
        waiting is told an officer has it."""
        before = await self.store.reassign(handoff_id, username, self._clock())
        if before is None:
            await self._get(handoff_id)                              # raises when there is no such request
            raise HandoverConflict("Yêu cầu này đã kết thúc.")
        handoff = await self._get(handoff_id)
        if before == WAITING:
            await self._push(handoff.channel, handoff.sender_id, [Reply.plain(CLAIMED_TEXT)])
        return handoff

    async def sweep(self) -> int:
        """Claims whose officer has gone: back to the queue while the office is open, back to the assistant once
        it has closed; the citizen is told. Safe in several processes (each claim is moved once). How many moved."""
        now = self._clock()
        open_now = self.hours.is_open(now)
        status, text = (WAITING, REQUEUED_TEXT) if open_now else \
            (RELEASED, AFTER_HOURS_TEXT.format(hours=self.hours.describe()))
        moved = 0
        for handoff in await self.store.gone(now - self._idle):
            if await self.store.unclaim(handoff, status, now):
                moved += 1
                await self._push(handoff.channel, handoff.sender_id, [Reply.plain(text)])
        return moved

    async def keep_unstuck(self, interval: float) -> None:
        """The gateway's loop around `sweep`."""
        await every(interval, self.sweep, "handover sweep")

    async def end(self, handoff_id: int, username: str, close: bool) -> Handoff:
        """Hand the conversation back to the assistant, or close it; the citizen is told."""
        if not await self.store.end(handoff_id, username, CLOSED if close else RELEASED, self._clock()):
            await self._held_by(handoff_id, username, "kết thúc" if close else "trả lại cho trợ lý ảo")  # raises
        handoff = await self._get(handoff_id)
        await self._push(handoff.channel, handoff.sender_id, [Reply.plain(CLOSED_TEXT if close else RELEASED_TEXT)])
        return handoff

    async def seen(self, username: str) -> None:
        await self.store.seen(username, self._clock())
