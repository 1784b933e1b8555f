"""Error responses the OpenAPI document declares, shared by the routers (schemathesis checks that
every status an endpoint can answer is documented)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

Responses = dict[int | str, dict[str, Any]]


class ErrorMessage(BaseModel):
    detail: str


UNAUTHORISED: Responses = {
    401: {"model": ErrorMessage, "description": "Missing, invalid or revoked API key (header X-API-Key)."}
}
FORBIDDEN: Responses = {403: {"model": ErrorMessage, "description": "The endpoint needs an admin API key."}}
UNREADABLE_BODY: Responses = {
    400: {"model": ErrorMessage, "description": "The body could not be read (e.g. not UTF-8 or not JSON)."}
}
CONTENT_NOT_FOUND: Responses = {
    404: {"model": ErrorMessage, "description": "The content is not in your workspace."}
}
