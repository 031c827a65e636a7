"""The course's student-facing helpers: the CIFAR-10 loaders the homework notebooks import."""
