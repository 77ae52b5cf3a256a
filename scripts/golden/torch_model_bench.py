#!/usr/bin/python3
"""PyTorch CPU baseline for `rebel bench model`.

Reference configuration: GPT-2 architecture, 4 layers, width 256, 4 heads, context 128, vocab 512,
fp32, torch.set_num_threads(2), using the independent GPT-2 forward in tiny_models.py
(Conv1D layout, gelu_new, tied lm_head).

  (a) torch_train : batch 8 x 128 tokens: forward, mean next-token cross-entropy, backward, AdamW step.
                    tokens/s = 8*128 / median step seconds (STEPS timed steps after WARMUP).
  (b) torch_sample: 16 prompts x 16 tokens, +48 tokens each, multinomial at temperature 1, batch 16,
                    key/value cache (1 prefill forward + 47 single-token forwards).
                    tokens/s = 16*48 / median seconds per generate call.
  (c) torch_train_peak_rss_mb: peak RSS (VmHWM; ru_maxrss fallback) of a fresh child process that only builds the model and
                    runs training steps (so it is comparable with a training-only run).

With --preset NAME (gpt2-124m, qwen2.5-0.5b: the shapes of `rebel bench model --preset NAME`, from the checkpoints'
config.json, random N(0, 0.02) weights) the same three benches run on that shape: training on 8 x 128 tokens (4 x 128 from
300M parameters on), sampling as in (b); the model forwards are tiny_models.py's (GPT-2 and Llama/Qwen2).

    /usr/bin/python3 scripts/golden/torch_model_bench.py [--preset NAME] [--steps 20] [--sample-reps 5]
Prints one JSON line per bench.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tiny_models as tm  # noqa: E402

CFG = {"model_type": "gpt2", "n_layer": 4, "n_embd": 256, "n_head": 4, "n_positions": 128,
       "vocab_size": 512, "layer_norm_epsilon": 1e-5}

# The presets' shapes, as the checkpoints' config.json files state them (src/Rebel.Models/ModelConfig.Presets.cs).
PRESETS = {
    "gpt2-124m": {"model_type": "gpt2", "n_layer": 12, "n_embd": 768, "n_head": 12, "n_positions": 1024,
                  "vocab_size": 50257, "layer_norm_epsilon": 1e-5},
    "qwen2.5-0.5b": {"model_type": "qwen2", "num_hidden_layers": 24, "hidden_size": 896, "num_attention_heads": 14,
                     "num_key_value_heads": 2, "intermediate_size": 4864, "vocab_size": 151936, "rms_norm_eps": 1e-6,
                     "rope_theta": 1000000.0, "tie_word_embeddings": True, "max_position_embeddings": 32768},
}


def forward(P, ids, position_ids=None, past=None):
    if CFG["model_type"] == "gpt2":
        return tm.gpt2_forward(CFG, P, ids, position_ids=position_ids, past=past)
    return tm.llama_forward(CFG, P, ids, position_ids=position_ids, past=past)


def initializers(g):
    """Parameter makers drawing from generator g: r (normal, std 0.02 by default), z (zeros), o (ones), all trainable."""
    def r(*s, std=0.02):
        return (torch.randn(*s, generator=g) * std).requires_grad_(True)

    def z(*s):
        return torch.zeros(*s).requires_grad_(True)

    def o(*s):
        return torch.ones(*s).requires_grad_(True)
    return r, z, o


def make_llama_params(seed=0):
    g = torch.Generator().manual_seed(seed)
    C, V, L, F_ = CFG["hidden_size"], CFG["vocab_size"], CFG["num_hidden_layers"], CFG["intermediate_size"]
    hd = C // CFG["num_attention_heads"]
    kv = CFG["num_key_value_heads"] * hd

    r, z, o = initializers(g)
    P = {"model.embed_tokens.weight": r(V, C), "model.norm.weight": o(C)}
    for i in range(L):
        p = "model.layers.%d." % i
        P.update({p + "input_layernorm.weight": o(C), p + "post_attention_layernorm.weight": o(C),
                  p + "self_attn.q_proj.weight": r(C, C), p + "self_attn.q_proj.bias": z(C),
                  p + "self_attn.k_proj.weight": r(kv, C), p + "self_attn.k_proj.bias": z(kv),
                  p + "self_attn.v_proj.weight": r(kv, C), p + "self_attn.v_proj.bias": z(kv),
                  p + "self_attn.o_proj.weight": r(C, C),
                  p + "mlp.gate_proj.weight": r(F_, C), p + "mlp.up_proj.weight": r(F_, C), p + "mlp.down_proj.weight": r(C, F_)})
    return P


def train_batch():
    """Rows of the training batch: 8, or 4 from 300M parameters on (as `rebel bench model`)."""
    return 4 if CFG["model_type"] != "gpt2" and CFG["hidden_size"] >= 896 else 8


def make_params(seed=0):
    if CFG["model_type"] != "gpt2":
        return make_llama_params(seed)
    g = torch.Generator().manual_seed(seed)
    C, V, L, N = CFG["n_embd"], CFG["vocab_size"], CFG["n_layer"], CFG["n_positions"]

    r, z, o = initializers(g)
    P = {"wte.weight": r(V, C), "wpe.weight": r(N, C, std=0.01), "ln_f.weight": o(C), "ln_f.bias": z(C)}
    for i in range(L):
        p = "h.%d." % i
        P.update({p + "ln_1.weight": o(C), p + "ln_1.bias": z(C), p + "ln_2.weight": o(C), p + "ln_2.bias": z(C),
                  p + "attn.c_attn.weight": r(C, 3 * C), p + "attn.c_attn.bias": z(3 * C),
                  p + "attn.c_proj.weight": r(C, C), p + "attn.c_proj.bias": z(C),
                  p + "mlp.c_fc.weight": r(C, 4 * C), p + "mlp.c_fc.bias": z(4 * C),
                  p + "mlp.c_proj.weight": r(4 * C, C), p + "mlp.c_proj.bias": z(C)})
    return P


def train_steps(P, steps, warmup, B=None, T=128):
    B = B or train_batch()
    opt = torch.optim.AdamW(list(P.values()), lr=1e-3, weight_decay=0.01)
    g = torch.Generator().manual_seed(1)
    data = torch.randint(0, CFG["vocab_size"], (B, T + 1), generator=g)
    x, y = data[:, :-1], data[:, 1:]
    times = []
    for s in range(warmup + steps):
        t0 = time.perf_counter()
        logits, _, _ = forward(P, x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if s >= warmup:
            times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2], float(loss)


@torch.no_grad()
def sample(P, B=16, prompt_len=16, new=48, seed=0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, CFG["vocab_size"], (B, prompt_len), generator=g)
    logits, _, past = forward(P, ids)
    out = []
    pos = prompt_len
    for i in range(new):
        probs = torch.softmax(logits[:, -1] / 1.0, dim=-1)
        nxt = torch.multinomial(probs, 1, generator=g)
        out.append(nxt)
        if i == new - 1:
            break
        logits, _, past = forward(P, nxt, position_ids=torch.full((B, 1), pos), past=past)
        pos += 1
    return torch.cat(out, 1)


def peak_rss_mb():
    """Peak RSS of this address space in MiB: VmHWM (reset by exec), else ru_maxrss."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--sample-reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--preset", choices=sorted(PRESETS))
    ap.add_argument("--rss-child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.preset:
        CFG.clear()
        CFG.update(PRESETS[a.preset])
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)

    if a.rss_child:
        base = peak_rss_mb()
        P = make_params()
        train_steps(P, steps=5 if not a.preset else 2, warmup=1)
        print(base, peak_rss_mb())
        return

    # (c) first, while this parent is still small: ru_maxrss survives fork+exec on Linux, so the
    # child's own VmHWM (per address space, reset by exec) is what we report.
    res = subprocess.run([sys.executable, os.path.abspath(__file__), "--rss-child", "--threads", str(a.threads)]
                         + (["--preset", a.preset] if a.preset else []),
                         check=True, capture_output=True, text=True)
    base, peak = map(float, res.stdout.strip().splitlines()[-1].split())
    rss_line = json.dumps({"bench": "torch_train_peak_rss_mb", "mb": round(peak, 1),
                           "after_import_torch_mb": round(base, 1)})

    P = make_params()
    dt, loss = train_steps(P, a.steps, a.warmup)
    print(json.dumps({"bench": "torch_train", "preset": a.preset, "batch": train_batch(), "tokens_per_s": round(train_batch() * 128 / dt, 1),
                      "step_ms_median": round(dt * 1000, 2), "final_loss": round(loss, 4),
                      "threads": a.threads, "torch": torch.__version__,
                      "loadavg_1m": round(os.getloadavg()[0], 2)}), flush=True)

    with torch.no_grad():
        Ps = {k: v.detach() for k, v in P.items()}
    sample(Ps)  # warm-up
    ts = []
    for r in range(a.sample_reps):
        t0 = time.perf_counter()
        out = sample(Ps, seed=r + 1)
        ts.append(time.perf_counter() - t0)
        assert out.shape == (16, 48)
    ts.sort()
    st = ts[len(ts) // 2]
    print(json.dumps({"bench": "torch_sample", "tokens_per_s": round(16 * 48 / st, 1),
                      "seconds_median": round(st, 4), "threads": a.threads,
                      "loadavg_1m": round(os.getloadavg()[0], 2)}), flush=True)

    print(rss_line, flush=True)


if __name__ == "__main__":
    main()
