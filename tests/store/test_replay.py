"""What-if replay over real histories: the published curriculum replays to exactly what happened (demo
cohort and random histories with every kind of event), and every difference an edit makes is what an
independent run of the trainer gives."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from curriculum_gui.core.model import Curriculum
from curriculum_gui.core.trainer import Trainer
from curriculum_gui.store import Workspace
from curriculum_gui.store.demo import create_demo

from .random_histories import make_history


def _same_as_reality(ws: Workspace, curriculum: Curriculum, subjects: list[str] | None = None) -> None:
    for shortcut in (False, True):  # every session evaluated again; and reality taken where it may be
        _check_same(ws, ws.replay(curriculum, subjects, shortcut=shortcut))


def _check_same(ws: Workspace, result) -> None:
    assert result.subjects, "nothing was replayed"
    for s in result.subjects:
        assert s.skipped is None, s.skipped
        assert not s.changed and not s.parameters_changed, (s.subject, s.first_difference, s.steps)
        assert s.errors == 0
        row = ws.subject(s.subject)
        # reality, rebuilt from the events, ends where the subject is
        assert s.real_end == (row.stage_id, _policy_ids(ws, row), row.on_curriculum)
        # every session an apply evaluated, once per apply (a reverted batch's sessions come again)
        applied = [e for e in ws.history(s.subject) if e.kind == "applied"]
        assert len(s.steps) == sum(len(e.data["sessions"]) for e in applied)
    summary = result.summary
    assert (
        summary.changed,
        summary.parameters_changed,
        summary.graduated_earlier,
        summary.graduated_later,
    ) == (
        0,
        0,
        0,
        0,
    )


def _policy_ids(ws: Workspace, row) -> tuple[str, ...]:
    return tuple(ws.state(row.subject).active_policies)


def test_the_demo_cohort_replays_to_itself(tmp_path: Path) -> None:
    """Each version over the mice that ran on it; 1.0.0 over the mice of 2.0.0 (which eases two of its
    criteria) is a real what-if: some of them would have gone otherwise."""
    with Workspace.open(tmp_path / "demo.sqlite3", create=True) as ws:
        create_demo(ws, today=date(2026, 3, 9))
        rows = ws.subjects()
        for version in ws.versions():
            own = [r.subject for r in rows if r.curriculum_version_id == version.id]
            _same_as_reality(ws, ws.curriculum(version.id), own)
        v1, v2 = ws.versions()
        on_v2 = [r.subject for r in rows if r.curriculum_version_id == v2.id]
        assert ws.replay(ws.curriculum(v1.id), on_v2).summary.changed > 0


@pytest.mark.parametrize("seed", range(12))
def test_random_histories_replay_to_themselves(tmp_path: Path, curriculum: Curriculum, seed: int) -> None:
    twin = curriculum.model_copy(update={"version": "1.0.1", "description": "the same, described again"})
    with Workspace.open(tmp_path / f"r{seed}.sqlite3", create=True) as ws:
        ids = [ws.publish(curriculum).id, ws.publish(twin).id]
        make_history(ws, ids, seed)
        _same_as_reality(ws, curriculum)
        _same_as_reality(ws, twin)


def test_a_random_history_replays_to_itself_on_both_backends(ws: Workspace, curriculum: Curriculum) -> None:
    twin = curriculum.model_copy(update={"version": "1.0.1", "description": "again"})
    ids = [ws.publish(curriculum).id, ws.publish(twin).id]
    make_history(ws, ids, 99, subjects=4, days=20)
    _same_as_reality(ws, curriculum)


def _stricter(curriculum: Curriculum) -> Curriculum:
    edit = curriculum.model_copy(deep=True)
    edit.version = "1.1.0"
    for t in edit.stage_transitions:
        if t.id == "t3":  # warm-up to two-choice needs more trials
            t.rule.expression = "mean(last(accuracy, 2)) >= 0.65 and last(trials, 1)[0] >= 260"
        if t.id == "t4":
            t.rule.expression = "mean(last(accuracy, 3)) >= 0.85 and bias < 0.2"
    edit.stage("contrast").policy(
        "mc_reward"
    ).updates.expression = "reward_volume_ul = clamp(reward_volume_ul - 0.2, 2.0, 3.0)"
    return edit


def _independent_run(curriculum: Curriculum, sessions: list[dict], list_metrics: set[str]) -> list[tuple]:
    """The trainer alone over the sessions in order, each seeing every earlier session's values (one slot
    per session: a gap where a session did not measure the metric)."""
    trainer = Trainer(curriculum)
    state = trainer.enroll()
    history: dict[str, list] = {name: [] for name in list_metrics}
    out = []
    for values in sessions:
        for name in list_metrics:
            history[name].append(values.get(name))  # a session that did not measure it: a gap (None)
        metrics = {**values, **{name: list(series) for name, series in history.items()}}
        evaluation = trainer.evaluate(state, metrics)
        state = evaluation.state
        out.append((state.stage_id, tuple(state.active_policies), dict(state.parameters)))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_every_difference_is_what_the_trainer_gives(
    tmp_path: Path, curriculum: Curriculum, seed: int
) -> None:
    edit = _stricter(curriculum)
    lists = {m.name for m in curriculum.metrics if m.type.value == "number_list"}
    with Workspace.open(tmp_path / f"d{seed}.sqlite3", create=True) as ws:
        version = ws.publish(curriculum)
        subjects = make_history(ws, [version.id], seed, days=40, manual=False, late=False)
        result = ws.replay(edit)
        assert ws.replay(edit, shortcut=False) == result  # taking reality where the edit cannot differ
        differing = 0
        for s in result.subjects:
            sessions = [x.values for x in ws.sessions(s.subject) if x.evaluated]
            real = _independent_run(curriculum, sessions, lists)
            what_if = _independent_run(edit, sessions, lists)
            assert [(st.real_stage, st.what_if_stage) for st in s.steps] == [
                (r[0], w[0]) for r, w in zip(real, what_if, strict=True)
            ]
            assert [st.what_if_policies for st in s.steps] == [w[1] for w in what_if]
            assert [st.what_if_parameters for st in s.steps] == [w[2] for w in what_if]
            expected_first = next(
                (i for i, (r, w) in enumerate(zip(real, what_if, strict=True)) if r[:2] != w[:2]), None
            )
            assert s.first_difference == expected_first
            if expected_first is not None:
                differing += 1
                fired = {c["id"] for c in (*s.real_decision, *s.what_if_decision)}
                assert fired & {"t3", "t4"}, "the first difference must come from an edited rule"
        assert result.summary.changed == differing == sum(s.changed for s in result.subjects)
        assert set(subjects) == {s.subject for s in result.subjects}


def test_the_edit_changes_someone_across_seeds(tmp_path: Path, curriculum: Curriculum) -> None:
    """The stricter edit is not vacuous: over a few random cohorts, some subjects move differently."""
    changed = 0
    for seed in range(3):
        with Workspace.open(tmp_path / f"e{seed}.sqlite3", create=True) as ws:
            version = ws.publish(curriculum)
            make_history(ws, [version.id], seed, days=40, manual=False, late=False)
            changed += ws.replay(_stricter(curriculum)).summary.changed
    assert changed > 0


def test_manual_changes_can_be_left_out(tmp_path: Path, curriculum: Curriculum) -> None:
    with Workspace.open(tmp_path / "m.sqlite3", create=True) as ws:
        version = ws.publish(curriculum)
        ws.register(["A"], version.id)
        ws.override("A", "Mixed contrast", reason="pilot data")
        with_manual = ws.replay(curriculum)
        without = ws.replay(curriculum, include_manual=False)
    (a,) = with_manual.subjects
    assert not a.changed and a.real_end[0] == "contrast"
    (b,) = without.subjects
    assert b.changed and b.what_if_end[0] == "habituation" and b.real_end[0] == "contrast"


def test_a_subject_on_a_stage_the_edit_lacks_is_skipped_or_mapped(
    tmp_path: Path, curriculum: Curriculum
) -> None:
    edit = curriculum.model_copy(deep=True)
    edit.version = "2.0.0"
    stage = edit.stage("final")
    stage.id = "final2"
    for t in edit.stage_transitions:
        t.source = "final2" if t.source == "final" else t.source
        t.destination = "final2" if t.destination == "final" else t.destination
    with Workspace.open(tmp_path / "s.sqlite3", create=True) as ws:
        version = ws.publish(curriculum)
        ws.register(["A", "B"], version.id)
        ws.override("A", "Full task", reason="pilot")
        result = ws.replay(edit)
        skipped = {s.subject: s.skipped for s in result.subjects}
        assert skipped["B"] is None
        assert "stage 'Full task' is not in the edit: map it" in skipped["A"]
        assert result.summary.skipped == 1
        mapped = ws.replay(edit, mapping=["Full task=final2"])
        assert all(s.skipped is None and not s.changed for s in mapped.subjects)
