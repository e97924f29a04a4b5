"""Domain logic, with no Flask in it: each function takes the store and what it needs."""
