"""Package discovery: `models/` and `paradigms/` are installed as `spikesim.models` and
`spikesim.paradigms` (every sub-package is found automatically, so new files need no edit here)."""
from setuptools import find_packages, setup

packages = ["spikesim"] + [f"spikesim.{p}" for p in find_packages("spikesim")]
package_dir = {"spikesim": "spikesim"}
for top in ("models", "paradigms"):
    packages.append(f"spikesim.{top}")
    package_dir[f"spikesim.{top}"] = top
    for sub in find_packages(top):
        packages.append(f"spikesim.{top}.{sub}")
        package_dir[f"spikesim.{top}.{sub}"] = f"{top}/{sub.replace('.', '/')}"

setup(packages=packages, package_dir=package_dir)
