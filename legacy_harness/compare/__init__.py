"""Comparison: tolerance policy, scrubbers, the engine, unstable fields."""
