"""Inputs -> tables: crawl feeds and the study's per-task lists (`load`), Hub snapshots (`snapshots`), the Hub's
task names over time (`tasks`)."""
