"""Reference solutions of the CNN homework: models, a fast trainer and the experiments of each lab."""
