"""Benchmarks: `python -m bench` (see bench/README.md). Never part of `make test`'s pass or fail."""
