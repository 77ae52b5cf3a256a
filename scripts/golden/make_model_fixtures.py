#!/usr/bin/python3
"""Generate tiny Hugging Face-format model folders + golden outputs for
tests/Rebel.Models.Tests/Fixtures/<name>/.

    /usr/bin/python3 scripts/golden/make_model_fixtures.py

Deterministic (fixed torch seeds).  References are computed in float64 from the
weights *as stored* (F16/BF16 folders: the rounded weights upcast), using the
independent implementations in tiny_models.py.
"""
import json
import math
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tiny_models as tm  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "Rebel.Models.Tests", "Fixtures")
TV = "4.46.0"
SCHEMA_VERSION = 1

# Two unpadded sequences (run separately, batch 1) and two prompts for the left-padded batch.
SEQ_LENS = (7, 11)
PROMPT_LENS = (5, 9)
MAX_NEW = 8


def r7(x):
    return float("%.7g" % x)


def flat(t):
    return [r7(v) for v in t.detach().reshape(-1).tolist()]


def rnd(gen, shape, std):
    return torch.randn(*shape, generator=gen, dtype=torch.float64) * std


# --------------------------------------------------------------------------
# weight factories (HF names/layouts)
# --------------------------------------------------------------------------
def gpt2_weights(cfg, seed):
    g = torch.Generator().manual_seed(seed)
    C, V, L, Np = cfg["n_embd"], cfg["vocab_size"], cfg["n_layer"], cfg["n_positions"]
    I = cfg["n_inner"] or 4 * C
    W = {"wte.weight": rnd(g, (V, C), 0.3), "wpe.weight": rnd(g, (Np, C), 0.5)}
    for i in range(L):
        p = "h.%d." % i
        W[p + "ln_1.weight"] = 1 + rnd(g, (C,), 0.1)
        W[p + "ln_1.bias"] = rnd(g, (C,), 0.05)
        W[p + "attn.c_attn.weight"] = rnd(g, (C, 3 * C), 0.2)   # Conv1D [in, out]
        W[p + "attn.c_attn.bias"] = rnd(g, (3 * C,), 0.05)
        W[p + "attn.c_proj.weight"] = rnd(g, (C, C), 0.3)
        W[p + "attn.c_proj.bias"] = rnd(g, (C,), 0.05)
        W[p + "ln_2.weight"] = 1 + rnd(g, (C,), 0.1)
        W[p + "ln_2.bias"] = rnd(g, (C,), 0.05)
        W[p + "mlp.c_fc.weight"] = rnd(g, (C, I), 0.15)
        W[p + "mlp.c_fc.bias"] = rnd(g, (I,), 0.05)
        W[p + "mlp.c_proj.weight"] = rnd(g, (I, C), 0.2)
        W[p + "mlp.c_proj.bias"] = rnd(g, (C,), 0.05)
    W["ln_f.weight"] = 1 + rnd(g, (C,), 0.1)
    W["ln_f.bias"] = rnd(g, (C,), 0.05)
    return W


def llama_weights(cfg, seed, qkv_bias=False):
    g = torch.Generator().manual_seed(seed)
    C, V, L = cfg["hidden_size"], cfg["vocab_size"], cfg["num_hidden_layers"]
    nh, nkv, I = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["intermediate_size"]
    hd = cfg.get("head_dim") or C // nh
    W = {"model.embed_tokens.weight": rnd(g, (V, C), 0.3)}
    for i in range(L):
        p = "model.layers.%d." % i
        W[p + "input_layernorm.weight"] = 1 + rnd(g, (C,), 0.1)
        W[p + "self_attn.q_proj.weight"] = rnd(g, (nh * hd, C), 0.2)
        W[p + "self_attn.k_proj.weight"] = rnd(g, (nkv * hd, C), 0.2)
        W[p + "self_attn.v_proj.weight"] = rnd(g, (nkv * hd, C), 0.2)
        if qkv_bias:
            W[p + "self_attn.q_proj.bias"] = rnd(g, (nh * hd,), 0.1)
            W[p + "self_attn.k_proj.bias"] = rnd(g, (nkv * hd,), 0.1)
            W[p + "self_attn.v_proj.bias"] = rnd(g, (nkv * hd,), 0.1)
        W[p + "self_attn.o_proj.weight"] = rnd(g, (C, nh * hd), 0.15)
        W[p + "post_attention_layernorm.weight"] = 1 + rnd(g, (C,), 0.1)
        W[p + "mlp.gate_proj.weight"] = rnd(g, (I, C), 0.15)
        W[p + "mlp.up_proj.weight"] = rnd(g, (I, C), 0.15)
        W[p + "mlp.down_proj.weight"] = rnd(g, (C, I), 0.1)
    W["model.norm.weight"] = 1 + rnd(g, (C,), 0.1)
    if not cfg["tie_word_embeddings"]:
        W["lm_head.weight"] = rnd(g, (V, C), 0.2)
    return W


def neox_weights(cfg, seed):
    g = torch.Generator().manual_seed(seed)
    C, V, L, I = cfg["hidden_size"], cfg["vocab_size"], cfg["num_hidden_layers"], cfg["intermediate_size"]
    W = {"gpt_neox.embed_in.weight": rnd(g, (V, C), 0.3)}
    for i in range(L):
        p = "gpt_neox.layers.%d." % i
        W[p + "input_layernorm.weight"] = 1 + rnd(g, (C,), 0.1)
        W[p + "input_layernorm.bias"] = rnd(g, (C,), 0.05)
        W[p + "post_attention_layernorm.weight"] = 1 + rnd(g, (C,), 0.1)
        W[p + "post_attention_layernorm.bias"] = rnd(g, (C,), 0.05)
        W[p + "attention.query_key_value.weight"] = rnd(g, (3 * C, C), 0.2)
        W[p + "attention.query_key_value.bias"] = rnd(g, (3 * C,), 0.1)
        W[p + "attention.dense.weight"] = rnd(g, (C, C), 0.15)
        W[p + "attention.dense.bias"] = rnd(g, (C,), 0.05)
        W[p + "mlp.dense_h_to_4h.weight"] = rnd(g, (I, C), 0.15)
        W[p + "mlp.dense_h_to_4h.bias"] = rnd(g, (I,), 0.05)
        W[p + "mlp.dense_4h_to_h.weight"] = rnd(g, (C, I), 0.1)
        W[p + "mlp.dense_4h_to_h.bias"] = rnd(g, (C,), 0.05)
    W["gpt_neox.final_layer_norm.weight"] = 1 + rnd(g, (C,), 0.1)
    W["gpt_neox.final_layer_norm.bias"] = rnd(g, (C,), 0.05)
    W["embed_out.weight"] = rnd(g, (V, C), 0.2)
    return W


def qwen3_weights(cfg, seed):
    """Llama weights plus per-head q_norm / k_norm gains [head_dim] (drawn from a second generator)."""
    W = llama_weights(cfg, seed)
    g = torch.Generator().manual_seed(seed + 500)
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d.self_attn." % i
        W[p + "q_norm.weight"] = 1 + rnd(g, (cfg["head_dim"],), 0.2)
        W[p + "k_norm.weight"] = 1 + rnd(g, (cfg["head_dim"],), 0.2)
    return W


def phi3_weights(cfg, seed):
    """Llama-shaped weights fused as Phi-3 stores them: qkv_proj = [q; k; v] rows, gate_up_proj = [gate; up] rows."""
    W = llama_weights(cfg, seed)
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        W[p + "self_attn.qkv_proj.weight"] = torch.cat([W.pop(p + "self_attn.%s_proj.weight" % n) for n in "qkv"], 0)
        W[p + "mlp.gate_up_proj.weight"] = torch.cat([W.pop(p + "mlp.gate_proj.weight"), W.pop(p + "mlp.up_proj.weight")], 0)
    return W


def gemma2_weights(cfg, seed):
    g = torch.Generator().manual_seed(seed)
    C, V, L = cfg["hidden_size"], cfg["vocab_size"], cfg["num_hidden_layers"]
    nh, nkv, I, hd = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["intermediate_size"], cfg["head_dim"]
    W = {"model.embed_tokens.weight": rnd(g, (V, C), 0.3)}
    for i in range(L):
        p = "model.layers.%d." % i
        for n in ("input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm"):
            W[p + n + ".weight"] = rnd(g, (C,), 0.1)  # gain 1 + w
        W[p + "self_attn.q_proj.weight"] = rnd(g, (nh * hd, C), 0.3)
        W[p + "self_attn.k_proj.weight"] = rnd(g, (nkv * hd, C), 0.3)
        W[p + "self_attn.v_proj.weight"] = rnd(g, (nkv * hd, C), 0.2)
        W[p + "self_attn.o_proj.weight"] = rnd(g, (C, nh * hd), 0.15)
        W[p + "mlp.gate_proj.weight"] = rnd(g, (I, C), 0.15)
        W[p + "mlp.up_proj.weight"] = rnd(g, (I, C), 0.15)
        W[p + "mlp.down_proj.weight"] = rnd(g, (C, I), 0.1)
    W["model.norm.weight"] = rnd(g, (C,), 0.1)
    return W


# --------------------------------------------------------------------------
# configs (real HF keys)
# --------------------------------------------------------------------------
def gpt2_config(dtype):
    return {
        "_name_or_path": "rebel-tiny-gpt2", "activation_function": "gelu_new",
        "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1, "bos_token_id": 95, "embd_pdrop": 0.1,
        "eos_token_id": 95, "initializer_range": 0.02, "layer_norm_epsilon": 1e-05, "model_type": "gpt2",
        "n_ctx": 32, "n_embd": 32, "n_head": 4, "n_inner": None, "n_layer": 2, "n_positions": 32,
        "reorder_and_upcast_attn": False, "resid_pdrop": 0.1, "scale_attn_by_inverse_layer_idx": False,
        "scale_attn_weights": True, "summary_activation": None, "summary_first_dropout": 0.1,
        "summary_proj_to_labels": True, "summary_type": "cls_index", "summary_use_proj": True,
        "torch_dtype": dtype, "transformers_version": TV, "use_cache": True, "vocab_size": 96,
    }


def llama_config():
    return {
        "architectures": ["LlamaForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
        "bos_token_id": 1, "eos_token_id": 2, "head_dim": 12, "hidden_act": "silu", "hidden_size": 48,
        "initializer_range": 0.02, "intermediate_size": 96, "max_position_embeddings": 32, "mlp_bias": False,
        "model_type": "llama", "num_attention_heads": 4, "num_hidden_layers": 2, "num_key_value_heads": 2,
        "pretraining_tp": 1, "rms_norm_eps": 1e-06, "rope_scaling": None, "rope_theta": 500000.0,
        "tie_word_embeddings": False, "torch_dtype": "float32", "transformers_version": TV,
        "use_cache": True, "vocab_size": 96,
    }


def llama3_scaled_config():
    # head_dim 16, rope_theta 100, original_max_position_embeddings 32 ->
    # wavelengths 2*pi/inv_freq = 6.28 (high band, < 32/4=8: unchanged), 11.2 and 19.9 (medium band:
    # smoothed), 35.3, 62.8, 112, 199, 353 (low band, > 32/1: divided by factor 8).
    return {
        "architectures": ["LlamaForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
        "bos_token_id": 1, "eos_token_id": [2, 3], "head_dim": 16, "hidden_act": "silu", "hidden_size": 64,
        "initializer_range": 0.02, "intermediate_size": 96, "max_position_embeddings": 256, "mlp_bias": False,
        "model_type": "llama", "num_attention_heads": 4, "num_hidden_layers": 2, "num_key_value_heads": 2,
        "pretraining_tp": 1, "rms_norm_eps": 1e-05,
        "rope_scaling": {"factor": 8.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                         "original_max_position_embeddings": 32, "rope_type": "llama3"},
        "rope_theta": 100.0, "tie_word_embeddings": True, "torch_dtype": "bfloat16",
        "transformers_version": TV, "use_cache": True, "vocab_size": 96,
    }


def qwen2_config():
    return {
        "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 90,
        "eos_token_id": 91, "hidden_act": "silu", "hidden_size": 48, "initializer_range": 0.02,
        "intermediate_size": 96, "max_position_embeddings": 32, "max_window_layers": 2, "model_type": "qwen2",
        "num_attention_heads": 4, "num_hidden_layers": 2, "num_key_value_heads": 2, "rms_norm_eps": 1e-06,
        "rope_scaling": None, "rope_theta": 1000000.0, "sliding_window": 32, "tie_word_embeddings": True,
        "torch_dtype": "float32", "transformers_version": TV, "use_cache": True,
        "use_sliding_window": False, "vocab_size": 96,
    }


def neox_config():
    return {
        "architectures": ["GPTNeoXForCausalLM"], "attention_bias": True, "attention_dropout": 0.0,
        "bos_token_id": 0, "classifier_dropout": 0.1, "eos_token_id": 0, "hidden_act": "gelu",
        "hidden_dropout": 0.0, "hidden_size": 48, "initializer_range": 0.02, "intermediate_size": 128,
        "layer_norm_eps": 1e-05, "max_position_embeddings": 32, "model_type": "gpt_neox",
        "num_attention_heads": 3, "num_hidden_layers": 2, "rope_scaling": None, "rotary_emb_base": 10000,
        "rotary_pct": 0.25, "tie_word_embeddings": False, "torch_dtype": "float32",
        "transformers_version": TV, "use_cache": True, "use_parallel_residual": True, "vocab_size": 96,
    }


def mistral_config():
    # head_dim 16 != 48 / 4; sliding_window 4 is shorter than every test sequence.
    return {
        "architectures": ["MistralForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 1, "eos_token_id": 2,
        "head_dim": 16, "hidden_act": "silu", "hidden_size": 48, "initializer_range": 0.02, "intermediate_size": 96,
        "max_position_embeddings": 64, "model_type": "mistral", "num_attention_heads": 4, "num_hidden_layers": 2,
        "num_key_value_heads": 2, "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "sliding_window": 4,
        "tie_word_embeddings": False, "torch_dtype": "float32", "transformers_version": TV, "use_cache": True,
        "vocab_size": 96,
    }


def qwen3_config():
    # Qwen3-0.6B's shape in small: head_dim 16 independent of hidden_size 32 / 4 heads = 8; tied embeddings.
    return {
        "architectures": ["Qwen3ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0, "bos_token_id": 90,
        "eos_token_id": 91, "head_dim": 16, "hidden_act": "silu", "hidden_size": 32, "initializer_range": 0.02,
        "intermediate_size": 96, "max_position_embeddings": 64, "max_window_layers": 2, "model_type": "qwen3",
        "num_attention_heads": 4, "num_hidden_layers": 2, "num_key_value_heads": 2, "rms_norm_eps": 1e-06,
        "rope_scaling": None, "rope_theta": 1000000, "sliding_window": None, "tie_word_embeddings": True,
        "torch_dtype": "float32", "transformers_version": TV, "use_cache": True, "use_sliding_window": False,
        "vocab_size": 96,
    }


def phi3_config():
    # partial_rotary_factor 0.75 (as Phi-4-mini): head_dim 16 -> 12 rotated channels; sliding_window 5.
    return {
        "architectures": ["Phi3ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0, "bos_token_id": 1,
        "embd_pdrop": 0.0, "eos_token_id": 95, "hidden_act": "silu", "hidden_size": 48, "initializer_range": 0.02,
        "intermediate_size": 64, "max_position_embeddings": 64, "model_type": "phi3", "num_attention_heads": 3,
        "num_hidden_layers": 2, "num_key_value_heads": 1, "original_max_position_embeddings": 64, "pad_token_id": 94,
        "partial_rotary_factor": 0.75, "resid_pdrop": 0.0, "rms_norm_eps": 1e-05, "rope_scaling": None,
        "rope_theta": 10000.0, "sliding_window": 5, "tie_word_embeddings": False, "torch_dtype": "float32",
        "transformers_version": TV, "use_cache": True, "vocab_size": 96,
    }


def gemma2_config():
    # head_dim 16 != 32 / 4; query_pre_attn_scalar 12 != head_dim; small soft caps (2 on scores, 3 on logits) that bite;
    # 3 layers: 0 and 2 use sliding_window 4, layer 1 attends to everything.
    return {
        "architectures": ["Gemma2ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
        "attn_logit_softcapping": 2.0, "bos_token_id": 2, "cache_implementation": "hybrid", "eos_token_id": 1,
        "final_logit_softcapping": 3.0, "head_dim": 16, "hidden_act": "gelu_pytorch_tanh",
        "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 32, "initializer_range": 0.02, "intermediate_size": 64,
        "max_position_embeddings": 64, "model_type": "gemma2", "num_attention_heads": 4, "num_hidden_layers": 3,
        "num_key_value_heads": 2, "pad_token_id": 0, "query_pre_attn_scalar": 12, "rms_norm_eps": 1e-06,
        "rope_theta": 10000.0, "sliding_window": 4, "tie_word_embeddings": True, "torch_dtype": "float32",
        "transformers_version": TV, "use_cache": True, "vocab_size": 96,
    }


# --------------------------------------------------------------------------
def token_ids(seed, lens, V, lo=3):
    g = torch.Generator().manual_seed(seed)
    return [torch.randint(lo, V - 8, (n,), generator=g).tolist() for n in lens]


def run(cfg, P, ids, **kw):
    with torch.no_grad():
        return tm.forward(cfg, P, torch.tensor([ids]), **kw)


def greedy_nocache(cfg, P, prompt, n):
    """Reference greedy decoding: full recompute each step, unpadded, batch 1."""
    ids = list(prompt)
    margins = []
    step_logits = []
    for _ in range(n):
        logits = run(cfg, P, ids)[0][0, -1]
        top = torch.topk(logits, 2).values
        margins.append(float(top[0] - top[1]))
        step_logits.append(logits)
        ids.append(int(torch.argmax(logits)))
    return ids[len(prompt):], margins, step_logits


def left_pad_batch(prompts, pad_id):
    T = max(len(p) for p in prompts)
    ids = [[pad_id] * (T - len(p)) + p for p in prompts]
    mask = [[0] * (T - len(p)) + [1] * len(p) for p in prompts]
    pos = (torch.tensor(mask).cumsum(-1) - 1).clamp(min=0).tolist()
    return ids, mask, pos


def batched_case(cfg, P, prompts, pad_id):
    ids, mask, pos = left_pad_batch(prompts, pad_id)
    ids_t, mask_t, pos_t = torch.tensor(ids), torch.tensor(mask), torch.tensor(pos)
    with torch.no_grad():
        logits, _, past = tm.forward(cfg, P, ids_t, attention_mask=mask_t, position_ids=pos_t)
    rows = []
    for b, p in enumerate(prompts):
        T = len(ids[b])
        lg = logits[b, T - len(p):]
        ref = run(cfg, P, p)[0][0]
        assert torch.allclose(lg, ref, atol=1e-9), "padded batch != unpadded"
        rows.append({"logits_shape": list(lg.shape), "logits": flat(lg)})
    # greedy with KV cache on the padded batch (HF generate style) -- must equal the no-cache reference
    new = [[] for _ in prompts]
    cur_mask, last_pos = mask_t, pos_t[:, -1]
    nxt = torch.argmax(logits[:, -1], -1)
    with torch.no_grad():
        for step in range(MAX_NEW):
            for b in range(len(prompts)):
                new[b].append(int(nxt[b]))
            if step == MAX_NEW - 1:
                break
            cur_mask = torch.cat((cur_mask, torch.ones(len(prompts), 1, dtype=cur_mask.dtype)), 1)
            last_pos = last_pos + 1
            lg, _, past = tm.forward(cfg, P, nxt[:, None], attention_mask=cur_mask,
                                     position_ids=last_pos[:, None], past=past)
            nxt = torch.argmax(lg[:, -1], -1)
    return {"pad_token_id": pad_id, "input_ids": ids, "attention_mask": mask, "position_ids": pos,
            "rows": rows}, new


def gpt2_grad_refs(cfg, P, seq):
    Pg = {k: v.clone().requires_grad_(True) for k, v in P.items()}
    ids = torch.tensor([seq])
    logits, _, _ = tm.forward(cfg, Pg, ids)
    loss = torch.nn.functional.cross_entropy(logits[0, :-1], ids[0, 1:], reduction="mean")
    loss.backward()
    names = ["h.0.attn.c_attn.weight", "wte.weight", "wpe.weight", "h.1.mlp.c_fc.weight",
             "h.0.ln_1.weight", "ln_f.bias"]
    grads = {}
    for n in names:
        g = Pg[n].grad.reshape(-1)
        grads["transformer." + n] = {"shape": list(Pg[n].shape), "first": flat(g[:64]),
                                     "l2_norm": r7(float(g.norm()))}
    return r7(float(loss)), grads


def write_folder(name, cfg, W, dtype, prefix="", extra_tensors=None, gen_cfg=None, notes=""):
    d = os.path.join(OUT, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")
    eos = cfg["eos_token_id"]
    gc = gen_cfg or {"_from_model_config": True, "bos_token_id": cfg["bos_token_id"], "eos_token_id": eos,
                     "transformers_version": TV}
    with open(os.path.join(d, "generation_config.json"), "w") as f:
        json.dump(gc, f, indent=2, sort_keys=True)
        f.write("\n")
    T = {prefix + k: v for k, v in W.items()}
    if extra_tensors:
        T.update(extra_tensors)
    tm.save_safetensors(os.path.join(d, "model.safetensors"), T, dtype)
    # reload the file: references are computed from exactly what was stored
    L = tm.load_safetensors(os.path.join(d, "model.safetensors"), torch.float64)
    P = {k[len(prefix):]: v for k, v in L.items() if k.startswith(prefix) and k[len(prefix):] in W}
    assert set(P) == set(W)
    return d, P


def make(name, cfg, W, dtype, seq_seed, prefix="", extra_tensors=None, batched=False, grads=False,
         notes="", extra_golden=None):
    d, P = write_folder(name, cfg, W, dtype, prefix, extra_tensors)
    V = cfg["vocab_size"]
    golden = {"schema_version": SCHEMA_VERSION, "name": name, "model_type": cfg["model_type"],
              "architecture": cfg["architectures"][0], "weights_dtype": dtype,
              "reference": "float64 forward of the stored weights (upcast), tiny_models.py; values rounded to 7 "
                           "significant digits",
              "vocab_size": V, "notes": notes}
    seqs = token_ids(seq_seed, SEQ_LENS, V)
    cases = []
    max32 = 0.0
    for s in seqs:
        logits, hid, _ = run(cfg, P, s)
        # float32 cross-check: how far a float32 implementation lands from the float64 reference
        P32 = {k: v.float() for k, v in P.items()}
        l32 = run(cfg, P32, s)[0]
        max32 = max(max32, float((l32.double() - logits).abs().max()))
        cases.append({"input_ids": s, "logits_shape": list(logits[0].shape), "logits": flat(logits[0]),
                      "final_hidden_shape": list(hid[0].shape), "final_hidden": flat(hid[0])})
    golden["cases"] = cases
    golden["float32_max_abs_logit_diff"] = float("%.3g" % max32)
    if batched:
        prompts = token_ids(seq_seed + 1, PROMPT_LENS, V)
        pad = cfg.get("pad_token_id", cfg["eos_token_id"] if isinstance(cfg["eos_token_id"], int) else 0)
        bc, new_cached = batched_case(cfg, P, prompts, pad)
        golden["batched_left_padded"] = bc
        gr = {"prompts": prompts, "max_new_tokens": MAX_NEW, "new_tokens": [], "min_top2_margin": None,
              "last_step_logits": []}
        margins = []
        for b, p in enumerate(prompts):
            new, m, sl = greedy_nocache(cfg, P, p, MAX_NEW)
            assert new == new_cached[b], (name, new, new_cached[b])
            gr["new_tokens"].append(new)
            gr["last_step_logits"].append(flat(sl[-1]))
            margins += m
        gr["min_top2_margin"] = r7(min(margins))
        assert min(margins) > 1e-3, "greedy tie too close; change seed"
        golden["greedy"] = gr
    if grads:
        loss, g = gpt2_grad_refs(cfg, P, seqs[0])
        golden["gradients"] = {"sequence_index": 0, "input_ids": seqs[0],
                               "loss": "mean next-token cross-entropy: CE(logits[0:T-1], input_ids[1:T])",
                               "loss_value": loss, "params": g}
    if extra_golden:
        golden.update(extra_golden)
    with open(os.path.join(d, "golden.json"), "w") as f:
        json.dump(golden, f, separators=(",", ":"))
    lg = torch.tensor(cases[1]["logits"])
    size = sum(os.path.getsize(os.path.join(d, x)) for x in os.listdir(d))
    print("%-15s %-5s logits std %.3f  fp32 maxdiff %.2e  folder %6.1f KB" % (
        name, dtype, float(lg.std()), max32, size / 1024))
    assert size < 300 * 1024, name


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)

    c = gpt2_config("float32")
    make("gpt2", c, gpt2_weights(c, 1014), "F32", 10, prefix="transformer.", batched=True, grads=True,
         notes="GPT2LMHeadModel as save_pretrained writes it: 'transformer.' prefix, tied lm_head (no lm_head.weight).")

    c = gpt2_config("float16")
    W = gpt2_weights(c, 1002)
    n = c["n_positions"]
    causal = {"h.%d.attn.bias" % i: torch.tril(torch.ones(n, n, dtype=torch.float64)).view(1, 1, n, n)
              for i in range(c["n_layer"])}
    make("gpt2_noprefix", c, W, "F16", 12, extra_tensors=causal,
         notes="Hub-style GPT-2 checkpoint: names WITHOUT 'transformer.' prefix, F16 storage, and the legacy "
               "causal-mask buffers h.{i}.attn.bias [1,1,n_positions,n_positions] (as in the real 'gpt2' "
               "checkpoint) which a loader must ignore.")

    c = llama_config()
    make("llama", c, llama_weights(c, 1003), "F32", 13, batched=True,
         notes="GQA 4 heads / 2 kv heads, rope_theta 500000, untied lm_head.")

    c = llama3_scaled_config()
    inv_plain = tm.rope_inv_freq(16, c["rope_theta"])
    inv = tm.rope_inv_freq(16, c["rope_theta"], c["rope_scaling"])
    wl = [2 * math.pi / float(x) for x in inv_plain]
    bands = ["high" if w < 32 / 4.0 else ("low" if w > 32 / 1.0 else "medium") for w in wl]
    make("llama3_scaled", c, llama_weights(c, 1004), "BF16", 14,
         notes="llama3 rope_scaling; BF16 storage; tied embeddings (no lm_head.weight). Reference is computed "
               "in float64 from the bf16 weights upcast (not in bf16 arithmetic).",
         extra_golden={"rope": {"head_dim": 16, "rope_theta": c["rope_theta"],
                                "inv_freq_unscaled": [r7(float(x)) for x in inv_plain],
                                "inv_freq_llama3": [r7(float(x)) for x in inv],
                                "bands": bands}})

    c = qwen2_config()
    make("qwen2", c, llama_weights(c, 1005, qkv_bias=True), "F32", 15,
         notes="q/k/v biases, no o_proj bias, GQA 4/2, rope_theta 1e6, tied embeddings (like Qwen2.5-0.5B).")

    c = neox_config()
    make("gpt_neox", c, neox_weights(c, 1006), "F32", 16,
         notes="Pythia-style: per-head interleaved query_key_value ([heads, 3*head_dim] -> q,k,v), biases on "
               "query_key_value and dense, parallel residual, exact GELU, partial rotary: head_dim 16, "
               "rotary_ndims = int(16*0.25) = 4, untied embed_out.")

    c = mistral_config()
    make("mistral", c, llama_weights(c, 1017), "F32", 17, batched=True,
         notes="sliding_window 4 (shorter than every sequence: key j visible to query i only if i - j < 4), head_dim 16 "
               "independent of hidden_size/heads = 12, GQA 4/2, untied lm_head.")

    c = qwen3_config()
    make("qwen3", c, qwen3_weights(c, 1008), "F32", 18, batched=True,
         notes="per-head q_norm/k_norm RMSNorm [head_dim] before rotary, head_dim 16 != hidden_size/heads = 8, no biases, "
               "tied embeddings, use_sliding_window false.")

    c = phi3_config()
    make("phi3", c, phi3_weights(c, 1009), "F32", 19, batched=True,
         notes="fused self_attn.qkv_proj ([q; k; v] rows: 48 + 16 + 16, GQA 3/1) and mlp.gate_up_proj ([gate; up] rows), "
               "partial_rotary_factor 0.75 (12 of 16 channels rotated), sliding_window 5, untied lm_head.")

    c = gemma2_config()
    make("gemma2", c, gemma2_weights(c, 1010), "F32", 20, batched=True,
         notes="embedding x sqrt(32), (1 + w) RMSNorms before and after attention and MLP, GeGLU (tanh GELU), scores "
               "scaled by query_pre_attn_scalar 12 ** -0.5 and soft-capped at 2, sliding_window 4 on layers 0 and 2 "
               "(layer 1 full), final logits soft-capped at 3, head_dim 16 != 32/4, tied embeddings.")


if __name__ == "__main__":
    main()
