"""The TAs' review: what a student wrote for each manually graded question, found in their report."""
