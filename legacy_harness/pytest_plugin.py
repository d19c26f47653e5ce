"""pytest plugin for legacy-harness: golden masters as test items and the golden fixture."""
