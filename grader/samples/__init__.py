"""Sample submissions and classes made from the reference notebooks, for the demo, tests and benchmarks."""
