"""The lineage graph: derived from the models' SQL, labelled by rule, drawn without overlaps."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest
import sqlglot

import stedi.models
from stedi.lake import TABLE_LOCATIONS
from stedi.models import Model
from stedi.report.lineage import describe, lineage
from stedi.report.lineage_svg import lineage_svg

SVG = "{http://www.w3.org/2000/svg}"


def edge(graph, source: str, target: str):
    return next(e for e in graph.edges if (e.source, e.target) == (source, target))


def test_every_table_of_the_lake_and_every_staging_model_is_a_node():
    names = {n.name for n in lineage().nodes}
    assert set(TABLE_LOCATIONS) <= names
    assert "customer_latest" in names
    assert "run_parameters" not in names  # a parameter, not an input
    assert lineage().node("customer_landing").kind == "view"
    assert lineage().node("customer_latest").kind == "view"
    assert lineage().node("customer_trusted").kind == "table"
    assert lineage().node("customer_accepted").zone == "landing"
    assert lineage().node("quarantine").zone == "quarantine"
    assert lineage().node("customer_curated").description.startswith("Consenting customers who have at least one")


def test_landing_feeds_its_accepted_table_and_quarantine():
    for source in ("customer", "accelerometer", "step_trainer"):
        assert edge(lineage(), f"{source}_landing", f"{source}_accepted").condition == ""
        assert "could not be accepted" in edge(lineage(), f"{source}_landing", "quarantine").rule


def test_machine_learning_curated_reads_three_tables_and_pairs_same_customer_same_millisecond():
    into = lineage().edges_into("machine_learning_curated")
    assert {e.source for e in into} == {"step_trainer_trusted", "customer_curated", "accelerometer_trusted"}
    phone = edge(lineage(), "accelerometer_trusted", "machine_learning_curated")
    assert phone.rule == "same customer and same millisecond"
    assert phone.condition == 'a."user" = k.email AND a.timestamp = s.sensorreadingtime'
    # customer_curated is read through the CTE `keyed`; its CROSS JOIN run_parameters is no input.
    assert edge(lineage(), "customer_curated", "machine_learning_curated").rule == "same serial number"


def test_customer_curated_keeps_customers_with_a_trusted_phone_reading():
    kept = edge(lineage(), "customer_trusted", "customer_curated")
    assert kept.rule == "with at least one accelerometer_trusted row of the same customer"
    assert kept.condition == 'EXISTS(SELECT 1 FROM accelerometer_trusted AS a WHERE a."user" = c.email)'
    assert edge(lineage(), "accelerometer_trusted", "customer_curated").rule == "same customer; existence check only"


def test_the_rules_of_the_trusted_zone():
    assert edge(lineage(), "customer_landing", "customer_latest").rule == "latest record per email"
    assert edge(lineage(), "customer_latest", "customer_trusted").rule == "with research consent"
    assert edge(lineage(), "accelerometer_landing", "accelerometer_trusted").rule == (
        "at or after research consent (strict policy); each row once")
    assert edge(lineage(), "customer_trusted", "accelerometer_trusted").rule == "same customer"
    owner = edge(lineage(), "customer_latest", "step_trainer_trusted")  # through the CTE serial_owner
    assert owner.rule == "serial numbers held by one customer only; same serial number"
    assert owner.condition == "GROUP BY serialnumber HAVING COUNT(*) = 1; s.serialnumber = o.serialnumber"


def test_every_model_input_has_exactly_one_edge_numbered_in_order():
    graph = lineage()
    for model in stedi.models.all_models():
        assert sorted(e.source for e in graph.edges_into(model.name)) == sorted(model.inputs)
    assert [e.number for e in graph.edges] == list(range(1, len(graph.edges) + 1))
    assert graph.edges[0].badge == "①"


@pytest.mark.parametrize("sql, phrase", [
    ("c.sharewithresearchasofdate <= a.timestamp", "at or after research consent"),
    ("p.consent_policy = 'strict' OR a.timestamp >= c.sharewithresearchasofdate",
     "at or after research consent (any-time policy)"),
    ("c.sharewithresearchasofdate IS NULL", "without research consent"),
    ("a.x > 3 AND a.user = c.email", "a.x > 3 and same customer"),
])
def test_the_vocabulary(sql, phrase):
    assert describe(sqlglot.parse_one(sql, read="duckdb")) == phrase


@pytest.fixture
def one_more_model(monkeypatch):
    """A model added at test time, joining on a column pair the vocabulary has no words for."""
    sql = ("-- Step-trainer readings beside phone readings of the same size (a test's model).\n"
           "SELECT s.sensorreadingtime, a.x\nFROM step_trainer_trusted AS s\n"
           "JOIN accelerometer_trusted AS a ON a.z = s.distancefromobject\n")
    extra = Model("odd_pairs", "curated", sql, ("step_trainer_trusted", "accelerometer_trusted"))
    original = stedi.models.all_models
    monkeypatch.setattr(stedi.models, "all_models", lambda: original() + (extra,))


def test_a_new_model_gets_edges_from_its_sql(one_more_model):
    graph = lineage()
    assert graph.node("odd_pairs").zone == "curated"
    assert graph.node("odd_pairs").description == "Step-trainer readings beside phone readings of the same size (a test's model)."
    joined = edge(graph, "accelerometer_trusted", "odd_pairs")
    assert joined.rule == joined.condition == "a.z = s.distancefromobject"
    assert edge(graph, "step_trainer_trusted", "odd_pairs").rule == "no filter of its own"


def _drawn(orientation: str):
    graph = lineage()
    root = ET.fromstring(lineage_svg(graph, orientation))
    return graph, root


@pytest.mark.parametrize("orientation", ["wide", "tall"])
@pytest.mark.parametrize("extra", [False, True])
def test_the_drawing(orientation, extra, request):
    if extra:
        request.getfixturevalue("one_more_model")
    graph, root = _drawn(orientation)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img" and root.get("viewBox")
    assert root.find(f"{SVG}title").text == root.get("aria-label")
    texts = {t.text for t in root.iter(f"{SVG}text")}
    assert {n.name for n in graph.nodes} <= texts
    nodes = root.findall(f"{SVG}g[@data-table]")
    assert sorted(g.get("data-table") for g in nodes) == sorted(n.name for n in graph.nodes)
    edges = root.findall(f"{SVG}g[@data-edge]")
    assert [g.get("data-edge") for g in edges] == [str(e.number) for e in graph.edges]
    for group, e in zip(edges, graph.edges):
        arrows = [p for p in group.iter(f"{SVG}path") if p.get("marker-end")]
        assert len(arrows) == 1
        assert group.find(f"{SVG}title").text == f"{e.badge} {e.source} → {e.target}: {e.rule}"
    rects = [g.find(f"{SVG}rect") for g in nodes]
    boxes = [tuple(float(r.get(k)) for k in ("x", "y", "width", "height")) for r in rects]
    for i, (x, y, w, h) in enumerate(boxes):
        assert w >= 7.2 * len(nodes[i].get("data-table"))  # wide enough for its name
        for x2, y2, w2, h2 in boxes[i + 1:]:
            assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y, "two boxes overlap"


def test_tall_is_narrower_than_wide():
    def width(o):
        return float(ET.fromstring(lineage_svg(lineage(), o)).get("viewBox").split()[2])
    assert width("tall") < 450 < width("wide")
