"""Views of the public pages, counted with respect for the visitor (issue 17).

No cookie, no stored address, no third-party script. A view of ``/p/{id}``,
``/c/{id}`` or ``/catalog`` is recorded in memory by the request (``hook.py``), summed
per day, page and source, and written by ``ViewCounter.flush`` in one transaction
every few seconds (``counter.py``) into ``page_views``. Unique visitors are a keyed
hash of (address, user agent) under a salt that lives for one UTC day
(``visitors.py``); the source comes from ``?via=``, ``utm_source`` or the referrer's
host (``sources.py``); crawlers are not counted and link-preview fetchers are counted
apart, as previews (``bots.py``). The design and its choices are in ``counter.py`` and
``visitors.py``; docs/marketing.md tells it whole.
"""
