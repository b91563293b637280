"""What the console's admin pages read and do, over the services the CLI uses.

Departments, people (add with a binding code, new code, unbind, deactivate), reception sessions,
outbox problems (failed/waiting, retry) and the categorisation rules (a case's keyword explanation,
``rules eval`` on an uploaded labelled CSV). Each is the CLI command's service call, so a change
made here is the change ``xinfang dept|people|reception|outbox|rules`` would make.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import outbox_sender
from bot.runtime import Runtime
from bot.services import people as people_service
from bot.services import reception as reception_service
from nlp import Decision
from nlp.evaluate import DataError, evaluate, read_labelled_csv
from storage.models import Department, OutboxMessage, Person, ReceptionSession
from storage.models.people import ROLES
from storage.repositories.departments import all_departments

MAX_CSV_ROWS = 20_000
ADMIN_ROLES = frozenset({"admin"})
PERSON_ROLES = ROLES


def is_admin(person: Person) -> bool:
    return person.active and person.role in ADMIN_ROLES


async def departments(session: AsyncSession) -> list[Department]:
    return await all_departments(session)


async def add_department(session: AsyncSession, name: str) -> Department:
    return await people_service.add_department(session, name)


async def people(session: AsyncSession) -> list[Person]:
    return await people_service.list_people(session)


async def person(session: AsyncSession, person_id: int) -> Person | None:
    found = await people_service.find_person(session, str(person_id))
    return found[0] if found else None


async def reception_sessions(session: AsyncSession) -> list[ReceptionSession]:
    return await reception_service.all_sessions(session, include_cancelled=True)


def describe_session(s: ReceptionSession) -> dict[str, Any]:
    when = (f"每周{reception_service.WEEKDAY_NAMES[s.weekday]}" if s.weekday is not None
            else (s.on_date.isoformat() if s.on_date else "—"))
    return {"id": s.id, "when": f"{when} {s.start_time:%H:%M}–{s.end_time:%H:%M}",
            "leader": reception_service.leader_title(s), "place": s.place, "form": s.form, "slots": s.slots,
            "cancelled": s.cancelled}


async def add_reception_session(session: AsyncSession, rt: Runtime, **fields: Any) -> ReceptionSession:
    """``xinfang reception add``; raises ``reception.SessionError`` with a reason for bad input."""
    return await reception_service.define_session(session, rt, **fields)


SessionError = reception_service.SessionError


async def outbox_problems(session: AsyncSession, limit: int = 200) -> list[OutboxMessage]:
    return await outbox_sender.problem_messages(session, limit)


async def retry_outbox(session: AsyncSession, rt: Runtime, ids: list[int] | None) -> int:
    return await outbox_sender.retry(session, rt, ids)


def explain(rt: Runtime, text: str) -> Decision:
    """How the current rules categorise ``text``: category, department, score, keywords with weights."""
    return rt.categoriser.categorise(text)


@dataclass(frozen=True)
class Evaluation:
    ok: bool
    error: str = ""
    result: dict[str, Any] | None = None


async def evaluate_csv(rt: Runtime, data: bytes, level: str = "group") -> Evaluation:
    """``xinfang rules eval`` on an uploaded ``text,label`` CSV (UTF-8): accuracy, per class, confusion."""
    if level not in ("group", "category"):
        return Evaluation(False, "层级只能是一级分类或二级类别。")
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Evaluation(False, "文件不是 UTF-8 编码的 CSV。")

    def run() -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="xinfang-eval-") as tmp:
            path = Path(tmp) / "labelled.csv"
            path.write_bytes(data)
            texts, labels = read_labelled_csv(path)
        if len(texts) > MAX_CSV_ROWS:
            raise DataError(f"行数过多（{len(texts)}），每次最多 {MAX_CSV_ROWS} 行")
        return evaluate(rt.categoriser, texts, labels, level=level)

    try:
        result = await asyncio.to_thread(run)
    except DataError as exc:
        message = str(exc).replace(str(Path(tempfile.gettempdir())), "")
        return Evaluation(False, f"无法评估：{message.split(': ', 1)[-1]}（需要 text 和 label 两列）")
    except Exception as exc:  # a malformed CSV (csv.Error, wrong types) is the uploader's problem, not a bug
        return Evaluation(False, f"无法读取该 CSV：{type(exc).__name__}")
    return Evaluation(True, result=result)
