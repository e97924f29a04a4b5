"""The pages' words, one module per language."""
