"""The study, reproduced from a crawl feed: version regex, task shares, Pareto, tokens, groups, organisations."""
