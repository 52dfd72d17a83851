"""Pixels: what keras.utils.load_img gives for each photo (stored as uint8 .npy), and PIL's
NEAREST and BILINEAR resizes re-implemented from Pillow's libImaging (Geometry.c
ImagingScaleAffine for NEAREST, Resample.c for BILINEAR) and checked bit-exactly against PIL
here, so the README can state the algorithm the Swift ImageIO has to reproduce."""
import numpy as np

from ..common import log, save_npy, write_json
from .keras3 import keras_load


def pil_nearest_model(arr, out_w, out_h):
    h, w = arr.shape[:2]

    def index(n_in, n_out):
        step = float(n_in) / n_out  # a[0] = (box[2]-box[0]) / xsize, in double
        pos = 0.0 + step * 0.5
        idx = []
        for _ in range(n_out):  # accumulated, not (i + 0.5) * step
            idx.append(-1 if pos < 0 else int(pos))
            pos += step
        return np.array(idx)

    return arr[index(h, out_h)][:, index(w, out_w)]


def _pil_coeffs(n_in, n_out):
    scale = n_in / n_out
    filterscale = max(scale, 1.0)
    support = 1.0 * filterscale  # bilinear (triangle) filter support 1
    ksize = int(np.ceil(support)) * 2 + 1
    bounds, kk = [], np.zeros((n_out, ksize), dtype=np.int64)
    for xx in range(n_out):
        center = (xx + 0.5) * scale
        ss = 1.0 / filterscale
        xmin = max(int(center - support + 0.5), 0)
        xmax = min(int(center + support + 0.5), n_in) - xmin
        ws = []
        for x in range(xmax):
            t = abs((x + xmin - center + 0.5) * ss)
            ws.append(1.0 - t if t < 1.0 else 0.0)
        total = sum(ws)
        ws = [w / total if total != 0.0 else w for w in ws]
        for x, w in enumerate(ws):  # normalize_coeffs_8bpc, PRECISION_BITS = 22
            kk[xx, x] = int(-0.5 + w * (1 << 22)) if w < 0 else int(0.5 + w * (1 << 22))
        bounds.append((xmin, xmax))
    return bounds, kk


def _pil_pass(arr, bounds, kk, axis):
    a = np.moveaxis(arr, axis, 0).astype(np.int64)
    out = np.empty((len(bounds),) + a.shape[1:], dtype=np.int64)
    for i, (xmin, n) in enumerate(bounds):
        acc = np.full(a.shape[1:], 1 << 21, dtype=np.int64)
        for k in range(n):
            acc += a[xmin + k] * kk[i, k]
        out[i] = np.clip(acc >> 22, 0, 255)
    return np.moveaxis(out, 0, axis).astype(np.uint8)


def pil_bilinear_model(arr, out_w, out_h, vertical_first=False):
    """Pillow's BILINEAR resize. Upstream Resample.c runs the horizontal pass first (over
    only the rows the vertical pass reads); Pillow 13.0.0 runs the vertical pass first for
    some shapes (see bilinear_pass_orders), which changes the uint8 rounding in between."""
    h, w = arr.shape[:2]
    vb, vk = _pil_coeffs(h, out_h)
    hb, hk = _pil_coeffs(w, out_w)
    x = arr
    if not vertical_first:
        if out_w != w:
            first = vb[0][0]
            last = vb[-1][0] + vb[-1][1]
            x = _pil_pass(arr[first:last], hb, hk, axis=1)
            vb = [(a - first, n) for a, n in vb]
        if out_h != h:
            x = _pil_pass(x, vb, vk, axis=0)
        return x
    if out_h != h:
        first = hb[0][0]
        last = hb[-1][0] + hb[-1][1]
        x = _pil_pass(arr[:, first:last], vb, vk, axis=0)
        hb = [(a - first, n) for a, n in hb]
    if out_w != w:
        x = _pil_pass(x, hb, hk, axis=1)
    return x


def bilinear_pass_orders(n=120, seed=5):
    """For n seeded random shapes that resize both axes, which pass order reproduces PIL.
    Every case must match one of the two orders (asserted)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    rows = []
    while len(rows) < n:
        h, w = (int(v) for v in rng.integers(3, 240, 2))
        oh, ow = (int(v) for v in rng.integers(2, 160, 2))
        if oh == h or ow == w:
            continue
        a = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        pil = np.asarray(Image.fromarray(a).resize((ow, oh), Image.Resampling.BILINEAR))
        hf = np.array_equal(pil, pil_bilinear_model(a, ow, oh))
        vf = np.array_equal(pil, pil_bilinear_model(a, ow, oh, vertical_first=True))
        assert hf or vf, (h, w, oh, ow)
        rows.append({"in_hw": [h, w], "out_hw": [oh, ow],
                     "order": "both" if hf and vf else ("horizontal-first" if hf
                                                        else "vertical-first")})
    return rows


def pixel_versions_text(photos):
    import PIL
    import PIL.features as feat

    lines = [
        "Decoder/resizer that produced the .npy files in this folder",
        f"  Pillow {PIL.__version__}",
        f"  libjpeg API version (PIL.features.version('jpg')): {feat.version('jpg')}",
        f"  libjpeg-turbo: {feat.check_feature('libjpeg_turbo')}, version "
        f"{feat.version_feature('libjpeg_turbo')}",
        f"  zlib (PNG): {feat.version('zlib')}",
        f"  numpy {np.__version__}",
        f"  keras {__import__('keras').__version__} (keras.utils.load_img / img_to_array)",
        "",
        "Pipeline: keras.utils.load_img(path[, target_size=(32, 32), interpolation=...])",
        "  = PIL.Image.open -> .convert('RGB') if mode != 'RGB' (L: grey replicated; P: palette",
        "  lookup; RGBA: alpha dropped, no compositing) -> .resize((w, h), NEAREST|BILINEAR)",
        "  -> keras.utils.img_to_array (float32, exact integers) -> stored here as uint8.",
        "",
        "Photos:",
    ]
    for p in photos:
        lines.append(f"  {p['file']:14s} {p['format']:4s} mode {p['pil_mode']:4s} "
                     f"{p['size_wh'][0]}x{p['size_wh'][1]} (WxH)  {p['description']}")
    return "\n".join(lines) + "\n"


def make_pixels(out, photos):
    """samples/pixels: full-size, nearest32 and bilinear32 uint8 pixels of every photo, the
    resize models checked against them, the pass-order table and VERSIONS.txt. Returns the
    manifest's `pixels` block."""
    pix = out / "pixels"
    pix.mkdir(parents=True, exist_ok=True)
    block = {}
    resize_checks = []
    for p in photos:
        path = out / "photos" / p["file"]
        full = keras_load(path)
        near = keras_load(path, target_size=(32, 32))
        bil = keras_load(path, target_size=(32, 32), interpolation="bilinear")
        for a in (full, near, bil):
            assert np.array_equal(a, np.round(a)) and a.min() >= 0 and a.max() <= 255
        full8, near8, bil8 = (a.astype(np.uint8) for a in (full, near, bil))
        save_npy(pix / f"{p['stem']}.npy", full8)
        save_npy(pix / f"{p['stem']}.nearest32.npy", near8)
        save_npy(pix / f"{p['stem']}.bilinear32.npy", bil8)
        block[p["stem"]] = {
            "full": f"{p['stem']}.npy", "nearest32": f"{p['stem']}.nearest32.npy",
            "bilinear32": f"{p['stem']}.bilinear32.npy", "shape": list(full8.shape)}
        # The algorithm notes in README.md are only claimed if these hold.
        ok_n = np.array_equal(pil_nearest_model(full8, 32, 32), near8)
        ok_b = np.array_equal(pil_bilinear_model(full8, 32, 32), bil8)
        resize_checks.append((p["stem"], ok_n, ok_b))
        assert ok_n and ok_b, (p["stem"], ok_n, ok_b)
    log(f"pixels: nearest/bilinear models match PIL bit-exactly on {len(resize_checks)} photos")
    orders = bilinear_pass_orders()
    write_json(pix / "bilinear_pass_order.json", orders)
    counts = {k: sum(r["order"] == k for r in orders) for k in
              ("horizontal-first", "vertical-first", "both")}
    log(f"pixels: PIL bilinear pass order on {len(orders)} random shapes: {counts}")
    (pix / "VERSIONS.txt").write_text(pixel_versions_text(photos))
    return block


def check_resize_models(photo_paths, size=(150, 150)):
    """The README's resize notes, on the full photos at size (h, w) too (asserted)."""
    h, w = size
    for stem, path in photo_paths.items():
        full8 = keras_load(path).astype(np.uint8)
        for interp, fn in (("nearest", pil_nearest_model), ("bilinear", pil_bilinear_model)):
            got = keras_load(path, target_size=(h, w), interpolation=interp)
            assert np.array_equal(fn(full8, w, h), got.astype(np.uint8)), (stem, interp)
    log(f"photos: nearest/bilinear resize models match PIL bit-exactly at {w}x{h}")
