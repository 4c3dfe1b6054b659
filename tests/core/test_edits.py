"""Edit operations: each inverse restores the curriculum exactly; no sequence leaves a dangling reference."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curriculum_gui.core import edits as E
from curriculum_gui.core.errors import EditError
from curriculum_gui.core.model import Curriculum, ExpressionRule, Metric, Point, Stage, Task

NAMES = st.sampled_from(["A", "B", "C", "Warm-up", "Graduated", "", "  ", "Stage 2"])


def _stage_ids(c: Curriculum) -> list[str]:
    return [s.id for s in c.stages]


def _draw_edit(data: st.DataObject, c: Curriculum) -> E.Edit:
    """One random edit, built from the current state; ids are sometimes wrong on purpose."""
    stage_ids = [*_stage_ids(c), "missing"]
    op = data.draw(
        st.sampled_from(
            [
                "add_stage",
                "remove_stage",
                "rename_stage",
                "connect",
                "remove_transition",
                "retarget",
                "reorder",
                "add_policy",
                "remove_policy",
                "connect_policies",
                "reorder_policies",
                "start_stage",
                "start_policies",
                "parameter",
                "remove_parameter",
                "metric",
                "move",
                "paste",
                "info",
                "remove_many",
            ]
        )
    )
    pick = lambda xs: data.draw(st.sampled_from(xs))  # noqa: E731
    if op == "add_stage":
        return E.add_stage(c, data.draw(NAMES), position=Point(x=1, y=2))
    if op == "remove_stage":
        return E.remove_stage(c, pick(stage_ids))
    if op == "rename_stage":
        return E.rename(c, "stage", pick(stage_ids), data.draw(NAMES))
    if op == "connect":
        return E.add_stage_transition(
            c,
            pick(stage_ids),
            pick(stage_ids),
            ExpressionRule(expression="x > 1"),
            data.draw(st.none() | st.integers(-1, 5)),
        )
    transitions = [t.id for t in c.stage_transitions] + ["nope"]
    if op == "remove_transition":
        return E.remove_transition("stage_transition", pick(transitions))
    if op == "retarget":
        return E.retarget(
            "stage_transition", pick(transitions), source=pick(stage_ids), destination=pick(stage_ids)
        )
    if op == "reorder":
        source = pick(stage_ids)
        order = [t.id for t in c.outgoing_stage_transitions(source)]
        order = data.draw(st.permutations(order)) if data.draw(st.booleans()) else [*order, "extra"]
        return E.reorder("stage_transition", source, order)
    if op == "start_stage":
        return E.set_start_stage(pick([*stage_ids, None]))
    if op == "metric":
        if c.metrics and data.draw(st.booleans()):
            return E.remove_metric(pick([m.name for m in c.metrics]))
        return E.add_metric(Metric(name=pick(["accuracy", "bias", "trials"])))
    if op == "move":
        return E.move({("stage", pick(stage_ids), None): Point(x=data.draw(st.integers(-50, 50)), y=0)})
    if op == "paste":
        chosen = (
            data.draw(st.lists(st.sampled_from(c.stages), max_size=3, unique_by=lambda s: s.id))
            if c.stages
            else []
        )
        return E.paste_stages(c, chosen, c.stage_transitions)
    if op == "info":
        return E.set_info(c, name=data.draw(NAMES), version=pick(["1.0.0", "2.1.0", "x"]))
    if op == "remove_many":
        return E.remove_stages(c, data.draw(st.lists(st.sampled_from(stage_ids), max_size=3)))
    # Policy-level edits act inside one stage.
    stage_id = pick(stage_ids)
    stage = c.stage(stage_id)
    policy_ids = ([p.id for p in stage.policies] if stage else []) + ["ghost"]
    if op == "add_policy":
        return E.add_policy(c, stage_id, data.draw(NAMES))
    if op == "remove_policy":
        return E.remove_policy(c, stage_id, pick(policy_ids))
    if op == "connect_policies":
        return E.add_policy_transition(c, stage_id, pick(policy_ids), pick(policy_ids))
    if op == "reorder_policies":
        source = pick(policy_ids)
        order = [t.id for t in stage.outgoing_policy_transitions(source)] if stage else []
        return E.reorder("policy_transition", source, data.draw(st.permutations(order)), stage_id)
    if op == "start_policies":
        return E.set_start_policies(stage_id, data.draw(st.lists(st.sampled_from(policy_ids), max_size=3)))
    path = data.draw(st.lists(st.sampled_from(["reward", "contrast", "group"]), min_size=1, max_size=3))
    if op == "parameter":
        return E.set_parameter(
            c, stage_id, path, data.draw(st.integers() | st.booleans() | st.text(max_size=3))
        )
    return E.remove_parameter(c, stage_id, path)


def _seed() -> Curriculum:
    c = Curriculum(name="Seed", metrics=[Metric(name="accuracy")])
    for name in ("A", "B"):
        E.add_stage(c, name).apply(c)
    a, b = _stage_ids(c)
    E.add_stage_transition(c, a, b).apply(c)
    E.add_policy(c, a, "P").apply(c)
    E.set_start_stage(a).apply(c)
    return c


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_edit_sequences_undo_to_the_original(data: st.DataObject) -> None:
    c = _seed()
    original = c.model_dump()
    undo: list[E.Edit] = []
    for _ in range(data.draw(st.integers(1, 25))):
        before = c.model_dump()
        try:
            inverse = _draw_edit(data, c).apply(c)
        except EditError:
            assert c.model_dump() == before, "a refused edit changed the curriculum"
            continue
        assert E.dangling_references(c) == []
        undo.append(inverse)
        # Every inverse is itself invertible: undo then redo gives the same state.
        after = c.model_dump()
        redo = inverse.apply(c)
        assert c.model_dump() == before
        undo[-1] = redo.apply(c)
        assert c.model_dump() == after
    for inverse in reversed(undo):
        inverse.apply(c)
    assert c.model_dump() == original


def test_remove_stage_takes_its_transitions_and_start(example: Curriculum) -> None:
    before = example.model_dump()
    touching = [t.id for t in example.stage_transitions if "habituation" in (t.source, t.destination)]
    assert touching
    inverse = E.remove_stage(example, "habituation").apply(example)
    assert example.stage("habituation") is None
    assert example.start_stage is None
    assert not any(example_t.id in touching for example_t in example.stage_transitions)
    inverse.apply(example)
    assert example.model_dump() == before


def test_remove_policy_takes_transitions_and_start_membership(example: Curriculum) -> None:
    inverse = E.remove_policy(example, "contrast", "mc_reward").apply(example)
    stage = example.stage("contrast")
    assert stage.start_policies == ["mc_ramp"]
    assert stage.policy_transitions == []
    inverse.apply(example)
    assert example.stage("contrast").start_policies == ["mc_ramp", "mc_reward"]


def test_reorder_accepts_only_a_permutation(example: Curriculum) -> None:
    with pytest.raises(EditError, match="permutation"):
        E.reorder("stage_transition", "warmup", ["t2", "t2"]).apply(example)
    with pytest.raises(EditError, match="permutation"):
        E.reorder("stage_transition", "warmup", ["t2", "t3", "t4"]).apply(example)
    E.reorder("stage_transition", "warmup", ["t3", "t2"]).apply(example)
    assert [t.id for t in example.outgoing_stage_transitions("warmup")] == ["t3", "t2"]
    # Other sources keep their order and slots.
    assert [t.id for t in example.stage_transitions][:1] == ["t1"]


def test_refusals_say_what(example: Curriculum) -> None:
    cases = [
        (E.rename(example, "stage", "warmup", "Habituation"), "already used"),
        (E.rename(example, "stage", "warmup", "  "), "empty"),
        (E.add_stage_transition(example, "warmup", "nowhere"), "does not exist"),
        (E.set_start_policies("contrast", ["mc_ramp", "mc_ramp"]), "distinct"),
        (E.set_field("curriculum", None, "format", "x"), "cannot be edited"),
        (E.Delete("stage", "warmup"), "still has transitions"),
    ]
    for edit, message in cases:
        with pytest.raises(EditError, match=message):
            edit.apply(example)


def test_batch_is_all_or_nothing(example: Curriculum) -> None:
    before = example.model_dump()
    batch = E.Batch([E.rename(example, "stage", "warmup", "Warm"), E.set_start_stage("missing")])
    with pytest.raises(EditError):
        batch.apply(example)
    assert example.model_dump() == before


def test_paste_gives_fresh_ids_and_keeps_internal_links(example: Curriculum) -> None:
    stages = [example.stage("contrast"), example.stage("final")]
    E.paste_stages(example, stages, example.stage_transitions).apply(example)
    copies = example.stages[-2:]
    assert {s.name for s in copies} == {"Mixed contrast (copy)", "Full task (copy)"}
    ids = {s.id for s in copies}
    assert ids.isdisjoint({"contrast", "final"})
    between = [t for t in example.stage_transitions if t.source in ids and t.destination in ids]
    assert len(between) == 2  # contrast <-> final, both ways
    assert E.dangling_references(example) == []
    copy = copies[0]
    assert {p.id for p in copy.policies}.isdisjoint({"mc_ramp", "mc_reward", "mc_reward_floor"})
    assert set(copy.start_policies) <= {p.id for p in copy.policies}


def test_nested_parameter_edits(example: Curriculum) -> None:
    E.set_parameter(example, "warmup", ["laser", "power_mw"], 5).apply(example)
    assert example.stage("warmup").task.parameters["laser"] == {"power_mw": 5}
    with pytest.raises(EditError, match="not a group"):
        E.set_parameter(example, "warmup", ["iti_s", "x"], 1).apply(example)
    E.remove_parameter(example, "warmup", ["laser", "power_mw"]).apply(example)
    assert example.stage("warmup").task.parameters["laser"] == {}


def test_insert_stage_with_inner_dangling_policy_is_refused() -> None:
    c = Curriculum()
    stage = Stage(id="s", name="S", task=Task(), start_policies=["nope"])
    with pytest.raises(EditError, match="start policy"):
        E.Insert("stage", stage).apply(c)


def test_paste_policies_copies_with_fresh_ids_names_and_inner_transitions(example) -> None:
    stage = example.stage("two_choice")
    originals = [p.model_copy(deep=True) for p in stage.policies[:2]]
    transitions = [t.model_copy(deep=True) for t in stage.policy_transitions]
    before = example.model_copy(deep=True)
    inverse = E.paste_policies(example, "two_choice", originals, transitions).apply(example)
    pasted = example.stage("two_choice").policies[-len(originals) :]
    assert [p.name for p in pasted] == [f"{p.name} (copy)" for p in originals]
    assert not {p.id for p in pasted} & {p.id for p in originals}
    inner = [t for t in example.stage("two_choice").policy_transitions if t.source in {p.id for p in pasted}]
    assert len(inner) == sum(
        t.source in {p.id for p in originals} and t.destination in {p.id for p in originals}
        for t in transitions
    )
    assert E.dangling_references(example) == []
    inverse.apply(example)
    assert example == before
