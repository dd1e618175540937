"""Digest pages and API: the header's subscribe form, confirm / unsubscribe / manage links from the
mail, "view in browser", members' settings and preview, and ``POST /api/v1/subscriptions``.

Each route parses its input and calls one use case of :mod:`paperfeed.digest.subscriptions` (or a
preview function); the rules live there. Links from the mail carry signed tokens and work without
signing in; every state change behind them is a POST, so mail scanners that open links change
nothing. The unsubscribe URL also takes RFC 8058's one-click POST (body
``List-Unsubscribe=One-Click``) from mail clients: no session, no CSRF token (the signed token in
the URL is the authority), a 200 answer, never a redirect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, StrictBool

from paperfeed.digest import links, subscriptions
from paperfeed.digest.choices import (
    MAX_AUTHOR_CHARS,
    MAX_FOLLOWS,
    MAX_PAPERS_LIMIT,
    MAX_QUERY_CHARS,
    describe,
    make_choices,
)
from paperfeed.digest.preview import preview_subscriptions, view_sent
from paperfeed.digest.recommended import PersonalRecommendations
from paperfeed.errors import InvalidInput, RateLimited, Unavailable
from paperfeed.mail import backend_name, describe_delivery
from paperfeed.store import DigestChoices, Subscription, User
from paperfeed.web.api_contract import errors, reject_unknown_query_params
from paperfeed.web.common import DateQuery
from paperfeed.web.deps import CsrfChecked, PaperfeedDep, UserDep, render
from paperfeed.web.routers import make_router

router = make_router(include_in_schema=False)
api_router = make_router(
    prefix="/api/v1",
    tags=["api"],
    dependencies=[Depends(reject_unknown_query_params)],
    responses=errors(400, 422, 429, 503),
)

TokenPath = Annotated[str, Path(max_length=500, description="The signed token from the email.")]
DONE_MESSAGES = {
    "confirmed": "Confirmed: your digest is on. Choose what it brings you below.",
    "saved": "Saved.",
    "resumed": "Resumed: the next digest goes out as usual.",
    "unsubscribed": "Unsubscribed: no more digests for this subscription.",
    "added": "Subscribed: your first digest goes out after the next announcement day.",
    "mailed": "A confirmation link is on its way to your inbox; the subscription starts when you use it.",
}


# ------------------------------------------------------------------------------ choices form
@dataclass(frozen=True, slots=True)
class ChoicesForm:
    """The subscription form's raw fields (kept to show them again next to an error)."""

    frequency: str = "daily"
    trending: bool = True
    trending_categories: str = ""
    categories: str = ""
    authors: str = ""
    queries: str = ""
    max_papers: str = ""
    recommended: bool = False

    @classmethod
    def of(cls, choices: DigestChoices) -> ChoicesForm:
        return cls(
            frequency=choices.frequency,
            trending=choices.trending,
            trending_categories=" ".join(choices.trending_categories),
            categories=" ".join(choices.categories),
            authors="\n".join(choices.authors),
            queries="\n".join(choices.queries),
            max_papers=str(choices.max_papers),
            recommended=choices.recommended,
        )

    def choices(self, default_max_papers: int) -> DigestChoices:
        """Validated choices (:class:`InvalidInput` names the field): categories are separated by
        spaces or commas, authors and queries one per line."""
        size = self.max_papers.strip()
        if size and not size.isdigit():
            raise InvalidInput(f"max_papers: {size!r} is not a number")
        trending_categories = self.trending_categories.replace(",", " ").split()
        return make_choices(
            frequency=self.frequency,
            trending=(trending_categories or True) if self.trending else False,
            categories=self.categories.replace(",", " ").split(),
            authors=self.authors.splitlines(),
            queries=self.queries.splitlines(),
            max_papers=int(size) if size else None,
            default_max_papers=default_max_papers,
            recommended=self.recommended,
        )


def choices_form(
    frequency: Annotated[str, Form(max_length=10)] = "daily",
    trending: Annotated[str | None, Form(max_length=10)] = None,
    trending_categories: Annotated[str, Form(max_length=2000)] = "",
    categories: Annotated[str, Form(max_length=2000)] = "",
    authors: Annotated[str, Form(max_length=10_000)] = "",
    queries: Annotated[str, Form(max_length=10_000)] = "",
    max_papers: Annotated[str, Form(max_length=6)] = "",
    recommended: Annotated[str | None, Form(max_length=10)] = None,
) -> ChoicesForm:
    return ChoicesForm(
        frequency,
        trending is not None,
        trending_categories,
        categories,
        authors,
        queries,
        max_papers,
        recommended is not None,
    )


ChoicesDep = Annotated[ChoicesForm, Depends(choices_form)]


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _done(request: Request) -> str | None:
    return DONE_MESSAGES.get(request.query_params.get("done", ""))


# ------------------------------------------------------------------------------ header form
@router.post("/digest/subscribe", response_class=HTMLResponse)
def subscribe_post(
    request: Request,
    pf: PaperfeedDep,
    email: Annotated[str, Form(max_length=320)],
    _csrf: CsrfChecked = None,
) -> Response:
    """The header form (one email field): trending papers, daily; the same answer for any address."""
    fragment = request.headers.get("hx-request") == "true"
    context: dict[str, Any] = {"email": email}
    status = 200
    try:
        choices = make_choices(default_max_papers=pf.settings.digest_max_papers)
        result = subscriptions.subscribe(pf, email, choices, client=_client(request))
        context["sent"] = True
        context["email"] = result.email
        if backend_name(pf.settings) == "console":
            context["delivery"] = describe_delivery(pf.settings)
    except (InvalidInput, RateLimited, Unavailable) as exc:
        context["message"] = str(exc)
        status = 422 if isinstance(exc, InvalidInput) else 429 if isinstance(exc, RateLimited) else 503
    template = "partials/subscribe_status.html" if fragment else "digest_subscribed.html"
    # HTMX swaps only 2xx answers: the fragment carries its error in its text instead.
    return render(request, template, context, status_code=200 if fragment else status)


# ------------------------------------------------------------------------------ links from mail
@router.get("/digest/confirm/{token}", response_class=HTMLResponse)
def confirm_page(request: Request, pf: PaperfeedDep, token: TokenPath) -> Response:
    """One more click: mail scanners that open the link confirm nothing."""
    links.read(pf.settings, "confirm", token, now=pf.clock.now())  # a broken or expired link says so at once
    return render(request, "digest_confirm.html", {"token": token})


@router.post("/digest/confirm/{token}")
def confirm_post(
    request: Request,
    pf: PaperfeedDep,
    token: TokenPath,
    _csrf: CsrfChecked = None,
) -> Response:
    result = subscriptions.confirm(pf, token)
    return _to_manage(pf, result.subscription, "confirmed")


def _to_manage(pf: PaperfeedDep, subscription: Subscription, done: str) -> RedirectResponse:
    target = links.manage_url(pf.settings, subscription.id).split("/digest/manage/", 1)[1]
    return RedirectResponse(f"/digest/manage/{target}?{urlencode({'done': done})}", status_code=303)


@router.get("/digest/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(request: Request, pf: PaperfeedDep, token: TokenPath) -> Response:
    subscription = subscriptions.subscription_for_link(pf, "unsubscribe", token)
    return render(
        request,
        "digest_unsubscribe.html",
        {"token": token, "subscription": subscription, "choices": describe(subscription.choices)},
    )


@router.post("/digest/unsubscribe/{token}")
def unsubscribe_post(
    request: Request,
    pf: PaperfeedDep,
    token: TokenPath,
    one_click: Annotated[str | None, Form(alias="List-Unsubscribe", max_length=20)] = None,
) -> Response:
    """The page's button, and RFC 8058 one-click from mail clients: unsubscribe, answer 200."""
    subscription = subscriptions.unsubscribe(pf, token)
    if one_click is not None:
        return PlainTextResponse(f"{subscription.email} is unsubscribed from this digest.\n")
    return render(
        request,
        "digest_unsubscribe.html",
        {
            "token": token,
            "subscription": subscription,
            "choices": describe(subscription.choices),
            "done": True,
        },
    )


def _manage_context(
    pf: PaperfeedDep, subscription: Subscription, form: ChoicesForm | None = None
) -> dict[str, Any]:
    return {
        "subscription": subscription,
        "form": form or ChoicesForm.of(subscription.choices),
        "choices": describe(subscription.choices),
        "unsubscribe_path": "/digest/unsubscribe/" + links.sign(pf.settings, "unsubscribe", subscription.id),
        "sends": pf.store.sends.sends_of(subscription.id, limit=5),
    }


@router.get("/digest/manage/{token}", response_class=HTMLResponse)
def manage_page(request: Request, pf: PaperfeedDep, token: TokenPath) -> Response:
    subscription = subscriptions.subscription_for_link(pf, "manage", token)
    context = _manage_context(pf, subscription) | {"token": token, "message": _done(request)}
    return render(request, "digest_manage.html", context)


@router.post("/digest/manage/{token}", response_class=HTMLResponse)
def manage_post(
    request: Request,
    pf: PaperfeedDep,
    token: TokenPath,
    form: ChoicesDep,
    action: Annotated[str, Form(pattern="^(save|resume|resubscribe)$")] = "save",
    _csrf: CsrfChecked = None,
) -> Response:
    subscription = subscriptions.subscription_for_link(pf, "manage", token)
    if action == "resume":
        subscriptions.resume(pf, subscription)
        return _to_manage(pf, subscription, "resumed")
    if action == "resubscribe":
        subscriptions.subscribe(pf, subscription.email, subscription.choices, client=_client(request))
        return _to_manage(pf, subscription, "mailed")
    try:
        subscriptions.update_choices(pf, subscription, form.choices(pf.settings.digest_max_papers))
    except InvalidInput as exc:
        context = _manage_context(pf, subscription, form) | {
            "token": token,
            "message": str(exc),
            "error": True,
        }
        return render(request, "digest_manage.html", context, status_code=422)
    return _to_manage(pf, subscription, "saved")


@router.get("/digest/view/{token}", response_class=HTMLResponse)
def view_page(pf: PaperfeedDep, token: TokenPath) -> Response:
    """A sent digest as it was sent ("view in browser")."""
    return HTMLResponse(view_sent(pf, token).html)


# ------------------------------------------------------------------------------ members
def _login_redirect(path: str) -> RedirectResponse:
    return RedirectResponse("/login?" + urlencode({"next": path}), status_code=303)


def _settings_page(
    request: Request,
    pf: PaperfeedDep,
    user: User,
    *,
    message: str | None = None,
    new_form: ChoicesForm | None = None,
    edited: tuple[int, ChoicesForm] | None = None,
) -> Response:
    """The settings page; after a refused form, with the error and what was typed (422)."""
    items = [
        _manage_context(pf, s, edited[1] if edited and edited[0] == s.id else None)
        for s in subscriptions.member_subscriptions(pf, user)
    ]
    error = new_form is not None or edited is not None
    context = {
        "nav": "settings",
        "items": items,
        "new_form": new_form
        or ChoicesForm.of(make_choices(default_max_papers=pf.settings.digest_max_papers)),
        "message": message,
        "error": error,
    }
    return render(request, "settings.html", context, status_code=422 if error else 200)


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, pf: PaperfeedDep, user: UserDep) -> Response:
    """A member's digest subscriptions (those of their address), each editable, and a new one."""
    if user is None:
        return _login_redirect("/settings")
    return _settings_page(request, pf, user, message=_done(request))


@router.post("/settings/subscriptions", response_class=HTMLResponse)
def settings_add(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    form: ChoicesDep,
    _csrf: CsrfChecked = None,
) -> Response:
    if user is None:
        return _login_redirect("/settings")
    try:
        subscriptions.subscribe_member(pf, user, form.choices(pf.settings.digest_max_papers))
    except InvalidInput as exc:
        return _settings_page(request, pf, user, message=str(exc), new_form=form)
    return RedirectResponse("/settings?done=added", status_code=303)


@router.post("/settings/subscriptions/{subscription_id}", response_class=HTMLResponse)
def settings_change(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    subscription_id: int,
    form: ChoicesDep,
    action: Annotated[str, Form(pattern="^(save|resume|unsubscribe|restart)$")] = "save",
    _csrf: CsrfChecked = None,
) -> Response:
    if user is None:
        return _login_redirect("/settings")
    subscription = subscriptions.member_subscription(pf, user, subscription_id)
    if action == "resume":
        subscriptions.resume(pf, subscription)
        return RedirectResponse("/settings?done=resumed", status_code=303)
    if action == "unsubscribe":
        subscriptions.stop(pf, subscription)
        return RedirectResponse("/settings?done=unsubscribed", status_code=303)
    if action == "restart":
        subscriptions.subscribe_member(pf, user, subscription.choices)
        return RedirectResponse("/settings?done=added", status_code=303)
    try:
        subscriptions.update_choices(pf, subscription, form.choices(pf.settings.digest_max_papers))
    except InvalidInput as exc:
        return _settings_page(request, pf, user, message=str(exc), edited=(subscription.id, form))
    return RedirectResponse("/settings?done=saved", status_code=303)


@router.get("/digest/preview", response_class=HTMLResponse)
def preview_page(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    subscription: Annotated[int | None, Query(ge=1)] = None,
    period: DateQuery = None,
) -> Response:
    """A signed-in member's digest as it would be sent now (default: the latest day with papers)."""
    if user is None:
        return _login_redirect("/digest/preview")
    live = [s for s in subscriptions.member_subscriptions(pf, user) if s.status != "unsubscribed"]
    if subscription is not None:
        chosen = subscriptions.member_subscription(pf, user, subscription)
    elif live:
        chosen = live[0]
    else:
        return render(request, "digest_preview_empty.html", {"nav": "settings", "subscription": None})
    result = preview_subscriptions(
        pf, [chosen], day=period, recommendations=PersonalRecommendations(pf, batch=False)
    )[0]
    if result.rendered is None:
        context = {"nav": "settings", "subscription": chosen, "period": result.period}
        return render(request, "digest_preview_empty.html", context)
    return HTMLResponse(result.rendered.html)


# ------------------------------------------------------------------------------ API
CategoryText = Annotated[str, Field(max_length=32)]


class SubscriptionIn(BaseModel):
    """Limits as the use case checks them (:mod:`paperfeed.digest.choices`), so the schema tells the truth."""

    email: str = Field(min_length=3, max_length=320, examples=["reader@example.org"])
    frequency: str = Field(default="daily", pattern="^(daily|weekly)$")
    categories: list[CategoryText] = Field(default_factory=list, max_length=MAX_FOLLOWS, examples=[["cs.CL"]])
    authors: list[Annotated[str, Field(max_length=MAX_AUTHOR_CHARS)]] = Field(
        default_factory=list, max_length=MAX_FOLLOWS, examples=[["Jane Doe"]]
    )
    queries: list[Annotated[str, Field(max_length=MAX_QUERY_CHARS)]] = Field(
        default_factory=list, max_length=MAX_FOLLOWS, examples=[['"world model" -survey cat:cs.LG']]
    )
    trending: StrictBool | list[CategoryText] = Field(
        default=True,
        description="true: site-wide trending; false: none; a list: trending in those categories.",
    )
    max_papers: int | None = Field(
        default=None, ge=1, le=MAX_PAPERS_LIMIT, description="Size limit per digest."
    )
    recommended: StrictBool = Field(
        default=False,
        description="A 'Recommended for you' section: the member's For you ranking, with reasons "
        "(an address without an account gets none).",
    )


@api_router.post(
    "/subscriptions", summary="Subscribe an address to a digest (double opt-in)", status_code=202
)
def api_subscribe(request: Request, pf: PaperfeedDep, body: SubscriptionIn) -> dict[str, Any]:
    """Like the header form: a confirmation mail goes out; the answer is the same for every address."""
    choices = make_choices(
        frequency=body.frequency,
        trending=body.trending,
        categories=body.categories,
        authors=body.authors,
        queries=body.queries,
        max_papers=body.max_papers,
        default_max_papers=pf.settings.digest_max_papers,
        recommended=body.recommended,
    )
    subscriptions.subscribe(pf, body.email, choices, client=_client(request))
    return {
        "status": "accepted",
        "message": "If the address can receive email, a confirmation link is on its way; "
        "nothing else is sent to it before the link is used.",
    }
