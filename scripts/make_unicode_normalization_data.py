#!/usr/bin/env python3
"""Writes src/Rebel.Models/Tokenization/UnicodeNormalization.data.gz, the tables behind UnicodeNormalization.cs (NFC, NFD,
NFKC, NFKD without ICU, as InvariantGlobalization=true leaves .NET without normalization data).

Computed with Python's own unicodedata module (an independent implementation; its Unicode version is written in the
first line). One record per line, hexadecimal code points:
  c CP CLASS          canonical combining class (non-zero classes only)
  d CP CP1 CP2 ...    full canonical decomposition (NFD of the single character), when it differs from CP
  k CP CP1 CP2 ...    full compatibility decomposition (NFKD of the single character), when it differs from the NFD one
  p A B C             primary composite: NFC(A B) = C, for the canonical two-character decompositions that NFC recomposes
Hangul syllables are left out: UnicodeNormalization.cs composes and decomposes them arithmetically.

Usage: python3 scripts/make_unicode_normalization_data.py
"""
import gzip
import os
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "src", "Rebel.Models", "Tokenization", "UnicodeNormalization.data.gz")


def hexes(text):
    return " ".join(f"{ord(c):X}" for c in text)


def main():
    lines = [f"# Unicode {unicodedata.unidata_version} (Python {sys.version.split()[0]} unicodedata)"]
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF or 0xAC00 <= cp <= 0xD7A3:
            continue
        ch = chr(cp)
        ccc = unicodedata.combining(ch)
        if ccc:
            lines.append(f"c {cp:X} {ccc:X}")
        nfd = unicodedata.normalize("NFD", ch)
        if nfd != ch:
            lines.append(f"d {cp:X} {hexes(nfd)}")
        nfkd = unicodedata.normalize("NFKD", ch)
        if nfkd != nfd:
            lines.append(f"k {cp:X} {hexes(nfkd)}")
        decomposition = unicodedata.decomposition(ch)
        if decomposition and not decomposition.startswith("<"):
            parts = [chr(int(x, 16)) for x in decomposition.split()]
            if len(parts) == 2 and unicodedata.normalize("NFC", parts[0] + parts[1]) == ch:
                lines.append(f"p {hexes(parts[0] + parts[1])} {cp:X}")
    data = ("\n".join(lines) + "\n").encode("ascii")
    with open(OUT, "wb") as f:
        f.write(gzip.compress(data, compresslevel=9, mtime=0))
    print(f"{len(lines)} lines, {len(data)} bytes -> {OUT}")


if __name__ == "__main__":
    main()
