"""The file system: empty and misnamed files, directories, FIFOs, a socket, dangling and looping
symlinks, device files, unreadable files and folders, a sparse 2 GiB file, non-UTF-8 names."""
import os
import socket

from ..common import SAMPLES, read_bytes as read


def generate(c):
    base_raw = c.base.raw
    models = os.path.join(c.out, "models")
    trunc = base_raw[:100]
    for ext in ("swm", "h5", "keras", "onnx"):
        c.file(f"fs-empty-{ext}", f"empty.{ext}", b"", f"an empty file named .{ext}")
    c.file("fs-text", "readme.swm", b"This is not a model.\n", "a text file named .swm")
    c.file("fs-photo-as-model", "photo.h5", read(os.path.join(SAMPLES, "photos", "rocket.jpg")), "a JPEG named .h5")
    c.file("fs-npy-as-model", "array.swm", read(os.path.join(SAMPLES, "mini", "expected", "rocket.npy")), "a .npy named .swm")
    for ext in ("swm", "h5"):
        os.makedirs(os.path.join(models, f"dir.{ext}"))
        c.add(f"fs-directory-{ext}", f"models/dir.{ext}", f"a directory named .{ext}")
    for ext in ("swm", "h5", "onnx"):
        os.mkfifo(os.path.join(models, f"fifo.{ext}"))
        c.add(f"fs-fifo-{ext}", f"models/fifo.{ext}", f"a FIFO named .{ext} with no writer (opening it blocks)")
    s = socket.socket(socket.AF_UNIX)
    s.bind(os.path.join(models, "socket.swm"))
    s.close()
    c.add("fs-socket", "models/socket.swm", "a Unix socket named .swm")
    os.symlink("does-not-exist.swm", os.path.join(models, "dangling.swm"))
    c.add("fs-dangling-symlink", "models/dangling.swm", "a dangling symlink")
    os.symlink("loop-b.swm", os.path.join(models, "loop-a.swm"))
    os.symlink("loop-a.swm", os.path.join(models, "loop-b.swm"))
    c.add("fs-symlink-loop", "models/loop-a.swm", "a symlink loop")
    for dev, name in (("/dev/null", "null.swm"), ("/dev/zero", "zero.onnx"), ("/dev/zero", "zero.h5"),
                      ("/dev/urandom", "urandom.swm")):
        os.symlink(dev, os.path.join(models, name))
        c.add(f"fs-dev-{name.replace('.', '-')}", f"models/{name}", f"a symlink to {dev} named {name}")
    c.file("fs-unreadable", "unreadable.swm", trunc, "mode 000 (as root it is readable, and truncated)", mode=0)
    os.makedirs(os.path.join(models, "locked"))
    c.file("fs-locked-dir", "locked/inside.swm", trunc, "inside a mode 000 directory (truncated for root)")
    os.chmod(os.path.join(models, "locked"), 0)
    sparse = os.path.join(models, "sparse-2g.swm")
    with open(sparse, "wb") as f:
        f.write(base_raw[:64])
        f.truncate(2 << 30)
    c.add("fs-sparse-swm", "models/sparse-2g.swm", "a sparse 2 GiB file with a sound fixed header and a zero table")
    # Non-UTF-8 names (as bytes on disk; the manifest holds them surrogate-escaped).
    for raw_name, data, what in ((b"bad\xff\xfe.swm", trunc, "truncated .swm"),
                                 (b"\xc0\xaf.h5", b"not hdf5", "text"),
                                 (b"latin1-caf\xe9.swm", base_raw, "a sound .swm")):
        p = os.path.join(os.fsencode(models), raw_name)
        with open(p, "wb") as f:
            f.write(data)
        c.add(f"fs-name-{raw_name.hex()}", os.path.join("models", os.fsdecode(raw_name)),
              f"a non-UTF-8 file name ({raw_name!r}) holding {what}")

