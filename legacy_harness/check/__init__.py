"""The CI gate: verify every master and enforce the project's policies."""
