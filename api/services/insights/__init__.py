"""What a cooperative's listings are doing (issue 17): views of its pages, the previews
shared links drew, orders and deliveries, by ISO week, by source and by product.

- ``periods``: ISO weeks and the bounded periods asked for (a year at most).
- ``figures``: the figures of a cooperative or an artisan, read from ``page_views``
  (kept by api/services/analytics/) and from the order documents found through the list
  index (api/services/list_index.py), never a scan of every document.
- ``export``: the figures as CSV, one row per week, page and source, streamed.
- ``summary``: the artisan's own figures as her ``insights:<id>`` document.
- ``digest``: the weekly push to artisans and coordinators.
"""
