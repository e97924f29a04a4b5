"""The server-rendered pages, and the review page in a real browser."""
