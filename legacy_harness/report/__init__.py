"""Rendering differences and run summaries for people and machines."""
