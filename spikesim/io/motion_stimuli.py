"""Motion stimuli for the heterogeneous-delay paradigm (Grimaldi & Perrinet 2023, Biol. Cybern.).

Pipeline (following the authors' public notebook, see ``shared/papers/heterogeneous_delays.md``):

1. **Images**: whitened synthetic natural-like images (:func:`synthetic_image`, dead-leaves
   occlusions or 1/f noise), static Motion Clouds textures (``kind="cloud"``), or the user's own
   grayscale images (:func:`load_images` from a folder or ``.npy``), all whitened by
   :func:`whiten` (a radial-frequency ramp ``|f|`` times a low-pass ``exp(-(|f|/f0)^4)``).
2. **Classes**: ``k = 0..35``; direction ``phi_k = 2 pi ((k mod 12) + 0.5 ((k // 12) mod 2)) / 12``
   and speed ``v_k = 0.5 * 2 ** (2 (k // 12) / 3 - 1)`` = 0.25, 0.397, 0.630 px per 1-ms frame.
3. **Labels**: a random walk (a new uniform label with probability ``1/block_length`` each frame,
   mean block 24 ms) for training, one constant label for testing (``block_length=inf``).
4. **Movie**: the crop window moves by ``-v (cos phi, sin phi)`` per frame (rows, columns), so the
   content moves by ``+v (cos phi, sin phi)``; sub-pixel positions by a Fourier phase shift.
   Normalised as in the code: ``z - mean``, divided by ``max|z|`` (range [-1, 1]), plus Gaussian
   noise (sigma 1e-3), clipped.
5. **Events** (:func:`make_events`): the code's residual rule, per pixel::

       D[t] = I[t] - I[t-1],  D[0] = 0;   theta = selectivity * std(D[1:])
       R[t] = D[t] - theta * s[t-1];      s[t] = sign(R[t]) if |R[t]| > theta else 0

   returned as ``uint8 (2, T, X, Y)`` with channel 0 = OFF, 1 = ON.

Arrays are time-first: a movie is ``(T, X, Y)`` (X = rows, Y = columns).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np


# --------------------------------------------------------------------------------------------
# classes and labels
def motion_classes(n_directions: int = 12, n_speeds: int = 3, v0: float = 0.5, v_base: float = 2.0):
    """Directions (rad) and speeds (px/frame) of the ``n_directions * n_speeds`` classes."""
    if n_directions < 1 or n_speeds < 1:
        raise ValueError(f"n_directions and n_speeds must be >= 1; got {n_directions}, {n_speeds}")
    k = np.arange(n_directions * n_speeds)
    phi = 2 * np.pi * ((k % n_directions) + 0.5 * ((k // n_directions) % 2)) / n_directions
    speed = v0 * np.exp(np.log(v_base) * (2 * (k // n_directions) / n_speeds - 1))
    return phi, speed


def label_sequence(n_frames: int, n_classes: int, rng: np.random.Generator, block_length: float = 24.0):
    """Labels per frame: a new uniform label with probability ``1/block_length`` at each frame
    (geometric blocks, mean ``block_length``); ``block_length=inf`` gives one constant label."""
    if n_frames < 1:
        raise ValueError(f"n_frames must be >= 1; got {n_frames}")
    if not block_length >= 1:
        raise ValueError(f"block_length must be >= 1 (or inf); got {block_length}")
    labels = np.empty(n_frames, dtype=np.int64)
    labels[0] = rng.integers(n_classes)
    if math.isinf(block_length):
        labels[:] = labels[0]
        return labels
    switch = rng.random(n_frames) < 1.0 / block_length
    new = rng.integers(n_classes, size=n_frames)
    for t in range(1, n_frames):
        labels[t] = new[t] if switch[t] else labels[t - 1]
    return labels


# --------------------------------------------------------------------------------------------
# images
def _freq_radius(shape):
    fx = np.fft.fftfreq(shape[0])[:, None]
    fy = np.fft.fftfreq(shape[1])[None, :]
    return np.sqrt(fx ** 2 + fy ** 2)


def whiten(image, f0: float = 0.4, steepness: float = 4.0) -> np.ndarray:
    """Whiten a grayscale image: multiply its spectrum by ``|f| exp(-(|f|/f0)^steepness)``
    (a 1/f spectrum becomes flat up to the low-pass cut-off ``f0`` in cycles/px); the result
    has zero mean and unit standard deviation."""
    img = np.asarray(image, dtype=np.float64)
    if img.ndim != 2:
        raise ValueError(f"whiten: image must be 2-D (grayscale); got shape {img.shape}")
    if not np.all(np.isfinite(img)):
        raise ValueError("whiten: image contains NaN or inf")
    f = _freq_radius(img.shape)
    out = np.real(np.fft.ifft2(np.fft.fft2(img - img.mean()) * f * np.exp(-(f / f0) ** steepness)))
    sd = out.std()
    if sd == 0:
        raise ValueError("whiten: image is constant")
    return out / sd


def synthetic_image(size: int, rng: np.random.Generator, kind: str = "leaves") -> np.ndarray:
    """A natural-like grayscale image of ``size x size`` pixels (not whitened).

    ``kind="leaves"``: dead-leaves occlusion model (random disks with radii ~ r^-3, so the power
    spectrum falls roughly as 1/f^2 and the image has edges); ``"noise"``: Gaussian random-phase
    1/f amplitude noise; ``"cloud"``: a static Motion Clouds texture (isotropic log-Gabor band)."""
    if size < 8:
        raise ValueError(f"synthetic_image: size must be >= 8; got {size}")
    if kind == "noise":
        f = _freq_radius((size, size))
        f[0, 0] = 1.0
        spec = (rng.standard_normal((size, size)) + 1j * rng.standard_normal((size, size))) / f
        spec[0, 0] = 0
        return np.real(np.fft.ifft2(spec))
    if kind == "cloud":
        import MotionClouds as mc

        fx, fy, ft = mc.get_grids(size, size, 1)
        env = mc.envelope_gabor(fx, fy, ft, V_X=0.0, V_Y=0.0, B_V=0.5, sf_0=0.1, B_sf=0.1, B_theta=np.inf)
        return mc.random_cloud(env, seed=int(rng.integers(2 ** 31)))[:, :, 0]
    if kind == "leaves":
        img = np.zeros((size, size))
        covered = np.zeros((size, size), dtype=bool)
        r_min, r_max = 1.0, size / 4
        n_left = size * size
        while n_left > 0.005 * size * size:
            # radii with density ~ r^-3 on [r_min, r_max] (inverse-CDF sampling)
            u = rng.random()
            r = 1.0 / np.sqrt((1 - u) / r_min ** 2 + u / r_max ** 2)
            cx, cy = rng.random(2) * size
            # only the disk's bounding box, wrapped periodically
            ox = np.arange(int(np.floor(cx - r)), int(np.ceil(cx + r)) + 1)
            oy = np.arange(int(np.floor(cy - r)), int(np.ceil(cy + r)) + 1)
            inside = (ox[:, None] - cx) ** 2 + (oy[None, :] - cy) ** 2 < r ** 2
            ix, iy = np.ix_(ox % size, oy % size)
            new = inside & ~covered[ix, iy]
            if new.any():
                img[ix, iy] = np.where(new, rng.random(), img[ix, iy])
                covered[ix, iy] |= new
                n_left -= int(new.sum())
        return img
    raise ValueError(f"synthetic_image: unknown kind {kind!r}; use 'leaves', 'noise' or 'cloud'")


def load_images(source: str | os.PathLike) -> list[np.ndarray]:
    """The user's grayscale images: a ``.npy`` file (2-D image, or ``(H, W, N)`` stack as in
    the van Hateren file of the paper's code) or a folder of PNG/JPG/NPY files (colour images
    are averaged over channels). Never unpickles."""
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"image source {str(path)!r} does not exist")
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".npy"))
        if not files:
            raise ValueError(f"image folder {str(path)!r} has no .png/.jpg/.npy files")
        out = []
        for p in files:
            out.extend(load_images(p))
        return out
    if path.suffix.lower() == ".npy":
        a = np.load(path, allow_pickle=False).astype(np.float64)
        if a.ndim == 2:
            return [a]
        if a.ndim == 3:
            return [a[:, :, i] for i in range(a.shape[2])]
        raise ValueError(f"{path}: expected a 2-D image or an (H, W, N) stack; got shape {a.shape}")
    if path.suffix.lower() in (".png", ".jpg", ".jpeg"):
        import matplotlib.image as mpimg

        a = np.asarray(mpimg.imread(path), dtype=np.float64)
        if a.ndim == 3:
            a = a[..., :3].mean(axis=2)
        return [a]
    raise ValueError(f"image source {str(path)!r}: unsupported file type (use .npy, .png, .jpg)")


# --------------------------------------------------------------------------------------------
# movies
def trajectory(labels, phi, speed):
    """Cumulative window offsets (rows, cols) per frame; the content moves opposite."""
    labels = np.asarray(labels)
    return np.cumsum(-speed[labels] * np.cos(phi[labels])), np.cumsum(-speed[labels] * np.sin(phi[labels]))


def translate_movie(image, xs, ys, n_x: int, n_y: int, x0: float, y0: float, margin: int = 8) -> np.ndarray:
    """Frames ``movie[t, i, j] = image(x0 + xs[t] + i, y0 + ys[t] + j)`` sampled with a sub-pixel
    Fourier phase shift on a patch (``margin`` extra pixels each side absorb the wrap-around of
    the periodic shift). Returns ``(T, n_x, n_y)``."""
    image = np.asarray(image, dtype=np.float64)
    T = len(xs)
    out = np.empty((T, n_x, n_y))
    px, py = n_x + 2 * margin, n_y + 2 * margin
    ux = np.fft.fftfreq(px)[:, None]
    uy = np.fft.fftfreq(py)[None, :]
    for t in range(T):
        fx, fy = x0 + xs[t], y0 + ys[t]
        ix, iy = int(np.floor(fx)), int(np.floor(fy))
        r0, c0 = ix - margin, iy - margin
        if r0 < 0 or c0 < 0 or r0 + px > image.shape[0] or c0 + py > image.shape[1]:
            raise ValueError(f"translate_movie: frame {t} leaves the image (window at {fx:.1f}, {fy:.1f}, "
                             f"image {image.shape})")
        patch = image[r0:r0 + px, c0:c0 + py]
        dx, dy = fx - ix, fy - iy
        if dx or dy:
            patch = np.real(np.fft.ifft2(np.fft.fft2(patch) * np.exp(2j * np.pi * (ux * dx + uy * dy))))
        out[t] = patch[margin:margin + n_x, margin:margin + n_y]
    return out


def normalise_movie(movie, rng: np.random.Generator, noise: float = 1e-3) -> np.ndarray:
    """The code's ``2 * rectif(movie) - 1`` (zero mean, max |.| = 1), then Gaussian noise, clipped."""
    z = np.asarray(movie, dtype=np.float64)
    z = z - z.mean()
    m = np.abs(z).max()
    if m > 0:
        z = z / m
    if noise > 0:
        z = z + noise * rng.standard_normal(z.shape)
    return np.clip(z, -1.0, 1.0)


def make_events(movie, selectivity: float = 1.0) -> np.ndarray:
    """ON/OFF events of a ``(T, X, Y)`` movie by the residual rule of the paper's code (see the
    module docstring); ``uint8 (2, T, X, Y)``, channel 0 = OFF, 1 = ON."""
    m = np.asarray(movie, dtype=np.float64)
    if m.ndim != 3 or m.shape[0] < 2:
        raise ValueError(f"make_events: movie must be (T, X, Y) with T >= 2; got shape {m.shape}")
    if not selectivity > 0:
        raise ValueError(f"make_events: selectivity must be positive; got {selectivity}")
    d = np.zeros_like(m)
    d[1:] = m[1:] - m[:-1]
    theta = selectivity * d[1:].std()
    out = np.zeros((2,) + m.shape, dtype=np.uint8)
    s_prev = np.zeros(m.shape[1:])
    for t in range(m.shape[0]):
        r = d[t] - theta * s_prev
        s = np.where(r > theta, 1.0, np.where(r < -theta, -1.0, 0.0))
        out[1, t] = s > 0
        out[0, t] = s < 0
        s_prev = s
    return out


def motion_cloud_movie(n_x: int, n_y: int, n_t: int, phi: float, speed: float, sf_0: float = 0.15,
                       B_sf: float = 0.15, B_V: float = 0.05, theta: float = 0.0, B_theta: float = np.pi / 12,
                       seed: int = 1973, slope: float = 1.0) -> np.ndarray:
    """A Motion Cloud moving at ``speed`` px/frame in direction ``phi`` (same convention as the
    translated images: +cos along rows, +sin along columns), as the code's ``make_cloud``:
    ``tanh(slope * (2 rectif(cloud) - 1))``. Returns ``(T, X, Y)``."""
    import MotionClouds as mc

    fx, fy, ft = mc.get_grids(n_x, n_y, n_t)
    env = mc.envelope_gabor(fx, fy, ft, V_X=speed * np.cos(phi), V_Y=speed * np.sin(phi), B_V=B_V, sf_0=sf_0,
                            B_sf=B_sf, theta=theta, B_theta=B_theta)
    z = 2 * mc.rectif(mc.random_cloud(env, seed=seed)) - 1
    return np.tanh(slope * np.transpose(z, (2, 0, 1)))


# --------------------------------------------------------------------------------------------
# worlds: many movies from one configuration
@dataclass
class MotionWorld:
    """Draws (events, labels) movies.

    ``image_source``: ``"leaves"`` | ``"noise"`` | ``"cloud"`` (built-in synthetic, whitened) or a
    path (folder or .npy) of the user's images. ``image_policy``: ``"fixed-per-world"`` (the
    paper's code: every movie of a world uses one image, drawn from the world's seed) or
    ``"per-movie"`` (the paper's text: a new image per movie).
    """

    n_x: int = 32
    n_y: int = 32
    n_t: int = 50
    image_source: str = "leaves"
    image_size: int = 0            # 0: automatic (large enough for the longest trajectory)
    image_policy: str = "fixed-per-world"
    block_length: float = 24.0
    selectivity: float = 1.0
    noise: float = 1e-3
    seed: int = 2023
    n_directions: int = 12
    n_speeds: int = 3

    def __post_init__(self):
        if min(self.n_x, self.n_y) < 4 or self.n_t < 2:
            raise ValueError(f"MotionWorld: movie size (n_t, n_x, n_y) = ({self.n_t}, {self.n_x}, {self.n_y}) "
                             "is too small")
        if self.image_policy not in ("fixed-per-world", "per-movie"):
            raise ValueError(f"MotionWorld: image_policy must be 'fixed-per-world' or 'per-movie'; "
                             f"got {self.image_policy!r}")
        self.phi, self.speed = motion_classes(self.n_directions, self.n_speeds)
        self.n_classes = len(self.phi)
        travel = int(np.ceil(self.speed.max() * self.n_t)) + 20
        self._size = self.image_size or int(max(4 * max(self.n_x, self.n_y), max(self.n_x, self.n_y) + 2 * travel))
        self._user = None
        if self.image_source not in ("leaves", "noise", "cloud"):
            self._user = [whiten(im) for im in load_images(self.image_source)]
            small = [im.shape for im in self._user if min(im.shape) < max(self.n_x, self.n_y) + 2 * travel]
            if small:
                raise ValueError(f"MotionWorld: image_source images {small[0]} are too small for "
                                 f"{self.n_x}x{self.n_y}x{self.n_t} movies (need >= {max(self.n_x, self.n_y) + 2 * travel} px)")
        self._fixed = self._image(np.random.default_rng([self.seed, 0]))

    def _image(self, rng):
        if self._user is not None:
            return self._user[int(rng.integers(len(self._user)))]
        return whiten(synthetic_image(self._size, rng, kind=self.image_source))

    def draw(self, seed: int, label: int | None = None):
        """One movie: ``(events uint8 (2, T, X, Y), labels int64 (T,), movie float (T, X, Y))``.
        ``label`` forces one constant class (else labels follow ``block_length``)."""
        rng = np.random.default_rng([self.seed, 1, seed])
        image = self._fixed if self.image_policy == "fixed-per-world" else self._image(rng)
        if label is None:
            labels = label_sequence(self.n_t, self.n_classes, rng, self.block_length)
        else:
            if not 0 <= label < self.n_classes:
                raise ValueError(f"label must be in [0, {self.n_classes}); got {label}")
            labels = np.full(self.n_t, int(label), dtype=np.int64)
        xs, ys = trajectory(labels, self.phi, self.speed)
        margin = 8
        lo_x = -xs.min() + margin + 1
        hi_x = image.shape[0] - self.n_x - xs.max() - margin - 2
        lo_y = -ys.min() + margin + 1
        hi_y = image.shape[1] - self.n_y - ys.max() - margin - 2
        x0 = rng.uniform(lo_x, hi_x)
        y0 = rng.uniform(lo_y, hi_y)
        movie = translate_movie(image, xs, ys, self.n_x, self.n_y, x0, y0, margin=margin)
        movie = normalise_movie(movie, rng, self.noise)
        return make_events(movie, self.selectivity), labels, movie

    def _draw_one(self, s: int, constant: bool):
        forced = int(np.random.default_rng([self.seed, 2, s]).integers(self.n_classes)) if constant else None
        return self.draw(s, label=forced)

    def dataset(self, n_movies: int, first_seed: int = 0, constant: bool = False, with_movies: bool = False,
                progress=None, workers: int = 1):
        """``n_movies`` movies with seeds ``first_seed ...``: events ``(N, 2, T, X, Y)`` uint8 and
        labels ``(N, T)`` (and the luminance movies ``(N, T, X, Y)`` float16 if ``with_movies``).
        ``constant=True``: one label per movie (the test protocol). ``workers > 1`` draws movies
        in a process pool (same result: each movie depends only on its seed)."""
        if n_movies < 1:
            raise ValueError(f"n_movies must be >= 1; got {n_movies}")
        if workers < 1:
            raise ValueError(f"workers must be >= 1; got {workers}")
        ev = np.empty((n_movies, 2, self.n_t, self.n_x, self.n_y), dtype=np.uint8)
        lab = np.empty((n_movies, self.n_t), dtype=np.int64)
        mov = np.empty((n_movies, self.n_t, self.n_x, self.n_y), dtype=np.float16) if with_movies else None
        seeds = range(first_seed, first_seed + n_movies)
        if workers > 1:
            from concurrent.futures import ProcessPoolExecutor

            pool = ProcessPoolExecutor(workers)
            results = pool.map(self._draw_one, seeds, [constant] * n_movies, chunksize=4)
        else:
            pool, results = None, (self._draw_one(s, constant) for s in seeds)
        try:
            for i, (e, lb, m) in enumerate(results):
                ev[i], lab[i] = e, lb
                if with_movies:
                    mov[i] = m
                if progress is not None:
                    progress(1)
        finally:
            if pool is not None:
                pool.shutdown()
        return (ev, lab, mov) if with_movies else (ev, lab)


__all__ = ["motion_classes", "label_sequence", "whiten", "synthetic_image", "load_images", "trajectory",
           "translate_movie", "normalise_movie", "make_events", "motion_cloud_movie", "MotionWorld"]
