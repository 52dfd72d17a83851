"""The corpus being written: its folder, its seeded random numbers and its case list."""
import os
import random


U64 = 2**64 - 1


class Corpus:
    """Cases go under `out`; `base` is the sound .swm (swm_layout.SWMParts) the .swm and file
    system cases are made from; `rng` is the one seeded source of randomness, drawn from in a
    fixed order (the generators run in the order cli.GENERATORS lists them)."""

    def __init__(self, out, seed, base=None):
        self.out = out
        self.rng = random.Random(seed)
        self.base = base
        self.cases = []
        self.ids = set()

    def add(self, cid, rel, what, expect="invalid", role="model", **extra):
        assert cid not in self.ids, cid
        self.ids.add(cid)
        self.cases.append(dict(id=cid, path=rel, what=what, expect=expect, role=role, **extra))

    def file(self, cid, name, data, what, expect="invalid", role="model", sub="models", mode=None, **extra):
        rel = os.path.join(sub, name)
        full = os.path.join(self.out, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)
        if mode is not None:
            os.chmod(full, mode)
        self.add(cid, rel, what, expect, role, **extra)
        return full


def flip(data, offset, bit):
    b = bytearray(data)
    b[offset] ^= 1 << bit
    return bytes(b)

