"""The document rules: access through /sync, order moves, stock conflicts."""
