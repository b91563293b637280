"""Queries on the group-risk index (``case_shingles``): add a case's sketch, find candidates, prune."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Case, CaseShingle


async def add_sketch(session: AsyncSession, *, case_id: int, registered_at: datetime, sketch: Sequence[int],
                     bigram_count: int) -> None:
    """Index one case's bigram sketch (one statement, executemany)."""
    if not sketch:
        return
    await session.execute(insert(CaseShingle), [
        {"shingle": h, "registered_at": registered_at, "case_id": case_id, "bigram_count": bigram_count}
        for h in sketch])


async def sketch_matches(session: AsyncSession, hashes: Sequence[int], *, since: datetime, exclude_id: int,
                         min_shared: int, factor: float | None = None,
                         sketch_size: int = 64) -> list[tuple[int, int, int]]:
    """(case id, its distinct bigram count, entries shared) for each case indexed since ``since`` whose
    sketch shares at least ``min_shared`` entries with ``hashes`` — an index range scan per hash.

    With ``factor`` (c) the database also applies the length-aware bar of
    ``nlp.similarity.shared_needed`` squared: shared² >= c * a * b * min(1, k/b)², a = len(hashes),
    b = the stored case's bigram count, k = ``sketch_size``; so only real candidates come back."""
    if not hashes:
        return []
    shared = func.count()
    count = func.max(CaseShingle.bigram_count)
    stmt = (select(CaseShingle.case_id, count, shared.label("shared"))
            .where(CaseShingle.shingle.in_(list(hashes)), CaseShingle.registered_at >= since,
                   CaseShingle.case_id != exclude_id)
            .group_by(CaseShingle.case_id)
            .having(shared >= min_shared))
    if factor is not None:
        k2 = sketch_size * sketch_size
        stmt = stmt.having(shared * shared * count
                           >= factor * len(hashes) * case((count <= sketch_size, count * count), else_=k2))
    return [(int(a), int(b), int(c)) for a, b, c in (await session.execute(stmt)).all()]


async def report_texts(session: AsyncSession, ids: Sequence[int]) -> list[Any]:
    """Light rows (id, content, location_text, latitude, longitude) of the candidate cases."""
    if not ids:
        return []
    stmt = select(Case.id, Case.content, Case.location_text, Case.latitude, Case.longitude).where(
        Case.id.in_(list(ids)))
    return list((await session.execute(stmt)).all())


async def prune(session: AsyncSession, *, before: datetime) -> int:
    """Drop index rows of cases registered before ``before`` (outside every window)."""
    result = await session.execute(delete(CaseShingle).where(CaseShingle.registered_at < before))
    return int(getattr(result, "rowcount", 0) or 0)
