"""What the registries of pluggable parts (embedders, generators, stores) hold: a name -> a ``Plugin``.

A plugin names its constructor as ``"module:attribute"`` and is imported only when first built, so
listing the names (CLI help and choices, settings validation, the UI) loads no model and no torch.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import InputError


@dataclass(frozen=True)
class Plugin:
    """One implementation of a role: where its constructor lives, and how people see it."""

    target: str  # "package.module:attribute"
    label: str = ""  # a short name for people (the UI shows it)
    about: str = ""  # one line more, where the label needs it

    def __post_init__(self) -> None:
        module, _, attr = self.target.partition(":")
        if not module or not attr:
            raise ValueError(f"plugin target must be 'module:attribute', got {self.target!r}")

    def load(self) -> Any:
        """The constructor: a class or a function (its module imported now)."""
        module, _, attr = self.target.partition(":")
        return getattr(importlib.import_module(module), attr)


def lookup(registry: Mapping[str, Plugin], name: str, role: str) -> Plugin:
    """``registry[name]``, or an ``InputError`` that lists the names there are."""
    try:
        return registry[name]
    except KeyError:
        raise InputError(f"{role} must be one of {tuple(registry)}, got {name!r}") from None
