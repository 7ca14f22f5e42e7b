"""Crawler, link-preview and headless-browser detection (app/sharing/bots.py)."""

from __future__ import annotations

import pytest

from app.sharing.bots import is_bot

BOTS = {
    "LinkedInBot": "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Twitterbot": "Twitterbot/1.0",
    "facebookexternalhit": "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Slackbot": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Discordbot": "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "TelegramBot": "TelegramBot (like TwitterBot)",
    "WhatsApp": "WhatsApp/2.23.20.0 A",
    "Mastodon": "Mastodon/4.2.1 (http.rb/5.1.1; +https://mastodon.social/)",
    "bitlybot": "bitlybot/3.0 (+http://bit.ly/)",
    "Googlebot": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "generic bot": "Mozilla/5.0 (compatible; SomeNewBot; +https://example.com)",
    "generic crawler": "AcmeCrawler 0.1",
    "generic spider": "little-spider/2",
    "generic preview": "Mozilla/5.0 (compatible; LinkPreview/1.0)",
    "HeadlessChrome": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                      "HeadlessChrome/120.0.0.0 Safari/537.36",
    "PhantomJS": "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) "
                 "PhantomJS/2.1.1 Safari/538.1",
    "python-requests": "python-requests/2.31.0",
    "curl": "curl/8.5.0",
    "empty": "",
    "blank": "   ",
}

HUMANS = {
    "Chrome": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/120.0.0.0 Safari/537.36",
    "Chrome Android": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like "
                      "Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
    "Firefox": "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Safari": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like "
              "Gecko) Version/17.0 Safari/605.1.15",
    "Safari iPhone": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
                     "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    "Edge": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
    "LinkedIn in-app browser (a person)": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) "
                                          "AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 "
                                          "[LinkedInApp]/9.29.8",
    "Cubot phone (not a robot)": "Mozilla/5.0 (Linux; Android 9; CUBOT X19) AppleWebKit/537.36 "
                                 "(KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
}


@pytest.mark.parametrize("user_agent", BOTS.values(), ids=BOTS.keys())
def test_crawlers_and_preview_fetchers_are_bots(user_agent):
    assert is_bot(user_agent)


def test_missing_user_agent_is_a_bot():
    assert is_bot(None)


@pytest.mark.parametrize("user_agent", HUMANS.values(), ids=HUMANS.keys())
def test_browsers_are_not_bots(user_agent):
    assert not is_bot(user_agent)


def test_explicit_names_match_whatever_the_case():
    assert is_bot("linkedinbot/1.0")
    assert is_bot("FACEBOOKEXTERNALHIT/1.1")


def test_verdicts_are_cached_per_user_agent():
    is_bot.cache_clear()
    is_bot(HUMANS["Firefox"])
    is_bot(HUMANS["Firefox"])
    info = is_bot.cache_info()
    assert (info.hits, info.misses) == (1, 1)
