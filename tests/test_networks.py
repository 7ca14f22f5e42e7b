"""How each network counts a post (app/content/networks.py), and the editor's live counter
(static/js/content-editor.js) counting the same way (run with Node.js when it is installed)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from app.content.networks import NETWORKS, X_LINK_LENGTH, compose, count, remaining

ROOT = Path(__file__).resolve().parent.parent
LONG_URL = "https://www.acme.example/" + "a" * 200


def test_x_counts_every_link_as_23():
    assert count("x", LONG_URL) == X_LINK_LENGTH
    assert count("x", "see http://a.example and " + LONG_URL) == len("see  and ") + 2 * 23


def test_other_networks_count_links_at_their_length():
    assert count("linkedin", LONG_URL) == len(LONG_URL)
    assert count("facebook", LONG_URL) == len(LONG_URL)


def test_x_counts_wide_characters_and_emoji_double():
    assert count("x", "abc") == 3
    assert count("x", "日本語") == 6
    assert count("x", "ok 👍") == 3 + 2
    assert count("x", "éàü") == 3  # accented Latin counts 1
    assert count("linkedin", "日本語👍") == 4  # code points, not bytes or UTF-16 units


def test_compose_adds_hashtags_disclaimer_and_link():
    full = compose("x", "  Hello  ", link="https://x.co/abc", hashtags="one #two",
                   disclaimer=" Ad. ")
    assert full == "Hello\n\n#one #two\n\nAd.\n\nhttps://x.co/abc"
    # hashtags already written into the text are not added twice
    assert compose("x", "Hi #one #two", hashtags="one two") == "Hi #one #two"
    assert compose("linkedin", "", hashtags="##", disclaimer="") == ""


def test_limits_and_remaining():
    assert {k: r.limit for k, r in NETWORKS.items()} == {"linkedin": 3000, "x": 280,
                                                         "facebook": 63206}
    assert remaining("x", "a" * 300) == -20


CASES = [
    ("x", "Plain text", "", ""),
    ("x", "Read " + LONG_URL + " now", "launch news", "Ad."),
    ("x", "日本語のテキスト 👍🏽 ✅ ☕", "#tag", ""),
    ("x", "Hi #launch", "launch", "Sponsored"),
    ("linkedin", "Proud of the team 🎉 " + LONG_URL, "careers", "Views are my own."),
    ("facebook", "Ça marche très bien — 𝒜", "", ""),
]


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_editor_counts_like_the_server():
    script = (ROOT / "static/js/content-editor.js").read_text()
    harness = """
global.window = {};
global.document = {readyState: "complete", addEventListener() {},
                   querySelectorAll() { return []; }};
eval(require("fs").readFileSync(0, "utf8").split("\\n//CASES\\n")[0]);
const cases = JSON.parse(process.argv[1]);
const link = "https://x.co/" + "x".repeat(10);
const out = cases.map(([net, text, tags, disclaimer]) => {
  const full = window.RelaisCount.compose(text, link, tags, disclaimer);
  return [full, window.RelaisCount.count(full, net === "x" ? 23 : 0, net === "x")];
});
console.log(JSON.stringify(out));
"""
    result = subprocess.run(["node", "-e", harness, json.dumps(CASES)], input=script,
                            capture_output=True, text=True, timeout=30, check=True)
    got = json.loads(result.stdout)
    link = "https://x.co/" + "x" * 10
    for (network, text, tags, disclaimer), (js_full, js_count) in zip(CASES, got, strict=True):
        full = compose(network, text, link=link, hashtags=tags, disclaimer=disclaimer)
        assert js_full == full
        assert js_count == count(network, full), (network, text)
