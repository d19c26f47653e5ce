"""The one way a family of values joins the codec: :func:`register_family`.

Every tag family (builtins, numpy, pandas, classes) is a :class:`TagFamily` that says
which types it encodes and which tags it decodes, and registers itself at import. A
user's :func:`register_codec` builds the same kind of family for one class, so user
codecs and the codec's own families are found, ordered and replaced by one mechanism.

The encoder looks a value's exact type up in one dict (the hot path: every recorded
value goes through it); only values of other types walk the ordered fallbacks.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from legacy_harness.errors import CodecError

__all__ = [
    "Decode",
    "Encode",
    "Fallback",
    "JsonPath",
    "Tag",
    "TagFamily",
    "Tree",
    "custom_decoder",
    "decoder_for",
    "exact_encoders",
    "fallbacks",
    "register_codec",
    "register_family",
    "unregister_codec",
    "unregister_family",
]

#: JSON-compatible tree produced by the encoder.
Tree = Any
#: Where a node sits in a tree: object keys and list indices from the root.
JsonPath = tuple[Any, ...]
# The first argument of these is the run's Encoder or Decoder (typed Any here: the
# registry sits below both, which look their handlers up in it).
#: Encodes one value of a type the family owns: (encoder, value) -> tree.
Encode = Callable[[Any, Any], Tree]
#: Encodes a value if the family recognises it, else returns None.
Fallback = Callable[[Any, Any], "Tree | None"]
#: Decodes one tagged node: (decoder, value under the tag, whole node, path to the tag, $id).
Decode = Callable[[Any, Any, dict[str, Any], JsonPath, "int | None"], Any]

#: Order of user codecs: before every family of the codec's own.
USER_ORDER = 0


@dataclass(frozen=True)
class Tag:
    """How to decode one tag, and which keys may stand beside it in its node."""

    decode: Decode
    keys: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TagFamily:
    """A family of values: what it encodes, what it decodes, and where it ranks.

    ``types`` maps exact types to their encoder; ``fallback`` recognises other values
    (subclasses, values of libraries imported later) and is tried in ``order`` after
    every exact match failed. ``lazy_types`` adds exact types once a module has been
    imported by someone else, so the codec never imports numpy or pandas itself.
    ``payload`` decodes the value of a ``{"$custom": name}`` node for user codecs.
    """

    name: str
    tags: Mapping[str, Tag] = field(default_factory=dict)
    types: Mapping[type, Encode] = field(default_factory=dict)
    fallback: Fallback | None = None
    order: int = 50
    lazy_types: tuple[str, Callable[[], Mapping[type, Encode]]] | None = None
    payload: Callable[[Any], Any] | None = None


class _Registry:
    """Registered families and the dispatch tables built from them."""

    def __init__(self) -> None:
        self.families: dict[str, TagFamily] = {}
        self.sequence: dict[str, int] = {}
        self.loaded: dict[str, Mapping[type, Encode]] = {}
        # Mutated in place, never replaced: encoders hold a reference to them.
        self.exact: dict[type, Encode] = {}
        self.fallbacks: list[Fallback] = []
        self.tags: dict[str, Tag] = {}
        self.pending = False
        self.counter = 0

    def add(self, family: TagFamily) -> None:
        self.remove(family.name)
        for tag in family.tags:
            owner = next((f.name for f in self.families.values() if tag in f.tags), None)
            if owner is not None:
                raise CodecError(
                    f"tag {tag} of family {family.name!r} is already decoded by family"
                    f" {owner!r}; pick another tag or unregister {owner!r} first"
                )
        self.counter += 1
        self.families[family.name] = family
        self.sequence[family.name] = self.counter
        self.rebuild()

    def remove(self, name: str) -> TagFamily | None:
        family = self.families.pop(name, None)
        if family is not None:
            self.sequence.pop(name, None)
            self.loaded.pop(name, None)
            self.rebuild()
        return family

    def ranked(self) -> list[TagFamily]:
        return sorted(self.families.values(), key=lambda f: (f.order, self.sequence[f.name]))

    def rebuild(self) -> None:
        """Refill the tables; a lower order wins an exact type (user codecs first)."""
        ranked = self.ranked()
        self.exact.clear()
        for family in reversed(ranked):
            self.exact.update(family.types)
            self.exact.update(self.loaded.get(family.name, {}))
        self.fallbacks[:] = [f.fallback for f in ranked if f.fallback is not None]
        self.tags.clear()
        for family in ranked:
            self.tags.update(family.tags)
        self.pending = any(f.lazy_types is not None and f.name not in self.loaded for f in ranked)

    def load_lazy_types(self) -> None:
        """Add the exact types of families whose library the program has imported."""
        changed = False
        for family in self.families.values():
            lazy = family.lazy_types
            if lazy is not None and family.name not in self.loaded and lazy[0] in sys.modules:
                self.loaded[family.name] = lazy[1]()
                changed = True
        if changed:
            self.rebuild()


_REGISTRY = _Registry()


def register_family(family: TagFamily) -> None:
    """Add (or replace, by name) a family of tagged values."""
    if not isinstance(family, TagFamily) or not family.name:
        raise CodecError("register_family needs a TagFamily with a non-empty name")
    _REGISTRY.add(family)


def unregister_family(name: str) -> None:
    """Forget the family registered under ``name``; unknown names are ignored."""
    _REGISTRY.remove(name)


def exact_encoders() -> dict[type, Encode]:
    """The exact-type dispatch table, after adding types of newly imported libraries."""
    if _REGISTRY.pending:
        _REGISTRY.load_lazy_types()
    return _REGISTRY.exact


def fallbacks() -> list[Fallback]:
    """Recognisers for values of no registered exact type, in order."""
    return _REGISTRY.fallbacks


def decoder_for(tag: str) -> Tag | None:
    return _REGISTRY.tags.get(tag)


def custom_decoder(name: str) -> Callable[[Any], Any] | None:
    """The decode function of the user codec registered under ``name``."""
    family = _REGISTRY.families.get(name)
    return family.payload if family is not None else None


# ----------------------------------------------------------------- user codecs


def register_codec(
    cls: type,
    *,
    name: str,
    encode: Callable[[Any], Any],
    decode: Callable[[Any], Any],
) -> None:
    """Teach the codec a type it cannot handle on its own (``{"$custom": name, ...}``).

    ``encode(obj)`` returns any encodable value; ``decode(value)`` rebuilds the object
    from the decoded value. Registering a name or class again replaces the old codec.
    Instances of subclasses of ``cls`` use the codec too.
    """
    if not isinstance(cls, type):
        raise CodecError(f"register_codec needs a class, got {cls!r}")
    if not isinstance(name, str) or not name:
        raise CodecError("register_codec needs a non-empty name")
    taken = _REGISTRY.families.get(name)
    if taken is not None and taken.payload is None:
        raise CodecError(
            f"register_codec: the name {name!r} belongs to the codec's own {name} family;"
            " choose another name"
        )
    for family in list(_REGISTRY.families.values()):
        if family.payload is not None and cls in family.types:
            _REGISTRY.remove(family.name)

    def encode_one(encoder: Any, obj: Any) -> Tree:
        return encoder.enc_custom(obj, name, encode)

    def recognise(encoder: Any, obj: Any) -> Tree | None:
        return encoder.enc_custom(obj, name, encode) if isinstance(obj, cls) else None

    _REGISTRY.add(
        TagFamily(
            name, types={cls: encode_one}, fallback=recognise, order=USER_ORDER, payload=decode
        )
    )


def unregister_codec(name: str) -> None:
    """Forget the codec registered under ``name``; unknown names are ignored."""
    family = _REGISTRY.families.get(name)
    if family is not None and family.payload is not None:
        _REGISTRY.remove(name)
