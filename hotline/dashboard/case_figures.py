"""Filled in this session (issue 7)."""
