"""References for `verify --expected`: hostile .npy files (bad headers, pickles, shapes and
dtypes, NaN/inf that can never match, a directory and a FIFO in place of the file)."""
import os
import struct

import numpy as np

from ..common import SAMPLES, read_bytes as read


def generate(c):
    good = read(os.path.join(SAMPLES, "mini", "expected", "rocket.npy"))
    arr = np.load(os.path.join(SAMPLES, "mini", "expected", "rocket.npy"))

    def header(d, version=(1, 0), pad=True):
        text = repr(d).encode("latin1") if not isinstance(d, bytes) else d
        if pad:
            total = 10 + len(text) + 1
            text += b" " * ((64 - total % 64) % 64) + b"\n"
        if version[0] == 1:
            return b"\x93NUMPY" + bytes(version) + struct.pack("<H", len(text)) + text
        return b"\x93NUMPY" + bytes(version) + struct.pack("<I", len(text)) + text

    def ncase(cid, what, data, expect="invalid"):
        c.file(f"npy-{cid}", "rocket.npy", data, f"verify --expected: rocket.npy {what}", expect=expect,
               role="expected", sub=os.path.join("expected", cid))

    body = arr.astype("<f4").tobytes()
    shape = arr.shape
    ncase("valid", "is Keras's own output", good, expect="valid")
    ncase("empty", "is empty", b"")
    ncase("magic", "has a wrong magic", b"\x93NUMPZ" + good[6:])
    ncase("trunc-header", "is cut inside its header", good[:20])
    ncase("trunc-data", "is missing its last 4 bytes", good[:-4])
    ncase("trailing", "has 4 trailing bytes", good + b"\0" * 4)
    ncase("version-9", "claims format version 9.0", good[:6] + b"\x09\x00" + good[8:])
    ncase("header-len-huge", "declares a 4 GiB header (version 2.0)", b"\x93NUMPY\x02\x00" + struct.pack("<I", 0xFFFFFFFF) + good[10:])
    ncase("header-garbage", "has a header that is not a dict", header(b"__import__('os').system('true')"))
    ncase("pickle", "holds a pickled object array (dtype 'O')",
          header({"descr": "|O", "fortran_order": False, "shape": (1,)}) + b"\x80\x04N.")
    ncase("fortran", "is Fortran-ordered", header({"descr": "<f4", "fortran_order": True, "shape": shape}) + body)
    ncase("shape-huge", "declares shape (2^62,)", header({"descr": "<f4", "fortran_order": False, "shape": (1 << 62,)}) + body)
    ncase("shape-negative", "declares shape (-1,)", header({"descr": "<f4", "fortran_order": False, "shape": (-1,)}) + body)
    ncase("shape-overflow", "declares shape (2^32, 2^32, 2^32)",
          header({"descr": "<f4", "fortran_order": False, "shape": (1 << 32, 1 << 32, 1 << 32)}) + body)
    ncase("shape-wrong", "has the right dtype and size but shape (2, 1) for a (1, 1) output",
          header({"descr": "<f4", "fortran_order": False, "shape": (2, 1)}) + body * 2)
    ncase("dtype-structured", "has a structured dtype", header(b"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1, 1), }") + body)
    ncase("dtype-big-endian", "is big-endian float64 (wtool reads little-endian .npy only)",
          header({"descr": ">f8", "fortran_order": False, "shape": shape}) + arr.astype(">f8").tobytes())
    ncase("dtype-complex", "holds complex64", header({"descr": "<c8", "fortran_order": False, "shape": shape}) + body * 2)
    ncase("nan", "holds NaN: a sound file that can never match (verify must report FAIL)",
          header({"descr": "<f4", "fortran_order": False, "shape": shape}) + np.full(shape, np.nan, "<f4").tobytes(),
          expect="mismatch")
    ncase("inf", "holds +inf: a sound file that can never match (verify must report FAIL)",
          header({"descr": "<f4", "fortran_order": False, "shape": shape}) + np.full(shape, np.inf, "<f4").tobytes(),
          expect="mismatch")
    ncase("directory", "is a directory", b"")
    d = os.path.join(c.out, "expected", "directory", "rocket.npy")
    os.remove(d)
    os.makedirs(d)
    os.makedirs(os.path.join(c.out, "expected", "fifo"))
    os.mkfifo(os.path.join(c.out, "expected", "fifo", "rocket.npy"))
    c.add("npy-fifo", "expected/fifo/rocket.npy", "verify --expected: rocket.npy is a FIFO", role="expected")

