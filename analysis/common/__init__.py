"""Shared by every stage, importing no other part of the analysis: intervals of a share and the minimum n
(`intervals`), where the shared data are (`paths`), forked work (`parallel`), the progress display (`progress`) and an
output folder replaced only by a complete run (`staging`)."""
