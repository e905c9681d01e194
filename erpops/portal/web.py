"""The trial-run portal at `/portal`: server-rendered pages (Jinja2, no JavaScript) for the people in a trial run.

Sign-in is with an API token or a one-time link (`erpops portal invite USER`); the session cookie is HttpOnly,
SameSite=Lax, Secure over https, and scoped to /portal. Every form that changes something carries the session's
CSRF token, and the sign-in forms are refused from another origin. Refused sign-ins are rate-limited per client.
Screenshots are checked by their bytes and handed back only to their reporter and to triagers, with their stored
type, `nosniff` and a sandboxing CSP, never from a served directory.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy.orm import Session

from erp_models.enums import RoleName
from erp_models.errors import DomainError, TooManyAttempts, Unauthenticated
from erp_models.portal import attachments, sign_in
from erp_models.portal.sign_in import PortalUser
from erp_models.project import delivery
from erpops.api.deps import Database
from erpops.portal.i18n import pick, translator
from infra.settings import Settings

HERE = Path(__file__).parent
COOKIE, LANG_COOKIE = "erpops_portal", "erpops_lang"
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
           "X-Frame-Options": "DENY", "Cache-Control": "no-store"}
MAX_UPLOAD = attachments.MAX_BYTES

templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(prefix="/portal", include_in_schema=False)


def mount(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/portal/static", StaticFiles(directory=HERE / "static"), name="portal-static")


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _user(request: Request) -> PortalUser | None:
    token = request.cookies.get(COOKIE)
    return _db(request).read(lambda s: sign_in.current(s, token)) if token else None


def _lang(request: Request) -> str:
    return pick(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE),
                request.headers.get("accept-language"))


def page(request: Request, name: str, *, user: PortalUser | None, status: int = 200, **context: Any) -> Response:
    lang = _lang(request)
    response = templates.TemplateResponse(request, name, {"t": translator(lang), "lang": lang, "user": user,
                                                          **context}, status_code=status, headers=HEADERS)
    if request.query_params.get("lang") == lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, path="/portal", samesite="lax", httponly=True)
    return response


def _redirect(to: str) -> RedirectResponse:
    return RedirectResponse(to, status_code=303, headers=HEADERS)


def _signed_in(request: Request) -> PortalUser:
    user = _user(request)
    if user is None:
        raise _SignInFirst()
    return user


class _SignInFirst(Exception):
    pass


User = Annotated[PortalUser, Depends(_signed_in)]


def _same_origin(request: Request) -> bool:
    """A browser's POST says where its page came from; refuse one from another site (a forged sign-in or form).
    `Sec-Fetch-Site` where the browser sends it, else the Origin (or Referer) against this host."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin is None:
        return True  # not a browser (a browser sends one of the three on a POST)
    return origin != "null" and urlsplit(origin).netloc == request.headers.get("host", request.url.netloc)


def _checked(request: Request, user: PortalUser, csrf: str) -> None:
    if not _same_origin(request) or not hmac.compare_digest(csrf.encode(), user.csrf_token.encode()):
        raise _BadForm()


class _BadForm(Exception):
    pass


def install(app: FastAPI) -> None:
    """Mount the portal (its feedback pages too) and its error pages."""
    from erpops.portal import feedback_pages  # its routes join `router`

    del feedback_pages
    mount(app)
    app.state.portal_manuals = {}

    @app.exception_handler(_SignInFirst)
    async def sign_in_first(_request: Request, _: Exception) -> Response:
        return _redirect("/portal/login")

    @app.exception_handler(_BadForm)
    async def bad_form(request: Request, _: Exception) -> Response:
        return page(request, "error.html", user=None, status=403, error=translator(_lang(request))("bad_form"))


def _start(request: Request, signed: sign_in.SignedIn) -> Response:
    response = _redirect("/portal")
    response.set_cookie(COOKIE, signed.session_token, max_age=int(sign_in.SESSION_TTL.total_seconds()),
                        path="/portal", httponly=True, samesite="lax", secure=_secure(request))
    return response


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or _settings(request).base_url.startswith("https://")


def _refused(request: Request, exc: DomainError, template: str, **context: Any) -> Response:
    t = translator(_lang(request))
    if isinstance(exc, TooManyAttempts):
        response = page(request, template, user=None, status=429, error=t("too_many"), **context)
        response.headers["Retry-After"] = str(exc.detail.get("retry_after_s", 60))
        return response
    _db(request).write(lambda s: sign_in.record_failure(s, _client(request)), guarded=False)
    key = "bad_token" if template == "login.html" else "invite_invalid"
    return page(request, template, user=None, status=401, error=t(key), **context)


def _sign_in(request: Request, how: Callable[[Session, str], sign_in.SignedIn], secret: str, template: str) -> Response:
    """A sign-in form's POST: same origin only, rate-limited per client, then a session cookie or the form again."""
    if not _same_origin(request):
        raise _BadForm()
    client = _client(request)

    def work(session: Session) -> sign_in.SignedIn:
        sign_in.check_rate(session, client)
        return how(session, secret)

    try:
        signed = _db(request).write(work, guarded=False)
    except (Unauthenticated, TooManyAttempts) as exc:
        return _refused(request, exc, template)
    return _start(request, signed)


@router.get("", response_class=HTMLResponse)
def home(request: Request, user: User) -> Response:
    def work(s: Session) -> tuple[int, int]:
        return (len(delivery.upcoming_training(s, username=user.username, role=user.role)),
                len(delivery.list_feedback(s, submitted_by=user.username, limit=1000)))

    upcoming, mine = _db(request).read(work)
    return page(request, "home.html", user=user, upcoming=upcoming, mine=mine,
                notice=translator(_lang(request))("submitted") + f" {request.query_params['submitted']}"
                if request.query_params.get("submitted", "").isdigit() else None)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return page(request, "login.html", user=None)


@router.post("/login")
def login(request: Request, token: Annotated[str, Form(max_length=200)]) -> Response:
    return _sign_in(request, sign_in.with_token, token, "login.html")


@router.get("/invite/{token}", response_class=HTMLResponse)
def invite_page(request: Request, token: str) -> Response:
    """Shows whom the link signs in; signing in is a button (POST), so a link previewer cannot use it up."""
    found = _db(request).read(lambda s: sign_in.invite_for(s, token))
    if found is None:
        return page(request, "invite.html", user=None, status=404,
                    error=translator(_lang(request))("invite_invalid"))
    return page(request, "invite.html", user=None, invite=found, token=token)


@router.post("/invite")
def redeem(request: Request, token: Annotated[str, Form(max_length=200)]) -> Response:
    return _sign_in(request, sign_in.with_invite, token, "invite.html")


@router.post("/logout")
def logout(request: Request, user: User, csrf: Annotated[str, Form(max_length=100)]) -> Response:
    _checked(request, user, csrf)
    token = request.cookies.get(COOKIE, "")
    _db(request).write(lambda s: sign_in.sign_out(s, token), guarded=False)
    response = _redirect("/portal/login")
    response.delete_cookie(COOKIE, path="/portal")
    return response


def _manual_html(app: FastAPI, role: str) -> str | None:
    """The generated operation manual of a built-in role as HTML (Markdown with raw HTML escaped), made once per
    app and role; None for a role added as data."""
    from erpops.manual import api_operations, build_manual
    from erpops.manual.render import render_markdown

    if role not in {r.value for r in RoleName}:
        return None
    made: dict[str, str] = app.state.portal_manuals
    if role not in made:
        markdown = render_markdown(build_manual(RoleName(role), api_operations(app)), None)
        made[role] = str(MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown))
    return made[role]


@router.get("/manual", response_class=HTMLResponse)
def manual(request: Request, user: User) -> Response:
    body = _manual_html(request.app, user.role)
    return page(request, "manual.html", user=user, body=Markup(body) if body else None)  # noqa: S704 (escaped md)


@router.get("/training", response_class=HTMLResponse)
def training(request: Request, user: User) -> Response:
    sessions = _db(request).read(lambda s: delivery.upcoming_training(s, username=user.username, role=user.role))
    notice = translator(_lang(request))("confirmed_ok") if request.query_params.get("confirmed") else None
    return page(request, "training.html", user=user, sessions=sessions, notice=notice)


@router.post("/training/{training_id}/confirm")
def confirm(request: Request, training_id: int, user: User, csrf: Annotated[str, Form(max_length=100)]) -> Response:
    _checked(request, user, csrf)
    try:
        _db(request).write(lambda s: delivery.confirm_training(s, training_id=training_id, username=user.username,
                                                               role=user.role))
    except DomainError as exc:
        sessions = _db(request).read(lambda s: delivery.upcoming_training(s, username=user.username, role=user.role))
        return page(request, "training.html", user=user, sessions=sessions, error=exc.message,
                    status=404 if exc.code == "not_found" else 409 if exc.code != "invalid_input" else 422)
    return _redirect(f"/portal/training?confirmed={training_id}")
