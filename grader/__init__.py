"""Autograder and submission checker for the CIFAR-10 CNN homework."""

__version__ = "0.1.0"
