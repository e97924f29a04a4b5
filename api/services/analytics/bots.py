"""Who is asking: a person, a link-preview fetcher or another robot, by the user agent.

A preview fetcher (WhatsApp, Facebook, Telegram... making the card of a shared link)
means the link was shared: counted apart, as a preview. Any other robot (search
engines' crawlers, monitors, HTTP libraries such as curl or python-requests, headless
browsers) is not counted at all. Every browser a person uses says ``Mozilla/`` (or, for
very old Opera, ``Opera``); a user agent without it is a script.
"""

from __future__ import annotations

import re
from functools import lru_cache

VIEW, PREVIEW, BOT = "view", "preview", "bot"

# Only the first characters are read: a user agent is a header anyone can make huge.
UA_MAX = 512

_PREVIEW = re.compile(
    r"whatsapp|facebookexternalhit|facebot|twitterbot|telegrambot|slackbot|slack-imgproxy"
    r"|linkedinbot|discordbot|skypeuripreview|redditbot|embedly|iframely|mastodon"
    r"|pinterestbot|snap url preview|viber|vkshare|bitlybot|google-pagerenderer"
)
# Crawlers that also say Mozilla/ (Googlebot, bingbot...), headless browsers, monitors.
# "cubot" is a phone brand, not a robot.
_ROBOT = re.compile(
    r"(?<!cu)bot\b|bot[/_;-]|crawl|spider|slurp|scrap|fetch|archiv|headless|phantomjs"
    r"|lighthouse|pagespeed|monitor|uptime|validator|python|curl|wget|httpclient|http-client"
    r"|okhttp|java/|go-http|libwww|axios|node-fetch|undici|\+https?://"
)
_BROWSER = re.compile(r"mozilla/|^opera")


def classify(user_agent: str | None) -> str:
    """VIEW for a person's browser, PREVIEW for a link-preview fetcher, BOT otherwise."""
    return _classify((user_agent or "")[:UA_MAX])


@lru_cache(maxsize=4096)  # a page's visitors share a few hundred user agents
def _classify(user_agent: str) -> str:
    ua = user_agent.lower()
    if _PREVIEW.search(ua):
        return PREVIEW
    if not _BROWSER.search(ua) or _ROBOT.search(ua):
        return BOT
    return VIEW
