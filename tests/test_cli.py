"""The command line: list, run, errors."""
import subprocess
import sys

import numpy as np
import pytest

import spikesim as ss
from spikesim.cli import main


def test_run_izhikevich_2003_writes_result_and_figure(tmp_path, capsys):
    rc = main(["run", "izhikevich-2003", "--set", "duration=300", "--set", "n_exc=200", "--set", "n_inh=50",
               "--out", str(tmp_path), "--quiet"])
    assert rc == 0
    res = ss.load(tmp_path / "result.h5")
    assert res.config["duration"] == 300.0 and res.config["n_exc"] == 200
    assert 0.5 < res.metrics["exc"]["rate_hz"] < 100
    # ISI CV: the mean over neurons with >= 3 spikes of std/mean of their intervals (spike_stats)
    t, i = res.spikes("exc")
    cvs = [np.std(np.diff(t[i == k])) / np.mean(np.diff(t[i == k])) for k in np.unique(i) if (i == k).sum() >= 3]
    assert res.metrics["exc"]["isi_cv"] == pytest.approx(np.mean(cvs), rel=1e-12)
    assert (tmp_path / "raster.png").stat().st_size > 10_000
    out = capsys.readouterr().out
    assert "exc/rate_hz" in out and "result:" in out


def test_errors_exit_2(capsys):
    assert main(["run", "no-such-paradigm"]) == 2
    assert "unknown paradigm 'no-such-paradigm'" in capsys.readouterr().err
    assert main(["run", "izhikevich-2003", "--set", "nope=1"]) == 2
    assert "no config key 'nope'" in capsys.readouterr().err
    assert main(["run", "izhikevich-2003", "--set", "duration=abc"]) == 2
    assert main(["run", "izhikevich-2003", "--preset", "huge"]) == 2


def test_list_runs_as_a_program():
    out = subprocess.run([sys.executable, "-m", "spikesim.cli", "list"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0
    assert "izhikevich-2003" in out.stdout


def test_show_lists_every_config_key_with_type_default_and_meaning(capsys):
    import dataclasses

    from spikesim import paradigms
    from spikesim.cli import main
    assert main(["show", "continual"]) == 0
    out = capsys.readouterr().out
    cfg = paradigms.get("continual").Config
    for f in dataclasses.fields(cfg):
        assert any(line.split()[:1] == [f.name] for line in out.splitlines()), f.name
    assert "folder of the MNIST IDX / CIFAR-100 binary files" in out      # a field's comment is its meaning
    assert "[mnist5k: 10; full: 10]" in out                                # the presets' values
    assert main(["show", "no-such-paradigm"]) == 2


DOCUMENTED = ("izhikevich-2003", "what-when", "motion", "continual", "images")


@pytest.mark.parametrize("name", DOCUMENTED)
def test_every_config_field_has_a_meaning(name):
    from spikesim import paradigms
    from spikesim.paradigms import config_fields

    rows = config_fields(paradigms.get(name).Config)
    missing = [field for field, _, _, meaning in rows if not meaning.strip()]
    assert not missing, f"{name}: config fields without a '# meaning' comment: {missing}"


def test_config_meaning_reads_continued_and_inherited_comments():
    from spikesim.paradigms import config_fields, get

    motion = {r[0]: r[3] for r in config_fields(get("motion").Config)}
    assert motion["train_top_fraction"].endswith("0.06-0.16 was best in its scan")   # continued below its line
    assert motion["use_mask"].startswith("project the kernel")                     # not the continuation
    images = {r[0]: r[3] for r in config_fields(get("images").Config)}
    assert "AdamW peak learning rate" in images["lr"]                                # from TrainRecipe's source
