"""Hirfa's tests, one folder per layer (docs/architecture.md, "Layers"):

- ``store/``: the engine: revision trees, the document store, its batching, its
  differential test against pouchdb-server, its setup and migrations.
- ``rules/``: the document rules the store applies: who may read and write what through
  /sync, order moves, stock conflicts.
- ``sync_http/``: the HTTP face of sync: the CouchDB protocol (PouchDB, pouchdb-server as
  the baseline), the compact protocol, gzip, the first-sync snapshot.
- ``replication/``: the replicator and its worker, with the CouchDB-compatible hub.
- ``api/``: the app: accounts, sign-in, products, orders, reviews, photos and media, the
  catalogue, push, backups, the HTTP contract, the production server, the demo data.
- ``pages/``: the server-rendered pages, and the review page in a real browser.
- ``support/``: what the tests share: helpers, fakes, real servers (some loaded as
  plugins by conftest.py). Test modules import from there, never from one another.

The top level keeps the tests of the code's shape: the layers, and this layout.
Every folder is a package, so modules are named by folder (``tests.store.test_store``).
"""
