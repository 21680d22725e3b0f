"""The scheduler job that keeps the dashboard's daily roll-ups current (issue 7)."""
