"""The fixture under its short name, ``golden``, and clashes over that name.

``golden`` is ``legacy_golden`` under the name users type. Another plugin may own the
name (pytest-golden's fixture is ``golden``), and pytest would then let one silently
shadow the other. So this module is registered as a plugin, offering ``golden``, only
when no other plugin defines it; otherwise the run says so once, in its header and as a
warning, and names the way out.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # pragma: no cover
    from legacy_harness.pytest_plugin.golden import Golden

__all__ = ["fixture_owners", "golden", "offer_short_name"]

SHORT_NAME = "golden"


@pytest.fixture
def golden(legacy_golden: Golden) -> Golden:
    """Characterization checks kept as masters in the golden store: ``legacy_golden``."""
    return legacy_golden


def offer_short_name(config: pytest.Config) -> str | None:
    """Register ``golden`` unless another plugin defines it; else warn and say why."""
    manager = config.pluginmanager
    owners = fixture_owners(manager, SHORT_NAME)
    if not owners:
        this = sys.modules[__name__]
        if not manager.is_registered(this):
            manager.register(this, "legacy-harness-golden")
        return None
    names = ", ".join(f"{name!r} ({where})" for name, where in owners)
    message = (
        f"the fixture 'golden' belongs to plugin {names}, so legacy-harness offers its"
        " checks as 'legacy_golden' only; ask for 'legacy_golden', or disable the other"
        f" plugin with -p no:{owners[0][0]} to use 'golden'"
    )
    config.issue_config_time_warning(pytest.PytestConfigWarning(message), stacklevel=2)
    return message


def fixture_owners(manager: pytest.PytestPluginManager, name: str) -> list[tuple[str, str]]:
    """``(plugin name, module)`` of every registered plugin but ours defining fixture
    ``name``. conftest.py files are left out: overriding a fixture there is pytest's
    documented way to replace it, a choice rather than a clash."""
    ours = {id(sys.modules[__name__]), id(sys.modules[__package__ or "legacy_harness"])}
    found = []
    for plugin_name, plugin in manager.list_name_plugin():
        if plugin is None or id(plugin) in ours or _is_conftest(plugin):
            continue
        namespace = vars(plugin) if isinstance(plugin, types.ModuleType) else vars(type(plugin))
        if any(_fixture_name(value) == name for value in list(namespace.values())):
            module = getattr(plugin, "__name__", type(plugin).__module__)
            found.append((plugin_name, str(module)))
    return found


def _is_conftest(plugin: object) -> bool:
    return isinstance(plugin, types.ModuleType) and (
        (getattr(plugin, "__file__", None) or "").replace("\\", "/").endswith("/conftest.py")
    )


def _fixture_name(value: Any) -> str | None:
    """The fixture name ``value`` defines, if it is a pytest fixture.

    Read from what ``@pytest.fixture`` leaves behind, without ``getattr`` on arbitrary
    objects (a lazy module in a plugin's namespace must not be imported by looking).
    """
    if type(value).__name__ == "FixtureFunctionDefinition":  # pytest >= 8.4
        return str(value.name)
    if isinstance(value, types.FunctionType):  # older pytest marks the function
        marker = value.__dict__.get("_pytestfixturefunction")
        if marker is not None:
            return str(getattr(marker, "name", None) or value.__name__)
    return None
