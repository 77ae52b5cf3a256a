"""Writes tests/Rebel.Training.Tests/Images/Fixtures/python_rgb.png with Python's zlib and struct only (no Rebel code), so the
C# PNG decoder is checked against a file written by another tool. Run once with /usr/bin/python3; the PNG is committed.

Image: 7 x 5 pixels, 8-bit RGB, pixel (x, y) = ((37*x + 11*y) % 256, (5*x*y + 3) % 256, (255 - 19*x - 23*y) % 256).
Row y uses PNG filter type y % 5 (None, Sub, Up, Average, Paeth), the zlib stream is split over two IDAT chunks,
and an ancillary tEXt chunk precedes them, so the decoder must handle every filter, multiple IDATs and chunks it skips.
"""
import os
import struct
import zlib

W, H = 7, 5


def pixel(x, y):
    return ((37 * x + 11 * y) % 256, (5 * x * y + 3) % 256, (255 - 19 * x - 23 * y) % 256)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_row(kind, row, prior):
    out = bytearray()
    for i, v in enumerate(row):
        a = row[i - 3] if i >= 3 else 0
        b = prior[i]
        c = prior[i - 3] if i >= 3 else 0
        pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
        out.append((v - pred) % 256)
    return bytes([kind]) + bytes(out)


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def main():
    raw = b""
    prior = bytes(3 * W)
    for y in range(H):
        row = bytes(v for x in range(W) for v in pixel(x, y))
        raw += filter_row(y % 5, row, prior)
        prior = row
    stream = zlib.compress(raw, 9)
    half = len(stream) // 2
    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0))
    png += chunk(b"tEXt", b"Comment\x00written by scripts/make_png_fixture.py")
    png += chunk(b"IDAT", stream[:half])
    png += chunk(b"IDAT", stream[half:])
    png += chunk(b"IEND", b"")
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "tests", "Rebel.Training.Tests", "Images", "Fixtures", "python_rgb.png")
    with open(path, "wb") as f:
        f.write(png)
    print(path, len(png), "bytes")


if __name__ == "__main__":
    main()
