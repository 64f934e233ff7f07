"""The define-your-own-model notebook runs top to bottom (a short simulation): user-written QIF
and AdEx on every available backend (bit-identical), validated against Brian2."""
import pytest

from notebook_runner import run_notebook


def test_define_your_own_model_notebook_executes(tmp_path):
    pytest.importorskip("brian2")
    _, text, _ = run_notebook("06_define_your_own_model.ipynb", {"SPIKESIM_NB_DURATION": "300"}, tmp_path)
    assert "ModelError:" in text and "'gain'" in text
    assert "reference == numba: bit-identical" in text
    assert "spikesim vs Brian2" in text and "from_brian2" in text
