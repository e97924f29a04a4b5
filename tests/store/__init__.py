"""The engine: revision trees, the document store, its setup and migrations."""
