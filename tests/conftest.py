"""Shared test settings: no GUI backend, small torch thread pools (2-core CI machines)."""
import os

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("OMP_NUM_THREADS", "1")
