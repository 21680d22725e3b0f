"""Open311 GeoReport v2: our categories as services, cases as service requests."""
