#!/usr/bin/python3
"""Generate LoRA adapter fixtures in Hugging Face PEFT's folder format for
tests/Rebel.Models.Tests/Fixtures/lora/<name>/, one per architecture family, on top of the tiny
model folders of make_model_fixtures.py.

    /usr/bin/python3 scripts/golden/make_lora_fixtures.py

PEFT itself is not installed here, so the folder is written from PEFT's documented format:
adapter_config.json with LoraConfig's fields, and adapter_model.safetensors whose keys are
"base_model.model.<module path>.lora_A.weight" (r, in) and ".lora_B.weight" (out, r), without the
adapter name. PEFT matches a list of target_modules by suffix: a module whose path equals a target or
ends with "." + target. For GPT-2's Conv1D (weight stored [in, out]) fan_in_fan_out is true and the
merged weight is W + scale * (B @ A)^T.

golden.json holds the logits of the first fixture sequence computed in float64 with the independent
reference forward of tiny_models.py on the merged weights W + (lora_alpha / r) * B @ A, and the
sorted list of adapter keys. Deterministic (fixed torch seed).
"""
import json
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tiny_models as tm  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIX = os.path.join(ROOT, "tests", "Rebel.Models.Tests", "Fixtures")

# name -> (module path prefix of the weights in model.safetensors as tiny_models names them, r, alpha, targets)
ADAPTERS = {
    "gpt2": ("transformer.", 4, 8, ["c_attn", "mlp.c_proj"]),
    "llama": ("", 4, 16, ["q_proj", "v_proj", "down_proj"]),
    "gpt_neox": ("", 2, 4, ["query_key_value", "dense"]),
    "phi3": ("", 3, 6, ["qkv_proj", "gate_up_proj"]),
    "gemma2": ("", 4, 4, ["q_proj", "v_proj", "o_proj"]),
}


def peft_config(r, alpha, targets, fan_in_fan_out, base):
    """adapter_config.json as PEFT's LoraConfig.save_pretrained writes it (the fields of a plain LoRA adapter)."""
    return {
        "alpha_pattern": {},
        "auto_mapping": None,
        "base_model_name_or_path": base,
        "bias": "none",
        "fan_in_fan_out": fan_in_fan_out,
        "inference_mode": True,
        "init_lora_weights": True,
        "layers_pattern": None,
        "layers_to_transform": None,
        "lora_alpha": alpha,
        "lora_dropout": 0.0,
        "modules_to_save": None,
        "peft_type": "LORA",
        "r": r,
        "rank_pattern": {},
        "revision": None,
        "target_modules": targets,
        "task_type": "CAUSAL_LM",
        "use_dora": False,
        "use_rslora": False,
    }


def matches(path, targets):
    return any(path == t or path.endswith("." + t) for t in targets)


def make(name, seed):
    prefix, r, alpha, targets = ADAPTERS[name]
    base_dir = os.path.join(FIX, name)
    cfg = json.load(open(os.path.join(base_dir, "config.json")))
    golden = json.load(open(os.path.join(base_dir, "golden.json")))
    stored = tm.load_safetensors(os.path.join(base_dir, "model.safetensors"), torch.float64)
    P = {k[len(prefix):]: v for k, v in stored.items() if k.startswith(prefix)}
    conv1d = cfg["model_type"] == "gpt2"
    g = torch.Generator().manual_seed(seed)
    tensors, merged = {}, dict(P)
    for key in sorted(P):
        path = prefix + key[:-len(".weight")] if key.endswith(".weight") else None
        if path is None or P[key].dim() != 2 or not matches(path, targets) or "embed" in key or "wte" in key:
            continue
        w = P[key]
        out_f, in_f = (w.shape[1], w.shape[0]) if conv1d else (w.shape[0], w.shape[1])
        a = (torch.randn(r, in_f, generator=g, dtype=torch.float64) * 0.2).float().double()
        b = (torch.randn(out_f, r, generator=g, dtype=torch.float64) * 0.2).float().double()
        delta = (alpha / r) * (b @ a)  # (out, in)
        merged[key] = w + (delta.T if conv1d else delta)
        tensors["base_model.model." + path + ".lora_A.weight"] = a
        tensors["base_model.model." + path + ".lora_B.weight"] = b
    assert tensors, name
    d = os.path.join(FIX, "lora", name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    with open(os.path.join(d, "adapter_config.json"), "w") as f:
        json.dump(peft_config(r, alpha, targets, conv1d, "Fixtures/" + name), f, indent=2, sort_keys=True)
        f.write("\n")
    tm.save_safetensors(os.path.join(d, "adapter_model.safetensors"), tensors, "F32")
    ids = golden["cases"][0]["input_ids"]
    with torch.no_grad():
        logits = tm.forward(cfg, merged, torch.tensor([ids]))[0][0]
    out = {
        "base": name,
        "input_ids": ids,
        "scale": alpha / r,
        "keys": sorted(tensors),
        "logits_shape": list(logits.shape),
        "logits": [float("%.7g" % x) for x in logits.reshape(-1).tolist()],
    }
    with open(os.path.join(d, "golden.json"), "w") as f:
        json.dump(out, f)
        f.write("\n")
    print(f"{name}: {len(tensors) // 2} adapted layers")


def main():
    for i, name in enumerate(ADAPTERS):
        make(name, 1234 + i)


if __name__ == "__main__":
    main()
