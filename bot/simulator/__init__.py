"""The fake WeChat platform for tests and the demo: API server (outbound side) and pushing client (inbound)."""

from bot.simulator.inbound import (
    SAMPLE_AMR,
    SAMPLE_JPEG,
    FakeUser,
    InvalidReply,
    WebhookRequest,
    WebhookResult,
    WebhookSender,
    new_aes_key,
    sha1_signature,
)
from bot.simulator.platform import ApiCall, FakeWeChat, InboxMessage, endpoint_key

__all__ = [
    "SAMPLE_AMR",
    "SAMPLE_JPEG",
    "ApiCall",
    "FakeUser",
    "FakeWeChat",
    "InboxMessage",
    "InvalidReply",
    "WebhookRequest",
    "WebhookResult",
    "WebhookSender",
    "endpoint_key",
    "new_aes_key",
    "sha1_signature",
]
