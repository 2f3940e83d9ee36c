"""OWL RL inference is useful: queries find through the inferred graph what no file asserts.

Each case is an ASK that holds over the union of the graphs (asserted + ``graph/inferred``) and
does not hold over the asserted graphs alone: the answer exists only because of the ontology's
axioms (subclasses, subproperties, inverses, property chains).
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from reasoned_graph import reasoned_store

PREFIXES = """
PREFIX defkg: <https://w3id.org/defkg/ontology/>
PREFIX kg:    <https://w3id.org/defkg/id/>
PREFIX prov:  <http://www.w3.org/ns/prov#>
PREFIX schema: <https://schema.org/>
"""
INFERRED = "https://w3id.org/defkg/graph/inferred"

#: name -> the pattern an inference makes true
INFERENCES = {
    # subclass: FirefightingOperation ⊑ DisasterResponseOperation
    "firefighting-is-disaster-response": (
        "kg:kz-2023-abai-firefighting a defkg:DisasterResponseOperation ."
    ),
    # subclass: StaffOfficerDeployment ⊑ MissionParticipation
    "staff-officers-are-mission-participation": (
        "kg:kz-2023-monusco-staff-officers a defkg:MissionParticipation ."
    ),
    # property chain: mission ∘ areaOfOperation ⊑ location
    "participation-located-in-the-missions-area": (
        "kg:kz-2023-unifil-contingent-rotation defkg:location kg:lebanon ."
    ),
    # property chain: prov:wasDerivedFrom ∘ oa:hasSource ⊑ statedIn
    "fact-stated-in-its-article": (
        "kg:kz-2023-zhambyl-people-saved defkg:statedIn kg:kz-mod-2023-12-27 ."
    ),
    # inverse: participation = mission⁻
    "mission-lists-its-participations": (
        "kg:undof defkg:participation kg:kz-2023-undof-planned-deployment ."
    ),
    # subproperty: resourceUsed ⊑ quantity
    "resources-are-quantities": (
        "kg:kz-2023-abai-firefighting defkg:quantity kg:kz-2023-abai-helicopters ."
    ),
    # inverse of flags, and InconsistentFigures ⊑ DataQualityFinding
    "flagged-figure-knows-its-finding": (
        "kg:kz-2023-deferred-payments-total-usd defkg:flaggedBy ?finding ."
        " ?finding a defkg:DataQualityFinding ."
    ),
    # subproperty: participant ⊑ agent, and MonetaryAmount ⊑ schema:MonetaryAmount
    "participant-is-an-agent": (
        "kg:kz-2023-military-sport defkg:agent kg:armed-forces-of-kazakhstan ."
    ),
    "money-is-schema-money": "kg:kz-2023-deferred-payments-total-kzt a schema:MonetaryAmount .",
}


def asserted_graphs(store: ox.Store) -> list[ox.NamedNode]:
    return [g for g in store.named_graphs() if g.value != INFERRED]


def ask(pattern: str, store: ox.Store, **dataset: object) -> bool:
    query = f"{PREFIXES}\nASK {{ {pattern} }}"
    return bool(store.query(query, **dataset))


@pytest.mark.parametrize("name", sorted(INFERENCES))
def test_inference_is_found_over_the_union(name: str, corpus: str) -> None:
    assert ask(INFERENCES[name], reasoned_store(corpus), use_default_graph_as_union=True)


@pytest.mark.parametrize("name", sorted(INFERENCES))
def test_inference_is_not_asserted_anywhere(name: str, corpus: str) -> None:
    store = reasoned_store(corpus)
    assert not ask(INFERENCES[name], store, default_graph=asserted_graphs(store))


def test_disaster_response_query_finds_operations_only_through_inference(corpus: str) -> None:
    query = f"""{PREFIXES}
        SELECT DISTINCT ?op WHERE {{ ?op a defkg:DisasterResponseOperation }} ORDER BY ?op"""
    store = reasoned_store(corpus)
    union = [r["op"].value for r in store.query(query, use_default_graph_as_union=True)]
    asserted = [r["op"].value for r in store.query(query, default_graph=asserted_graphs(store))]
    kg = "https://w3id.org/defkg/id/"
    assert set(asserted) < set(union)  # in any corpus, inference finds more than was asserted
    # the seed's operations (other corpora add other countries' operations)
    seed = (kg + "kz-2023-",)
    assert [op for op in asserted if op.startswith(seed)] == [kg + "kz-2023-disaster-response"]
    assert [op for op in union if op.startswith(seed)] == [
        kg + "kz-2023-abai-firefighting",
        kg + "kz-2023-disaster-response",
        kg + "kz-2023-zhambyl-snow-rescue",
    ]
