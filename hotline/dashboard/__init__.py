"""Supervisors' live wall and reports: figures computed from the stored facts."""
