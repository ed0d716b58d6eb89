"""Benchmarks of the generated service against its peers, measured side by side in one run.

Run from the repository root with `python -m bench` (`python -m bench --help` for the options).
"""
