"""Realistic demo dossiers over real catalogue procedures: some late at a stage, some waiting for supplements,
some ready, some done. Deterministic for a given seed and day."""
from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from dossiers.models import Delivery, DossierData, Stage, Status

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quang", "Thu", "Xuân"]
GIVEN = ["An", "Bình", "Cường", "Dung", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Lan", "Long", "Mai", "Nam", "Phương",
         "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vy", "Yến"]
UNITS = [("000.00.12.H45", "Bộ phận Một cửa UBND phường Lộc Thọ"),
         ("000.00.15.H45", "Bộ phận Một cửa UBND phường Vĩnh Hải"),
         ("000.00.31.H45", "Trung tâm Phục vụ hành chính công tỉnh Khánh Hòa")]
STAGES = [("Tiếp nhận hồ sơ", "Bộ phận Một cửa", "Công chức tiếp nhận", 1),
          ("Thẩm định hồ sơ", "Phòng chuyên môn", "Chuyên viên thụ lý", 4),
          ("Phê duyệt", "Lãnh đạo UBND", "Lãnh đạo phụ trách", 2),
          ("Trả kết quả", "Bộ phận Một cửa", "Công chức trả kết quả", 1)]
MISSING = ["Thiếu bản sao giấy khai sinh có chứng thực", "Tờ khai chưa có chữ ký của người yêu cầu",
           "Cần bổ sung bản chính giấy xác nhận tình trạng hôn nhân", "Ảnh 4x6 không đúng quy cách"]
# (status, how far through the stages, late at the current stage)
PROFILES = [(Status.RECEIVED, 0, False), (Status.IN_PROGRESS, 1, False), (Status.IN_PROGRESS, 1, True),
            (Status.IN_PROGRESS, 2, True), (Status.IN_PROGRESS, 2, False), (Status.NEED_SUPPLEMENT, 1, False),
            (Status.RESULT_READY, 3, False), (Status.RETURNED, 4, False), (Status.REJECTED, 2, False)]


def _stages(received: datetime, done: int, late: bool, now: datetime) -> list[Stage]:
    stages, start = [], received
    for i, (name, office, role, days) in enumerate(STAGES):
        due = start + timedelta(days=days)
        if i < done:
            stages.append(Stage(name=name, office=office, officer_role=role, started_at=start, due_at=due,
                                finished_at=due - timedelta(hours=3)))
            start = due - timedelta(hours=3)
        elif i == done:
            if late:                                   # the stage's deadline is already past
                start = now - timedelta(days=days + 2)
                due = start + timedelta(days=days)
            stages.append(Stage(name=name, office=office, officer_role=role, started_at=start, due_at=due))
        else:
            stages.append(Stage(name=name, office=office, officer_role=role))
    return stages


def demo_dossiers(procedure_codes: list[str], now: datetime, count: int = 300,
                  seed: int = 2026) -> Iterator[tuple[str, DossierData]]:
    rng = random.Random(seed)
    for n in range(count):
        status, done, late = PROFILES[n % len(PROFILES)]
        unit, office = rng.choice(UNITS)
        received = now - timedelta(days=rng.randint(6 if late else 1, 25), hours=rng.randint(0, 8))
        due = received + timedelta(days=8 if not late else 5)
        code = f"{unit}-{received:%y%m%d}-{n + 1:04d}"
        stages = _stages(received, done, late, now)
        current = next((s for s in stages if s.finished_at is None), None)
        yield code, DossierData(
            procedure_code=rng.choice(procedure_codes),
            applicant_name=f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
            phone="09" + "".join(str(rng.randint(0, 9)) for _ in range(8)),
            received_at=received, due_at=max(due, received + timedelta(days=1)), status=status,
            current_office=f"{current.office} — {office}" if current else office,
            delivery_method=rng.choice(list(Delivery)),
            note=rng.choice(MISSING) if status in (Status.NEED_SUPPLEMENT, Status.REJECTED) else None,
            stages=stages,
        )
