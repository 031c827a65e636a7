"""Evidence: what the static reading, the student's run and the fresh process showed, gathered once per
submission in the grader's own process, and the findings that compare them."""
