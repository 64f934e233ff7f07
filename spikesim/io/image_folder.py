"""Images from an ImageNet-style folder tree, read into memory at a fixed square size.

Layout: ``root/train/<class>/<image>`` and ``root/val/<class>/<image>`` (``val`` may also be
called ``test``); classes are the sorted sub-folder names of ``train``, and ``val`` must use the
same names. Every image is converted to RGB, its shorter side resized to ``size`` (bilinear) and
centre-cropped to ``size`` x ``size``. ``n_train`` / ``n_test`` (0: all) take a seeded random
subset, which is how a 1.28M-image ImageNet is cut to what fits in memory
(``size``^2 x 3 bytes per image while loading, 4x that as float32 for training).

Returns :class:`spikesim.io.datasets.ImageSplit` with float32 images in [0, 1], (N, 3, size, size).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from spikesim.io.datasets import ImageSplit

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _listing(folder: Path, classes: list[str]) -> tuple[list[Path], np.ndarray]:
    files, labels = [], []
    for c, name in enumerate(classes):
        d = folder / name
        if not d.is_dir():
            raise FileNotFoundError(f"{folder} has no class folder {name!r} (classes come from the train folder)")
        for f in sorted(d.iterdir()):
            if f.suffix.lower() in IMAGE_SUFFIXES:
                files.append(f)
                labels.append(c)
    return files, np.asarray(labels, np.int64)


def load_image(path: Path, size: int) -> np.ndarray:
    """uint8 [3, size, size]: RGB, shorter side resized to ``size``, centre crop."""
    from PIL import Image

    with Image.open(path) as im:
        im = im.convert("RGB")
        w, h = im.size
        s = size / min(w, h)
        im = im.resize((max(size, round(w * s)), max(size, round(h * s))), Image.BILINEAR)
        w, h = im.size
        left, top = (w - size) // 2, (h - size) // 2
        im = im.crop((left, top, left + size, top + size))
        return np.asarray(im, dtype=np.uint8).transpose(2, 0, 1)


def image_folder(root: str | os.PathLike, size: int = 224, n_train: int = 0, n_test: int = 0,
                 seed: int = 0) -> ImageSplit:
    root = Path(root).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"image folder {root} does not exist")
    if not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be a positive integer, got {size!r}")
    train = root / "train"
    test = next((root / n for n in ("val", "test") if (root / n).is_dir()), None)
    if not train.is_dir() or test is None:
        raise FileNotFoundError(f"{root} must hold train/ and val/ (or test/) folders of class sub-folders")
    classes = sorted(d.name for d in train.iterdir() if d.is_dir())
    if not classes:
        raise FileNotFoundError(f"{train} has no class sub-folders")
    rng = np.random.default_rng(seed)
    out = []
    for folder, n in ((train, n_train), (test, n_test)):
        files, labels = _listing(folder, classes)
        if not files:
            raise FileNotFoundError(f"{folder} holds no images ({', '.join(IMAGE_SUFFIXES)})")
        idx = np.arange(len(files)) if not n or n >= len(files) else np.sort(rng.choice(len(files), n, replace=False))
        x = np.empty((len(idx), 3, size, size), np.uint8)
        for j, i in enumerate(idx):
            x[j] = load_image(files[i], size)
        out += [(x.astype(np.float32) / 255.0), labels[idx]]
    return ImageSplit(out[0], out[1], out[2], out[3], f"imagefolder:{root.name}")
