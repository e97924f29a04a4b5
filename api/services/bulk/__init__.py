"""Bulk orders shared among artisans, and what the cooperative owes each of them
(docs/bulk-orders.md)."""
