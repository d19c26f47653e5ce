"""Recording: resolve and wrap targets, observe calls, redact, write cases.

``legacy_harness.record`` names two things: this stage package and the public
decorator :func:`legacy_harness.record.recorder.record`. Python binds the package to the
name as soon as any of its modules is imported, so the package itself is callable and
hands the call to the decorator: ``@legacy_harness.record`` works whatever was imported
first, and loading the package stays cheap.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any


class _DecoratorPackage(ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from legacy_harness.record.recorder import record

        return record(*args, **kwargs)


sys.modules[__name__].__class__ = _DecoratorPackage
