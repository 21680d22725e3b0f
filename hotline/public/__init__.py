"""Pages for the public: the case-status page."""
