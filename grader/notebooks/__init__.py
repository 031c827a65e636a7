"""Notebook-level tools: rewriting a notebook's settings before it runs (quick mode)."""
