"""Counting codes for a researcher: frequencies by participant group."""
