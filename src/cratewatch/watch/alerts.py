"""Alerts ``watch`` emits (one JSON object per line) and their delivery to a webhook.

An alert says which version was published, what inspect found at or above the alert threshold,
and which popular crates the name imitates. Webhook delivery is bounded: a timeout per request
and a fixed number of retries with backoff; a failure is returned, never raised.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from cratewatch import __version__
from cratewatch.inspect.model import Inspected, NotInspected, Outcome, Severity
from cratewatch.inspect.typosquat.match import Candidate
from cratewatch.report.inspect_json import signal_to_json
from cratewatch.report.typosquat import candidate_to_json
from cratewatch.watch.follow import Publish

__all__ = ["DeliveryFailure", "Webhook", "build_alert"]

SCHEMA = "cratewatch-watch-alert/1"


def build_alert(
    publish: Publish,
    outcome: Outcome,
    candidates: Sequence[Candidate],
    *,
    alert_on: Severity,
    index: str,
) -> dict[str, Any]:
    """The alert document for one publish."""
    entry = publish.entry
    alert: dict[str, Any] = {
        "schema": SCHEMA,
        "index": index,
        "crate": entry.name,
        "version": entry.vers,
        "new_crate": publish.new_crate,
        "commit": publish.commit,
        "published_at": publish.published_at.isoformat() if publish.published_at else None,
        "checksum": entry.cksum,
    }
    match outcome:
        case Inspected(report=report):
            maximum = report.max_severity
            alert |= {
                "inspected": True,
                "origin": report.origin,
                "max_severity": maximum.value if maximum is not None else None,
                "reasons": _reasons(report.reaches(alert_on), candidates),
                "signals": [signal_to_json(s) for s in report.signals if s.severity >= alert_on],
            }
        case NotInspected(reason=reason):
            alert |= {
                "inspected": False,
                "not_inspected": reason,
                "max_severity": None,
                "reasons": ["not-inspected", *_reasons(False, candidates)],
                "signals": [],
            }
    alert["typosquat"] = [candidate_to_json(c) for c in candidates]
    return alert


def _reasons(severe: bool, candidates: Sequence[Candidate]) -> list[str]:
    reasons = []
    if severe:
        reasons.append("inspect")
    if candidates:
        reasons.append("typosquat")
    return reasons


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryFailure:
    """A webhook POST that did not succeed after every retry."""

    url: str
    """The webhook."""
    crate: str
    """Which alert."""
    reason: str
    """The last error."""


class Webhook:
    """POSTs alerts as JSON with a timeout and bounded retries."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = url
        """Where alerts go."""
        self._retries = retries
        self._backoff = backoff
        self._sleep = sleep
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": f"cratewatch/{__version__}"},
            follow_redirects=False,
        )

    def send(self, alert: dict[str, Any]) -> DeliveryFailure | None:
        """Deliver one alert; ``None`` on success (any 2xx)."""
        reason = ""
        for attempt in range(self._retries + 1):
            try:
                response = self._client.post(self.url, json=alert)
            except httpx.HTTPError as e:
                reason = f"{type(e).__name__}: {e}"
            else:
                if 200 <= response.status_code < 300:
                    return None
                reason = f"HTTP {response.status_code}"
                if 400 <= response.status_code < 500 and response.status_code != 429:
                    break  # the receiver refuses this alert: retrying will not help
            if attempt < self._retries:
                self._sleep(self._backoff * 2**attempt)
        return DeliveryFailure(
            url=self.url, crate=f"{alert['crate']}@{alert['version']}", reason=reason
        )

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()
