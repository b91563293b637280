"""Typed data of a conversation: a dataclass kept as the conversation record's JSON ``data``.

The chat flows (``handlers.flows``) subclass it for their state, and so does the report draft
(``bot.services.report_drafts.ReportDraft``), which the draft-reminder job reads as well.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Self


@dataclasses.dataclass
class ConversationData:
    """Unknown keys in a stored record are ignored and missing ones take their defaults, so a record
    written by an older or newer version still loads."""

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Self:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in names})

    def to_dict(self) -> dict[str, Any]:
        # Not ``dataclasses.asdict``: its deep copy was the largest part of a first message's
        # bookkeeping. Fields hold JSON values; lists and dicts are copied one level, so a flow
        # that appends to its data after saving does not change what was saved.
        return {name: value.copy() if isinstance(value, list | dict) else value
                for name, value in ((f.name, getattr(self, f.name)) for f in dataclasses.fields(self))}
