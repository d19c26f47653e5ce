"""Recording: resolve and wrap targets, observe calls, redact, write cases."""
