"""`stedi aws deploy` and what it builds: the package's wheels, the Glue job, the bucket's rule.

Commands of the top layer: they use the lake, its catalog and the low AWS plumbing
(stedi/aws: the session, retries, faults, the secret), never the other way round.
"""
