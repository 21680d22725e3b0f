"""The scheduler process, its leader election and the registry of jobs."""
