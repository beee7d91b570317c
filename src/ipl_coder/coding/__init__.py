"""Coding transcripts: the spaCy pipeline, the coders that turn matches into segments, parallel workers, the project run and the files it keeps up to date."""
