"""The TAs' grades of manual and inconclusive items: kept in OUT beside the results, merged into the score."""
