"""Warnings that point at the user's line, not into the library.

``warnings.warn(..., stacklevel=user_stacklevel())`` counts the frames between the call
and the first frame outside the retroprop package: the user's ``trainer.fit(...)`` or
``loss(...)`` line, however deep in the library the warning is raised.
"""

from __future__ import annotations

import os
import sys

PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def user_stacklevel() -> int:
    """The ``stacklevel`` for a ``warnings.warn`` called by the caller of this function."""
    frame = sys._getframe(1)  # the function that calls warnings.warn: stacklevel 1
    level = 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(PACKAGE):
        frame = frame.f_back
        level += 1
    return level
