"""Regenerates the ImageIOTests fixtures (run with a Python that has Pillow, NumPy, Keras, scikit-image):

    python Tests/ImageIOTests/Fixtures/make_fixtures.py

Every expected array comes from Pillow/Keras themselves, so the Swift tests compare against them.
Sources are crops of scikit-image sample photos (chelsea, coffee: CC0 / public domain).
"""
import os, struct, zlib
import numpy as np
from PIL import Image
import skimage.data

HERE = os.path.dirname(os.path.abspath(__file__))
os.chdir(HERE)

def expected(name):
    """What keras.utils.load_img(name) + img_to_array give, stored as uint8 HxWx3."""
    with Image.open(name) as im:
        rgb = np.asarray(im.convert("RGB") if im.mode != "RGB" else im, dtype=np.uint8)
    np.save(os.path.splitext(name)[0] + ".rgb.npy", rgb)

chelsea = skimage.data.chelsea()[60:100, 150:198]      # 40x48 RGB
coffee = skimage.data.coffee()[100:129, 200:241]       # 29x41 RGB

# --- JPEG variants ---------------------------------------------------------------------------
Image.fromarray(chelsea).save("progressive.jpg", quality=85, progressive=True)
Image.fromarray(chelsea).convert("L").save("grey.jpg", quality=90)
Image.fromarray(chelsea).convert("CMYK").save("cmyk.jpg", quality=90)
Image.fromarray(chelsea[:17, :33]).save("odd420.jpg", quality=80, subsampling=2)
for name in ["progressive.jpg", "grey.jpg", "cmyk.jpg", "odd420.jpg"]:
    expected(name)

# --- PNG variants, written by hand to cover what Pillow cannot write -------------------------
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

def pack_row(values, depth):
    if depth == 8:
        return bytes(values)
    if depth == 16:
        return b"".join(struct.pack(">H", v) for v in values)
    per_byte = 8 // depth
    out = bytearray()
    for i in range(0, len(values), per_byte):
        byte = 0
        group = list(values[i:i + per_byte]) + [0] * (per_byte - len(values[i:i + per_byte]))
        for v in group:
            byte = (byte << depth) | v
        out.append(byte)
    return bytes(out)

def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)

def filter_rows(rows, bpp):
    """Cycles through the five filter types so the decoder's unfiltering is exercised."""
    out = b""
    prior = bytes(len(rows[0])) if rows else b""
    for y, row in enumerate(rows):
        kind = y % 5
        f = bytearray()
        for i, x in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            b = prior[i]
            c = prior[i - bpp] if i >= bpp else 0
            pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
            f.append((x - pred) & 0xFF)
        out += bytes([kind]) + bytes(f)
        prior = row
    return out

ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]

def write_png(name, pixels, depth, color_type, channels, extra=b"", interlace=False):
    """pixels: HxWxchannels (or HxW) integer array of samples."""
    pixels = np.asarray(pixels).reshape(pixels.shape[0], pixels.shape[1], -1)
    h, w = pixels.shape[:2]
    bpp = max(1, channels * depth // 8)
    def rows_of(sub):
        return [pack_row(sub[y].reshape(-1).tolist(), depth) for y in range(sub.shape[0])]
    if interlace:
        data = b""
        for x0, y0, dx, dy in ADAM7:
            sub = pixels[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:
                data += filter_rows(rows_of(sub), bpp)
    else:
        data = filter_rows(rows_of(pixels), bpp)
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 1 if interlace else 0)
    blob = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra
            + chunk(b"tEXt", b"Comment\x00wtool fixture") + chunk(b"IDAT", zlib.compress(data, 9)) + chunk(b"IEND", b""))
    with open(name, "wb") as f:
        f.write(blob)

grey = np.asarray(Image.fromarray(coffee).convert("L"))
write_png("grey1.png", grey >> 7, 1, 0, 1)
write_png("grey2.png", grey >> 6, 2, 0, 1)
write_png("grey4.png", grey >> 4, 4, 0, 1, interlace=True)
write_png("grey8_trns.png", grey, 8, 0, 1, extra=chunk(b"tRNS", struct.pack(">H", 128)))
alpha = np.tile(np.linspace(0, 255, coffee.shape[1]).astype(np.uint8), (coffee.shape[0], 1))
write_png("grey_alpha.png", np.dstack([grey, alpha]), 8, 4, 2)
write_png("rgb_interlaced.png", coffee, 8, 2, 3, interlace=True)
write_png("rgba_interlaced.png", np.dstack([coffee, alpha]), 8, 6, 4, interlace=True)
write_png("rgb_trns.png", coffee, 8, 2, 3, extra=chunk(b"tRNS", struct.pack(">HHH", 10, 20, 30)))

def palette_png(name, depth, interlace=False, bad_index=False):
    colours = 1 << depth
    im = Image.fromarray(coffee).quantize(colors=colours)
    indices = np.asarray(im).copy()
    palette = im.getpalette()[: 3 * colours]
    used = colours
    if bad_index:
        used = colours // 2          # PLTE shorter than the indices used
        palette = palette[: 3 * used]
    trns = bytes(range(0, 255, max(1, 255 // used)))[:used]
    write_png(name, indices, depth, 3, 1, extra=chunk(b"PLTE", bytes(palette)) + chunk(b"tRNS", trns), interlace=interlace)

palette_png("palette1.png", 1)
palette_png("palette2.png", 2, interlace=True)
palette_png("palette4.png", 4)
palette_png("palette8.png", 8)
palette_png("palette8_short_plte.png", 8, bad_index=True)

for name in ["grey1.png", "grey2.png", "grey4.png", "grey8_trns.png", "grey_alpha.png", "rgb_interlaced.png",
             "rgba_interlaced.png", "rgb_trns.png", "palette1.png", "palette2.png", "palette4.png", "palette8.png",
             "palette8_short_plte.png"]:
    expected(name)

# 16-bit files, which we refuse.
write_png("grey16.png", grey.astype(np.uint16) * 257, 16, 0, 1)
write_png("rgb16.png", coffee.astype(np.uint16) * 257, 16, 2, 3)

# --- Resizing: Pillow's NEAREST and BILINEAR on a 41x29 RGB source -----------------------------
Image.fromarray(coffee).save("resize_source.png")
# (26, 40) and (27, 40) straddle Pillow 13's switch to vertical-first (height shrinks > 2x the width's pixels).
SIZES = [(29, 20), (15, 41), (32, 32), (7, 5), (1, 1), (58, 82), (100, 3), (13, 64), (10, 14), (30, 40),
         (26, 40), (27, 40), (5, 38)]
for method, flag in [("nearest", Image.NEAREST), ("bilinear", Image.BILINEAR)]:
    parts = [np.asarray(Image.fromarray(coffee).resize((w, h), flag)).reshape(-1) for h, w in SIZES]
    np.save(f"resize_{method}.npy", np.concatenate(parts))

# --- Preprocessing: Keras's own outputs on a 16x16 image covering every byte value ------------
import keras
from keras.applications import imagenet_utils
# Keras 3 keeps ImageDataGenerator only under its legacy namespace (tf.keras exports the same class).
from keras.src.legacy.preprocessing.image import ImageDataGenerator
i = np.arange(256)
pixels = np.stack([i, 255 - i, (i * 37 + 11) % 256], axis=-1).reshape(1, 16, 16, 3).astype(np.float32)
for mode in ["caffe", "tf", "torch"]:
    np.save(f"preprocess_{mode}.npy", imagenet_utils.preprocess_input(pixels.copy(), mode=mode))
np.save("rescale_1_255.npy", ImageDataGenerator(rescale=1.0 / 255).standardize(pixels.copy()))
caffe = lambda x: imagenet_utils.preprocess_input(x, mode="caffe")
np.save("caffe_then_rescale.npy",
        ImageDataGenerator(preprocessing_function=caffe, rescale=0.017).standardize(pixels.copy()))

# preprocess_input beyond RGB: Keras computes caffe and torch on 4 channels (caffe reverses all four
# and centres the first three; torch scales all four and normalises the first three) and raises an
# IndexError on 1 channel, where only tf (and no preprocessing) work. Pixel i of the 8x8 RGBA image
# is (4i, 4i + 1, 4i + 2, 4i + 3).
i = np.arange(64)
rgba = np.stack([i * 4, i * 4 + 1, i * 4 + 2, i * 4 + 3], axis=-1).reshape(1, 8, 8, 4).astype(np.float32)
for mode in ["caffe", "tf", "torch"]:
    np.save(f"preprocess_rgba_{mode}.npy", imagenet_utils.preprocess_input(rgba.copy(), mode=mode))
grey = (i * 4 + 3).reshape(1, 8, 8, 1).astype(np.float32)
np.save("preprocess_grayscale_tf.npy", imagenet_utils.preprocess_input(grey.copy(), mode="tf"))
for mode in ["caffe", "torch"]:
    try:
        imagenet_utils.preprocess_input(grey.copy(), mode=mode)
        raise SystemExit(f"Keras now defines {mode} preprocessing on one channel: update Preprocessing")
    except IndexError:
        pass
