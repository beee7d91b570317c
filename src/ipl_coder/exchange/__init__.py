"""File formats shared with other tools, each with its reader and writer together."""
