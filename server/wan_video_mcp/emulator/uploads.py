"""Emulated DashScope temporary upload (providers.md §5.3): getPolicy for a model, the
form POST to the OSS host it names, and the rules its `oss://` URLs follow at submit
(they exist, belong to the model they were uploaded for, and live 48 h).

Injected faults on call "policy" answer getPolicy as DashScope errors (a rejected policy);
a policy older than its `expire_in_seconds`, or any fault injected on call "upload", gets
OSS's XML 403 "Policy expired".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any, cast

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wan_video_mcp.emulator.common import admit, json_response, record, request_id
from wan_video_mcp.emulator.state import EmulatorState, OssObject

POLICY_SECONDS = 300  # [doc] example expire_in_seconds
MAX_FILE_MB = 100  # [doc] example max_file_size_mb
OSS_LIFETIME = 48 * 3600  # [doc]
ACCESS_KEY_ID = "LTAI-emulator"
SECRET = b"emulator-oss-secret"
REQUIRED_FIELDS = (
    "OSSAccessKeyId",
    "Signature",
    "policy",
    "key",
    "x-oss-object-acl",
    "x-oss-forbid-overwrite",
)


def policy_route(state: EmulatorState) -> Route:
    from wan_video_mcp.emulator.dashscope import dashscope_error  # noqa: PLC0415  (it imports this module)

    async def get_policy(request: Request) -> Response:
        await admit(request, state, "dashscope", "policy", dashscope_error)
        model = request.query_params.get("model", "")
        if request.query_params.get("action") != "getPolicy" or not model:
            return json_response(
                400,
                {
                    "code": "InvalidParameter",
                    "message": "action=getPolicy and model are required",
                    "request_id": request_id(),
                },
            )
        upload_dir = f"dashscope-instant/emulator/{time.strftime('%Y-%m-%d')}/{uuid.uuid4().hex[:12]}"
        policy = base64.b64encode(
            json.dumps(
                {"expiration": state.clock.now() + POLICY_SECONDS, "model": model, "dir": upload_dir}
            ).encode()
        ).decode()
        data = {
            "policy": policy,
            "signature": _sign(policy),
            "upload_dir": upload_dir,
            "upload_host": f"{state.options.oss_origin or f'{request.url.scheme}://{request.url.netloc}'}/oss",
            "expire_in_seconds": POLICY_SECONDS,
            "max_file_size_mb": MAX_FILE_MB,
            "capacity_limit_mb": 999999999,
            "oss_access_key_id": ACCESS_KEY_ID,
            "x_oss_object_acl": "private",
            "x_oss_forbid_overwrite": "true",
        }
        return json_response(200, {"request_id": request_id(), "data": data})

    return Route("/api/v1/uploads", get_policy, methods=["GET"])


def oss_route(state: EmulatorState) -> Route:
    async def post_object(request: Request) -> Response:
        await record(request, state, "dashscope", "upload")
        if state.take_fault("dashscope", "upload") is not None:  # any fault here: the policy ran out
            return _oss_error(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
        async with request.form(max_part_size=MAX_FILE_MB * 1024 * 1024) as form:
            items = form.multi_items()
            fields = {name: value for name, value in items if isinstance(value, str)}
            problem = _form_problem(state, items, fields)
            if problem is not None:
                return _oss_error(*problem)
            upload = items[-1][1]
            assert isinstance(upload, UploadFile)
            content = await upload.read()
        policy = _policy(fields["policy"])
        state.oss_objects[fields["key"]] = OssObject(policy["model"], state.clock.now(), content)
        return Response(status_code=200)

    return Route("/oss", post_object, methods=["POST"])


def _form_problem(
    state: EmulatorState, items: list[tuple[str, Any]], fields: dict[str, str]
) -> tuple[int, str, str] | None:
    if not items or items[-1][0] != "file" or not isinstance(items[-1][1], UploadFile):
        return 400, "InvalidArgument", "The file must be the last form field."
    if missing := [name for name in REQUIRED_FIELDS if name not in fields]:
        return 400, "InvalidArgument", f"Missing form fields: {', '.join(missing)}"
    if fields["OSSAccessKeyId"] != ACCESS_KEY_ID or not hmac.compare_digest(
        fields["Signature"], _sign(fields["policy"])
    ):
        return 403, "SignatureDoesNotMatch", "The request signature we calculated does not match."
    policy = _policy(fields["policy"])
    if state.clock.now() > policy["expiration"]:
        return 403, "AccessDenied", "Invalid according to Policy: Policy expired."
    if not fields["key"].startswith(policy["dir"] + "/"):
        return 403, "AccessDenied", "Invalid according to Policy: Policy Condition failed: key."
    if fields["key"] in state.oss_objects and fields["x-oss-forbid-overwrite"] == "true":
        return 409, "FileAlreadyExists", "The object you specified already exists and can not be overwritten."
    return None


def oss_url_problem(state: EmulatorState, body: Any, model: str) -> str | None:
    """Why an `oss://` URL in a submit cannot be read: unknown, another model's, or expired."""
    for url in _oss_urls(body):
        found = state.oss_objects.get(url.removeprefix("oss://"))
        if found is None or found.model != model:
            return f"The provided URL does not appear to be valid: {url}"
        if state.clock.now() - found.uploaded_at > OSS_LIFETIME:
            return f"The provided URL has expired: {url}"
    return None


def _oss_urls(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value.startswith("oss://") else []
    if isinstance(value, dict):
        value = list(cast(dict[str, Any], value).values())
    items: list[Any] = cast(list[Any], value) if isinstance(value, list) else []
    return [url for item in items for url in _oss_urls(item)]


def _sign(policy: str) -> str:
    return base64.b64encode(hmac.new(SECRET, policy.encode(), hashlib.sha1).digest()).decode()


def _policy(text: str) -> dict[str, Any]:
    return json.loads(base64.b64decode(text))


def _oss_error(status: int, code: str, message: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>{request_id()}</RequestId></Error>"
    )
    return Response(body, status_code=status, media_type="application/xml")
