"""The roof: the `anpei` command line and `anpei demo`, which start and join every other package.

Nothing imports this package (import-linter contract in pyproject.toml); it imports them all. The
ground floor is `anpei` (settings, clock, formula-safe cells, ID masking), which imports none of them.
"""
