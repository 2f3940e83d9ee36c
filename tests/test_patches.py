"""The library internals defkg patches or calls are all in defkg.patches, and all still there.

A new pyshacl, pyld or rdflib that renames one of them fails here, loudly, instead of the build
silently running without the patch (slower) or with a private function that now means
something else.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from defkg import patches

SERVER = Path(__file__).resolve().parent.parent / "server" / "defkg"


def test_every_patched_or_private_attribute_still_exists() -> None:
    missing = patches.missing_internals()
    assert not missing, "library internals defkg relies on changed:\n" + "\n".join(missing)


def test_a_vanished_attribute_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    gone = patches.Internal("pyld.jsonld", "JsonLdProcessor._no_such_method", why="a probe")
    renamed = patches.Internal("rdflib.plugins.serializers.nt", "_nt_row", parameters=("t",))
    monkeypatch.setattr(patches, "INTERNALS", (gone, renamed))
    missing = patches.missing_internals()
    assert any("_no_such_method is gone (a probe)" in line for line in missing)
    assert any("_nt_row now takes" in line for line in missing)


def test_patches_are_undone_after_use() -> None:
    from pyld import jsonld
    from pyshacl.constraints.constraint_component import ConstraintComponent
    from pyshacl.shape import Shape

    description = ConstraintComponent.make_v_result_description
    targets = Shape.focus_nodes
    with patches.lean_pyshacl(focus=set()):
        assert ConstraintComponent.make_v_result_description is not description
        assert Shape.focus_nodes is not targets
    assert ConstraintComponent.make_v_result_description is description
    assert Shape.focus_nodes is targets

    compact = jsonld.JsonLdProcessor._compact_iri
    with patches.memoised_iri_compaction():
        assert jsonld.JsonLdProcessor._compact_iri is not compact
    assert jsonld.JsonLdProcessor._compact_iri is compact


#: a private name of a library imported, or a library's attribute assigned
_REACHING_IN = re.compile(
    r"from (?:rdflib|pyshacl|pyld|owlrl)[\w.]* import [^\n]*\b_[A-Za-z]"
    r"|^\s*(?:jsonld|pyshacl|rdflib|owlrl|Shape|ConstraintComponent)\.[\w.]+\s*=",
    re.MULTILINE,
)


def test_no_module_but_patches_reaches_into_a_library() -> None:
    offenders = [
        str(path.relative_to(SERVER))
        for path in sorted(SERVER.rglob("*.py"))
        if path.name != "patches.py" and _REACHING_IN.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], f"library internals used outside defkg/patches.py: {offenders}"
