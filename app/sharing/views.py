"""Share pages: share an item to a network (by share intent), what to do once the share is
recorded, and "My shares". Routes only: the rules live in services.py, the reads in
queries.py."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from app.common.errors import ServiceError
from app.common.web import current_actor, db, get_or_404, render_invalid
from app.content.models import ContentItem
from app.content.networks import NETWORKS as TEXT_RULES
from app.sharing import bp, services
from app.sharing.forms import ShareForm
from app.sharing.models import Share, ShareMethod
from app.sharing.networks import SHARE_NETWORKS, intent_url
from app.sharing.queries import my_shares as my_shares_query

#: what the live counter adds for the tracked link: the same placeholder as
#: services.final_text, so the browser and the server agree on "too long"
PLACEHOLDER_LINK = "https://r.example/" + "x" * 11


def _me():
    return current_user._get_current_object()


def tracked_link(code: str) -> str:
    """The absolute /r/<code> URL, on the configured BASE_URL (not the request's host)."""
    try:
        path = url_for("sharing.redirect", code=code)
    except BuildError:  # the redirector is not registered (yet): same path by hand
        path = "/r/" + code
    return current_app.config["BASE_URL"].rstrip("/") + path


def default_network(item: ContentItem) -> str:
    """The first network the item has suggested text for; LinkedIn otherwise."""
    for key, rules in SHARE_NETWORKS.items():
        if rules.limit is not None and item.text_for(rules.text_network).strip():
            return key
    return "linkedin"


def suggested_text(item: ContentItem, network: str) -> str:
    """What the text box starts with: the item's text for that network (or the title),
    without hashtags and disclaimer, which are appended (services.final_text)."""
    rules = SHARE_NETWORKS[network]
    return (item.text_for(rules.text_network).strip() if rules.text_network else "") \
        or item.title


def _share_page(item: ContentItem, form: ShareForm, network: str):
    rules = SHARE_NETWORKS[network]
    text_rules = TEXT_RULES.get(rules.text_network or "")
    if item.text_locked:  # what will be shared, whatever the form says
        form.text.data = suggested_text(item, network)
    #: network → ConnectedAccount (what sharing/_api_form.html expects)
    connected = services.connected_accounts(db(), _me())
    return dict(item=item, form=form, network=network, rules=rules, networks=SHARE_NETWORKS,
                link_weight=(text_rules.links_count_as or 0) if text_rules else 0,
                wide_double=bool(text_rules and text_rules.wide_chars_double),
                placeholder_link=PLACEHOLDER_LINK,
                reach=services.reach_snapshot(db(), _me(), network),
                connected=connected, decision=None)


def _refused(decision: services.Decision):
    return render_template("sharing/share.html", item=None, decision=decision), 403


@bp.route("/share/<int:item_id>", methods=["GET", "POST"])
def share(item_id: int):
    item = get_or_404(ContentItem, item_id)
    decision = services.may_share(db(), _me(), item)
    if not decision.allowed:
        return _refused(decision)
    form = ShareForm()
    if request.method == "GET":
        network = request.args.get("network", "")
        if network not in SHARE_NETWORKS:
            network = default_network(item)
        form.network.data = network
        form.text.data = suggested_text(item, network)
        return render_template("sharing/share.html", **_share_page(item, form, network))

    network = form.network.data if form.network.data in SHARE_NETWORKS \
        else default_network(item)
    if not form.validate_on_submit():
        return render_invalid("sharing/share.html", **_share_page(item, form, network))
    try:
        created = services.create_share(db(), current_actor(), _me(), item, network=network,
                                        text=form.text.data, method=ShareMethod.INTENT)
    except ServiceError as exc:
        field = form.network if exc.field == "network" else form.text
        field.errors = [*field.errors, exc.message]
        return render_invalid("sharing/share.html", **_share_page(item, form, network))
    return redirect(url_for("sharing.share_result", share_id=created.id), code=303)


def _own_share(share_id: int) -> Share:
    """The share if it is the signed-in person's own (404 otherwise: no peeking)."""
    found = db().get(Share, share_id)
    if found is None or found.user_id != current_user.id:
        abort(404)
    return found


@bp.get("/my/shares/<int:share_id>")
def share_result(share_id: int):
    """After sharing by intent: open the network's composer, copy the text and the link."""
    found = _own_share(share_id)
    link = tracked_link(found.code)
    item = db().get(ContentItem, found.item_id)
    opener = None
    if found.method == ShareMethod.INTENT:
        opener = intent_url(found.network, text=found.text, link=link, subject=item.title)
    return render_template("sharing/result.html", share=found, item=item, link=link,
                           opener=opener, rules=SHARE_NETWORKS.get(found.network))


@bp.get("/my/shares")
def my_shares():
    page, totals = my_shares_query(db(), current_user.id,
                                   request.args.get("page", 1, type=int),
                                   current_app.config["PER_PAGE"])
    return render_template("sharing/my_shares.html", page=page, totals=totals,
                           networks=SHARE_NETWORKS, tracked_link=tracked_link)
