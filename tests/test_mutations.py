"""Mutation tests: break the real knowledge graph one way at a time and watch the shapes object.

Each mutation is a SPARQL Update on a copy of the real asserted graph (ontology + data). The
mutated graph is reasoned with OWL RL as the build does it, then validated; the test expects a
result from a named shape, on a named focus node, at the shape's severity. The unmutated graph
has no Violation. A mutated graph is validated against the expected rule only, to save time
(the whole graph is validated once, unmutated). One test goes end to end: it breaks a copy of
the project's data file and runs the build's ``check``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import SH

from defkg.config import Settings
from defkg.errors import ValidationFailed
from defkg.pipeline.build import check
from shapes_support import (
    DKSH,
    PROJECT_ROOT,
    describe,
    real_asserted,
    real_results,
    real_shapes,
    shapes_to_run,
    validate,
    with_inferences,
)

KG = "https://w3id.org/defkg/id/"
PREFIXES = """
PREFIX defkg: <https://w3id.org/defkg/ontology/>
PREFIX kg: <https://w3id.org/defkg/id/>
PREFIX src: <https://w3id.org/defkg/id/kz-mod-2023-12-27/>
PREFIX wd: <http://www.wikidata.org/entity/>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX schema: <https://schema.org/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


@dataclass(frozen=True)
class Mutation:
    """One way to break the data, and the result the shapes must give for it."""

    name: str
    update: str  #: SPARQL Update on the asserted graph
    shape: str  #: the dksh: shape expected to object
    focus: str  #: the kg: node it objects about (local name)
    severity: URIRef = SH.Violation


MUTATIONS = [
    Mutation(
        "drop the sentence a fact is derived from",
        "DELETE DATA { kg:kz-2023-abai-firefighting prov:wasDerivedFrom src:s9 }",
        "FactProvenance-wasDerivedFrom",
        "kz-2023-abai-firefighting",
    ),
    Mutation(
        "drop who a figure is attributed to",
        "DELETE DATA { kg:kz-2023-zhambyl-people-saved prov:wasAttributedTo "
        "kg:sultan-kamaletdinov }",
        "FactProvenance-wasAttributedTo",
        "kz-2023-zhambyl-people-saved",
    ),
    Mutation(
        "turn a count into a string",
        "DELETE DATA { kg:kz-2023-kazbat-personnel-total defkg:numericValue 607 } ;"
        ' INSERT DATA { kg:kz-2023-kazbat-personnel-total defkg:numericValue "607" }',
        "Quantity-numericValue",
        "kz-2023-kazbat-personnel-total",
    ),
    Mutation(
        "add a second value where only one is allowed",
        "INSERT DATA { kg:kz-2023-peacekeepers-deployed-count defkg:numericValue 20 }",
        "Quantity-numericValue",
        "kz-2023-peacekeepers-deployed-count",
    ),
    Mutation(
        "add a second publication date to the article",
        'INSERT DATA { kg:kz-mod-2023-12-27 schema:datePublished "2023-12-28"^^xsd:date }',
        "NewsArticle-datePublished",
        "kz-mod-2023-12-27",
    ),
    Mutation(
        "write a Wikidata page URL instead of the entity IRI",
        "DELETE DATA { kg:kazakhstan owl:sameAs wd:Q232 } ;"
        " INSERT DATA { kg:kazakhstan owl:sameAs <https://www.wikidata.org/wiki/Q232> }",
        "SameAs-value",
        "kazakhstan",
    ),
    Mutation(
        "write a QID with a leading zero",
        "DELETE DATA { kg:paris owl:sameAs wd:Q90 } ;"
        " INSERT DATA { kg:paris owl:sameAs <http://www.wikidata.org/entity/Q090> }",
        "SameAs-value",
        "paris",
    ),
    Mutation(
        "make the women outnumber the personnel they are counted among",
        "DELETE DATA { kg:kz-2023-kazbat-personnel-women defkg:numericValue 7 } ;"
        " INSERT DATA { kg:kz-2023-kazbat-personnel-women defkg:numericValue 700 }",
        "SubsetNotLargerShape",
        "kz-2023-kazbat-personnel-women",
    ),
    Mutation(
        "forget that the women are part of the personnel",
        "DELETE DATA { kg:kz-2023-kazbat-personnel-women defkg:subsetOf"
        " kg:kz-2023-kazbat-personnel-total }",
        "PartOfWholeShape",
        "kz-2023-kazbat-personnel-women",
        SH.Warning,
    ),
    Mutation(
        "shift a sentence's end offset",
        "DELETE DATA { src:s5-position oa:end 991 } ; INSERT DATA { src:s5-position oa:end 995 }",
        "AnchorSpanShape",
        "kz-mod-2023-12-27/s5",
    ),
    Mutation(
        "write a year as a plain string",
        'DELETE DATA { kg:kz-2023-abai-firefighting defkg:period "2023-07"^^xsd:gYearMonth } ;'
        ' INSERT DATA { kg:kz-2023-abai-firefighting defkg:period "July 2023" }',
        "Period-value",
        "kz-2023-abai-firefighting",
    ),
    Mutation(
        "give a region a city as its country",
        "DELETE DATA { kg:abai-region defkg:country kg:kazakhstan } ;"
        " INSERT DATA { kg:abai-region defkg:country kg:astana }",
        "DistinctKinds-place",
        "astana",
    ),
    Mutation(
        "give a person a post as rank",
        "DELETE DATA { kg:sultan-kamaletdinov defkg:rank kg:lieutenant-general } ;"
        " INSERT DATA { kg:sultan-kamaletdinov defkg:rank"
        " kg:deputy-minister-of-defence-of-kazakhstan }",
        "DistinctKinds-kind",
        "deputy-minister-of-defence-of-kazakhstan",
    ),
    Mutation(
        "misspell the place of an operation",
        "DELETE DATA { kg:kz-2023-abai-firefighting defkg:location kg:abai-region } ;"
        " INSERT DATA { kg:kz-2023-abai-firefighting defkg:location kg:abai-regoin }",
        "EnglishLabelShape",
        "abai-regoin",
    ),
    Mutation(
        "state 'over 200' as exactly 200",
        "DELETE DATA { kg:kz-2023-zhambyl-people-saved defkg:bound defkg:moreThan } ;"
        " INSERT DATA { kg:kz-2023-zhambyl-people-saved defkg:bound defkg:exactly }",
        "BoundMatchesLabelShape",
        "kz-2023-zhambyl-people-saved",
        SH.Warning,
    ),
]


def touched_nodes(before: Graph, after: Graph) -> set[URIRef]:
    """Every IRI in a triple the mutation removed or added."""
    changed = set(before - after) | set(after - before)
    return {n for triple in changed for n in triple if isinstance(n, URIRef)}


def test_unmutated_graph_has_no_violation() -> None:
    violations = [r for r in real_results() if r.severity == SH.Violation]
    assert not violations, describe(violations)


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.name for m in MUTATIONS])
def test_shapes_catch_the_mutation(mutation: Mutation) -> None:
    before = real_asserted()
    after = Graph()
    after += before
    after.update(PREFIXES + mutation.update)
    touched = touched_nodes(before, after)
    assert touched, f"the mutation changed nothing (has the data changed?): {mutation.update}"

    focus = URIRef(KG + mutation.focus)
    shape = DKSH[mutation.shape]
    shapes = real_shapes()
    results = validate(with_inferences(after), shapes, use_shapes=shapes_to_run(shapes, shape))
    expected = [
        r
        for r in results
        if r.shape == shape and r.focus == focus and r.severity == mutation.severity
    ]
    assert expected, (
        f"'{mutation.name}' should draw a {mutation.severity} from dksh:{mutation.shape} on "
        f"kg:{mutation.focus}; got:\n{describe(results)}"
    )


def test_the_build_reports_a_mutation_at_its_file_and_line(tmp_path: Path) -> None:
    """End to end: a count written as a string in a copy of the project stops `check`, and the
    report names the shape and the line of the offending triple in the data file."""
    for folder in ("ontology", "data", "shapes"):
        shutil.copytree(PROJECT_ROOT / folder, tmp_path / folder)
    source = tmp_path / "data" / "kz-mod-2023-12-27.ttl"
    text = source.read_text(encoding="utf-8")
    block = "kg:kz-2023-kazbat-personnel-total a defkg:Observation ;"
    assert text.count(block) == 1 and "defkg:numericValue 607 ;" in text
    source.write_text(text.replace("defkg:numericValue 607 ;", 'defkg:numericValue "607" ;'))
    # the finding is shown at the offending triple's line, inside the node's block
    value_at = text.index("defkg:numericValue 607 ;", text.index(block))
    line = text[:value_at].count("\n") + 1

    with pytest.raises(ValidationFailed) as failure:
        check(Settings(root=tmp_path, dist=tmp_path / "dist"), quiet=True)
    findings = [f for f in failure.value.report.splitlines() if "[dksh:Quantity-numericValue]" in f]
    assert findings, failure.value.report
    assert any(f"kz-mod-2023-12-27.ttl:{line}: Violation" in f for f in findings), findings
