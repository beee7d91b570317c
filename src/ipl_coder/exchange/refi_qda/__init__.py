"""REFI-QDA, the exchange standard of NVivo, ATLAS.ti, MAXQDA and QualCoder: codebooks (.qdc) both ways."""
