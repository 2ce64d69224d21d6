"""Use cases: one function each, one transaction each; views and jobs both call these."""
