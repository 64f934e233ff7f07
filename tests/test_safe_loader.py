"""Crafted result files: ss.load never reads outside the file, never blocks, never allocates past
its limit, and refuses every malformed file with NotAResultFileError naming the path."""
import os
import stat
import zlib

import h5py
import numpy as np
import pytest

import spikesim as ss

pytestmark = pytest.mark.timeout(60)

SECRET = b"root:x:0:0:secret-password-line\n" * 8


def _valid(tmp_path, name="run.h5"):
    res = ss.Result(spikes={"exc": (np.array([1.0, 2.0, 3.0]), np.array([0, 1, 2]))},
                    state={"exc": {"v": np.zeros((4, 3))}}, state_times={"exc": np.arange(4.0)},
                    metrics={"rate": 1.5, "curve": np.arange(3.0)}, config={"dt": 0.1},
                    meta={"backend": "numba"}, groups={"extra": {"m": np.eye(2)}})
    return res.save(tmp_path / name)


def _secret(tmp_path):
    p = tmp_path / "outside" / "passwd"
    p.parent.mkdir()
    p.write_bytes(SECRET)
    return p


def _refused(path, match, **kw):
    with pytest.raises(ss.NotAResultFileError, match=match) as info:
        ss.load(path, **kw)
    assert str(path) in str(info.value)
    assert "secret-password" not in str(info.value)
    return info.value


def test_valid_file_round_trips_and_is_not_0600(tmp_path):
    old = os.umask(0o022)
    try:
        path = _valid(tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    back = ss.load(path)
    np.testing.assert_array_equal(back.spikes("exc")[1], [0, 1, 2])
    assert back.state("exc", "v").shape == (4, 3)
    assert back.metrics["rate"] == 1.5 and back.groups["extra"]["m"].shape == (2, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.h5"]


def test_external_link_is_not_followed(tmp_path):
    outside = tmp_path / "outside.h5"
    with h5py.File(outside, "w") as f:
        f["secret"] = np.frombuffer(SECRET, dtype=np.uint8)
    path = _valid(tmp_path)
    with h5py.File(path, "a") as f:
        f["metrics"]["leak"] = h5py.ExternalLink(str(outside), "/secret")
    _refused(path, "external link")


def test_soft_link_and_hard_link_cycle(tmp_path):
    path = _valid(tmp_path, "soft.h5")
    with h5py.File(path, "a") as f:
        f["metrics"]["alias"] = h5py.SoftLink("/config")
    _refused(path, "soft link")
    path = _valid(tmp_path, "cycle.h5")
    with h5py.File(path, "a") as f:
        f["metrics"]["loop"] = f["metrics"]        # a group hard-linked into itself
    _refused(path, "nested deeper|cycle")


def test_external_raw_storage_is_refused(tmp_path):
    secret = _secret(tmp_path)
    path = _valid(tmp_path)
    with h5py.File(path, "a") as f:
        f["metrics"].create_dataset("leak", shape=(len(SECRET),), dtype="u1",
                                    external=[(str(secret), 0, len(SECRET))])
    _refused(path, "external files")


def test_virtual_dataset_is_refused(tmp_path):
    src = tmp_path / "src.h5"
    with h5py.File(src, "w") as f:
        f["data"] = np.frombuffer(SECRET, dtype=np.uint8)
    path = _valid(tmp_path)
    layout = h5py.VirtualLayout(shape=(len(SECRET),), dtype="u1")
    layout[:] = h5py.VirtualSource(str(src), "data", shape=(len(SECRET),))
    with h5py.File(path, "a") as f:
        f["metrics"].create_virtual_dataset("leak", layout)
    _refused(path, "virtual")


def test_huge_declared_dataset_is_refused_before_reading(tmp_path):
    path = _valid(tmp_path)
    with h5py.File(path, "a") as f:            # 80 GB declared, nothing allocated
        f["metrics"].create_dataset("big", shape=(10_000_000_000,), dtype="f8", chunks=(1 << 16,))
    assert path.stat().st_size < 100_000
    _refused(path, "declare more than")


def test_limit_is_the_stated_one(tmp_path):
    res = ss.Result(metrics={"a": np.zeros(100_000)})
    path = res.save(tmp_path / "r.h5")
    _refused(path, "800000|declare more than", max_bytes=500_000)
    assert ss.load(path, max_bytes=1_000_000).metrics["a"].size == 100_000


def test_gzip_bomb_chunk_is_refused(tmp_path):
    """A chunk that declares 8 KiB but inflates to 64 MiB: refused after at most 8 KiB + 1."""
    path = _valid(tmp_path)
    bomb = zlib.compress(bytes(64 * 2**20), 9)
    assert len(bomb) < 100_000
    with h5py.File(path, "a") as f:
        d = f["metrics"].create_dataset("bomb", shape=(1024,), dtype="f8", chunks=(1024,), compression="gzip")
        d.id.write_direct_chunk((0,), bomb)
    _refused(path, "compression bomb")


def test_honest_gzip_bomb_is_refused_by_declared_size(tmp_path):
    path = _valid(tmp_path)
    with h5py.File(path, "a") as f:
        d = f["metrics"].create_dataset("zeros", shape=(4_000_000,), dtype="f8", chunks=(1 << 17,),
                                        compression="gzip", compression_opts=9)
        d[:] = 0.0
    assert path.stat().st_size < 1_000_000
    _refused(path, "declare more than", max_bytes=10_000_000)


def test_fifo_does_not_block(tmp_path):
    fifo = tmp_path / "result.h5"
    os.mkfifo(fifo)
    _refused(fifo, "FIFO")


def test_directory_device_and_symlink(tmp_path):
    (tmp_path / "d.h5").mkdir()
    _refused(tmp_path / "d.h5", "directory")
    if os.path.exists("/dev/zero"):
        _refused("/dev/zero", "device")
    link = tmp_path / "link.h5"
    link.symlink_to(_secret(tmp_path))
    _refused(link, "not HDF5")
    with pytest.raises(FileNotFoundError):
        ss.load(tmp_path / "missing.h5")


@pytest.mark.parametrize("how", ["reference", "vlen_int", "compound", "opaque", "lzf"])
def test_dtypes_and_filters_refused(tmp_path, how):
    path = _valid(tmp_path)
    with h5py.File(path, "a") as f:
        g = f["metrics"]
        if how == "reference":
            g.create_dataset("r", data=f["config"].ref, dtype=h5py.ref_dtype)
        elif how == "vlen_int":
            d = g.create_dataset("v", shape=(2,), dtype=h5py.vlen_dtype(np.int32))
            d[0] = np.arange(3, dtype=np.int32)
        elif how == "compound":
            g.create_dataset("c", data=np.zeros(2, dtype=[("a", "f8"), ("b", "i4")]))
        elif how == "opaque":
            g.create_dataset("o", data=np.void(b"abcd"))
        else:
            g.create_dataset("z", data=np.arange(100.0), compression="lzf")
    _refused(path, {"reference": "reference", "vlen_int": "variable-length", "compound": "dtype",
                    "opaque": "dtype", "lzf": "filter"}[how])


def _tamper(path, fn):
    with h5py.File(path, "a") as f:
        fn(f)
    return path


@pytest.mark.parametrize("case,match", [
    ("ids_len", "3 times but 2 ids"),
    ("ids_float", "integer"),
    ("times_2d", "1-D float"),
    ("state_rows", "4 samples but 5 sample times"),
    ("state_1d", "2-D"),
    ("config_not_json", "not JSON"),
    ("config_list", "JSON object"),
    ("no_meta", "/meta is missing"),
    ("meta_dataset", "/meta is a Dataset"),
    ("format_version", "version 99"),
    ("format_array", "small scalar"),
    ("no_format", "format attribute"),
])
def test_malformed_layouts(tmp_path, case, match):
    path = _valid(tmp_path)

    def edit(f):
        if case == "ids_len":
            del f["spikes/exc/ids"]
            f["spikes/exc/ids"] = np.array([0, 1])
        elif case == "ids_float":
            del f["spikes/exc/ids"]
            f["spikes/exc/ids"] = np.array([0.0, 1.0, 2.0])
        elif case == "times_2d":
            del f["spikes/exc/times"]
            f["spikes/exc/times"] = np.zeros((3, 1))
        elif case == "state_rows":
            del f["state/exc/_times"]
            f["state/exc/_times"] = np.arange(5.0)
        elif case == "state_1d":
            del f["state/exc/v"]
            f["state/exc/v"] = np.zeros(4)
        elif case == "config_not_json":
            del f["config"]
            f.create_dataset("config", data="{not json", dtype=h5py.string_dtype())
        elif case == "config_list":
            del f["config"]
            f.create_dataset("config", data="[1, 2]", dtype=h5py.string_dtype())
        elif case == "no_meta":
            del f["meta"]
        elif case == "meta_dataset":
            del f["meta"]
            f["meta"] = 1.0
        elif case == "format_version":
            f.attrs["format_version"] = 99
        elif case == "format_array":
            f.attrs["format"] = np.arange(1000)
        elif case == "no_format":
            del f.attrs["format"]
    _refused(_tamper(path, edit), match)


def test_truncated_and_garbage_files(tmp_path):
    path = _valid(tmp_path)
    data = path.read_bytes()
    (tmp_path / "trunc.h5").write_bytes(data[: len(data) // 2])
    _refused(tmp_path / "trunc.h5", "not a spikesim result")
    rng = np.random.default_rng(0)
    for k in range(5):
        blob = bytearray(data)
        for pos in rng.integers(64, len(blob), 40):
            blob[pos] ^= 0xFF
        p = tmp_path / f"flip{k}.h5"
        p.write_bytes(bytes(blob))
        try:
            ss.load(p)            # a flip in unused bytes may leave a valid file
        except ss.NotAResultFileError as exc:
            assert str(p) in str(exc)
    (tmp_path / "magic.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(rng.integers(0, 256, 4000, dtype=np.uint8)))
    _refused(tmp_path / "magic.h5", "HDF5 cannot open")


@pytest.mark.parametrize("bad", [{"spikes": {".": None}}, {"spikes": {"a/b": None}}, {"state": {"p": {"_times": None}}},
                                 {"groups": {".": {"x": 1}}}, {"metrics": {"a/b": 1}}, {"metrics": {".": 1}},
                                 {"groups": {"x": {"": 1}}}])
def test_names_that_cannot_round_trip_are_refused_at_save(tmp_path, bad):
    kw = {}
    if "spikes" in bad:
        kw["spikes"] = {k: (np.zeros(1), np.zeros(1, int)) for k in bad["spikes"]}
    if "state" in bad:
        kw["state"] = {p: {v: np.zeros((1, 1)) for v in vs} for p, vs in bad["state"].items()}
    if "groups" in bad:
        kw["groups"] = bad["groups"]
    if "metrics" in bad:
        kw["metrics"] = bad["metrics"]
    with pytest.raises(ValueError, match="'/'|reserved|'\\.'"):
        ss.Result(**kw).save(tmp_path / "r.h5")
    assert list(tmp_path.iterdir()) == []
