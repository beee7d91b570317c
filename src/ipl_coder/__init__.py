"""ipl-coder: deductive pre-coding of interview transcripts against a YAML codebook."""

__version__ = "0.1.0"
