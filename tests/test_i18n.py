"""Every user-visible string has a French translation; pages switch language."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def test_every_message_is_translated_to_french(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
                    str(ROOT / "app/translations/babel.cfg"), "-k", "_l", "-o", str(pot),
                    "app", "templates"], cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as fh:
        extracted = {m.id for m in read_po(fh) if m.id}
    with (ROOT / "app/translations/fr/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh)
    missing = sorted(str(mid) for mid in extracted
                     if not catalog.get(mid) or not catalog.get(mid).string
                     or catalog.get(mid).fuzzy)
    assert not missing, f"{len(missing)} untranslated (run make extract-messages): {missing[:10]}"


def test_language_switch_and_user_language(client, db, auth):
    from tests.factories import UserFactory

    response = client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert 'lang="fr"' in response.text
    client.post("/language", data={"lang": "en", "next": "/login"})
    assert 'lang="en"' in client.get("/login").text
    user = UserFactory(language="fr")
    auth.login(user)
    assert 'lang="fr"' in client.get("/profile").text
