"""Readers for files other tools write: REFI-QDA codebooks and projects."""
