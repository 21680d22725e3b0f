"""The scheduler's jobs. Each calls services; none touches a view."""
