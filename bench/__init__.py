"""Benchmarks: `python -m bench` builds each scenario in a database of its own and prints a table.

Not tests: nothing here asserts a timing. tests/bench/ only runs every scenario at a toy size.
"""
