"""Python references read as text: found on the import path without importing, and converted to expressions
when they are simple conditions (checked by running both on random metrics)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from curriculum_gui.core.model import ExpressionRule, PythonRule
from curriculum_gui.core.python_rules import runner_for
from curriculum_gui.core.python_source import (
    SourceUnavailable,
    find_module_file,
    function_name,
    function_source,
    rule_label,
)
from curriculum_gui.core.rule_conversion import NotConvertible, check, convert, translate

VR = "aind_behavior_vr_foraging_curricula"


def _package(root: Path, name: str, files: dict[str, str]) -> Path:
    """A package whose __init__ leaves a marker when it runs (it must never run here)."""
    folder = root / name
    folder.mkdir(parents=True)
    marker = root / f"{name}_ran"
    (folder / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    for path, text in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))
    return marker


def test_source_is_found_and_read_without_importing_anything(tmp_path: Path) -> None:
    marker = _package(
        tmp_path,
        "cg_src_pkg",
        {
            "sub/__init__.py": "open('never', 'w')\n",
            "sub/rules.py": """
                import os  # would run on import
                THRESHOLD = 12

                @staticmethod
                def go(metrics):
                    return metrics.trials > THRESHOLD
            """,
        },
    )
    found = function_source("cg_src_pkg.sub.rules.go", [str(tmp_path)])
    assert found.path == tmp_path / "cg_src_pkg" / "sub" / "rules.py"
    assert found.text.startswith("@staticmethod\ndef go(metrics):") and found.line == 5
    assert not marker.exists() and "cg_src_pkg" not in sys.modules
    assert not (Path.cwd() / "never").exists()


def test_imports_are_followed_and_missing_things_say_why(tmp_path: Path) -> None:
    _package(
        tmp_path,
        "cg_src_follow",
        {
            "api.py": "from .impl import go as go\nfrom .gone import nothing\n",
            "impl.py": "def go(m):\n    return m.x > 1\n",
            "compiled.txt": "",
        },
    )
    path = [str(tmp_path)]
    assert function_source("cg_src_follow.api.go", path).path.name == "impl.py"
    with pytest.raises(SourceUnavailable, match="not installed as Python source"):
        function_source("cg_src_follow.api.nothing", path)
    with pytest.raises(SourceUnavailable, match="no function 'absent'"):
        function_source("cg_src_follow.impl.absent", path)
    with pytest.raises(SourceUnavailable, match="__main__"):
        function_source("__main__.go", path)
    assert find_module_file("../etc.passwd", path) is None  # never a path outside the import path


def test_the_canvas_label_of_a_python_reference_is_its_function_name() -> None:
    assert function_name(f"{VR}.depletion.curriculum.st_x") == "st_x"
    assert rule_label(PythonRule(python="a.b.c.fn")) == "fn"
    assert rule_label(ExpressionRule(expression="x > 1")) == "x > 1"


def test_the_package_simple_rules_translate() -> None:
    ref = f"{VR}.depletion.curriculum.st_s_stage_one_odor_no_depletion_s_stage_one_odor_w_depletion_day_0"
    assert translate(ref) == (
        "last_reward_site_length != None and n_reward_sites_traveled > 200 and n_choices > 150 "
        "and last_reward_site_length >= 50"
    )
    # local names inlined, module constants read from the (imported-from) helpers module's source
    assert translate(f"{VR}.learning_sets.curriculum.st_shaping_to_graduated") == (
        "not (last_n_neg_sites_per_pair == None or last_stop_velocity_threshold_updater == None or "
        "n_patches_seen == 0) and last_n_neg_sites_per_pair >= 5 "
        "and last_stop_velocity_threshold_updater <= 8.0 "
        "and n_patches_seen >= 200 and n_patches_visited / n_patches_seen <= 0.7"
    )
    assert translate(f"{VR}.template.curriculum.st_s_stage_a_s_stage_b") == "metric1 > 1"


@pytest.mark.parametrize(
    "function",
    [
        "depletion.curriculum.st_s_stage_one_odor_no_depletion_s_stage_one_odor_w_depletion_day_0",
        "depletion.curriculum.st_s_stage_one_odor_w_depletion_day_0_s_stage_all_odors_rewarded",
        "learning_sets.curriculum.st_shaping_to_graduated",
        "single_site.curriculum.st_s_learn_to_stop_to_s_learn_to_choose",
        "single_site.curriculum.st_s_learn_to_choose_to_s_probability_grid_short_delay",
        "single_site.curriculum.st_s_probability_grid_short_delay_to_s_probability_grid_long_delay",
        "template.curriculum.st_s_stage_a_s_stage_b",
    ],
)
def test_the_package_simple_rules_convert_and_agree_on_random_metrics(function: str) -> None:
    conversion = convert(f"{VR}.{function}", runner_for(modules=[VR]), samples=300)
    assert conversion.samples == 300
    assert 0 < conversion.true_count < conversion.samples  # both outcomes were tried


def test_a_rule_that_cannot_be_converted_says_why() -> None:
    ref = f"{VR}.depletion.curriculum.st_s_stage_all_odors_rewarded_s_stage_graduation"
    with pytest.raises(NotConvertible) as info:
        translate(ref)
    assert "calls patches.get()" in info.value.reason and "curriculum.py" in info.value.reason


def test_a_translation_that_could_differ_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Truthiness: `return metrics.count` is a count in Python, not true/false in the rule language."""
    (tmp_path / "cg_truthy_rules.py").write_text(
        textwrap.dedent(
            """
            from aind_behavior_curriculum import Metrics

            class M(Metrics):
                count: int
                ok: bool | None = None

            def truthy(metrics: M) -> bool:
                return metrics.count

            def loop(metrics: M) -> bool:
                for _ in range(3):
                    pass
                return True
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    runner = runner_for(modules=["cg_truthy_rules"])
    assert translate("cg_truthy_rules.truthy") == "count"
    with pytest.raises(NotConvertible, match=r"they could differ: with the metrics .* the function gives"):
        check("cg_truthy_rules.truthy", "count", runner)
    with pytest.raises(NotConvertible, match="a 'for' statement is not a simple condition"):
        translate("cg_truthy_rules.loop")


def test_checking_needs_the_module_trusted() -> None:
    from curriculum_gui.core.python_rules import PythonRuleUnavailable

    with pytest.raises(PythonRuleUnavailable, match="not trusted"):
        convert(f"{VR}.template.curriculum.st_s_stage_a_s_stage_b", runner_for())
