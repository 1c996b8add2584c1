"""The department's server: the chat, a login, and an HTTP API on one FastAPI app.

``create_server(settings)`` builds it; ``start(...)`` serves it with uvicorn (``assistant chat``).
The routes are module-level functions on three routers (``login_routes``, ``api_routes``,
``openai_routes``) that read the engine, the accounts, the settings and the backends from
``app.state``; ``_build`` only puts those there and assembles the app.

- ``/``: the Gradio chat (``ui.py``), mounted on this app. When at least one account exists
  (``assistant users add``), it needs a login: ``/login`` sets a session cookie (HttpOnly,
  SameSite=Lax, Secure behind HTTPS), ``/logout`` ends it, and Gradio's own routes answer 401
  without it (its ``auth_dependency``). Without accounts, it is open as before: one person on
  their own machine. Wrong passwords are throttled in ``accounts.py``.
- ``/api/v1/ask``, ``/api/v1/search``: the JSON of ``assistant ask --json`` / ``search --json``;
  ``/api/v1/brief``: a cited briefing as Markdown or Word.
- ``/v1/chat/completions`` (streamed or not) and ``/v1/models``: OpenAI-compatible, so an
  OpenAI client library or a chat front end can use the assistant as a "model". The answer
  text carries the [n] markers and a "Nguồn:" list; the response carries the structured
  citations in an extra ``citations`` field (the last chunk, when streamed).
- ``/docs``: the OpenAPI page, served from local files (fastapi-offline: no CDN).

API calls need ``Authorization: Bearer <key>`` (``assistant users key NAME``) or a browser
session when accounts exist; answers are the same for every user. Request bodies of the API
are limited to 1 MB and Gradio's (uploads aside) to 32 MB, checked before they are read whole.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import functools
import html
import itertools
import json
import logging
import math
import os
import queue
import signal
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from string import Template
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from .. import __version__
from ..config import K_RANGE, Settings, every_seconds
from ..documents import Answer, Filters
from ..errors import AssistantError, BriefingError, ConfigError, QuestionError
from ..question.followup import Exchange
from ..vietnamese import clean_input
from . import static, uploads
from .accounts import Accounts, LoginThrottled, User
from .chat import ChatEngine, FeedSchedule, available_backends
from .payloads import search_payload

log = logging.getLogger(__name__)

COOKIE = "assistant_session"
API_BODY = 1 << 20  # bytes: a question, a briefing's questions
GRADIO_BODY = 32 << 20  # the chat's own calls (a restored conversation can be large); uploads are Gradio's
MODEL = "assistant"
BRIEF_QUESTIONS = 50  # per /api/v1/brief call
UPLOAD_FILES = 20  # files of max_file_mb one upload request may carry
BRIEF_SECONDS = 120.0  # a briefing's questions not answered by then are named in a warning
BRIEF_PAUSE = 0.005  # seconds between a briefing's questions, for other users' questions
SOURCES = "\n\nNguồn:\n"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# --- errors, in OpenAI's shape -------------------------------------------------------------
class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str, kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.kind = status, message, code, kind

    def response(self) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        return JSONResponse({"error": {"message": self.message, "type": self.kind, "code": self.code}},
                            status_code=self.status, headers=headers)


# --- request bodies -------------------------------------------------------------------------
class Previous(BaseModel):
    question: str
    answer: str = ""


class Narrowed(BaseModel):
    """Which articles answer (``documents.Filters``); none given: all of them."""

    since: str | int | None = Field(None, description="Only articles published on or after this date "
                                                      "(YYYY, YYYY-MM, YYYY-MM-DD or dd/mm/yyyy).", examples=["2019"])
    until: str | int | None = Field(None, description="Only articles published on or before this date.",
                                    examples=["2020-06"])
    localities: list[str] = Field(default_factory=list, max_length=20,
                                  description="Only articles about one of these provinces or cities.")
    outlets: list[str] = Field(default_factory=list, max_length=20,
                               description="Only articles from one of these outlets (e.g. vov.vn).")

    def filters(self) -> Filters:
        try:
            return Filters.of(None if self.since is None else str(self.since),
                              None if self.until is None else str(self.until),
                              [x[:200] for x in self.localities], [x[:200] for x in self.outlets])
        except ValueError as exc:
            raise ApiError(400, str(exc), "bad_filter") from None


class AskRequest(Narrowed):
    question: str = Field(description="The question, in Vietnamese (diacritics optional).",
                          examples=["Sở Ngoại vụ Hà Nội được thành lập khi nào?"])
    k: int | None = Field(None, ge=K_RANGE[0], le=K_RANGE[1], description="Passages to consider [default: the server's k].")
    backend: str | None = Field(None, description="Answer backend [default: the server's].")
    history: list[Previous] = Field(default_factory=list,
                                    description="Earlier questions and answers of the conversation, oldest first, "
                                                "so a follow-up (\"Còn Hà Nội thì sao?\") is understood.")


class SearchRequest(Narrowed):
    question: str = Field(examples=["Hải Phòng hợp tác với Niigata"])
    k: int | None = Field(None, ge=K_RANGE[0], le=K_RANGE[1])


class BriefSection(BaseModel):
    title: str = ""
    questions: list[str]


class BriefRequest(BaseModel):
    topic: str = Field("", description="Topic in the title.")
    questions: list[str] | None = Field(None, examples=[["Sở Ngoại vụ Hải Phòng được thành lập khi nào?"]])
    sections: list[BriefSection] | None = None
    format: Literal["md", "docx"] = "md"
    date: dt.date | None = Field(None, description="Date of writing [default: today].")
    k: int | None = Field(None, ge=K_RANGE[0], le=K_RANGE[1])
    backend: str | None = None


class TimelineRequest(BaseModel):
    subject: str = Field(..., max_length=200, examples=["Hải Phòng"], description="A locality (diacritics optional).")
    partner: str | None = Field(None, max_length=200, examples=["Kitakyushu"])
    since: str | None = Field(None, max_length=20, description='"2019", "2019-05", "17/05/2019".')
    until: str | None = Field(None, max_length=20)
    format: Literal["json", "md", "docx"] = "json"


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens, …: accepted, not used
    model: str = MODEL
    messages: list[ChatMessage]
    stream: bool = False


# --- the OpenAI-compatible view of an Answer ----------------------------------------------
def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # [{"type": "text", "text": "..."}, …]
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def conversation_of(messages: list[ChatMessage]) -> tuple[str, list[Exchange]]:
    """The last user message, and the earlier exchanges (for follow-up questions)."""
    users = [i for i, m in enumerate(messages) if m.role == "user"]
    if not users:
        raise ApiError(400, "messages holds no user message", "no_question")
    history, asked = [], None
    for m in messages[: users[-1]]:
        if m.role == "user":
            asked = _text(m.content)
        elif m.role == "assistant" and asked is not None:
            answer = _text(m.content).split(SOURCES)[0]  # our own "Nguồn:" list is not part of the answer
            history.append(Exchange(asked, answer))
            asked = None
    return _text(messages[users[-1]].content), history


def sources_text(answer: Answer) -> str:
    """The "Nguồn:" list a chat front end shows under the answer: title, date, quoted sentence."""
    if not answer.citations:
        return ""
    lines = [f"[{c.n}] {c.title} — {c.date}" + (f" — {c.outlet}" if c.outlet else "") + f": «{c.quote}»"
             for c in answer.citations]
    return SOURCES + "\n".join(lines)


def content_of(stream: Iterator[str | Answer], final: list[Answer]) -> Iterator[str]:
    """The answer's text as it streams, then its notices and the "Nguồn:" list; the Answer goes
    into ``final``. Streamed or not, a client gets the same text."""
    space = ""  # whitespace ending a piece goes out with the next one: the answer ends without it
    for piece in stream:
        if isinstance(piece, Answer):
            final.append(piece)
            break
        text = space + piece
        core = text.rstrip()
        space = text[len(core):]
        if core:
            yield core
    answer = final[-1]
    tail = "".join(f"\n\n⚠ {n}" for n in answer.notices) + sources_text(answer)
    if tail:
        yield tail


def _extra(answer: Answer) -> dict[str, Any]:
    return {"citations": [c.to_dict() for c in answer.citations], "refused": answer.refused,
            "question": answer.question, "notices": list(answer.notices)}


# --- the login page ---------------------------------------------------------------------
LOGIN_PAGE = Template(static.read("login.html"))  # $error, $name
LOGOUT_PAGE = ('<!doctype html><html lang="vi"><meta charset="utf-8"><title>Đăng xuất</title>'
               '<form method="post" action="logout"><button type="submit" id="logout">Đăng xuất</button></form></html>')


def login_page(error: str = "", name: str = "", status: int = 200) -> HTMLResponse:
    box = f'<p class="error" id="login-error">{html.escape(error)}</p>' if error else ""
    return HTMLResponse(LOGIN_PAGE.substitute(error=box, name=html.escape(name, quote=True)), status_code=status,
                        headers={"Cache-Control": "no-store"})


_warned = threading.Event()  # the untrusted X-Forwarded-For line, logged once
_briefing = threading.Lock()  # one /api/v1/brief at a time


def _wait_words(seconds: float) -> str:
    """"45 giây", "4 phút": a wait as the login page says it."""
    if seconds < 90:
        return f"{max(1, math.ceil(seconds))} giây"
    return f"{math.ceil(seconds / 60)} phút"


# --- the guard: body sizes, and the login redirect --------------------------------------
_SECURITY_HEADERS = [
    (b"x-frame-options", b"DENY"),  # no page elsewhere frames the chat (clickjacking)
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
_CHANGES = ("POST", "PUT", "PATCH", "DELETE")


def _cross_site(headers: dict[bytes, bytes]) -> bool:
    """Whether a browser sent this from a page of another origin: its Origin (or, without one,
    its Referer) names another host than the one asked. API clients send neither."""
    from urllib.parse import urlsplit

    source = headers.get(b"origin") or headers.get(b"referer")
    if not source:
        return False
    netloc = urlsplit(source.decode("latin-1")).netloc
    return not netloc or netloc != headers.get(b"host", b"").decode("latin-1")


def _with_headers(send):
    """``send`` that adds the security headers to every response."""
    async def sending(message):
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *_SECURITY_HEADERS]}
        await send(message)
    return sending


class Guard:
    """ASGI middleware: refuses over-long bodies before reading them whole, and state changes a
    page of another origin sends (login and logout CSRF, a site on another port of this host);
    sends a browser without a session from ``/`` to the login page when accounts exist; adds
    headers that keep the pages out of other sites' frames."""

    def __init__(self, app, accounts: Accounts, uploads: bool = False, upload_bytes: int = 0,
                 hourly_bytes: int = 0, blocks: Any = None) -> None:  # the gr.Blocks served
        self.app, self.accounts, self.blocks = app, accounts, blocks
        self.uploads, self.upload_bytes = uploads, upload_bytes  # may anyone upload without accounts; per request
        self.hourly_bytes = hourly_bytes  # what one user may upload in an hour (upload_mb_per_hour)
        self.uploaded: dict[str, collections.deque[tuple[float, int]]] = {}  # user -> (time, bytes) of the last hour

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        send = _with_headers(send)

        path = scope.get("path", "")
        headers = dict(scope.get("headers") or [])
        if scope.get("method") in _CHANGES and _cross_site(headers):
            log.warning("refused a cross-site %s %s", scope.get("method"), path)
            return await JSONResponse({"error": {"message": "cross-site request refused", "type": "forbidden",
                                                 "code": "cross_site"}}, status_code=403)(scope, receive, send)
        limit = API_BODY if path.startswith(("/api/", "/v1/", "/login")) else \
            self.upload_bytes if path.startswith("/gradio_api/upload") else GRADIO_BODY
        uploader = None  # who uploads, when this is an upload
        if path.startswith("/gradio_api/upload") and scope.get("method") == "POST":
            refusal, uploader = self._upload_refusal(headers)
            if refusal is not None:
                status, message, code = refusal
                return await JSONResponse({"error": {"message": message, "type": "forbidden", "code": code}},
                                          status_code=status)(scope, receive, send)
        if limit is not None:
            length = headers.get(b"content-length", b"").decode("latin-1")
            if (length.isdigit() and int(length) > limit) or (not length.isdigit() and length):
                return await _too_large(send, limit)
            if not length and scope.get("method") in ("POST", "PUT", "PATCH"):
                body, more = b"", True
                while more:  # chunked: read up to the limit, then replay what was read
                    message = await receive()
                    body += message.get("body", b"")
                    more = message.get("more_body", False)
                    if len(body) > limit:
                        return await _too_large(send, limit)
                replayed = False

                async def replay():
                    nonlocal replayed
                    if replayed:
                        return await receive()
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}

                receive = replay
        if (path == "/" or path.startswith("/gradio_api/")) and self.accounts.count() > 0:
            cookies = _cookies(headers.get(b"cookie", b"").decode("latin-1"))
            if user_of(self.accounts, cookies.get(COOKIE)) is None:
                if path == "/":
                    return await RedirectResponse("login", status_code=303)(scope, receive, send)
                # subtle: every Gradio route, its helpers too (a heartbeat stream holds a connection
                # open): what stays open is the login page, the theme, icons and the API's docs
                return await JSONResponse({"error": {"message": "sign in first", "type": "unauthorized",
                                                     "code": "not_signed_in"}}, status_code=401)(scope, receive, send)
        if uploader is not None:
            return await self._upload(uploader, scope, receive, send)
        return await self.app(scope, receive, send)

    async def _upload(self, who: str, scope, receive, send) -> None:
        """Gradio's /upload, its files then moved into ``who``'s own folder (``uploads.claim``)
        and the new paths answered: the upload handler takes files from that folder only."""
        start: dict = {}
        body = b""

        async def keep(message):
            nonlocal start, body
            if message["type"] == "http.response.start":
                start = message
            else:
                body += message.get("body", b"")

        await self.app(scope, receive, keep)  # returns once Gradio's background moves are done too
        if start.get("status") == 200:
            try:
                stored = json.loads(body)
                moved = await asyncio.to_thread(uploads.claim, who, stored)
            except uploads.Vanished:
                return await JSONResponse({"error": {"message": "the upload was moved away; upload it again",
                                                     "type": "conflict", "code": "upload_vanished"}},
                                          status_code=409)(scope, receive, send)
            if self.blocks is not None:  # delete_cache removes what is left an hour on
                self.blocks.upload_file_set.difference_update(stored)
                self.blocks.upload_file_set.update(moved)
            body = json.dumps(moved).encode()
            start = {**start, "headers": [*((k, v) for k, v in start["headers"] if k.lower() != b"content-length"),
                                          (b"content-length", str(len(body)).encode())]}
        await send(start)
        await send({"type": "http.response.body", "body": body})


    def _upload_refusal(self, headers: dict[bytes, bytes]) -> tuple[tuple[int, str, str] | None, str]:
        """Why this upload may not put files on the disk (or None), and who uploads ("" = anyone).

        subtle: Gradio's /upload stores any signed-in user's files; only those who may add
        documents get to, and each of them at most ``hourly_bytes`` an hour.
        """
        if self.accounts.count() == 0:
            who = ""
            if not self.uploads:
                return (403, "uploads are off (allow_upload)", "upload_forbidden"), who
        else:
            user = user_of(self.accounts, _cookies(headers.get(b"cookie", b"").decode("latin-1")).get(COOKIE))
            if user is None or not user.may("editor"):
                return (403, "uploading needs the editor role", "upload_forbidden"), ""
            who = user.name
        length = headers.get(b"content-length", b"").decode("latin-1")
        if not length.isdigit():
            return (411, "an upload states its length (Content-Length)", "length_required"), who
        now = time.monotonic()
        recent = self.uploaded.setdefault(who, collections.deque())
        while recent and recent[0][0] < now - 3600:
            recent.popleft()
        if self.hourly_bytes and sum(n for _, n in recent) + int(length) > self.hourly_bytes:
            return (429, f"over {self.hourly_bytes / 1e6:g} MB of uploads in an hour (upload_mb_per_hour)",
                    "upload_quota"), who
        recent.append((now, int(length)))
        return None, who


def user_of(accounts: Accounts, cookie: str | None, key: str | None = None) -> User | None:
    """Who is asking: an API key's user, else the session cookie's; None when neither names one.
    (Without accounts everyone may ask: the callers check ``accounts.count()`` first.)"""
    return accounts.user_for_key(key) if key else accounts.user_for_session(cookie)


def _cookies(header: str) -> dict[str, str]:
    out = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            out[name] = value
    return out


async def _too_large(send, limit: int) -> None:
    body = json.dumps({"error": {"message": f"request body over {limit // (1 << 20)} MB", "type":
                                 "invalid_request_error", "code": "request_too_large"}}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


# --- what the routes read from the app ---------------------------------------------------
# ``_build`` puts the engine, the accounts, the settings and the backends on ``app.state``.
def _engine(request: Request) -> ChatEngine:
    return request.app.state.engine


def _accounts(request: Request) -> Accounts:
    return request.app.state.accounts


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _backends(request: Request) -> list[str]:
    return request.app.state.backends


EngineDep = Annotated[ChatEngine, Depends(_engine)]
AccountsDep = Annotated[Accounts, Depends(_accounts)]
SettingsDep = Annotated[Settings, Depends(_settings)]
BackendsDep = Annotated[list[str], Depends(_backends)]
bearer = HTTPBearer(auto_error=False, description="An API key from `assistant users key NAME`.")


async def _api_error(request: Request, exc: ApiError):
    return exc.response()


async def _assistant_error(request: Request, exc: AssistantError):
    status = 400 if isinstance(exc, (QuestionError, BriefingError)) else 500
    return ApiError(status, exc.described(), "bad_question" if status == 400 else "server_error",
                    "invalid_request_error" if status == 400 else "server_error").response()


def api_user(request: Request, accounts: AccountsDep,
             credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> User | None:  # noqa: B008
    """None without accounts (open, as on one's own machine); else the key's or session's user."""
    if accounts.count() == 0:
        return None
    user = user_of(accounts, request.cookies.get(COOKIE), credentials.credentials if credentials else None)
    if user is None:
        raise ApiError(401, "an API key is needed: Authorization: Bearer <key> (assistant users key NAME)",
                       "invalid_api_key")
    return user


def backend_of(name: str | None, backends: list[str]) -> str | None:
    if name and name not in backends:
        raise ApiError(400, f"unknown backend {name!r}; this server has {', '.join(backends)}", "unknown_backend")
    return name


# --- login -------------------------------------------------------------------------------
login_routes = APIRouter()


@login_routes.get("/login", include_in_schema=False)
def login_form(request: Request, accounts: AccountsDep):
    if accounts.count() == 0 or user_of(accounts, request.cookies.get(COOKIE)):
        return RedirectResponse(".", status_code=303)
    return login_page()


@login_routes.post("/login", include_in_schema=False)
def login(request: Request, accounts: AccountsDep, settings: SettingsDep, name: str = Form(""),
          password: str = Form("")):
    name = name.strip()[:200]
    client = request.client.host if request.client else None
    if "x-forwarded-for" in request.headers and not settings.trusted_proxies and not _warned.is_set():
        _warned.set()
        log.warning("X-Forwarded-For from %s is ignored: set trusted_proxies (ASSISTANT_TRUSTED_PROXIES) to the "
                    "reverse proxy's address, or every user behind it counts as one address for login throttling",
                    client)
    try:
        user = accounts.login(name, password, client=client)
    except LoginThrottled as exc:
        log.warning("login refused for %r: too many failures", name)
        return login_page(f"Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {_wait_words(exc.retry_after)}.",
                          name, 429)
    if user is None:
        return login_page("Tên đăng nhập hoặc mật khẩu không đúng.", name, 401)
    token = accounts.new_session(user.name, settings.session_hours)
    response = RedirectResponse(".", status_code=303)
    response.set_cookie(COOKIE, token, max_age=int(settings.session_hours * 3600), httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")
    return response


@login_routes.get("/logout", include_in_schema=False)
def logout_form():
    """A link can no longer sign anyone out (logout CSRF): GET asks, a same-origin POST does it."""
    return HTMLResponse(LOGOUT_PAGE, headers={"Cache-Control": "no-store"})


@login_routes.post("/logout", include_in_schema=False)
def logout(request: Request, accounts: AccountsDep):
    accounts.end_session(request.cookies.get(COOKIE))
    response = RedirectResponse("login" if accounts.count() else ".", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


# --- the API -------------------------------------------------------------------------------
api_routes = APIRouter()


@api_routes.post("/api/v1/ask", tags=["answers"], summary="Answer a question with cited sentences")
def api_ask(body: AskRequest, engine: EngineDep, backends: BackendsDep,
            user: User | None = Depends(api_user)) -> dict[str, Any]:  # noqa: B008
    """The JSON of `assistant ask --json`: answer, refused, citations, short_answer, timings_ms…

    With `history` (the earlier questions and answers, oldest first), a follow-up ("Còn Hà Nội
    thì sao?") is answered as the question it stands for, and "asked" says what was typed."""
    history = [Exchange(h.question, h.answer) for h in body.history]
    return engine.ask(body.question, body.k, backend_of(body.backend, backends), history, body.filters()).to_dict()


@api_routes.post("/api/v1/search", tags=["answers"], summary="The passages that best match a question")
def api_search(body: SearchRequest, engine: EngineDep,
               user: User | None = Depends(api_user)) -> dict[str, Any]:  # noqa: B008
    """The JSON of `assistant search --json`: question, results (best first), timings_ms, and the
    filters when given."""
    filters = body.filters()
    hits, timings = engine.search(body.question, body.k, filters)
    return {**search_payload(body.question, hits, timings), **({"filters": filters.to_dict()} if filters else {})}


@api_routes.post("/api/v1/brief", tags=["answers"], summary="A cited briefing, as Markdown or Word",
                 responses={200: {"content": {"text/markdown": {}, DOCX: {}}}})
def api_brief(body: BriefRequest, engine: EngineDep, backends: BackendsDep,
              user: User | None = Depends(api_user)) -> Response:  # noqa: B008
    """Answers every question; each claim carries a footnote with the quoted sentence."""
    from ..briefing import briefing_stem, build_briefing, spec_from_mapping, to_markdown, write_briefing

    data: dict[str, Any] = {"topic": body.topic}
    if body.sections is not None:
        data["sections"] = [s.model_dump() for s in body.sections]
    if body.questions is not None:
        data["questions"] = body.questions
    spec = spec_from_mapping(data, "request")
    asked = sum(len(s.questions) for s in spec.sections)
    if asked > BRIEF_QUESTIONS:
        raise ApiError(413, f"a briefing asks at most {BRIEF_QUESTIONS} questions per call, not {asked}; "
                            "split it into several", "too_many_questions")
    day = body.date or dt.date.today()
    if not _briefing.acquire(blocking=False):
        raise ApiError(429, "another briefing is being written; try again when it is done", "briefing_busy",
                       "rate_limit_error")
    try:
        # subtle: a pause between questions lets the chat's questions, waiting on the same
        # pipeline lock, go first; one briefing at a time, and never longer than BRIEF_SECONDS
        b = build_briefing(engine.assistant(backend_of(body.backend, backends)), spec, topic=body.topic or None,
                           written=day, k=body.k, progress=lambda: time.sleep(BRIEF_PAUSE),
                           deadline=time.monotonic() + BRIEF_SECONDS)
    finally:
        _briefing.release()
    if body.format == "md":
        return Response(to_markdown(b), media_type="text/markdown; charset=utf-8")
    with tempfile.TemporaryDirectory(prefix="ban-tin-") as folder:
        (path,) = write_briefing(b, Path(folder) / briefing_stem(body.topic, day), ("docx",))
        content = path.read_bytes()
    return Response(content, media_type=DOCX,
                    headers={"Content-Disposition": f'attachment; filename="{path.name}"'})


@api_routes.post("/api/v1/timeline", tags=["answers"], summary="A locality's dated events, each a verified quote",
                 response_model=None)
def api_timeline(body: TimelineRequest, engine: EngineDep,
                 user: User | None = Depends(api_user)) -> Response | dict[str, Any]:  # noqa: B008
    """The timeline `assistant timeline` prints: as JSON (each event with its kind, dates, quote,
    article, offsets and the other outlets), Markdown or Word."""
    from ..briefing import timeline_stem, write_atomically
    from ..briefing.timeline import timeline, timeline_payload, to_markdown, write_docx

    subject = clean_input(body.subject).strip()
    partner = clean_input(body.partner).strip() if body.partner else None
    if not subject:
        raise ApiError(400, "name a locality in subject", "empty_subject")
    try:
        t = timeline(engine.index, subject, partner or None, body.since or None, body.until or None)
    except ValueError as exc:
        raise ApiError(400, f"since/until: {exc}", "bad_date") from None
    if body.format == "json":
        return timeline_payload(t)
    if body.format == "md":
        return Response(to_markdown(t), media_type="text/markdown; charset=utf-8")
    with tempfile.TemporaryDirectory(prefix="dong-thoi-gian-") as folder:
        path = Path(folder) / f"{timeline_stem(subject, partner)}.docx"
        write_atomically(path, lambda tmp: write_docx(t, tmp))
        content = path.read_bytes()
    return Response(content, media_type=DOCX, headers={"Content-Disposition": f'attachment; filename="{path.name}"'})


# --- OpenAI-compatible ---------------------------------------------------------------------
openai_routes = APIRouter()


def model_names(backends: list[str]) -> list[str]:
    """The assistant as models: the server's default backend, then one per backend."""
    return [MODEL, *(f"{MODEL}/{b}" for b in backends)]


def model_backend(model: str, backends: list[str]) -> str | None:
    models = model_names(backends)
    if model == MODEL:
        return None
    if model in models:
        return model.split("/", 1)[1]
    raise ApiError(404, f"no model {model!r}; this server has {', '.join(models)}", "model_not_found")


@openai_routes.get("/v1/models", tags=["openai"], summary="The assistant as models (one per answer backend)")
def list_models(backends: BackendsDep, user: User | None = Depends(api_user)) -> dict[str, Any]:  # noqa: B008
    return {"object": "list", "data": [{"id": m, "object": "model", "created": 0, "owned_by": "assistant"}
                                       for m in model_names(backends)]}


@openai_routes.post("/v1/chat/completions", tags=["openai"],
                   summary="Chat completion: an answer with [n] markers")
def chat_completions(body: ChatRequest, engine: EngineDep, backends: BackendsDep,
                     user: User | None = Depends(api_user)):  # noqa: B008
    """The last user message is the question; earlier messages make follow-ups work. The
    response adds `citations`, `refused`, `question` (as it was understood) and `notices`
    beside `choices`; streamed, they come with the last chunk. A bad question is a 400 before
    anything streams."""
    backend = model_backend(body.model, backends)
    question, history = conversation_of(body.messages)
    assistant = engine.assistant(backend)
    query = assistant.understand(question, history)
    cid, created = "chatcmpl-" + uuid.uuid4().hex, int(time.time())
    answers = assistant.answer_stream(query)
    # subtle: the first piece (retrieval included) is taken before the response starts, so a
    # failure there is an error response, not a stream cut short after its 200
    answers = itertools.chain([next(answers)], answers)
    final: list[Answer] = []
    if not body.stream:
        content = "".join(content_of(answers, final))
        return {"id": cid, "object": "chat.completion", "created": created, "model": body.model,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": content}}],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}, **_extra(final[0])}

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        data = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": body.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    def events():
        yield chunk({"role": "assistant", "content": ""})
        try:
            for piece in content_of(answers, final):
                yield chunk({"content": piece})
        except Exception as exc:  # after the 200: the error goes in the stream, in OpenAI's shape
            log.exception("chat completion %s failed while streaming", cid)
            message = exc.described() if isinstance(exc, AssistantError) else "the answer failed; see the server log"
            yield f"data: {json.dumps({'error': {'message': message, 'type': 'server_error'}}, ensure_ascii=False)}\n\n"
        else:
            yield chunk({}, "stop", **_extra(final[0]))
        yield "data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


# --- the chat ------------------------------------------------------------------------------
def gradio_user(accounts: Accounts, request: Request) -> str | None:
    """"" (open) without accounts; the session's user name; None (401) without a session.

    Gradio's ``auth_dependency``, bound to the accounts: Gradio's routes see their own app, not ours.
    """
    if accounts.count() == 0:
        return ""
    user = user_of(accounts, request.cookies.get(COOKIE))
    return user.name if user else None


# --- the app --------------------------------------------------------------------------------
def create_server(settings: Settings, assistant=None) -> FastAPI:
    """The whole server (chat, login, API) over ``assistant`` (opened from ``settings`` if None).

    Raises what ``Assistant.open`` raises (e.g. IndexMissingError) before any web object exists.
    """
    engine = ChatEngine(settings, assistant)
    accounts = Accounts(settings.data_dir, settings.database_url)
    backends = available_backends(settings)
    return _build(settings, engine, accounts, backends)


def create_api(settings: Settings, assistant=None) -> FastAPI:
    """The login and the HTTP API (ask, search, brief, OpenAI-compatible) without the chat: what
    each process of ``serve_api`` serves."""
    engine = ChatEngine(settings, assistant)
    accounts = Accounts(settings.data_dir, settings.database_url)
    return _build(settings, engine, accounts, available_backends(settings), chat=False)


def _build(settings: Settings, engine: ChatEngine, accounts: Accounts, backends: list[str],
           chat: bool = True) -> FastAPI:
    from fastapi_offline import FastAPIOffline

    app = FastAPIOffline(
        title="Trợ lý tra cứu đối ngoại địa phương — API", version=__version__,
        description="Cited Vietnamese answers over the indexed articles. When accounts exist, send "
                    "`Authorization: Bearer <key>` (a key from `assistant users key NAME`).",
        openapi_tags=[{"name": "answers", "description": "The JSON of `assistant ask --json` / `search --json`."},
                      {"name": "openai", "description": "OpenAI-compatible: use the assistant as a chat model."}],
    )
    app.state.engine, app.state.accounts = engine, accounts
    app.state.settings, app.state.backends = settings, backends
    app.add_exception_handler(ApiError, _api_error)  # type: ignore[arg-type]  # Starlette types handlers loosely
    app.add_exception_handler(AssistantError, _assistant_error)  # type: ignore[arg-type]
    for routes in (login_routes, api_routes, openai_routes):
        app.include_router(routes)
    if not chat:
        app.add_middleware(Guard, accounts=accounts)
        return app

    import gradio as gr

    from .ui import create_app, theme

    blocks = create_app(settings, engine=engine, accounts=accounts, upload_folders=True)
    blocks.queue(default_concurrency_limit=4)
    app = gr.mount_gradio_app(app, blocks, path="/", auth_dependency=functools.partial(gradio_user, accounts),
                              theme=theme(), show_error=False, footer_links=[],
                              max_file_size=f"{settings.max_file_mb:g}mb")
    # subtle: Gradio checks that a file named in a request was uploaded (is in its upload folder)
    # only for a Blocks that "has launched"; a mounted one never does, so without this a
    # FileData naming /etc/… or the index would be copied in and handed to the upload handler.
    # Gradio's own reload path sets the same flag on the Blocks it serves.
    blocks.has_launched = True
    app.add_middleware(Guard, accounts=accounts, uploads=settings.allow_upload,
                       upload_bytes=int(settings.max_file_mb * 1e6 * UPLOAD_FILES) + (1 << 20),
                       hourly_bytes=int(settings.upload_mb_per_hour * 1e6), blocks=blocks)
    return app


# --- serving ------------------------------------------------------------------------------
class Running:
    """A server on a thread: ``url``, and ``stop()``."""

    def __init__(self, server, thread: threading.Thread, url: str, schedule: FeedSchedule | None = None) -> None:
        self.server, self.thread, self.url, self.schedule = server, thread, url, schedule

    def stop(self) -> None:
        if self.schedule is not None:
            self.schedule.stop()
        self.server.should_exit = True
        self.thread.join(timeout=30)

    def wait(self) -> None:
        try:
            while self.thread.is_alive():
                self.thread.join(timeout=0.5)
        except KeyboardInterrupt:
            self.stop()


def _check_port(host: str, port: int) -> None:
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
    except OSError as exc:
        raise ConfigError(f"cannot serve on {host}:{port}: the port is taken or the address is not local",
                          hint="is it already running? choose another port with --port") from exc


def _uvicorn_config(app: Any, settings: Settings, **where: Any) -> Any:
    import uvicorn

    # subtle: forwarded headers only from the proxies named in trusted_proxies: uvicorn's default
    # believes any client on 127.0.0.1, so a local user could claim any address to the login throttle
    trusted = settings.trusted_proxies.strip()
    return uvicorn.Config(app, log_level="warning", access_log=False, proxy_headers=bool(trusted),
                          forwarded_allow_ips=trusted or None, **where)


def _api_worker(settings: Settings, sock: socket.socket, started: Any, threads: int) -> None:
    """One process of ``serve_api``: its own pipeline over the index, on the shared socket."""
    # subtle: the embedder's OpenMP would start a thread per core in every process, and the
    # processes' threads would then fight over the cores: each gets its share (unless set)
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    import uvicorn

    from ..pipeline import Assistant

    app = create_api(settings, Assistant.open(settings))
    started.put(os.getpid())  # the socket already listens: connections wait in its backlog
    uvicorn.Server(_uvicorn_config(app, settings)).run(sockets=[sock])


def serve_api(settings: Settings, workers: int, *, host: str | None = None, port: int | None = None,
              ready: Any = None) -> None:
    """Serve the HTTP API (no chat) from ``workers`` processes on one port, until interrupted.

    Each process opens the index itself (the files are shared through the page cache) and
    answers on its own core; the kernel hands each new connection to one of them. A process
    that dies is started again. The chat is not served this way: Gradio keeps a session's
    queue in the process that began it (run one ``assistant chat`` per port behind a balancer
    that keeps a browser on one server). ``ready(url)`` is called once every process listens.
    """
    import multiprocessing

    host, port = host or settings.host, port or settings.port
    _check_port(host, port)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: no threads or locks inherited
    started = spawn.Queue()

    def begin() -> Any:
        threads = max(1, (os.cpu_count() or 1) // workers)
        proc = spawn.Process(target=_api_worker, args=(settings, sock, started, threads), name="assistant-api",
                             daemon=True)
        proc.start()
        return proc

    procs = [begin() for _ in range(workers)]
    url = f"http://{host}:{port}/"
    if threading.current_thread() is threading.main_thread():  # a stop request stops the processes too
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        waiting, deadline = workers, time.monotonic() + 300
        while waiting:  # each process opens the index: seconds
            try:
                started.get(timeout=0.5)
                waiting -= 1
            except queue.Empty:
                if time.monotonic() > deadline or not all(p.is_alive() for p in procs):
                    raise ConfigError(f"the API did not start on {host}:{port}") from None
        if ready is not None:
            ready(url)
        while True:
            for i, proc in enumerate(procs):
                if not proc.is_alive():
                    log.warning("API process %s ended (exit %s): starting another", proc.pid, proc.exitcode)
                    procs[i] = begin()
            time.sleep(1)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.join(timeout=30)
        sock.close()


def start(settings: Settings, assistant=None, *, host: str | None = None, port: int | None = None) -> Running:
    """Serve the whole app on ``host:port`` from a background thread; returns once it listens."""
    import uvicorn

    host, port = host or settings.host, port or settings.port
    _check_port(host, port)
    every = every_seconds(settings.feeds_every)  # a malformed period fails here, in one line
    app = create_server(settings, assistant)
    server = uvicorn.Server(_uvicorn_config(app, settings, host=host, port=port))
    thread = threading.Thread(target=server.run, name="assistant-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise ConfigError(f"the server did not start on {host}:{port}")
        time.sleep(0.05)
    schedule = FeedSchedule(app.state.engine, every, app.state.accounts).start() if every is not None else None
    return Running(server, thread, f"http://{host}:{port}/", schedule)
