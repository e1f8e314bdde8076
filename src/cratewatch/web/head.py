"""``HEAD`` for every ``GET`` route: the same status and headers, no body (RFC 9110 9.3.2).

FastAPI routes declared with ``@router.get`` answer only ``GET`` (``HEAD`` would be a 405).
:class:`HeadAsGet` hands a ``HEAD`` request to the application as a ``GET`` and drops the
body it sends, so ``Content-Length``, ``ETag``, ``Cache-Control`` and ``304`` handling are
exactly those of the ``GET`` answer. Other methods pass through unchanged.

>>> app = HeadAsGet(create_app(reloader))  # doctest: +SKIP
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["HeadAsGet"]


class HeadAsGet:
    """ASGI middleware answering ``HEAD`` like ``GET`` without the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # body chunks are not sent; the last message ends the response
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)
