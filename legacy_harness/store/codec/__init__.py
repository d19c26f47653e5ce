"""Encoding of Python values into JSON trees for golden files, and back.

A golden file must be readable in review, byte-stable when the same behaviour is
recorded twice, and safe to load: decoding never unpickles, never evaluates text from
the file, imports a module only when the caller's :class:`ClassPolicy` allows it, and
allocates only what the policy's :class:`Limits` allow. The format is described in
``docs/golden-format.md`` ("Encoded values").

This package is the public face; the work is split by concern:

- :mod:`.jsonlayer` reads and writes the JSON text (sorted, exact, bounded nesting);
- :mod:`.policy` and :mod:`.limits` say what a file may name and allocate;
- :mod:`.registry` is the one way a family of values joins the codec;
- :mod:`.encoder` and :mod:`.decoder` run over a value or a tree, generically;
- :mod:`.builtin_tags`, :mod:`.numpy_tags`, :mod:`.class_tags`, :mod:`.pandas_tags`
  are the families, each encoding, decoding and registering its own tags;
- :mod:`.walk` visits encoded trees for those who read them without decoding.
"""

from __future__ import annotations

# The families register themselves on import; their `order` ranks them, not this list.
from legacy_harness.store.codec import builtin_tags as builtin_tags
from legacy_harness.store.codec import class_tags as class_tags
from legacy_harness.store.codec import numpy_tags as numpy_tags
from legacy_harness.store.codec import pandas_tags as pandas_tags
from legacy_harness.store.codec.decoder import BlobSource, ContentKey, decode
from legacy_harness.store.codec.encoder import Unencodable, encode
from legacy_harness.store.codec.jsonlayer import (
    canonical,
    check_nesting,
    dumps,
    identity_text,
    loads,
    order_free,
    tree_hash,
)
from legacy_harness.store.codec.limits import DEFAULT_LIMITS, Limits
from legacy_harness.store.codec.numpy_tags import check_sizes
from legacy_harness.store.codec.policy import ClassPolicy
from legacy_harness.store.codec.registry import (
    Tag,
    TagFamily,
    Tree,
    register_codec,
    register_family,
    unregister_codec,
    unregister_family,
)
from legacy_harness.store.codec.walk import (
    BLOB_NAME,
    MARKER_KEYS,
    Visit,
    blob_names,
    blob_refs,
    class_refs,
    format_path,
    tag_of,
    walk,
)

__all__ = [
    "BLOB_NAME",
    "DEFAULT_LIMITS",
    "MARKER_KEYS",
    "BlobSource",
    "ClassPolicy",
    "ContentKey",
    "Limits",
    "Tag",
    "TagFamily",
    "Tree",
    "Unencodable",
    "Visit",
    "blob_names",
    "blob_refs",
    "canonical",
    "check_nesting",
    "check_sizes",
    "class_refs",
    "decode",
    "dumps",
    "encode",
    "format_path",
    "identity_text",
    "loads",
    "order_free",
    "register_codec",
    "register_family",
    "tag_of",
    "tree_hash",
    "unregister_codec",
    "unregister_family",
    "walk",
]
