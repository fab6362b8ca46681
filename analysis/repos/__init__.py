"""Versioning in the repositories and in real histories: the repos feed's practices (`practices`), predecessors
and lineages (`predecessors`), weight changes (`weights`, `weight_history`), Ajibode et al.'s data (`ajibode`), sampled
repositories (`sampling`), and the report sections on real data (`real_data`)."""
