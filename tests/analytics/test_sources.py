"""Who is counted and where a view came from: the user agents and the source tags."""

from __future__ import annotations

import pytest

from api.services.analytics import bots, sources

PEOPLE = [
    "Mozilla/5.0 (Linux; Android 10; SM-A105F) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/440.0]",  # Facebook's in-app browser
    "Mozilla/5.0 (Linux; Android 9; CUBOT X20) AppleWebKit/537.36 Chrome/99 Mobile",
]
PREVIEWS = [
    "WhatsApp/2.23.20.0 A",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Mozilla/5.0 (compatible; Facebot/1.0)",
    "Twitterbot/1.0",
    "TelegramBot (like TwitterBot)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
]
ROBOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.0)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0",
    "curl/8.5.0",
    "python-requests/2.31.0",
    "Go-http-client/1.1",
    "",
    None,
]


@pytest.mark.parametrize("ua", PEOPLE)
def test_browsers_of_people_are_views(ua):
    assert bots.classify(ua) == bots.VIEW


@pytest.mark.parametrize("ua", PREVIEWS)
def test_link_preview_fetchers_are_previews(ua):
    assert bots.classify(ua) == bots.PREVIEW


@pytest.mark.parametrize("ua", ROBOTS)
def test_crawlers_and_scripts_are_robots(ua):
    assert bots.classify(ua) == bots.BOT


def test_an_enormous_user_agent_is_read_only_in_part():
    assert bots.classify("Mozilla/5.0 " + "x" * 1_000_000 + " Googlebot") == bots.VIEW


@pytest.mark.parametrize(
    ("via", "utm", "referrer", "source"),
    [
        ("whatsapp", None, None, "whatsapp"),
        ("WhatsApp ", None, "https://www.google.com/", "whatsapp"),  # the tag wins
        ("qr", "facebook", None, "qr"),
        ("link", None, None, "link"),
        ("facebook", None, None, "facebook"),
        ("<script>alert(1)</script>", None, None, "other"),  # forged: one word, "other"
        ("x" * 100_000, None, None, "other"),
        ("", "fb", None, "facebook"),  # an empty tag is no tag
        (None, "whatsapp", None, "whatsapp"),
        (None, "newsletter", None, "other"),
        (None, "'; DROP TABLE page_views; --", None, "other"),
        (None, None, "https://www.google.com/search?q=tapis", "ref:google.com"),
        (None, None, "https://L.Facebook.com/l.php?u=x", "facebook"),
        (None, None, "https://wa.me/212600000000", "whatsapp"),
        (None, None, "http://hirfa.example.ma/catalog", "internal"),
        (None, None, "http://localhost:5000/c/coop", "internal"),
        (None, None, "https://user:pw@Blog.Example.org:8443/a?b#c", "ref:blog.example.org"),
        (None, None, "https://" + "a" * 300 + ".com/", "ref:" + "a" * 56),
        (None, None, "http://[::1/", "other"),  # unbalanced bracket
        (None, None, "http://203.0.113.9/", "other"),  # an address is not kept
        (None, None, "not a url", "other"),
        (None, None, "https://ex%00ample.com/", "other"),
        (None, None, "", "direct"),
        (None, None, None, "direct"),
    ],
)
def test_source_of_a_view(via, utm, referrer, source):
    got = sources.source_of(via, utm, referrer, ["hirfa.example.ma", "localhost"])
    assert got == source
    assert len(got) <= sources.SOURCE_MAX
