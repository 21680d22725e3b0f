"""Fixtures for call handling: a caller's phone, a frozen clock inside opening hours."""



# Tuesday 2025-06-10 10:00 in Shanghai: a working day inside the default opening hours.
OPEN_TIME_UTC = "2025-06-10 02:00:00"
