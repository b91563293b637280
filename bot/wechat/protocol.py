"""The inbound half of the WeChat protocol, as pure functions over bytes and strings.

Order matters and is fixed here: verify signatures (constant-time) before decrypting or parsing,
guard the XML against entity tricks before wechatpy's xmltodict sees it, and map every decrypt or
parse failure to one exception type so the webhook answers 400 with no side effect.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from wechatpy.crypto import PrpCrypto
from wechatpy.parser import parse_message


class BadRequest(Exception):
    """The body could not be decrypted or parsed; answer 400 and store nothing."""


def sha1_signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def signature_ok(expected_parts: tuple[str, ...], given: str | None) -> bool:
    if not given:
        return False
    return hmac.compare_digest(sha1_signature(*expected_parts), given.lower())


def timestamp_fresh(timestamp: str | None, now: float, window: int) -> bool:
    try:
        ts = int(timestamp or "")
    except ValueError:
        return False
    return abs(now - ts) <= window


# The inbound log's column widths (storage.models.inbound).
DEDUPE_KEY_MAX = 128
MAX_NONCE = 64


def replay_key(timestamp: str, nonce: str) -> str:
    """The signed query's (timestamp, nonce) pair as the inbound log stores it: one delivery each.

    The timestamp is zero-padded so keys sort by time and the sweep is a range on the same index.
    ``timestamp`` has passed ``timestamp_fresh``; a nonce longer than WeChat's is refused.
    """
    if not nonce or len(nonce) > MAX_NONCE:
        raise BadRequest("missing or oversized nonce")
    return f"{int(timestamp):011d}:{nonce}"


def replay_key_cutoff(before: float) -> str:
    """Every replay key of a timestamp earlier than ``before`` sorts below this string."""
    return f"{max(int(before), 0):011d}:"


def _aes_key(encoding_aes_key: str) -> bytes:
    key = base64.b64decode(encoding_aes_key + "=")
    if len(key) != 32:
        raise ValueError("EncodingAESKey must be 43 characters of base64 (32 bytes)")
    return key


def guard_xml(text: str) -> dict[str, Any]:
    """Parse untrusted XML into a flat dict of the ``<xml>`` root's children, refusing DTDs/entities."""
    try:
        root = SafeET.fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, SafeET.ParseError, ValueError) as exc:
        raise BadRequest(f"malformed or hostile XML: {type(exc).__name__}") from exc
    if root.tag != "xml":
        raise BadRequest(f"unexpected root element {root.tag!r}")
    return {child.tag: (child.text or "") for child in root}


@dataclass
class Inbound:
    """A verified, decrypted, parsed inbound delivery."""

    fields: dict[str, Any]
    xml: str
    # Index into the configured AES keys that decrypted it (reply with the same key); None = plaintext.
    key_index: int | None
    # The signed query's (timestamp, nonce) as ``replay_key``; set by the webhook.
    query_key: str | None = None

    @functools.cached_property
    def message(self) -> Any:
        """The wechatpy message or event object, parsed on first use (no handler needs it yet)."""
        return parse_message(self.xml)

    @functools.cached_property
    def dedupe_key(self) -> str:
        f = self.fields
        msg_id = f.get("MsgId") or f.get("MsgID")
        if msg_id and f.get("MsgType") != "event":
            return f"m:{msg_id}"
        # Events carry no MsgId: WeChat's documented retry key is FromUserName + CreateTime. Two menu
        # clicks (EventKey) or two template delivery reports (MsgID) can share a second, so they are
        # part of the key too. The EventKey enters hashed: a QR scene may be a one-time binding code.
        key = "e:{}:{}:{}".format(f.get("FromUserName", ""), f.get("CreateTime", ""), f.get("Event", ""))
        event_key = f.get("EventKey") or ""
        if event_key:
            key += ":k" + hashlib.sha1(event_key.encode("utf-8")).hexdigest()[:16]
        if msg_id:
            key += f":m{msg_id}"
        if len(key) > DEDUPE_KEY_MAX:
            key = "e:" + hashlib.sha1(key.encode("utf-8")).hexdigest()
        return key


def decrypt_body(
    body: bytes, *, token: str, timestamp: str, nonce: str, msg_signature: str | None,
    aes_keys: list[str], appid: str,
) -> tuple[str, int]:
    """Verify ``msg_signature`` over the <Encrypt> element, then decrypt with the first key that works."""
    try:
        outer = guard_xml(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BadRequest("body is not UTF-8") from exc
    encrypt = outer.get("Encrypt")
    if not encrypt:
        raise BadRequest("no <Encrypt> element in safe mode")
    if not signature_ok((token, timestamp, nonce, encrypt), msg_signature):
        raise PermissionError("bad msg_signature")
    last_error: Exception | None = None
    for index, key in enumerate(aes_keys):
        try:
            plain = PrpCrypto(_aes_key(key)).decrypt(encrypt, appid)
            return (plain.decode("utf-8") if isinstance(plain, bytes) else plain), index
        except Exception as exc:  # wechatpy raises many types here (binascii, ValueError, appid...)
            last_error = exc
    raise BadRequest(f"cannot decrypt: {type(last_error).__name__}")


def parse_inbound(xml: str, key_index: int | None) -> Inbound:
    fields = guard_xml(xml)
    if not fields.get("MsgType") or not fields.get("FromUserName"):
        raise BadRequest("missing MsgType or FromUserName")
    return Inbound(fields=fields, xml=xml, key_index=key_index)


# XML 1.0 forbids most C0 controls; WeChat drops replies that contain them.
_FORBIDDEN_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def cdata(text: str) -> str:
    text = _FORBIDDEN_XML_CHARS.sub("", text)
    # "]]>" would close the section early: split it across two CDATA sections.
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def render_text_reply(*, to_user: str, from_user: str, content: str, create_time: int) -> str:
    return (
        "<xml>"
        f"<ToUserName>{cdata(to_user)}</ToUserName>"
        f"<FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{create_time}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(content)}</Content>"
        "</xml>"
    )


def encrypt_reply(xml: str, *, token: str, aes_key: str, appid: str, timestamp: str | None = None,
                  nonce: str | None = None) -> str:
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or secrets.token_hex(8)
    encrypt = PrpCrypto(_aes_key(aes_key)).encrypt(xml, appid)
    encrypt = encrypt.decode() if isinstance(encrypt, bytes) else encrypt
    signature = sha1_signature(token, timestamp, nonce, encrypt)
    return (
        "<xml>"
        f"<Encrypt><![CDATA[{encrypt}]]></Encrypt>"
        f"<MsgSignature><![CDATA[{signature}]]></MsgSignature>"
        f"<TimeStamp>{timestamp}</TimeStamp>"
        f"<Nonce><![CDATA[{nonce}]]></Nonce>"
        "</xml>"
    )
