"""ExamClient: the desk's side of the candidate API (docs/exam-server.md).

Why stdlib `urllib` only: the pygame desk imports this at start and must open fast, and a
candidate's machine should need nothing beyond shapan itself. Every answer of the server maps to
one return value or one `ClientError` subclass, so the desk decides what to do from the type:

- `ConnectionLost`: the network, a timeout or a 5xx — retry the same call later (a decision is
  idempotent per `seq`: a replay after a lost acknowledgement comes back as `Rejected` with
  `head_seq` already at that `seq`);
- `Rejected` (409): wrong `seq` or time out of range — resynchronise from `head_seq`;
- `AttemptClosed` (410): the attempt is over — `result` holds the signed result when sent;
- `UnknownCode` (404), `NotYet` (403): the code is wrong or the retake wait is not over.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from http.client import HTTPException
from typing import Any

__all__ = [
    "AttemptClosed",
    "ClientError",
    "ConnectionLost",
    "ExamClient",
    "NotYet",
    "Rejected",
    "UnknownCode",
]

API = "/api/v1"


def _words(answer: Any, default_en: str, default_zh: str) -> dict[str, str]:
    """The server's bilingual error text, or the defaults when the answer has none."""
    err = answer.get("error") if isinstance(answer, dict) else None
    if isinstance(err, dict) and isinstance(err.get("en"), str):
        zh = err.get("zh-CN")
        return {"en": err["en"], "zh-CN": zh if isinstance(zh, str) else err["en"]}
    if isinstance(err, str):
        return {"en": err, "zh-CN": err}
    return {"en": default_en, "zh-CN": default_zh}


class ClientError(Exception):
    """Any failure of a call to the exam server. `str()` is one line in English; `words`
    holds the same in zh-CN and en for the desk's screen."""

    def __init__(
        self,
        words: dict[str, str],
        *,
        status: int | None = None,
        answer: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(words["en"])
        self.words = words
        self.status = status
        self.answer: dict[str, Any] = answer if answer is not None else {}

    def message(self, lang: str = "en") -> str:
        return self.words.get(lang, self.words["en"])


class ConnectionLost(ClientError):
    """The server could not be reached or failed (network, timeout, 5xx): retryable."""


class Rejected(ClientError):
    """409: the server refused the call as out of order; carries `head_seq`, `server_now_s`."""

    def __init__(self, status: int, answer: dict[str, Any]) -> None:
        super().__init__(
            _words(answer, "the server refused this call", "服务器拒绝了此操作"),
            status=status,
            answer=answer,
        )
        head = answer.get("head_seq")
        now = answer.get("server_now_s")
        self.head_seq: int | None = head if isinstance(head, int) else None
        self.server_now_s: float | None = (
            float(now) if isinstance(now, (int, float)) and not isinstance(now, bool) else None
        )


class AttemptClosed(ClientError):
    """410: the attempt is finished; `result` is its signed result when the server sent it."""

    def __init__(self, status: int, answer: dict[str, Any]) -> None:
        super().__init__(
            _words(answer, "this attempt is already finished", "本次考试已结束"),
            status=status,
            answer=answer,
        )
        result = answer.get("result")
        self.result: dict[str, Any] | None = result if isinstance(result, dict) else None


class UnknownCode(ClientError):
    """404: no attempt has this candidate code."""


class NotYet(ClientError):
    """403: the retake wait is not over (or the exam is not open to this code yet)."""


def _finite(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    return float(value)


class ExamClient:
    """One candidate's connection to one attempt. `open()` first: it trades the code for the
    attempt's bearer token, which every later call sends. Opening again (after a crash, with a
    new client) resumes the same attempt."""

    def __init__(self, base_url: str, code: str, timeout: float = 5.0) -> None:
        parts = urllib.parse.urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ClientError(
                {
                    "en": f"not an exam server address: {base_url!r} (expected http://host:port)",
                    "zh-CN": f"不是考试服务器地址：{base_url!r}（应为 http://主机:端口）",
                }
            )
        self.base_url = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
        self.code = code
        self.timeout = timeout
        self.token: str | None = None

    # --- the candidate API -------------------------------------------------------------

    def open(self) -> dict[str, Any]:
        """Open (or resume) the attempt: `{"token", "attempt", "exam", "journal"}`."""
        answer = self._call("POST", "/attempts/open", {"code": self.code}, auth=False)
        token = answer.get("token")
        if not isinstance(token, str) or not token:
            raise ConnectionLost(
                {"en": "the server's answer has no token", "zh-CN": "服务器的应答缺少令牌"},
                answer=answer,
            )
        self.token = token
        return answer

    def decide(self, seq: int, t: float, contact_id: str, choice_id: str) -> dict[str, Any]:
        """Send decision number `seq`; returns the acknowledgement once it is durable:
        `{"seq", "hash", "received_at", "server_now_s"}`."""
        body = {
            "seq": int(seq),
            "t": _finite("t", t),
            "contact_id": str(contact_id),
            "choice_id": str(choice_id),
        }
        return self._call("POST", "/attempts/decisions", body)

    def heartbeat(self, contact_id: str | None) -> dict[str, Any]:
        """Tell the server the desk is alive and on which contact: `{"server_now_s", "status"}`."""
        return self._call("POST", "/attempts/heartbeat", {"contact_id": contact_id})

    def finish(self) -> dict[str, Any]:
        """Close the attempt; the server grades it by replay. Returns the signed result."""
        return self._result(self._call("POST", "/attempts/finish", {}))

    def result(self) -> dict[str, Any]:
        """The signed result of a finished attempt (`Rejected` while it is still active)."""
        return self._result(self._call("GET", "/attempts/result", None))

    def public_key_pem(self) -> str:
        """The Ed25519 public key (PEM) the server signs results with."""
        raw = self._send("GET", "/public-key", None, auth=False)
        return raw.decode("utf-8")

    # --- plumbing ----------------------------------------------------------------------

    @staticmethod
    def _result(answer: dict[str, Any]) -> dict[str, Any]:
        result = answer.get("result")
        if not isinstance(result, dict):
            raise ConnectionLost(
                {"en": "the server's answer has no result", "zh-CN": "服务器的应答缺少成绩"},
                answer=answer,
            )
        return result

    def _call(
        self, method: str, path: str, body: dict[str, Any] | None, *, auth: bool = True
    ) -> dict[str, Any]:
        raw = self._send(method, path, body, auth=auth)
        try:
            answer = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            answer = None
        if not isinstance(answer, dict):
            raise ConnectionLost(
                {"en": "the server's answer is not JSON", "zh-CN": "服务器的应答不是 JSON"}
            )
        return answer

    def _send(self, method: str, path: str, body: dict[str, Any] | None, *, auth: bool) -> bytes:
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if auth:
            if self.token is None:
                raise ClientError(
                    {"en": "open the attempt first", "zh-CN": "请先打开考试"}, status=None
                )
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(
            self.base_url + API + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload: bytes = response.read()
                return payload
        except urllib.error.HTTPError as err:
            status = err.code
            try:
                payload = err.read()
            except (OSError, HTTPException):
                payload = b""
            finally:
                err.close()
            raise self._error(status, payload) from None
        except (TimeoutError, urllib.error.URLError, OSError, HTTPException) as err:
            reason = getattr(err, "reason", err)
            raise ConnectionLost(
                {
                    "en": f"cannot reach the exam server {self.base_url}: {reason}",
                    "zh-CN": f"无法连接考试服务器 {self.base_url}：{reason}",
                }
            ) from None

    def _error(self, status: int, payload: bytes) -> ClientError:
        try:
            parsed = json.loads(payload.decode("utf-8")) if payload else None
        except (UnicodeDecodeError, ValueError):
            parsed = None
        answer: dict[str, Any] = parsed if isinstance(parsed, dict) else {}
        if status >= 500:
            return ConnectionLost(
                _words(
                    answer,
                    f"the exam server failed (HTTP {status}); try again",
                    f"考试服务器出错（HTTP {status}），请重试",
                ),
                status=status,
                answer=answer,
            )
        if status == 409:
            return Rejected(status, answer)
        if status == 410:
            return AttemptClosed(status, answer)
        if status == 404:
            return UnknownCode(
                _words(answer, "unknown candidate code", "考生码不存在"),
                status=status,
                answer=answer,
            )
        if status == 403:
            return NotYet(
                _words(answer, "this code may not start yet", "此考生码暂不能开始"),
                status=status,
                answer=answer,
            )
        return ClientError(
            _words(answer, f"the exam server refused the call (HTTP {status})",
                   f"考试服务器拒绝了请求（HTTP {status}）"),
            status=status,
            answer=answer,
        )  # fmt: skip
