"""The study, one module per experiment: version shares (`version_share`, e1/e2a), the Pareto cut (`pareto`),
version tokens (`tokens`, e2b), token groups (`groups`, e2c), organisations (`organisations`, e3), the regex against
the detector (`compare`), the conclusion (`conclusion`), and the whole study in one call (`run`)."""
