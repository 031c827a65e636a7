"""One module per verb group of the ``grader`` command; each adds its verbs with ``register``."""
