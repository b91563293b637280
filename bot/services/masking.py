"""Who may see a whistleblower's identity, and what everyone else sees instead (检举控告类).

信访工作条例 art. 30: the identity of a person reporting wrongdoing stays with the 信访 office. For a
检举控告类 case the reporter's name, phone numbers, ID numbers and home address are shown only to the
people entitled to them — the 信访 office's staff (the triage department, ``is_triage``) and the
supervision office (role ``supervisor``) — and masked for everyone else: other departments' staff
and leaders, the admin, a ledger passed between offices, a notice to a department. Other kinds of
case are shown as they are.

The rule is ``bot.case_policy.sees_identity`` (``is_entitled`` here); this module applies it: ``view_for`` gives the fields a screen shows,
``mask_for_viewer`` masks any text about the case (a notice, an event's text, a template field).
The pure text masking is ``nlp.pii.mask_identity``. The stored case is never changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from bot.case_policy import CONFIDENTIAL_KIND, sees_identity
from nlp.pii import mask_identity

WHISTLEBLOWER_KIND = CONFIDENTIAL_KIND
HIDDEN = "（检举控告类，身份保密）"


class Viewer(Protocol):
    """A bound person (``storage.models.Person``): role, active flag and department."""

    role: str
    active: bool
    department: Any


def is_whistleblower_case(case: Any) -> bool:
    return getattr(case, "kind", None) == WHISTLEBLOWER_KIND


def is_entitled(viewer: Viewer | None, case: Any) -> bool:
    """May ``viewer`` see the reporter's identity on ``case``? The rule is the case policy's
    ``sees_identity``: everyone on other kinds of case; on a 检举控告类 case only an active supervisor
    or a member of the 信访 office (triage department); ``viewer=None`` (a file) never."""
    return sees_identity(viewer, case)


def _known(case: Any) -> tuple[str | None, ...]:
    """The identity values recorded on the case, masked wherever they appear."""
    return (getattr(case, "citizen_name", None), getattr(case, "phone", None),
            getattr(case, "location_text", None))


def mask_text(case: Any, text: str | None) -> str:
    """``text`` about a 检举控告类 case with the reporter's identity masked (for a non-entitled reader)."""
    if not text:
        return text or ""
    for field in ("content", "title"):
        # The stored texts are replaced by their masked form first: a notice quoting the title
        # verbatim then carries exactly what 详情 shows.
        value = getattr(case, field, None)
        if value and len(value) >= 2 and value in text:
            text = text.replace(value, mask_identity(value, _known(case)))
    return mask_identity(text, _known(case))


def mask_for_viewer(viewer: Viewer | None, case: Any, text: str | None) -> str:
    """``text`` about ``case`` as ``viewer`` may read it (unchanged when entitled)."""
    if is_entitled(viewer, case):
        return text or ""
    return mask_text(case, text)


def mask_fields_for_viewer(viewer: Viewer | None, case: Any, fields: dict[str, Any] | None) -> dict[str, Any]:
    """Template-message fields about ``case`` as ``viewer`` may read them."""
    if not fields or is_entitled(viewer, case):
        return dict(fields or {})
    return {k: mask_text(case, v) if isinstance(v, str) else v for k, v in fields.items()}


@dataclass(frozen=True)
class IdentityView:
    """The identity-bearing fields of a case as one viewer may see them."""

    title: str
    content: str
    location: str | None
    citizen_name: str | None
    phone: str | None
    masked: bool

    @property
    def hidden_label(self) -> str:
        return HIDDEN


def view_for(viewer: Viewer | None, case: Any) -> IdentityView:
    """What ``viewer`` may see of ``case``'s title, content, place, reporter name and phone."""
    if is_entitled(viewer, case):
        return IdentityView(title=case.title, content=case.content, location=case.location_text,
                        citizen_name=case.citizen_name, phone=case.phone, masked=False)
    return IdentityView(
        title=mask_text(case, case.title), content=mask_text(case, case.content),
        # The place a reporter sends is most often where they live: hidden whole, not pattern-masked.
        location=HIDDEN if case.location_text else None,
        citizen_name=HIDDEN if (case.citizen_name or case.citizen_openid) else None,
        phone=HIDDEN if case.phone else None, masked=True)
