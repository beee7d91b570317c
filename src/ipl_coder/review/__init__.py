"""People reviewing the machine's suggestions: the interactive session, decisions from sheets, and agreement figures."""
