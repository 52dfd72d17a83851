"""Regenerates the colour-mode fixtures of ImageIOTests (run with the repo's Python, which has
Pillow 13, NumPy, Keras and scikit-image):

    python Tests/ImageIOTests/Fixtures/make_mode_fixtures.py

1. Writes small synthetic PNGs into modes/ for what the other fixtures do not cover: tRNS on
   every colour type (including Pillow's quirks), 16-bit colour, odd palettes.
2. Runs keras.utils.load_img(path, color_mode=M, target_size=S, interpolation=I) on them, on the
   decoding fixtures beside this script and on samples/photos/, for M in grayscale, rgb, rgba,
   and records a digest of every result in modes/expected.json.

Digests, not arrays, keep the expectations small (about 10 KB for ~40 sources x 3 modes x 5
operations). The digest is FNV-1a 64 over the height, width and channel count (three
little-endian uint32) followed by the uint8 pixels in HWC order; ModeTests computes the same and,
on a mismatch, saves its own pixels as .npy for comparing with load_img by hand.
"""
import json, os, struct, zlib
import numpy as np
from PIL import Image, __version__ as pillow_version
import skimage.data

HERE = os.path.dirname(os.path.abspath(__file__))
MODES_DIR = os.path.join(HERE, "modes")
PHOTOS = os.path.normpath(os.path.join(HERE, "..", "..", "..", "samples", "photos"))
os.makedirs(MODES_DIR, exist_ok=True)

# --- Synthetic sources ------------------------------------------------------------------------
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

def pack_row(values, depth):
    if depth == 8:
        return bytes(int(v) for v in values)
    if depth == 16:
        return b"".join(struct.pack(">H", int(v)) for v in values)
    per_byte = 8 // depth
    out = bytearray()
    for i in range(0, len(values), per_byte):
        group = [int(v) for v in values[i:i + per_byte]]
        group += [0] * (per_byte - len(group))
        byte = 0
        for v in group:
            byte = (byte << depth) | v
        out.append(byte)
    return bytes(out)

def write_png(name, pixels, depth, color_type, before_idat=b""):
    """pixels: HxW or HxWxC samples. Filter type 0, one IDAT, tRNS/PLTE etc. in before_idat."""
    pixels = np.asarray(pixels)
    pixels = pixels.reshape(pixels.shape[0], pixels.shape[1], -1)
    h, w = pixels.shape[:2]
    raw = b"".join(b"\x00" + pack_row(pixels[y].reshape(-1), depth) for y in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 0)
    blob = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + before_idat
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    with open(os.path.join(MODES_DIR, name), "wb") as f:
        f.write(blob)

W, H = 23, 17
crop = skimage.data.chelsea()[80:80 + H, 160:160 + W]          # 23x17 RGB
grey = np.asarray(Image.fromarray(crop).convert("L"))
# A flat 4x3 patch in the top-left corner, so that tRNS colours really occur.
PATCH = (slice(0, 3), slice(0, 4))
ramp = np.tile(np.linspace(0, 255, W).round().astype(np.uint16), (H, 1))   # alpha 0 ... 255
# Low bytes of the 16-bit samples: a pattern (compresses better than noise) that Pillow drops.
noise = (np.arange(H * W * 4, dtype=np.uint16).reshape(H, W, 4) * 37 + 11) % 256

def trns(*values):
    return chunk(b"tRNS", b"".join(struct.pack(">H", v) for v in values))

g1 = (grey >> 7).copy()
write_png("grey1_trns.png", g1, 1, 0, trns(1))                    # Pillow: tRNS 1 → 255 in mode "1"
g2 = (grey >> 6).copy(); g2[PATCH] = 1
write_png("grey2_trns.png", g2, 2, 0, trns(85))                   # compared with the scaled 85, not raw 1
g4 = (grey >> 4).copy(); g4[PATCH] = 1
write_png("grey4_trns_wide.png", g4, 4, 0, trns(0x0111))          # low byte 17 = raw 1 scaled ×17
g8 = grey.copy(); g8[PATCH] = 77
write_png("grey8_trns_wide.png", g8, 8, 0, trns(0x0100 + 77))     # only the low byte counts
write_png("grey8_trns_short.png", grey, 8, 0, chunk(b"tRNS", b"\x4d"))   # Pillow: "Truncated tRNS chunk"
rgb = crop.copy(); rgb[PATCH] = (10, 200, 30)
write_png("rgb_trns_match.png", rgb, 8, 2, trns(10, 200, 30))
rgb16 = rgb.astype(np.uint16) * 256 + noise[..., :3]
write_png("rgb16_trns.png", rgb16, 16, 2, trns(0x7F0A, 0x01C8, 0xFF1E))  # low bytes 10, 200, 30
rgba16 = np.dstack([crop.astype(np.uint16) * 256, ramp * 256]) + noise
write_png("rgba16.png", rgba16, 16, 6)
la16 = np.dstack([grey.astype(np.uint16) * 256, ramp[::-1] * 256]) + noise[..., :2]
write_png("grey_alpha16.png", la16, 16, 4)                        # Pillow: mode "RGBA"
write_png("grey_alpha_trns.png", np.dstack([grey, ramp]), 8, 4, trns(77))        # tRNS ignored
write_png("rgba_trns.png", np.dstack([rgb, ramp]), 8, 6, trns(10, 200, 30))      # tRNS ignored

quantized = Image.fromarray(crop).quantize(colors=6)
indices = np.asarray(quantized).copy()
indices[PATCH] = 2
plte = chunk(b"PLTE", bytes(quantized.getpalette()[:18]))
write_png("palette_simple_trns.png", indices, 8, 3, plte + chunk(b"tRNS", b"\xff\xff\x00\xff"))
# Python's `$` matches before a final newline: Pillow reads b"\xff\x00\n" as "index 1 is
# transparent" and leaves index 2 opaque instead of giving it alpha 10.
write_png("palette_simple_newline.png", indices, 8, 3, plte + chunk(b"tRNS", b"\xff\x00\n"))
write_png("palette_trns_long.png", indices, 8, 3, plte + chunk(b"tRNS", bytes(range(200)) * 2))  # RGBA fails
write_png("palette4_no_trns.png", np.minimum(indices, 5), 4, 3, plte)
# An unknown critical chunk: Pillow skips it (libpng alone would refuse the file).
write_png("critical_chunk.png", g8, 8, 0, chunk(b"ZZZZ", b"whatever"))

# --- Expectations -----------------------------------------------------------------------------
import keras  # noqa: E402  (slow import; after the files exist)

def digest(array):
    a = np.ascontiguousarray(array, dtype=np.uint8)
    h, w = a.shape[:2]
    c = 1 if a.ndim == 2 else a.shape[2]
    value = 0xCBF29CE484222325
    for byte in struct.pack("<III", h, w, c) + a.tobytes():
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{value:016x}"

def operations(width, height):
    """What ModeTests.operations(width:height:) lists, in the same order."""
    third = (height // 3 + 1, width + 5)     # height shrinks (vertical pass first), width grows
    return [("full", None, None)] + [(f"{method} {h}x{w}", (h, w), method)
                                      for (h, w) in [(32, 32), third] for method in ["nearest", "bilinear"]]

def load(path, mode, size=None, method="nearest"):
    img = keras.utils.load_img(path, color_mode=mode, target_size=size, interpolation=method)
    assert img.mode == {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}[mode], (path, img.mode)
    return np.asarray(img, dtype=np.uint8)

sources = [("modes/" + n, os.path.join(MODES_DIR, n)) for n in sorted(os.listdir(MODES_DIR)) if n.endswith(".png")]
sources += [(n, os.path.join(HERE, n)) for n in sorted(os.listdir(HERE))
            if n.endswith((".png", ".jpg")) and n != "grey16.png"]   # 16-bit grey is refused (its own test)
sources += [("photos/" + n, os.path.join(PHOTOS, n)) for n in sorted(os.listdir(PHOTOS)) if n.endswith((".png", ".jpg"))]

expected = {}
for key, path in sources:
    try:
        with Image.open(path) as im:
            width, height = im.size
    except ValueError:                     # fails in every mode below too
        width, height = 0, 0
    entry = {}
    for mode in ["grayscale", "rgb", "rgba"]:
        try:
            entry[mode] = " ".join(digest(load(path, mode, size, method)) for _, size, method in operations(width, height))
        except ValueError as error:        # what Keras raises for these files
            entry[mode] = f"error: {error}"
    expected[key] = entry

# Pillow's RGBA <-> RGBa conversions (what bilinear RGBA resizing wraps itself in) on every
# (value, alpha) pair: pixel (a, v) of a 256x256 image is (v, v, v, a) (resp. read as RGBa).
v, a = np.meshgrid(np.arange(256, dtype=np.uint8), np.arange(256, dtype=np.uint8))
pairs = np.dstack([v, v, v, a])
premultiply = {"premultiplied": digest(np.asarray(Image.fromarray(pairs, "RGBA").convert("RGBa"))),
               "unpremultiplied": digest(np.asarray(Image.frombytes("RGBa", (256, 256), pairs.tobytes()).convert("RGBA")))}

with open(os.path.join(MODES_DIR, "expected.json"), "w") as f:
    json.dump({"pillow": pillow_version, "keras": keras.__version__, **premultiply,
               "operations": [name for name, _, _ in operations(0, 0)[:3]] + ["nearest H/3+1xW+5", "bilinear H/3+1xW+5"],
               "sources": expected}, f, indent=1, sort_keys=True)
    f.write("\n")
print(f"{len(expected)} sources, {sum(len(v) for v in expected.values())} (source, mode) pairs")
