"""A piece of the study's report: what an experiment module hands to the report writer."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Section:
    """One report section. Paths are relative to the study's output folder (e.g. `figures/e1_version_share.png`)."""

    title: str
    markdown: str  # body in Markdown; may cite the figures and tables below by their relative paths
    figures: list[Path] = field(default_factory=list)
    tables: list[Path] = field(default_factory=list)
    key: str = ""  # short id used in summary.json and anchors, e.g. "e1"
