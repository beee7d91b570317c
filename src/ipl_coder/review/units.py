"""The units people's coding is compared on: sentences or paragraphs of the participants' turns.

Both ``agreement`` comparisons (two coders, and the machine against a coder)
mark a unit × code as coded when a passage with that code overlaps the unit.
The cutting itself is :mod:`ipl_coder.coding.units`, shared with the
co-occurrence count so both see the same sentences; here is only which of its
units the comparisons offer.
"""

from __future__ import annotations

from ipl_coder.coding.units import TranscriptUnits, Unit, UnitSplitter, participant_units

COMPARISON_UNITS = ("sentence", "paragraph")

__all__ = ["COMPARISON_UNITS", "TranscriptUnits", "Unit", "UnitSplitter", "participant_units"]
