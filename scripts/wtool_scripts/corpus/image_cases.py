"""Images for `run`: empty, text, GIF, truncated and dimension-lying JPEG/PNG (CRC fixed up or
not), a directory and a FIFO in place of the file."""
import os
import struct
import zlib

from ..common import SAMPLES, read_bytes as read
from .cases import flip


def generate(c):
    jpg = read(os.path.join(SAMPLES, "photos", "rocket.jpg"))
    png = read(os.path.join(SAMPLES, "photos", "camera.png"))

    def icase(cid, name, data, what, expect="invalid"):
        c.file(f"img-{cid}", name, data, "run: image " + what, expect=expect, role="image", sub="images")

    icase("valid-jpg", "rocket.jpg", jpg, "the sample JPEG", expect="valid")
    icase("empty", "empty.jpg", b"", "empty")
    icase("text", "text.png", b"not an image\n", "is text")
    icase("gif", "tiny.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "is a GIF")
    icase("jpg-soi-only", "soi.jpg", jpg[:2], "JPEG with only its SOI marker")
    sos = jpg.index(b"\xff\xda")
    icase("jpg-before-scan", "headers.jpg", jpg[:sos], "JPEG cut before its scan data")
    sof = next(jpg.index(m) for m in (b"\xff\xc0", b"\xff\xc2", b"\xff\xc1") if m in jpg)
    big = bytearray(jpg)
    struct.pack_into(">HH", big, sof + 5, 65500, 65500)
    icase("jpg-huge-dims", "huge.jpg", bytes(big), "JPEG whose frame header claims 65500 x 65500")
    zero = bytearray(jpg)
    struct.pack_into(">HH", zero, sof + 5, 0, 0)
    icase("jpg-zero-dims", "zero.jpg", bytes(zero), "JPEG whose frame header claims 0 x 0")
    icase("png-sig-only", "sig.png", png[:8], "PNG with only its signature")
    icase("png-trunc", "trunc.png", png[:len(png) // 2], "PNG cut in half")

    def png_ihdr(w, h):
        b = bytearray(png)
        struct.pack_into(">II", b, 16, w, h)
        struct.pack_into(">I", b, 29, zlib.crc32(bytes(b[12:29])))
        return bytes(b)
    icase("png-huge-dims", "huge.png", png_ihdr(0x7FFFFFFF, 0x7FFFFFFF), "PNG whose IHDR claims 2^31-1 x 2^31-1 (CRC fixed)")
    icase("png-zero-dims", "zero.png", png_ihdr(0, 0), "PNG whose IHDR claims 0 x 0 (CRC fixed)")
    icase("png-bad-crc", "crc.png", flip(png, 20, 0), "PNG with a damaged IHDR CRC")
    os.makedirs(os.path.join(c.out, "images", "dir.jpg"))
    c.add("img-directory", "images/dir.jpg", "run: image is a directory named .jpg", role="image")
    os.mkfifo(os.path.join(c.out, "images", "fifo.png"))
    c.add("img-fifo", "images/fifo.png", "run: image is a FIFO named .png (opening it blocks)", role="image")

