"""A small HTTP client of the verification service (`verifier.service`), without Streamlit.

Base URL from `Settings.verifier_url`, bearer token from `Settings.verifier_token`. Every failure
becomes a `VerifierUnavailable` (the service is down or unreachable) or a `VerifierError` (the
service answered with an error) whose message is Chinese and safe to show.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from anpei.settings import Settings, get_settings
from verifier.contract import JobResults

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 30.0
UPLOAD_TIMEOUT_S = 120.0


class VerifierError(Exception):
    """The service refused or failed a request; `message` is Chinese."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class VerifierUnavailable(VerifierError):
    """The service cannot be reached (not started, wrong address, network)."""


@dataclass(frozen=True)
class Captcha:
    """A captcha waiting for a person: the PNG and who it is for (ID masked)."""

    job_id: int
    image_png: bytes
    name: str
    masked_id: str
    attempt: int
    waiting_s: float


class VerifierClient:
    """Thread-safe enough for Streamlit's `cache_resource`: a `requests.Session` per client."""

    def __init__(self, base_url: str, *, token: str | None = None, timeout_s: float = READ_TIMEOUT_S) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/json"
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> VerifierClient:
        settings = settings or get_settings()
        return cls(settings.verifier_url, token=settings.verifier_token or None)

    # --- plumbing --------------------------------------------------------------------------------

    def _request(
        self, method: str, path: str, *, timeout: float | None = None, **kwargs: Any
    ) -> requests.Response:
        url = f"{self.base_url}{path}"
        try:
            response = self.session.request(
                method, url, timeout=(CONNECT_TIMEOUT_S, timeout or self.timeout_s), **kwargs
            )
        except requests.Timeout as exc:
            raise VerifierUnavailable("核验服务响应超时，请稍后重试") from exc
        except requests.RequestException as exc:
            # the clerk reads a plain sentence; the administrator finds the address and the fix in the log
            log.warning(
                "无法连接核验服务 %s（anpei verifier serve 是否在运行？ANPEI_VERIFIER_URL 是否正确？）：%s",
                self.base_url,
                exc,
            )
            raise VerifierUnavailable("无法连接核验服务：服务可能未启动，请稍后重试或联系系统管理员") from exc
        if response.status_code >= 400:
            raise VerifierError(_detail(response), status=response.status_code)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            raise VerifierError(f"核验服务返回了无法识别的内容（{path}）") from exc

    # --- the API ---------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        data: dict[str, Any] = self._json("GET", "/healthz", timeout=5)
        return data

    def submit_roster(
        self,
        data: bytes,
        *,
        filename: str,
        family: str,
        as_of: dt.date | None = None,
        captcha: str | None = None,
        columns: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Upload a roster file, as it was uploaded, as a job; `columns` is a manual mapping (header →
        field) the service reads it with. The answer has `job_id`, `columns`, `problems` …"""
        form = {"family": family}
        if columns:
            form["columns"] = json.dumps(dict(columns), ensure_ascii=False)
        if as_of is not None:
            form["as_of"] = as_of.isoformat()
        if captcha:
            form["captcha"] = captcha
        files = {"file": (filename, data, "application/octet-stream")}
        result: dict[str, Any] = self._json(
            "POST", "/v1/jobs", files=files, data=form, timeout=UPLOAD_TIMEOUT_S
        )
        return result

    def jobs(self, *, limit: int = 20) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._json("GET", "/v1/jobs", params={"limit": limit})
        return result

    def job(self, job_id: int) -> dict[str, Any]:
        result: dict[str, Any] = self._json("GET", f"/v1/jobs/{job_id}")
        return result

    def captcha(self, job_id: int) -> Captcha | None:
        """The captcha the job is waiting for, or None."""
        response = self._request("GET", f"/v1/jobs/{job_id}/captcha", params={"format": "json"}, timeout=10)
        if response.status_code == 204 or not response.content:
            return None
        data = response.json()
        return Captcha(
            job_id=job_id,
            image_png=base64.b64decode(data["image_base64"]),
            name=str(data.get("name", "")),
            masked_id=str(data.get("masked_id", "")),
            attempt=int(data.get("attempt", 1)),
            waiting_s=float(data.get("waiting_s", 0)),
        )

    def answer_captcha(self, job_id: int, code: str) -> bool:
        """Send a person's answer; False when the captcha was no longer waiting (answered elsewhere)."""
        try:
            self._json("POST", f"/v1/jobs/{job_id}/captcha", json={"code": code.strip()}, timeout=10)
        except VerifierError as exc:
            if exc.status == 409:
                return False
            raise
        return True

    def results(self, job_id: int, *, full_ids: bool = False) -> list[dict[str, Any]]:
        data = self._json(
            "GET", f"/v1/jobs/{job_id}/results", params={"format": "json", "full_ids": full_ids}
        )
        rows: list[dict[str, Any]] = data.get("rows", [])
        return rows

    def records(self, job_id: int, *, full_ids: bool = False) -> JobResults:
        """The job's results, typed (`verifier.contract`): what the dashboard saves from."""
        response = self._request(
            "GET", f"/v1/jobs/{job_id}/records", params={"full_ids": full_ids}, timeout=UPLOAD_TIMEOUT_S
        )
        try:
            return JobResults.model_validate_json(response.content)
        except ValueError as exc:
            log.warning("核验服务的结果不符合约定（任务 %s）：%s", job_id, exc)
            raise VerifierError(f"核验服务返回的结果格式无法识别（任务 {job_id}），请联系系统管理员") from exc

    def results_file(self, job_id: int, *, fmt: str = "xlsx", full_ids: bool = False) -> bytes:
        """The result file: the roster's original columns kept, the result columns added (xlsx)."""
        response = self._request(
            "GET",
            f"/v1/jobs/{job_id}/results",
            params={"format": fmt, "full_ids": full_ids},
            timeout=UPLOAD_TIMEOUT_S,
        )
        return response.content

    def pause(self, job_id: int) -> dict[str, Any]:
        result: dict[str, Any] = self._json("POST", f"/v1/jobs/{job_id}/pause")
        return result

    def resume(self, job_id: int) -> dict[str, Any]:
        result: dict[str, Any] = self._json("POST", f"/v1/jobs/{job_id}/resume")
        return result

    def cancel(self, job_id: int) -> dict[str, Any]:
        result: dict[str, Any] = self._json("POST", f"/v1/jobs/{job_id}/cancel")
        return result

    def waiting_captchas(self, *, limit: int = 50) -> list[dict[str, Any]]:
        """Jobs that wait for a person to type a captcha, oldest first."""
        waiting = [job for job in self.jobs(limit=limit) if job.get("captcha_waiting")]
        return sorted(waiting, key=lambda job: int(job["id"]))


def _detail(response: requests.Response) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if response.status_code == 401:
        return "核验服务拒绝访问：访问令牌不正确或未设置（请检查 ANPEI_VERIFIER_TOKEN）"
    if isinstance(detail, str) and detail:
        return detail
    return f"核验服务返回错误（HTTP {response.status_code}）"
