# Compares two run folders of the same command made by two builds (e.g. before and after a refactor): every metrics.jsonl and
# *.json key by key with timings and process memory left out, every .safetensors byte for byte. Prints the files that differ.
# Usage: python3 scripts/compare_runs.py BEFORE_DIR AFTER_DIR
import filecmp
import json
import os
import sys

TIMINGS = ('seconds', 'seconds_per_iteration', 'peak_memory_mb', 'sft_seconds', 'rebel_seconds')


def untimed(x):
    if isinstance(x, dict):
        return {k: untimed(v) for k, v in x.items() if not k.startswith('time/') and k not in TIMINGS}
    if isinstance(x, list):
        return [untimed(v) for v in x]
    return x


def same(a, b):
    if a.endswith('.jsonl'):
        return [untimed(json.loads(l)) for l in open(a)] == [untimed(json.loads(l)) for l in open(b)]
    if a.endswith('.json'):
        return untimed(json.load(open(a))) == untimed(json.load(open(b)))
    return filecmp.cmp(a, b, shallow=False)


def main(before, after):
    compared = differ = 0
    for root, _, files in os.walk(before):
        for name in files:
            a = os.path.join(root, name)
            b = os.path.join(after, os.path.relpath(a, before))
            if not name.endswith(('.jsonl', '.json', '.safetensors')) or name == 'compare.json' or not os.path.exists(b):
                continue
            compared += 1
            if not same(a, b):
                differ += 1
                print('differs:', os.path.relpath(a, before))
    print(f'{compared} files compared, {differ} differ')
    return 1 if differ else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], sys.argv[2]))
