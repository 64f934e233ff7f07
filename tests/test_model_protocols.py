"""Every registered model of the continual, motion and images paradigms (what-when: added when it
lands) satisfies its protocol of :mod:`spikesim.models.protocols`, built by the paradigm's own
factory; and a protocol check can fail."""
import numpy as np
import pytest

from spikesim.models.protocols import Classifier, OnlineLearner, problems, satisfies
from spikesim.paradigms import get


def _continual_models():
    from spikesim.paradigms.continual.data import build_tasks
    from spikesim.paradigms.continual.run import make_learner

    cfg = get("continual").make_config("quick", {"n_tasks": "2", "hidden": "16"})
    data = build_tasks(cfg)
    return [(m, make_learner(m, cfg, data)) for m in get("continual").models]


def _motion_models():
    from spikesim.paradigms.motion.run import make_model

    cfg = get("motion").make_config("quick", {"kernel_t": "3", "kernel_x": "3"})
    return [(m, make_model(m, cfg)) for m in get("motion").models]


def _images_models():
    from spikesim.paradigms.images.run import build_model

    cfg = get("images").make_config("quick", {"depth": "1", "dim": "32", "heads": "2", "device": "cpu"})
    return [(m, build_model(m, cfg, 1, 10, None, None)) for m in get("images").models]


CASES = [("continual", OnlineLearner, _continual_models), ("motion", Classifier, _motion_models),
         ("images", Classifier, _images_models)]


@pytest.mark.parametrize("paradigm,protocol,factory", CASES, ids=[c[0] for c in CASES])
def test_every_registered_model_satisfies_its_protocol(paradigm, protocol, factory):
    models = factory()
    assert [m for m, _ in models] == list(get(paradigm).models)
    for name, model in models:
        assert isinstance(model, protocol), f"{paradigm}/{name}"
        assert problems(model, protocol) == [], f"{paradigm}/{name}"
        assert model.name == name


def test_protocol_check_can_fail():
    class NoPredict:
        name = "x"

        def fit(self, x, y):
            return self

    class NeedsMore:
        name = "y"

        def fit(self, x, y):
            return self

        def predict(self, x, drop_frames):       # a required extra argument: a paradigm cannot call it
            return np.zeros(len(x))

    assert not satisfies(NoPredict(), Classifier)
    assert any("predict" in p for p in problems(NeedsMore(), Classifier))
    assert not satisfies(NeedsMore(), OnlineLearner)


def test_online_learner_predictions_are_its_accuracy():
    """``predict`` of the protocol gives the numbers the paradigm reports."""
    from spikesim.paradigms.continual.data import build_tasks
    from spikesim.paradigms.continual.run import make_learner

    cfg = get("continual").make_config("quick", {"n_tasks": "1"})
    data = build_tasks(cfg)
    learner = make_learner("baseline", cfg, data)
    learner.learn(0, data.x_train[0], data.y_train[0])
    pred = learner.predict(0, data.x_test[0])
    assert pred.shape == (len(data.x_test[0]),) and pred.dtype.kind == "i"
    assert learner.accuracy(0, data.x_test[0], data.y_test[0]) == pytest.approx(np.mean(pred == data.y_test[0]))
    assert np.mean(pred == data.y_test[0]) > 0.5          # learned something (10 classes, chance 0.1)
