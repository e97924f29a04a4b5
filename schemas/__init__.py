"""marshmallow schemas: the single source of truth for documents and request/response bodies."""
