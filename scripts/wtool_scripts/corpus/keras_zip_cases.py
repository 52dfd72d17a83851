""".keras zips: truncations, missing/replaced members (one an HDF Group CVE file, from the
shared corpus when it is there), member CRC, compression method, encryption flag and central
directory damage, and two zip bombs."""
import io
import os
import struct
import zipfile
import zlib

from ..common import CVE_DIR, SAMPLES, read_bytes as read
from .cases import flip


def generate(c):
    path = os.path.join(SAMPLES, "mini", "mini.keras")
    raw = read(path)
    size = len(raw)
    for at in (1, 4, 30, size // 2, size - 22, size - 1):
        c.file(f"keras-trunc-{at:05d}", f"trunc-{at:05d}.keras", raw[:at], f".keras truncated at {at} of {size}")
    with zipfile.ZipFile(path) as z:
        members = {i.filename: z.read(i.filename) for i in z.infolist()}

    def make(members_list, method=zipfile.ZIP_DEFLATED):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", method) as z:
            for name, data in members_list:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = method
                z.writestr(info, data)
        return buf.getvalue()

    def with_members(**replace):
        out = []
        for name, data in members.items():
            key = name.replace(".", "_")
            if key in replace:
                if replace[key] is None:
                    continue
                data = replace[key]
            out.append((name, data))
        return out

    def zcase(cid, what, data, expect="invalid"):
        c.file(f"keras-{cid}", f"{cid}.keras", data, what, expect=expect)

    zcase("valid", "the sample .keras rebuilt by Python's zipfile", make(list(members.items())), expect="valid")
    zcase("no-config", "no config.json", make(with_members(config_json=None)))
    zcase("no-weights", "no model.weights.h5", make(with_members(model_weights_h5=None)))
    zcase("npz-weights", "weights as model.weights.npz", make(with_members(model_weights_h5=None) + [("model.weights.npz", b"PK")]))
    zcase("config-not-json", "config.json is not JSON", make(with_members(config_json=b"{\"class_name\":")))
    zcase("config-deep", "config.json nested 100,000 arrays deep", make(with_members(config_json=b"[" * 100000 + b"]" * 100000)))
    zcase("weights-text", "model.weights.h5 is text", make(with_members(model_weights_h5=b"not hdf5")))
    zcase("weights-zip", "model.weights.h5 is itself a zip", make(with_members(model_weights_h5=raw)))
    zcase("weights-truncated", "model.weights.h5 truncated in half",
          make(with_members(model_weights_h5=members["model.weights.h5"][:len(members["model.weights.h5"]) // 2])))
    cves = sorted(n for n in os.listdir(CVE_DIR) if n.endswith(".h5")) if os.path.isdir(CVE_DIR) else []
    for name in [n for n in cves if n in ("cve-2016-4332-stab.h5", "cve-2017-17505.h5", "cve-2020-10810.h5",
                                           "cve-2018-17437.h5")]:
        zcase(f"weights-{name[:-3]}", f"model.weights.h5 is the HDF Group's {name}",
              make(with_members(model_weights_h5=read(os.path.join(CVE_DIR, name)))))
    stored = make(list(members.items()), zipfile.ZIP_STORED)
    at = stored.index(b"config.json") + len(b"config.json")  # first byte of its stored data
    zcase("member-crc", "a byte of config.json changed (its CRC-32 no longer matches)", flip(stored, at + 10, 2))
    # Local and central headers both claim LZMA (method 14) for deflated data.
    lz = bytearray(make(list(members.items())))
    for sig, off in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        i = lz.find(sig)
        while i >= 0:
            struct.pack_into("<H", lz, i + off, 14)
            i = lz.find(sig, i + 4)
    zcase("method-lzma", "every member claims compression method 14 (LZMA)", bytes(lz))
    enc = bytearray(make(list(members.items())))
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = enc.find(sig)
        while i >= 0:
            struct.pack_into("<H", enc, i + off, struct.unpack_from("<H", enc, i + off)[0] | 1)
            i = enc.find(sig, i + 4)
    zcase("encrypted", "every member flagged as encrypted", bytes(enc))
    cd = bytearray(raw)
    eocd = cd.rfind(b"PK\x05\x06")
    struct.pack_into("<I", cd, eocd + 16, size + 1000)
    zcase("cd-offset", "the central directory offset points past the end", bytes(cd))
    cd2 = bytearray(raw)
    struct.pack_into("<HH", cd2, eocd + 8, 0xFFFF, 0xFFFF)
    zcase("cd-count", "the end record claims 65,535 entries; the central directory itself is sound and is what "
          "is read (as Python's zipfile does)", bytes(cd2), expect="valid")

    # Zip bombs. A member that inflates past the size both headers declare:
    bomb_cfg = zlib.compressobj(9, zlib.DEFLATED, -15)
    inflated = b" " * (64 << 20)
    deflated = bomb_cfg.compress(inflated) + bomb_cfg.flush()
    lie = bytearray(make(with_members(config_json=None) + [("config.json", inflated)]))
    # zipfile wrote the true sizes; declare 64 bytes instead in the local and central headers.
    i = lie.find(b"PK\x03\x04config.json"[:4])
    while i >= 0:
        name_len = struct.unpack_from("<H", lie, i + 26)[0]
        if bytes(lie[i + 30:i + 30 + name_len]) == b"config.json":
            struct.pack_into("<I", lie, i + 22, 64)
        i = lie.find(b"PK\x03\x04", i + 4)
    i = lie.find(b"PK\x01\x02")
    while i >= 0:
        name_len = struct.unpack_from("<H", lie, i + 28)[0]
        if bytes(lie[i + 46:i + 46 + name_len]) == b"config.json":
            struct.pack_into("<I", lie, i + 24, 64)
        i = lie.find(b"PK\x01\x02", i + 4)
    assert len(deflated) < 1 << 20
    zcase("bomb-lying-size", "config.json declares 64 bytes and inflates to 64 MiB", bytes(lie))
    # An honest bomb: 1 GiB of zeros as model.weights.h5, about 1 MiB compressed (streamed in,
    # so generating it takes no gigabyte of memory).
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in with_members(model_weights_h5=None):
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
        info = zipfile.ZipInfo("model.weights.h5", date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w") as member:
            zeros = bytes(1 << 20)
            for _ in range(1024):
                member.write(zeros)
    zcase("bomb-1gib", "model.weights.h5 inflates to 1 GiB of zeros (about 1 MiB in the zip)", buf.getvalue())

