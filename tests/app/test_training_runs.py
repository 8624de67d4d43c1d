"""The Training page's kept runs: the session that started a run may delete it (behind a
confirmation), no other session sees Delete, a run going cannot be deleted, and starting a run
prunes the oldest ended runs beyond ``$CNN_EXPLORER_KEEP_RUNS``. Trainers are the page tests' fakes."""

from __future__ import annotations

from pathlib import Path

from cnn_core import run_storage
from tests.app.test_compare_runs import runs_dir
from tests.app.test_training_page import PAGE, start, texts
from tests.unit.test_compare import stored_run
from ui.compare_runs import TICKED_KEY

DELETE_KEY = "train_delete"


def finish(trainer, status: str = "finished") -> Path:
    """End the fake's run and write its run.json as the real trainer does (the fake writes none)."""
    trainer.finish(test_accuracy=0.9)
    run = Path(trainer.folder)
    stored_run(run.parent, run.name, status=status, test=0.9)
    return run


def delete_buttons(at) -> list:
    return [b for b in at.button if (b.key or "").startswith(DELETE_KEY)]


def test_the_owner_deletes_a_finished_run_after_confirming(open_page, trainers):
    at = start(open_page)
    run = finish(trainers[0])
    at.run()
    assert "Delete your runs (1)" in [e.label for e in at.expander]
    assert "This removes its model and checkpoints from the server" in texts(at)
    at.multiselect(key=TICKED_KEY).set_value([str(run)]).run()  # ticked for comparing, then deleted
    label = run_storage.read_run(run).label
    (delete,) = delete_buttons(at)
    assert delete.label == "Delete this run" and not delete.disabled  # inside the Delete popover
    delete.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not run.exists()
    assert [t.value for t in at.toast] == [f"Deleted “{label}”: its model and checkpoints are gone."]
    assert not [m for m in at.multiselect if m.key == TICKED_KEY]  # no finished run is left to compare
    assert "No run has finished on this server yet" in texts(at)
    assert not [e for e in at.expander if e.label.startswith("Delete your runs")]


def test_another_session_does_not_see_delete(open_page, trainers):
    owner = start(open_page)
    finish(trainers[0])
    owner.run()
    assert delete_buttons(owner)
    other = open_page(PAGE)
    assert len(other.multiselect(key=TICKED_KEY).options) == 1  # listed for comparing...
    assert not delete_buttons(other)  # ...but not the other session's to delete
    assert not [e for e in other.expander if e.label.startswith("Delete your runs")]


def test_a_run_going_cannot_be_deleted(open_page, trainers):
    at = start(open_page)
    run = Path(trainers[0].folder)
    run_storage.write_run_file(
        run,
        label=trainers[0].label,
        status="running",
        dataset_name="mnist",
        dataset_source="bundled",
        model_config=trainers[0].model_config,
        config=trainers[0].config,
    )
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    (delete,) = delete_buttons(at)
    assert delete.disabled and "going or waiting in line" in delete.help
    assert "going or waiting" in texts(at)
    assert run.exists()


def test_deleting_a_run_already_gone_says_so_in_a_sentence(open_page, trainers):
    at = start(open_page)
    run = finish(trainers[0])
    at.run()
    run_storage.remove_run(run)  # another way it went: removed by hand, or pruned meanwhile
    delete_buttons(at)[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("is already gone" in w.value for w in at.warning)
    assert not delete_buttons(at)


def test_starting_a_run_prunes_the_oldest_ended_runs_beyond_the_count(open_page, trainers, monkeypatch):
    monkeypatch.setenv(run_storage.KEEP_RUNS_ENV, "2")
    for name in ("20261201-100000-a", "20261201-100100-b", "20261201-100200-c"):
        stored_run(runs_dir(), name)
    stored_run(runs_dir(), "20261201-090000-going", status="running", test=None)
    start(open_page)
    kept = sorted(p.name for p in runs_dir().iterdir())
    assert kept == [
        "20261201-090000-going",
        "20261201-100100-b",
        "20261201-100200-c",
        Path(trainers[0].folder).name,  # the new run's folder (no run.json yet)
    ]
