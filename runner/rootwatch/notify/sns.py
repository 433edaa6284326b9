"""Amazon SNS: publish to a topic through boto3, one message per protocol (``MessageStructure=json``).

Subscribers get what suits them: ``email`` the text body, ``email-json``, ``sqs``, ``lambda``,
``http`` and ``https`` the JSON payload (docs/alerts.md), ``sms`` the subject and the first lines
(about 160 characters), and ``default`` the text body for any other protocol. The subject is cut to
SNS's 100 ASCII characters.

Settings: ``topic_arn`` (its region is the topic's), ``profile``, ``region`` (overrides the ARN's),
``endpoint_url`` (a VPC endpoint or a local test server). Credentials come from boto3's usual chain.
On the command line: ``--notify sns:arn:aws:sns:us-east-1:123456789012:root-alerts``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from rootwatch.notify import DeliveryError
from rootwatch.notify.config import Options
from rootwatch.notify.message import Message

MESSAGE_LIMIT = 256 * 1024
SUBJECT_LIMIT = 99
_ARN = re.compile(r"^arn:aws[a-z-]*:sns:(?P<region>[a-z0-9-]+):\d{12}:[A-Za-z0-9_.-]{1,256}$")
# Errors where trying again cannot help: the topic, the caller's rights or the request are wrong.
FINAL_ERRORS = {"NotFound", "NotFoundException", "AuthorizationError", "InvalidParameter", "InvalidParameterValue",
                "InvalidClientTokenId", "AccessDenied", "AccessDeniedException", "KMSAccessDenied", "KMSDisabled",
                "UnrecognizedClientException", "ExpiredToken", "InvalidSecurity"}  # fmt: skip


@dataclass(frozen=True)
class SnsNotifier:
    topic_arn: str
    region: str
    profile: str | None = None
    endpoint_url: str | None = None
    carries_files = False

    @property
    def description(self) -> str:
        return f"sns topic {self.topic_arn}"

    def send(self, message: Message, timeout: float) -> None:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        config = Config(connect_timeout=timeout, read_timeout=timeout, retries={"total_max_attempts": 1})
        try:
            session = boto3.Session(profile_name=self.profile, region_name=self.region)
            client = session.client("sns", endpoint_url=self.endpoint_url, config=config)
            client.publish(TopicArn=self.topic_arn, Subject=sns_subject(message.subject),
                           MessageStructure="json", Message=json.dumps(structured(message)))  # fmt: skip
        except NoCredentialsError:
            raise DeliveryError("no AWS credentials for SNS (set a profile, environment credentials or a role)", retryable=False) from None
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            raise DeliveryError(f"SNS publish to {self.topic_arn} failed: {code}: {error.get('Message', '')}", retryable=code not in FINAL_ERRORS) from None
        except BotoCoreError as exc:
            raise DeliveryError(f"SNS publish to {self.topic_arn} failed: {exc}", retryable=True) from None


def sns_subject(subject: str) -> str:
    """ASCII, one line, under 100 characters, starting with a letter, digit or punctuation (SNS's rules)."""
    ascii_text = unicodedata.normalize("NFKD", subject).encode("ascii", "ignore").decode("ascii")
    one_line = " ".join(ascii_text.split()) or "rootwatch"
    return one_line if len(one_line) <= SUBJECT_LIMIT else one_line[: SUBJECT_LIMIT - 3] + "..."


def structured(message: Message) -> dict[str, str]:
    """The per-protocol messages of one publish, within SNS's 256 KB."""
    payload = json.dumps(message.payload, ensure_ascii=False, default=str)
    text = message.text
    if len(payload.encode("utf-8")) > MESSAGE_LIMIT // 2:
        # Too big for one publish with the other renderings: send the items, not the findings export.
        trimmed = {k: v for k, v in message.payload.items() if k != "findings"} | {"findings_omitted": True}
        payload = json.dumps(trimmed, ensure_ascii=False, default=str)
    if len(text.encode("utf-8")) > MESSAGE_LIMIT // 4:
        text = text.encode("utf-8")[: MESSAGE_LIMIT // 4].decode("utf-8", "ignore") + "\n... (cut to fit SNS)\n"
    machine = {proto: payload for proto in ("email-json", "sqs", "lambda", "http", "https", "firehose")}
    return {"default": text, "email": text, "sms": message.short, **machine}


def from_target(value: str) -> dict[str, Any]:
    return {"topic_arn": value}


def build(options: Options) -> SnsNotifier:
    options.check_keys({"topic_arn", "profile", "region", "endpoint_url"})
    arn = options.text("topic_arn", required=True) or ""
    match = _ARN.match(arn)
    if not match:
        raise options.error("topic_arn", f"{arn!r} is not an SNS topic ARN", hint="arn:aws:sns:REGION:ACCOUNT:TOPIC")
    endpoint = options.text("endpoint_url")
    if endpoint and not endpoint.startswith(("http://", "https://")):
        raise options.error("endpoint_url", "endpoint_url must be an http:// or https:// URL")
    return SnsNotifier(arn, options.text("region") or match.group("region"), options.text("profile"), endpoint)
