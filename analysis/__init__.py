"""The study, re-run and extended: from a crawl feed, a list folder or a Hub snapshot to tables, figures and a report.

Rooms, lowest first; a room imports only the rooms above it in this list (tests/test_import_layers.py):
    common/    intervals and the minimum n, shared-data paths, forked work, progress, staged output folders
    report/    the writing kit: sections, Markdown tables, figures, synthetic labels, the report document
    inputs/    feeds, the study's lists and Hub snapshots -> one table of models; the Hub's task names
    versions/  what a version is: the study's regex, the detector and its rules, generations, taxonomy, evaluation
    repos/     the repositories and real histories: practices, predecessors, weight changes, Ajibode et al.'s data
    study/     one module per experiment of the study, and `run`, the whole study in one call
    trend/     versioning over time, beside the study
`cli` (`python -m analysis study|trend|detect`) sits on top.
"""
