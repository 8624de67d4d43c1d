"""The Training page's "Compare runs": finished runs read back from a temporary runs/ folder,
ticked and overlaid, a seventh refused, the tutorial's comparisons submitted as an experiment set
that waits in line, and the runs still listed after a restart. Trainers are the page tests' fakes."""

from __future__ import annotations

import json
from pathlib import Path

from cnn_core import compare, run_storage
from cnn_core.jobs import INSTRUCTOR_TOKEN_ENV
from tests.app.test_training_page import PAGE, button, texts
from tests.unit.test_compare import epochs, stored_run
from ui import jobs
from ui.compare_runs import TICKED_KEY


def runs_dir() -> Path:
    return run_storage.default_runs_dir()  # the trainers fixture's temporary folder


def charts(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def comparison_charts(at) -> list[dict]:
    return [c for c in charts(at) if isinstance(c.get("title"), dict) and "layer" in c]


def test_with_no_finished_run_the_section_says_how_to_get_one(open_page, trainers):
    at = open_page(PAGE)
    assert not at.exception
    assert "Compare runs" in [s.value for s in at.subheader]
    assert "No run has finished on this server yet" in texts(at)
    assert not [m for m in at.multiselect if m.key == TICKED_KEY]


def test_finished_runs_are_listed_and_ticking_two_draws_the_overlay_and_the_table(open_page, trainers):
    from dataclasses import replace

    from cnn_core.training_config import training_defaults

    stored_run(runs_dir(), "20261201-100000-tutorial", test=0.91)
    stored_run(
        runs_dir(),
        "20261201-100100-slow",
        test=0.85,
        config=replace(training_defaults("tutorial"), epochs=3, learning_rate=1e-3),
    )
    stored_run(runs_dir(), "20261201-100200-running", status="running", test=None)
    at = open_page(PAGE)
    ticks = at.multiselect(key=TICKED_KEY)
    assert len(ticks.options) == 2  # the running one is not finished
    assert ticks.options[0].startswith(
        "Tutorial · Adam η=0.001 · 3 epochs · MNIST (bundled sample) · test 85.0%"
    )
    assert "Tick two or more runs" in texts(at)
    assert not comparison_charts(at)

    ticks.set_value(
        [str(runs_dir() / "20261201-100000-tutorial"), str(runs_dir() / "20261201-100100-slow")]
    ).run()
    assert not at.exception, [e.value for e in at.exception]
    loss, accuracy = comparison_charts(at)
    assert loss["title"]["text"][0].startswith("Loss")
    assert accuracy["title"]["text"] == ["Accuracy per epoch", "solid: training · dashed: validation"]
    assert len(loss["layer"]) == 4  # two runs × training and validation
    assert [layer["encoding"]["strokeDash"]["scale"]["range"] for layer in loss["layer"]][0] == [
        [1, 0],
        [6, 4],
    ]
    table = at.dataframe[0].value
    assert list(table.columns) == ["Run", "Test accuracy", "Final validation accuracy", "η"]
    assert list(table["η"]) == ["0.01", "0.001"] and list(table["Test accuracy"]) == ["91.0 %", "85.0 %"]
    shown = texts(at)
    assert (
        "Only what differed is listed: **η**" in shown
        and "Best on the test images: **1 · Tutorial η=0.01**" in shown
    )
    assert (
        "Accuracy per epoch of 2 runs (solid: training, dashed: validation): 1 · Tutorial η=0.01 ends at"
        in shown
    )


def test_a_seventh_run_is_refused_with_a_sentence(open_page, trainers):
    for i in range(7):
        stored_run(runs_dir(), f"20261201-10000{i}-run", test=0.8 + i / 100)
    at = open_page(PAGE)
    ticks = at.multiselect(key=TICKED_KEY)
    ticks.set_value(list(ticks.options)).run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.multiselect(key=TICKED_KEY).value) == 6
    assert any(
        "At most 6 runs fit on one chart" in w.value and "the 7th was not added" in w.value
        for w in at.warning
    )
    (loss, _) = comparison_charts(at)
    assert len(loss["layer"]) == 12
    assert len(at.dataframe[0].value) == 6


def test_the_experiment_set_waits_in_line_in_order_and_is_ticked_in_one_click(open_page, trainers):
    at = open_page(PAGE)
    assert "about" in texts(at) and "images/s, this server's speed" in texts(at)
    button(at, "Run the tutorial's comparisons").click().run()
    assert not at.exception, [e.value for e in at.exception]
    plan = compare.tutorial_comparisons()
    assert len(trainers) == len(plan) == 4
    assert [(t.model_config, t.config) for t in trainers] == [(p.model_config, p.training) for p in plan]
    registry = jobs.get_registry()
    line = registry.line()
    first = next(j for j in registry.jobs() if j.trainer is trainers[0])
    assert trainers[0].calls == ["start"] and not first.queued  # the cap: one runs, the others wait
    assert [j.trainer for j in line] == trainers[1:]  # ...in order
    name = first.group
    assert name.startswith("The tutorial's comparisons · ") and all(j.group == name for j in line)
    for trainer in trainers:  # each run's folder names its set before it starts
        assert run_storage.read_run(trainer.folder).experiment == name
    assert button(at, "Run the tutorial's comparisons").disabled  # one set at a time
    progress = texts(at)
    assert "▶ Tutorial on MNIST · 5 epochs · Adam η=0.01 — epoch 1 of 5" in progress
    assert "⏳ Tutorial + exercise 2 on MNIST · 5 epochs · Adam η=0.01 — waiting, 1st in line" in progress
    assert "⏳ Tutorial on MNIST · 5 epochs · Adam η=0.001 — waiting, 3rd in line" in progress

    # Run after run finishes (the real Trainer writes its run.json; the fake does not).
    for trainer in trainers:
        registry.dispatch()
        trainer.finish(test_accuracy=0.9)
        run_storage.update_run_status(
            trainer.folder, "finished", epochs_done=5, test=(0.3, 0.9), history=epochs(5)
        )
    registry.dispatch()
    at.run()
    assert "all done: tick the set below to compare" in texts(at)
    progress = next(m.value for m in at.markdown if "all done: tick the set" in m.value)
    assert progress.count("— done") == 4  # each run once: from its job, not again from its folder
    assert texts(at).count("✓") == 4
    button(at, f"Tick the set “{name}” (4 runs)").click().run()
    assert len(at.multiselect(key=TICKED_KEY).value) == 4
    loss, _ = comparison_charts(at)
    assert len(loss["layer"]) == 8
    table = at.dataframe[0].value
    assert list(table["Run"]) == [
        "1 · Tutorial η=0.01",
        "2 · Tutorial + exercise 2 η=0.01",
        f"3 · Strong η={plan[2].training.learning_rate:g}",
        "4 · Tutorial η=0.001",
    ]


def test_finished_runs_are_still_listed_after_a_restart(open_page, trainers):
    stored_run(runs_dir(), "20261201-100000-a", experiment="set A")
    stored_run(runs_dir(), "20261201-100001-b", experiment="set A")
    at = open_page(PAGE)
    button(at, "Tick the set “set A” (2 runs)").click().run()
    assert len(comparison_charts(at)) == 2
    jobs.get_registry.clear()  # the server restarts: no job, no session, the same runs folder
    again = open_page(PAGE)
    assert len(again.multiselect(key=TICKED_KEY).options) == 2
    assert not again.multiselect(key=TICKED_KEY).value
    assert "Tick the set “set A” (2 runs)" in [b.label for b in again.button]


def test_on_a_class_server_only_the_instructors_link_starts_the_experiment_set(
    open_page, trainers, monkeypatch
):
    monkeypatch.setenv(INSTRUCTOR_TOKEN_ENV, "s3cret")
    student = open_page(PAGE)
    assert button(student, "Run the tutorial's comparisons").disabled
    assert "On this server the instructor starts the comparisons" in texts(student)
    assert not trainers

    instructor = open_page(PAGE)
    instructor.session_state[jobs.INSTRUCTOR_KEY] = True  # what ?instructor=s3cret leaves behind
    instructor.run()
    button(instructor, "Run the tutorial's comparisons").click().run()
    assert len(trainers) == len(compare.tutorial_comparisons())
