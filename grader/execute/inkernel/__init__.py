"""Code that runs inside the student's kernel or the fresh measuring process, never in the grader.

Each module is plain Python of the standard library alone (torch, numpy and PIL are imported inside the
functions that probe the student's model), so that it reads, lints and tests as ordinary code. The grader
never runs these modules itself: :mod:`grader.execute.payload` sends each one as source text with its
siblings inlined, and the grader only imports the names both sides must agree on (files, message kinds).
"""
