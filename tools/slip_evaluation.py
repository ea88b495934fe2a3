"""How well the slip reader reads photographed appointment slips, per kind (QR code, barcode, print only), and
what a misread would have shown.

    python -m tools.slip_evaluation [--per-kind 40] [--seed 2027] [--size 2400x1800]

Each slip (tools/slip_photos.py) is registered as a dossier with its own phone, next to a "neighbour" dossier whose
code differs in one digit (what a misread most likely names), owned by someone else. The code read from the photo
then goes through the same lookup and phone-digit verification as in the chat, with the photographing citizen's
own digits: a wrong code must fail there (or not be found), never show another person's dossier.
Prints, per kind: read right, no code (the citizen is asked to photograph again or type), wrong code, and the
statuses shown for someone else's dossier (must be 0)."""
from __future__ import annotations

import asyncio
import random
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from dossiers.access_store import DossierAccessStore
from dossiers.assistant import DossierAssistant, Outcome
from dossiers.models import DossierData, Status
from dossiers.slips.reader import SlipReader
from dossiers.store import DossierStore
from storage.database import Database
from storage.tables import utcnow
from tools.slip_photos import KINDS, SlipPhoto, photo_arguments, slip_photos


OTHERS_SHOWN = "someone else's dossier shown"


def neighbour(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def dossier(phone: str) -> DossierData:
    now = utcnow()
    return DossierData(procedure_code="1.001193", applicant_name="Người Thử Nghiệm", phone=phone,
                       received_at=now - timedelta(days=2), due_at=now + timedelta(days=3), status=Status.IN_PROGRESS,
                       current_office="UBND phường Lộc Thọ", delivery_method="at_centre")


async def someone_elses_shown(assistant: DossierAssistant, conversation: str, read: str, own_digits: str) -> bool:
    """The citizen's own phone digits are tried on the code read: True if that opened another person's dossier."""
    if (await assistant.look_up(conversation, read)).outcome is not Outcome.FOUND:
        return False
    return (await assistant.verify(conversation, read, own_digits)).outcome is Outcome.VERIFIED


async def evaluate(photos: list[SlipPhoto], folder: Path) -> None:
    db = Database(f"sqlite:///{folder / 'evaluation.db'}")
    db.migrate()
    store = DossierStore(db)
    assistant = DossierAssistant(store, DossierAccessStore(db), lambda _: "Đăng ký khai sinh")
    rng = random.Random(1)
    phones = {}
    for photo in photos:
        phones[photo.code] = f"09{rng.randrange(10**7, 10**8)}"
        await store.save(photo.code, dossier(phones[photo.code]), utcnow())
        if neighbour(photo.code) not in phones:
            await store.save(neighbour(photo.code), dossier(f"08{rng.randrange(10**7, 10**8)}"), utcnow())
    reader = SlipReader()
    counts = {kind: Counter() for kind in KINDS}
    seconds = {kind: [] for kind in KINDS}
    for n, photo in enumerate(photos):
        started = time.perf_counter()
        reading = reader.read(photo.jpeg)
        seconds[photo.kind].append(time.perf_counter() - started)
        tally = counts[photo.kind]
        tally["photos"] += 1
        if reading.code == photo.code:
            tally["right"] += 1
            tally[f"right by {reading.source}"] += 1
        elif reading.code is None:
            tally["no code"] += 1
        else:
            tally["wrong"] += 1
            if await someone_elses_shown(assistant, f"web:eval-{n}", reading.code, phones[photo.code][-4:]):
                tally[OTHERS_SHOWN] += 1
    reader.close()
    db.close()
    print(f"{'kind':<8} {'photos':>6} {'right':>7} {'by symbol':>9} {'by print':>8} {'no code':>7} {'wrong':>5} "
          f"{'others shown':>12} {'mean s':>6}")
    for kind in KINDS:
        t = counts[kind]
        print(f"{kind:<8} {t['photos']:>6} {t['right'] / t['photos']:>7.1%} {t['right by symbol']:>9} "
              f"{t['right by print']:>8} {t['no code']:>7} {t['wrong']:>5} {t[OTHERS_SHOWN]:>12} "
              f"{sum(seconds[kind]) / len(seconds[kind]):>6.2f}")


def main() -> None:
    args, (width, height) = photo_arguments(__doc__, per_kind=40, seed=2027, size="2400x1800")
    photos = slip_photos(args.per_kind, args.seed, (width, height))
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(evaluate(photos, Path(folder)))


if __name__ == "__main__":
    main()
