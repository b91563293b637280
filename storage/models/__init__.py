"""All ORM models; importing this package registers every table on ``Base.metadata``."""

from storage.base import Base
from storage.models.campaign import (
    Campaign,
    CampaignDepartment,
    CampaignPhase,
    CampaignProblem,
    CampaignReview,
    CampaignSuggestion,
    CampaignVisit,
)
from storage.models.cases import Attachment, Case, CaseEvent, CaseSequence
from storage.models.console import CaseView, ConsoleLoginToken, ConsoleSession
from storage.models.conversations import Conversation
from storage.models.inbound import InboundMessage
from storage.models.media import MediaBlob
from storage.models.outbox import OutboxMessage
from storage.models.people import BindAttempt, Department, Follower, Person
from storage.models.reception import ReceptionBooking, ReceptionOccurrence, ReceptionSession
from storage.models.risk import CaseShingle
from storage.models.tokens import AccessToken

__all__ = [
    "AccessToken",
    "Attachment",
    "Base",
    "BindAttempt",
    "Campaign",
    "CampaignDepartment",
    "CampaignPhase",
    "CampaignProblem",
    "CampaignReview",
    "CampaignSuggestion",
    "CampaignVisit",
    "Case",
    "CaseEvent",
    "CaseSequence",
    "CaseShingle",
    "CaseView",
    "ConsoleLoginToken",
    "ConsoleSession",
    "Conversation",
    "Department",
    "Follower",
    "InboundMessage",
    "MediaBlob",
    "OutboxMessage",
    "Person",
    "ReceptionBooking",
    "ReceptionOccurrence",
    "ReceptionSession",
]
