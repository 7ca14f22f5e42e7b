"""A person's data export and erasure cover every feature's personal data: shares and
connected accounts, points and badges, notices, single sign-on identities."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.accounts.sso_models import SsoIdentity
from app.gamification import services as gamification
from app.gamification.models import Action, LedgerEntry
from app.notifications import services as notices
from app.notifications.models import Notice
from app.sharing.models import ConnectedAccount, Share
from tests import factories_gamification as g
from tests.factories import UserFactory


def _person_with_data(db):
    person = UserFactory(name="Pia Person", email="pia@acme.example")
    shared = g.share(db, person, reach=321)
    g.click(db, shared, "visitor-1")
    g.click(db, shared, "bot-1", bot=True)
    db.add(ConnectedAccount(user_id=person.id, network="linkedin", external_id="li-9",
                            display_name="Pia on LinkedIn", access_token_enc="secret"))
    db.add(SsoIdentity(user_id=person.id, issuer="https://idp.acme.example", subject="s-9"))
    gamification.award(db, user_id=person.id, action=Action.SHARE, key=f"test:{person.id}",
                       occurred_at=shared.created_at, source_type="share", source_id=shared.id)
    notices.notify(db, user_id=person.id, kind="gamification.level",
                   params={"level": 2})
    db.flush()
    return person, shared


def test_my_export_has_every_features_part(client, db, auth):
    person, shared = _person_with_data(db)
    auth.login(person)

    data = json.loads(client.get("/profile/export.json").get_data(as_text=True))

    [exported_share] = data["shares"]
    assert exported_share["reach"] == 321 and exported_share["human_clicks"] == 1
    assert exported_share["text"] == shared.text
    assert data["connected_accounts"][0]["name"] == "Pia on LinkedIn"
    assert "secret" not in json.dumps(data)  # tokens never leave
    assert data["single_sign_on"][0]["subject"] == "s-9"
    assert data["gamification"]["points_ledger"][0]["action"] == "share"
    assert len(data["notices"]) == 1 and data["notices"][0]["text"]
    assert data["api_tokens"] == []


def test_erasure_deletes_linked_personal_data_and_keeps_the_numbers(client, db, auth):
    auth.as_role("admin")
    person, shared = _person_with_data(db)

    response = client.post(f"/admin/people/{person.id}/erase",
                           data={"confirm_email": "pia@acme.example"})

    assert response.status_code == 302
    db.expire_all()
    assert db.scalars(select(ConnectedAccount).where(ConnectedAccount.user_id == person.id)
                      ).all() == []
    assert db.scalars(select(SsoIdentity).where(SsoIdentity.user_id == person.id)).all() == []
    assert db.scalars(select(Notice).where(Notice.user_id == person.id)).all() == []
    kept = db.get(Share, shared.id)
    assert kept is not None and kept.text == "" and kept.reach == 321
    assert db.scalars(select(LedgerEntry).where(LedgerEntry.user_id == person.id)).all()
