"""Marker for texts that the presentation layer translates.

The domain never translates (it has no idea who is reading); it only marks English message ids
so that Babel's extractor collects them into the catalogues. The error router translates them.
"""


def N_(message: str) -> str:
    """Return the message unchanged; exists so `pybabel extract -k N_` finds it."""
    return message
