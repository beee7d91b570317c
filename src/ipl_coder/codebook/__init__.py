"""The codebook: its model, reading and validating YAML, editing it in place, and the tools that test, lint and diff it."""
