"""Running histories change nothing in what is computed: random histories evaluated both ways.

Each scenario drives a small cohort through random days on the store (imports with gaps, whole lists and
sessions dated late; applies of all or some suggestions; reverts of one change and of whole batches;
overrides, ejects, re-enrollments on another curriculum version with other list metrics, and a change of
version written the way another program would). At every evaluation the suggestions computed from the
running histories must equal those rebuilt from every session (states, sessions, notes, the "why" as
JSON and as text, and the running history an apply would write); at the end every running history the
store holds must equal a replay of the subject's evaluated sessions.
"""

from __future__ import annotations

import contextlib
import json
import random
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from curriculum_gui.core import histories as core_histories
from curriculum_gui.core import trainer as trainer_module
from curriculum_gui.core.metrics_import import MetricsRow
from curriculum_gui.core.model import Curriculum, Metric
from curriculum_gui.store import Workspace, evaluation, histories, metrics
from curriculum_gui.store.context import now, subject_row
from curriculum_gui.store.errors import StoreError
from curriculum_gui.store.schema import subject_histories as sh_t
from curriculum_gui.store.schema import subjects as sub_t
from curriculum_gui.store.subjects import write_state

START = date(2026, 1, 5)


def _second_version(curriculum: Curriculum) -> Curriculum:
    """Version 2.0: one more list metric, read by a rule (the histories of v1 sessions have gaps in it)."""
    data = curriculum.model_dump(mode="json")
    data["version"] = "2.0.0"
    data["metrics"].append(Metric(name="reaction_time", type="number_list", unit="s").model_dump(mode="json"))
    for t in data["stage_transitions"]:
        if t["source"] == "warmup" and t["destination"] == "contrast":
            t["rule"]["expression"] += " and len(reaction_time) >= 1"
    return Curriculum.model_validate(data)


def _check(s: Any, r: Any) -> None:
    """One subject's suggestion from the running history (``s``) and rebuilt (``r``)."""
    assert s.subject == r.subject
    assert s.to_json() == r.to_json()
    assert (s.current, s.suggested, s.session_pks, s.error, s.notes, s.waiting) == (
        r.current,
        r.suggested,
        r.session_pks,
        r.error,
        r.notes,
        r.waiting,
    )
    assert [(sid, [c.describe() for c in e.why]) for sid, e in s.evaluations] == [
        (sid, [c.describe() for c in e.why]) for sid, e in r.evaluations
    ]
    assert (s.history is None) == (r.history is None)
    if s.history is not None:
        after, again = s.history.resolve(), r.history.resolve()
        if histories.unread(after):  # the full chunks were not read: the counts and the last chunk agree
            whole = again.packed.lists()
            assert after.packed.counts() == {name: len(items) for name, items in whole.items()}
            for name, items in after.packed.chunks[-1].lists().items():
                assert items == whole[name][len(whole[name]) - len(items) :]
        else:
            assert after.packed.lists() == again.packed.lists()
        assert (after.sessions, after.last, after.row_version) == (
            again.sessions,
            again.last,
            again.row_version,
        )


def _compare(ws: Workspace) -> list[Any]:
    running = evaluation.evaluate(ws, None)
    rebuilt = evaluation.evaluate(ws, None, rebuild_all=True)
    assert [s.subject for s in running] == [s.subject for s in rebuilt]
    for s, r in zip(running, rebuilt, strict=True):
        _check(s, r)
    return running


def _stored_histories_match_a_replay(ws: Workspace) -> int:
    """Every valid running history equals a replay of the evaluated sessions (rolled back after)."""
    with ws.engine.connect().execution_options(write=True) as conn:
        transaction = conn.begin()
        versions = dict(conn.execute(sa.select(sub_t.c.id, sub_t.c.row_version)).all())
        held = {
            pk: r for pk, r in histories.load(conn, list(versions)).items() if r.row_version == versions[pk]
        }
        histories.rebuild_all(conn)
        replayed = histories.load(conn, list(versions))
        transaction.rollback()
    for pk, running in held.items():
        again = replayed[pk]
        names = set(running.packed.names()) & set(again.packed.names())
        assert {n: running.packed.lists()[n] for n in names} == {n: again.packed.lists()[n] for n in names}
        assert (running.sessions, running.last) == (again.sessions, again.last)
    return len(held)


def _values(rng: random.Random, day: int, v2: bool) -> dict[str, Any]:
    skill = min(0.95, 0.45 + day * 0.02 + rng.uniform(-0.1, 0.1))
    values: dict[str, Any] = {
        "accuracy": round(skill, 2) if rng.random() < 0.5 else f"{skill:.2f}",
        "trials": rng.randrange(150, 450) if rng.random() < 0.5 else str(rng.randrange(150, 450)),
        "bias": round(rng.uniform(0, 0.4), 2),
        "weight_fraction": round(rng.uniform(0.75, 1.0), 2),
        "licks_per_reward": round(rng.uniform(2, 10), 1),
    }
    roll = rng.random()
    if roll < 0.12:
        values["accuracy"] = ""  # a blank cell: a gap
    elif roll < 0.18:
        del values["trials"]  # not in the row at all: a gap too
    elif roll < 0.22:
        values["accuracy"] = json.dumps([round(rng.uniform(0.4, 0.9), 2) for _ in range(rng.randrange(1, 4))])
    if v2 and rng.random() < 0.7:
        values["reaction_time"] = round(rng.uniform(0.2, 0.9), 2)
    return values


def _scenario(ws: Workspace, curriculum: Curriculum, seed: int, steps: int = 45) -> tuple[int, int]:
    rng = random.Random(seed)
    v1 = ws.publish(curriculum, operator="t")
    v2 = ws.publish(_second_version(curriculum), operator="t")
    mice = [f"M{i}" for i in range(5)]
    ws.register(mice[:3], v1.id, operator="t")
    ws.register(mice[3:], v1.id, start_stage="Warm-up: one side", operator="t")
    day = 0
    batches: list[str] = []
    evaluations = 0
    for step in range(steps):
        roll = rng.random()
        rows = ws.subjects()
        on = [r.subject for r in rows if r.on_curriculum]
        off = [r.subject for r in rows if not r.on_curriculum]
        if roll < 0.40:
            day += 1
            chosen = rng.sample(mice, rng.randrange(1, len(mice) + 1))
            batch = []
            for n, subject in enumerate(chosen):
                when = day if rng.random() > 0.1 else rng.randrange(max(day - 6, 0), day + 1)  # late
                row = next(r for r in rows if r.subject == subject)
                batch.append(
                    MetricsRow(
                        n + 2,
                        subject,
                        f"s{step}-{n}",
                        START + timedelta(days=when),
                        _values(rng, day, row.curriculum_version_id == v2.id),
                    )
                )
            metrics.import_rows(ws, batch)
        elif roll < 0.70:
            suggestions = _compare(ws)
            evaluations += 1
            todo = [s for s in suggestions if s.applicable and rng.random() < 0.85]
            if todo:
                result = ws.apply(todo, operator="t")
                batches.append(result.batch)
        elif roll < 0.78 and rows:
            with contextlib.suppress(StoreError):
                ws.revert(rng.choice(rows).subject, operator="t")
        elif roll < 0.84 and batches:
            with contextlib.suppress(StoreError):
                ws.revert_batch(batches.pop(rng.randrange(len(batches))), operator="t")
        elif roll < 0.88 and on:
            stage = rng.choice([s.name for s in curriculum.stages])
            ws.override(rng.choice(on), stage, reason="test", operator="t")
        elif roll < 0.91 and on:
            ws.eject(rng.choice(on), reason="test", operator="t")
        elif roll < 0.95 and off:
            ws.reenroll(rng.choice(off), version_id=rng.choice([v1.id, v2.id]), operator="t")
        elif on:
            # Another program moves a subject to another version (as a batch migration would): the
            # running history it does not know about is stale from then on.
            subject = rng.choice(on)
            with ws.write() as conn:
                row = subject_row(conn, subject, ws.where)
                target = v2.id if row.curriculum_version_id == v1.id else v1.id
                state = ws.loaded(target).trainer.enroll()
                write_state(conn, row, None, state, ws.where, now(), version_id=target)
    _compare(ws)
    return evaluations + 1, _stored_histories_match_a_replay(ws)


@pytest.mark.parametrize("seed", range(24))
def test_running_and_rebuilt_histories_agree_on_sqlite(tmp_path, curriculum, seed: int, monkeypatch) -> None:
    if seed % 2:  # long histories: shared lists and whys worked out at once, a few sessions at a time
        monkeypatch.setattr(core_histories, "COPY_LIMIT", 2)
        monkeypatch.setattr(core_histories, "MAX_SESSIONS", 2)
        monkeypatch.setattr(histories, "CHUNK_ITEMS", 2)  # many stored chunks, the last one rewritten
    with Workspace.open(tmp_path / "d.sqlite3", create=True) as ws:
        evaluations, held = _scenario(ws, curriculum, seed)
    assert evaluations >= 2 and held >= 1


@pytest.mark.parametrize("seed", range(3))
def test_running_and_rebuilt_histories_agree_on_postgresql(pg_url: str, curriculum, seed: int) -> None:
    with Workspace.open(pg_url) as ws:
        evaluations, held = _scenario(ws, curriculum, 100 + seed)
    assert evaluations >= 2 and held >= 1


def test_the_scenarios_meet_every_case(tmp_path, curriculum) -> None:
    """The random scenarios are worth their time: between them they evaluate late sessions, gaps, whole
    lists and subjects whose running history was stale, and carry running histories on."""
    seen = {"late": 0, "gap": 0, "rebuilt": 0, "carried": 0}
    original_usable = evaluation._usable

    def usable(*args: Any) -> bool:
        ok = original_usable(*args)
        seen["carried" if ok else "rebuilt"] += 1
        running, _version, _loaded, pending = args
        if running is not None and running.last is not None and pending:
            seen["late"] += evaluation._key(pending[0]) <= running.last
        return ok

    evaluation._usable = usable  # type: ignore[assignment]
    try:
        for seed in range(6):
            with Workspace.open(tmp_path / f"d{seed}.sqlite3", create=True) as ws:
                _scenario(ws, curriculum, seed)
                seen["gap"] += sum(
                    len(e.data.get("notes") or ()) for r in ws.subjects() for e in ws.history(r.subject)
                )
    finally:
        evaluation._usable = original_usable  # type: ignore[assignment]
    assert all(seen.values()), seen
    with Workspace.open(tmp_path / "d0.sqlite3") as ws, ws.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sh_t)).scalar_one() >= 1


def test_histories_given_by_their_last_items_agree_with_whole_ones(tmp_path, curriculum, monkeypatch) -> None:
    """The example's rules read at most the last five items of each history, so the running evaluation
    unpacks only those (the why shows 3 here, chunks hold 2: long histories come early) and gives None
    before them. Every evaluation must still agree with the one rebuilt from whole histories, and what
    an apply stores must hold no placeholder. On odd seeds a rule also reads ``trials`` whole: that
    one is then given whole, ``accuracy`` still by its last items."""
    monkeypatch.setattr(trainer_module, "SHOWN_ITEMS", 3)
    monkeypatch.setattr(histories, "CHUNK_ITEMS", 2)
    cut: list[str] = []
    tail = histories.Packed._tail

    def spy(self: histories.Packed, name: str, n: int) -> list[Any] | None:
        out = tail(self, name, n)
        if out is not None:
            cut.append(name)
        return out

    monkeypatch.setattr(histories.Packed, "_tail", spy)
    for seed in range(6):
        cut.clear()
        chosen = curriculum.model_copy(deep=True)
        if seed % 2:
            chosen.stage_transitions[0].rule.expression += " and sum(trials) >= 0"
        with Workspace.open(tmp_path / f"d{seed}.sqlite3", create=True) as ws:
            evaluations, held = _scenario(ws, chosen, 200 + seed)
        assert evaluations >= 2 and held >= 1
        if seed % 2:
            assert "trials" not in cut
        else:
            assert "accuracy" in cut or "trials" in cut, seed


def test_full_chunks_are_read_only_when_an_evaluation_or_its_apply_needs_them(
    tmp_path, curriculum, monkeypatch
) -> None:
    """The example's rules read at most the last five items: with chunks of eight, a subject whose last
    chunk already holds five, and that one pending session does not fill, is evaluated without reading
    the full chunk before it. Each day's evaluation still agrees with the one rebuilt from every
    session, and what the applies store (a chunk filling up rewrites the full ones: read then) equals a
    replay."""
    monkeypatch.setattr(trainer_module, "SHOWN_ITEMS", 2)
    monkeypatch.setattr(histories, "CHUNK_ITEMS", 8)
    left: list[int] = []
    read: list[int] = []
    original = histories.read_stored

    def spy(conn: Any, running: dict, pks: list[int]) -> None:
        read.extend(pks)
        left.extend(pk for pk, r in running.items() if histories.unread(r) and pk not in pks)
        original(conn, running, pks)

    monkeypatch.setattr(histories, "read_stored", spy)
    rng = random.Random(7)
    with Workspace.open(tmp_path / "d.sqlite3", create=True) as ws:
        version = ws.publish(curriculum, operator="t")
        ws.register(["A", "B"], version.id, start_stage="Habituation", operator="t")
        for day in range(30):
            rows = [
                MetricsRow(
                    n + 2,
                    subject,
                    f"d{day}",
                    START + timedelta(days=day),
                    {
                        "accuracy": round(rng.uniform(0.5, 0.9), 3),
                        "trials": rng.randrange(100, 400),
                        "bias": round(rng.uniform(0, 0.4), 2),
                        "weight_fraction": round(rng.uniform(0.8, 1.0), 2),
                        "licks_per_reward": round(rng.uniform(2, 10), 1),
                    },
                )
                for n, subject in enumerate(("A", "B"))
            ]
            metrics.import_rows(ws, rows)
            ws.apply(_compare(ws), operator="t")
            # Days 13 and 14 (and 21, 22): the last chunk holds 5 or 6 sessions, the full one is not read.
            assert bool(left) == (day >= 13), day
        assert _stored_histories_match_a_replay(ws) == 2
    assert read  # and days that read it (a chunk filling up, or reaching back into it)
