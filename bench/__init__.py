"""`make bench`: cold-start and throughput figures (printed, never asserted by tests)."""
