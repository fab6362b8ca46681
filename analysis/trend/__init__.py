"""Versioning over time: shares per snapshot, task and creation month (`run`), its figures (`figures`) and its
report (`report`)."""
