"""`mpcnet improve`: rounds of controller data, fine-tuning and re-sparsification, resumable."""

import json

import pytest

from tests.fixtures.cli import run_cli as _run

pytestmark = pytest.mark.integration  # end to end: the command line, files, episodes


@pytest.fixture(scope="module")
def dense(tmp_path_factory):
    root = tmp_path_factory.mktemp("improve")
    assert _run(["collect", "--episodes", "6", "--steps", "8", "--seed", "1",
                 "--out", str(root / "data")]) == 0
    assert _run(["train", "--data", str(root / "data"), "--hidden", "8,8", "--epochs", "1",
                 "--rollout-horizon", "3", "--val-fraction", "0.3",
                 "--out", str(root / "model")]) == 0
    return root


def _improve(root, out, *extra):
    return _run(["improve", "--model", str(root / "model"), "--data", str(root / "data"),
                 "--controller", "mppi", "--relus", "4", "--rounds", "2", "--episodes", "2",
                 "--steps", "4", "--horizon", "2", "--iterations", "1", "--samples", "8",
                 "--train-epochs", "1", "--relaxed-epochs", "2", "--finetune-epochs", "1",
                 "--out", str(out), *extra])


def test_improve_rounds_grow_the_data_and_resume_after_a_kill(dense, tmp_path, monkeypatch):
    import training.improve as improve

    out = tmp_path / "run"
    real, calls = improve.run_round, []

    def killed_in_round_2(r, *args, **kwargs):
        calls.append(r)
        if r == 2:
            raise KeyboardInterrupt
        return real(r, *args, **kwargs)

    monkeypatch.setattr(improve, "run_round", killed_in_round_2)
    assert _improve(dense, out) == 130
    rows = json.loads((out / "metrics.json").read_text())["rounds"]
    assert [r["round"] for r in rows] == [0, 1] and calls == [0, 1, 2]
    calls.clear()
    monkeypatch.setattr(improve, "run_round", lambda r, *a, **k: (calls.append(r),
                                                                   real(r, *a, **k))[1])
    assert _improve(dense, out, "--resume") == 0
    assert calls == [2]  # finished rounds are not repeated
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["complete"] is True and metrics["rounds"][:2] == rows
    rows = metrics["rounds"]
    assert [r["round"] for r in rows] == [0, 1, 2]
    assert all(r["relus"] <= 4 and 0.0 <= r["success_rate"] <= 1.0 for r in rows)
    for before, after in zip(rows, rows[1:], strict=False):
        assert after["transitions"] == before["transitions"] + before["new_transitions"]
        assert after["new_episode_ids"][0] > before["new_episode_ids"][1]  # new ids
    assert (out / "round_2" / "sparse" / "relunet.json").is_file()


def test_improve_refuses_changed_settings_on_resume(dense, tmp_path, capsys):
    out = tmp_path / "run"
    assert _run(["improve", "--model", str(dense / "model"), "--data", str(dense / "data"),
                 "--controller", "random", "--relus", "4", "--rounds", "0", "--episodes", "1",
                 "--steps", "2", "--horizon", "2", "--iterations", "1", "--train-epochs", "1",
                 "--relaxed-epochs", "1", "--finetune-epochs", "0", "--out", str(out)]) == 0
    capsys.readouterr()
    assert _improve(dense, out, "--resume") == 2
    assert "started with other settings" in capsys.readouterr().err


def test_a_run_from_before_distillation_was_the_default_resumes_with_no_distill(
        dense, tmp_path, capsys):
    out = tmp_path / "old"
    argv = ["improve", "--model", str(dense / "model"), "--data", str(dense / "data"),
            "--controller", "random", "--relus", "4", "--rounds", "0", "--episodes", "1",
            "--steps", "2", "--horizon", "2", "--iterations", "1", "--train-epochs", "1",
            "--relaxed-epochs", "1", "--finetune-epochs", "0", "--out", str(out)]
    assert _run(argv) == 0
    settings = json.loads((out / "config.json").read_text())
    assert settings["distill"] is True  # Push data: on by default, recorded as decided
    (out / "config.json").write_text(json.dumps({**settings, "distill": False}))
    capsys.readouterr()
    assert _run([*argv, "--resume"]) == 2
    assert "--no-distill for a run started before" in capsys.readouterr().err
    assert _run([*argv, "--resume", "--no-distill"]) == 0


def test_a_teacher_adds_the_reference_planners_episodes(dense, tmp_path, monkeypatch):
    import training.improve as improve
    import training.sparsify as sparsify

    planners, distilled = {}, []
    real_transitions, real_sparsify = improve.controller_transitions, sparsify.sparsify_progressive

    def recorded(env_id, net, controller, config, planner, *args, **kwargs):
        planners[controller] = planner
        return real_transitions(env_id, net, controller, config, planner, *args, **kwargs)

    def sparsify_recorded(dense_model, train, val, scfg, *args, **kwargs):
        distilled.append(scfg.distill)
        return real_sparsify(dense_model, train, val, scfg, *args, **kwargs)

    monkeypatch.setattr(improve, "controller_transitions", recorded)
    monkeypatch.setattr(sparsify, "sparsify_progressive", sparsify_recorded)
    out = tmp_path / "taught"
    assert _run(["improve", "--model", str(dense / "model"), "--data", str(dense / "data"),
                 "--controller", "random", "--relus", "4", "--rounds", "1", "--episodes", "1",
                 "--steps", "3", "--horizon", "2", "--iterations", "1", "--samples", "4",
                 "--train-epochs", "1", "--relaxed-epochs", "1", "--finetune-epochs", "0",
                 "--teacher-episodes", "2", "--teacher-samples", "6", "--teacher-iterations",
                 "2", "--distill", "--out", str(out)]) == 0
    # the teacher plans with its own settings, not the controller's; each round distils
    assert (planners["random"].samples, planners["random"].iterations) == (4, 1)
    assert (planners["cem"].samples, planners["cem"].iterations) == (6, 2)
    assert planners["cem"].horizon == 2 and distilled == [True, True]
    rows = json.loads((out / "metrics.json").read_text())["rounds"]
    first, last = rows
    assert first["teacher_transitions"] > 0 and 0.0 <= first["teacher_success_rate"] <= 1.0
    assert first["new_transitions"] > first["teacher_transitions"]  # the controller's too
    # the last round's data train nothing, so it runs no teacher
    assert last["teacher_transitions"] == 0 and last["teacher_success_rate"] is None
    assert rows[1]["transitions"] == rows[0]["transitions"] + rows[0]["new_transitions"]
