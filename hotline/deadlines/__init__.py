"""Deadlines: the working-day calendar, its data and the legal clocks on a case."""
