"""Independent, minimal PyTorch reference implementations of the decoder-only
architectures Rebel loads (GPT-2, Llama (incl. llama3 rope scaling), Qwen2,
GPT-NeoX, Mistral, Qwen3, Phi-3, Gemma 2), written from the architecture
descriptions; plus a tiny safetensors writer/reader.  No transformers /
safetensors dependency.

All forwards are *functional*: they take a dict of Hugging Face tensor names
(as in model.safetensors, without the optional GPT-2 ``transformer.`` prefix)
to tensors, so the same code serves fixture generation, gradient references and
the speed baseline.
"""
import json
import math
import struct

import numpy as np
import torch
import torch.nn.functional as F

# --------------------------------------------------------------------------
# safetensors
# --------------------------------------------------------------------------
_DT = {"F32": (torch.float32, 4), "F16": (torch.float16, 2), "BF16": (torch.bfloat16, 2),
       "F64": (torch.float64, 8)}


def save_safetensors(path, tensors, dtype="F32"):
    """tensors: dict name -> torch tensor (any float dtype); all are stored as `dtype`."""
    tdt, _ = _DT[dtype]
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().to(tdt).contiguous().cpu()
        if tdt == torch.bfloat16:
            raw = t.view(torch.int16).numpy().astype("<i2").tobytes()
        else:
            raw = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def load_safetensors(path, to=torch.float64):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        raw = data[base + b: base + e]
        if info["dtype"] == "BF16":
            t = torch.from_numpy(np.frombuffer(raw, dtype="<i2").copy()).view(torch.bfloat16)
        else:
            npdt = {"F32": "<f4", "F16": "<f2", "F64": "<f8"}[info["dtype"]]
            t = torch.from_numpy(np.frombuffer(raw, dtype=npdt).copy())
        out[name] = t.reshape(info["shape"]).to(to)
    return out


# --------------------------------------------------------------------------
# building blocks
# --------------------------------------------------------------------------
def gelu_new(x):  # GPT-2 "gelu_new": tanh approximation
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def gelu_exact(x):  # "gelu": erf form
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def layer_norm(x, w, b, eps):
    return F.layer_norm(x, (x.shape[-1],), w, b, eps)


def rms_norm(x, w, eps):
    var = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(var + eps))


def conv1d(x, w, b):  # GPT-2 Conv1D: w is [in, out]
    return torch.matmul(x, w) + b


def linear(x, w, b=None):  # nn.Linear: w is [out, in]
    return F.linear(x, w, b)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def rope_inv_freq(dim, theta, rope_scaling=None):
    inv = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
    if rope_scaling and rope_scaling.get("rope_type", rope_scaling.get("type")) == "llama3":
        factor = rope_scaling["factor"]
        lo = rope_scaling["low_freq_factor"]
        hi = rope_scaling["high_freq_factor"]
        old = rope_scaling["original_max_position_embeddings"]
        low_wl, high_wl = old / lo, old / hi
        wl = 2 * math.pi / inv
        scaled = torch.where(wl > low_wl, inv / factor, inv)
        smooth = (old / wl - lo) / (hi - lo)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = (wl >= high_wl) & (wl <= low_wl)
        inv = torch.where(medium, smoothed, scaled)
    elif rope_scaling:
        raise NotImplementedError(rope_scaling)
    return inv


def apply_rope(x, pos, inv_freq):
    """x: [B, H, T, D_rot]; pos: [B, T] (int); HF rotate_half convention."""
    freqs = pos.to(torch.float64)[:, :, None] * inv_freq[None, None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos = emb.cos().to(x.dtype)[:, None]
    sin = emb.sin().to(x.dtype)[:, None]
    return x * cos + rotate_half(x) * sin


def build_mask(B, T, past_len, attention_mask, device=None, window=None):
    """bool [B,1,T,past_len+T]: True = may attend.  window W: key j visible to query i only if i - j < W."""
    S = past_len + T
    qi = torch.arange(T)[:, None] + past_len
    kj = torch.arange(S)[None, :]
    m = kj <= qi
    if window is not None:
        m = m & (qi - kj < window)
    m = m[None, None].expand(B, 1, T, S)
    if attention_mask is not None:
        m = m & attention_mask[:, None, None, :S].bool()
    return m


def attention(q, k, v, mask, scale, softcap=None):
    """q: [B,H,T,D], k/v: [B,H,S,D] (already GQA-expanded).  softcap c: scores -> c*tanh(scores/c)."""
    s = torch.matmul(q, k.transpose(-1, -2)) * scale
    if softcap is not None:
        s = softcap * torch.tanh(s / softcap)
    s = s.masked_fill(~mask, torch.finfo(s.dtype).min)
    p = torch.softmax(s, dim=-1)
    return torch.matmul(p, v)


def split_heads(x, n):  # [B,T,n*D] -> [B,n,T,D]
    B, T, C = x.shape
    return x.view(B, T, n, C // n).transpose(1, 2)


def merge_heads(x):  # [B,n,T,D] -> [B,T,n*D]
    B, n, T, D = x.shape
    return x.transpose(1, 2).reshape(B, T, n * D)


def repeat_kv(x, n_rep):  # [B,kvh,S,D] -> [B,kvh*n_rep,S,D]; query head h uses kv head h // n_rep
    if n_rep == 1:
        return x
    B, h, S, D = x.shape
    return x[:, :, None].expand(B, h, n_rep, S, D).reshape(B, h * n_rep, S, D)


def default_positions(B, T, past_len, attention_mask):
    if attention_mask is not None:
        pos = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)
        return pos[:, past_len:past_len + T]
    return (torch.arange(T) + past_len)[None].expand(B, T)


def _cache(past, i, k, v):
    if past is not None and past[i] is not None:
        k = torch.cat((past[i][0], k), dim=2)
        v = torch.cat((past[i][1], v), dim=2)
    return k, v


# --------------------------------------------------------------------------
# model forwards.  Return (logits [B,T,V], final_hidden [B,T,C] after the final norm, new_past)
# --------------------------------------------------------------------------
def gpt2_forward(cfg, P, ids, attention_mask=None, position_ids=None, past=None):
    B, T = ids.shape
    L, nh, C = cfg["n_layer"], cfg["n_head"], cfg["n_embd"]
    eps = cfg["layer_norm_epsilon"]
    past_len = 0 if past is None else past[0][0].shape[2]
    if position_ids is None:
        position_ids = default_positions(B, T, past_len, attention_mask)
    x = P["wte.weight"][ids] + P["wpe.weight"][position_ids]
    mask = build_mask(B, T, past_len, attention_mask)
    scale = 1.0 / math.sqrt(C // nh)
    new_past = []
    for i in range(L):
        p = "h.%d." % i
        h = layer_norm(x, P[p + "ln_1.weight"], P[p + "ln_1.bias"], eps)
        qkv = conv1d(h, P[p + "attn.c_attn.weight"], P[p + "attn.c_attn.bias"])
        q, k, v = qkv.split(C, dim=-1)
        q, k, v = split_heads(q, nh), split_heads(k, nh), split_heads(v, nh)
        k, v = _cache(past, i, k, v)
        new_past.append((k, v))
        a = merge_heads(attention(q, k, v, mask, scale))
        x = x + conv1d(a, P[p + "attn.c_proj.weight"], P[p + "attn.c_proj.bias"])
        h = layer_norm(x, P[p + "ln_2.weight"], P[p + "ln_2.bias"], eps)
        h = gelu_new(conv1d(h, P[p + "mlp.c_fc.weight"], P[p + "mlp.c_fc.bias"]))
        x = x + conv1d(h, P[p + "mlp.c_proj.weight"], P[p + "mlp.c_proj.bias"])
    x = layer_norm(x, P["ln_f.weight"], P["ln_f.bias"], eps)
    logits = torch.matmul(x, P["wte.weight"].t())  # tied
    return logits, x, new_past


def llama_forward(cfg, P, ids, attention_mask=None, position_ids=None, past=None):
    """Llama, Qwen2 (q/k/v biases), Mistral (sliding_window on every layer), Qwen3 (q_norm/k_norm per head)."""
    B, T = ids.shape
    L, nh, nkv, C = (cfg["num_hidden_layers"], cfg["num_attention_heads"],
                     cfg["num_key_value_heads"], cfg["hidden_size"])
    hd = cfg.get("head_dim") or C // nh
    eps = cfg["rms_norm_eps"]
    past_len = 0 if past is None else past[0][0].shape[2]
    if position_ids is None:
        position_ids = default_positions(B, T, past_len, attention_mask)
    inv_freq = rope_inv_freq(hd, cfg["rope_theta"], cfg.get("rope_scaling"))
    assert not cfg.get("use_sliding_window")
    window = cfg.get("sliding_window") if cfg["model_type"] == "mistral" else None
    mask = build_mask(B, T, past_len, attention_mask, window=window)
    scale = 1.0 / math.sqrt(hd)
    x = P["model.embed_tokens.weight"][ids]
    new_past = []
    for i in range(L):
        p = "model.layers.%d." % i
        h = rms_norm(x, P[p + "input_layernorm.weight"], eps)
        q = linear(h, P[p + "self_attn.q_proj.weight"], P.get(p + "self_attn.q_proj.bias"))
        k = linear(h, P[p + "self_attn.k_proj.weight"], P.get(p + "self_attn.k_proj.bias"))
        v = linear(h, P[p + "self_attn.v_proj.weight"], P.get(p + "self_attn.v_proj.bias"))
        q, k, v = split_heads(q, nh), split_heads(k, nkv), split_heads(v, nkv)
        if p + "self_attn.q_norm.weight" in P:  # Qwen3: RMSNorm over each head's channels, before rotary
            q = rms_norm(q, P[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, P[p + "self_attn.k_norm.weight"], eps)
        q = apply_rope(q, position_ids, inv_freq)
        k = apply_rope(k, position_ids, inv_freq)
        k, v = _cache(past, i, k, v)
        new_past.append((k, v))
        a = attention(q, repeat_kv(k, nh // nkv), repeat_kv(v, nh // nkv), mask, scale)
        x = x + linear(merge_heads(a), P[p + "self_attn.o_proj.weight"], P.get(p + "self_attn.o_proj.bias"))
        h = rms_norm(x, P[p + "post_attention_layernorm.weight"], eps)
        g = linear(h, P[p + "mlp.gate_proj.weight"])
        u = linear(h, P[p + "mlp.up_proj.weight"])
        x = x + linear(F.silu(g) * u, P[p + "mlp.down_proj.weight"])
    x = rms_norm(x, P["model.norm.weight"], eps)
    head = P["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else P["lm_head.weight"]
    return torch.matmul(x, head.t()), x, new_past


def neox_forward(cfg, P, ids, attention_mask=None, position_ids=None, past=None):
    B, T = ids.shape
    L, nh, C = cfg["num_hidden_layers"], cfg["num_attention_heads"], cfg["hidden_size"]
    hd = C // nh
    rot = int(hd * cfg["rotary_pct"])
    eps = cfg["layer_norm_eps"]
    past_len = 0 if past is None else past[0][0].shape[2]
    if position_ids is None:
        position_ids = default_positions(B, T, past_len, attention_mask)
    inv_freq = rope_inv_freq(rot, cfg["rotary_emb_base"])
    mask = build_mask(B, T, past_len, attention_mask)
    scale = 1.0 / math.sqrt(hd)
    act = gelu_exact if cfg["hidden_act"] == "gelu" else gelu_new
    x = P["gpt_neox.embed_in.weight"][ids]
    new_past = []
    for i in range(L):
        p = "gpt_neox.layers.%d." % i
        h = layer_norm(x, P[p + "input_layernorm.weight"], P[p + "input_layernorm.bias"], eps)
        qkv = linear(h, P[p + "attention.query_key_value.weight"], P.get(p + "attention.query_key_value.bias"))
        qkv = qkv.view(B, T, nh, 3 * hd).permute(0, 2, 1, 3)  # per-head interleaved [q|k|v]
        q, k, v = qkv[..., :hd], qkv[..., hd:2 * hd], qkv[..., 2 * hd:]
        q = torch.cat((apply_rope(q[..., :rot], position_ids, inv_freq), q[..., rot:]), dim=-1)
        k = torch.cat((apply_rope(k[..., :rot], position_ids, inv_freq), k[..., rot:]), dim=-1)
        k, v = _cache(past, i, k, v)
        new_past.append((k, v))
        a = linear(merge_heads(attention(q, k, v, mask, scale)), P[p + "attention.dense.weight"],
                   P.get(p + "attention.dense.bias"))
        def mlp(z):
            z = act(linear(z, P[p + "mlp.dense_h_to_4h.weight"], P[p + "mlp.dense_h_to_4h.bias"]))
            return linear(z, P[p + "mlp.dense_4h_to_h.weight"], P[p + "mlp.dense_4h_to_h.bias"])
        if cfg["use_parallel_residual"]:
            h2 = layer_norm(x, P[p + "post_attention_layernorm.weight"], P[p + "post_attention_layernorm.bias"], eps)
            x = x + a + mlp(h2)
        else:
            x = x + a
            h2 = layer_norm(x, P[p + "post_attention_layernorm.weight"], P[p + "post_attention_layernorm.bias"], eps)
            x = x + mlp(h2)
    x = layer_norm(x, P["gpt_neox.final_layer_norm.weight"], P["gpt_neox.final_layer_norm.bias"], eps)
    head = P["gpt_neox.embed_in.weight"] if cfg.get("tie_word_embeddings") else P["embed_out.weight"]
    return torch.matmul(x, head.t()), x, new_past


def phi3_forward(cfg, P, ids, attention_mask=None, position_ids=None, past=None):
    """Phi-3: fused qkv_proj rows [q | k | v], fused gate_up_proj rows [gate | up], partial rotary, sliding window."""
    B, T = ids.shape
    L, nh, nkv, C = (cfg["num_hidden_layers"], cfg["num_attention_heads"],
                     cfg["num_key_value_heads"], cfg["hidden_size"])
    hd = C // nh
    rot = int(hd * cfg.get("partial_rotary_factor", 1.0))
    I = cfg["intermediate_size"]
    eps = cfg["rms_norm_eps"]
    past_len = 0 if past is None else past[0][0].shape[2]
    if position_ids is None:
        position_ids = default_positions(B, T, past_len, attention_mask)
    assert cfg.get("rope_scaling") is None
    inv_freq = rope_inv_freq(rot, cfg["rope_theta"])
    mask = build_mask(B, T, past_len, attention_mask, window=cfg.get("sliding_window"))
    scale = 1.0 / math.sqrt(hd)
    x = P["model.embed_tokens.weight"][ids]
    new_past = []
    for i in range(L):
        p = "model.layers.%d." % i
        h = rms_norm(x, P[p + "input_layernorm.weight"], eps)
        qkv = linear(h, P[p + "self_attn.qkv_proj.weight"])
        q = split_heads(qkv[..., :nh * hd], nh)
        k = split_heads(qkv[..., nh * hd:(nh + nkv) * hd], nkv)
        v = split_heads(qkv[..., (nh + nkv) * hd:], nkv)
        q = torch.cat((apply_rope(q[..., :rot], position_ids, inv_freq), q[..., rot:]), dim=-1)
        k = torch.cat((apply_rope(k[..., :rot], position_ids, inv_freq), k[..., rot:]), dim=-1)
        k, v = _cache(past, i, k, v)
        new_past.append((k, v))
        a = attention(q, repeat_kv(k, nh // nkv), repeat_kv(v, nh // nkv), mask, scale)
        x = x + linear(merge_heads(a), P[p + "self_attn.o_proj.weight"])
        h = rms_norm(x, P[p + "post_attention_layernorm.weight"], eps)
        gu = linear(h, P[p + "mlp.gate_up_proj.weight"])
        x = x + linear(F.silu(gu[..., :I]) * gu[..., I:], P[p + "mlp.down_proj.weight"])
    x = rms_norm(x, P["model.norm.weight"], eps)
    head = P["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else P["lm_head.weight"]
    return torch.matmul(x, head.t()), x, new_past


def gemma_rms_norm(x, w, eps):  # Gemma: gain (1 + w)
    var = x.pow(2).mean(-1, keepdim=True)
    return (x * torch.rsqrt(var + eps)) * (1.0 + w)


def gemma2_forward(cfg, P, ids, attention_mask=None, position_ids=None, past=None):
    """Gemma 2: sqrt(C)-scaled embedding, (1+w) RMSNorms around both sublayers, GeGLU (tanh GELU), scores scaled by
    query_pre_attn_scalar^-0.5 and soft-capped, sliding window on even layers, soft-capped logits, tied head."""
    B, T = ids.shape
    L, nh, nkv, C = (cfg["num_hidden_layers"], cfg["num_attention_heads"],
                     cfg["num_key_value_heads"], cfg["hidden_size"])
    hd = cfg["head_dim"]
    eps = cfg["rms_norm_eps"]
    assert cfg["hidden_activation"] == "gelu_pytorch_tanh"
    past_len = 0 if past is None else past[0][0].shape[2]
    if position_ids is None:
        position_ids = default_positions(B, T, past_len, attention_mask)
    inv_freq = rope_inv_freq(hd, cfg["rope_theta"])
    full_mask = build_mask(B, T, past_len, attention_mask)
    window_mask = build_mask(B, T, past_len, attention_mask, window=cfg["sliding_window"])
    scale = cfg["query_pre_attn_scalar"] ** -0.5
    emb = P["model.embed_tokens.weight"]
    x = emb[ids] * torch.tensor(math.sqrt(C), dtype=emb.dtype)
    new_past = []
    for i in range(L):
        p = "model.layers.%d." % i
        h = gemma_rms_norm(x, P[p + "input_layernorm.weight"], eps)
        q = split_heads(linear(h, P[p + "self_attn.q_proj.weight"]), nh)
        k = split_heads(linear(h, P[p + "self_attn.k_proj.weight"]), nkv)
        v = split_heads(linear(h, P[p + "self_attn.v_proj.weight"]), nkv)
        q = apply_rope(q, position_ids, inv_freq)
        k = apply_rope(k, position_ids, inv_freq)
        k, v = _cache(past, i, k, v)
        new_past.append((k, v))
        mask = window_mask if i % 2 == 0 else full_mask
        a = attention(q, repeat_kv(k, nh // nkv), repeat_kv(v, nh // nkv), mask, scale, cfg["attn_logit_softcapping"])
        a = linear(merge_heads(a), P[p + "self_attn.o_proj.weight"])
        x = x + gemma_rms_norm(a, P[p + "post_attention_layernorm.weight"], eps)
        h = gemma_rms_norm(x, P[p + "pre_feedforward_layernorm.weight"], eps)
        h = gelu_new(linear(h, P[p + "mlp.gate_proj.weight"])) * linear(h, P[p + "mlp.up_proj.weight"])
        h = linear(h, P[p + "mlp.down_proj.weight"])
        x = x + gemma_rms_norm(h, P[p + "post_feedforward_layernorm.weight"], eps)
    x = gemma_rms_norm(x, P["model.norm.weight"], eps)
    logits = torch.matmul(x, emb.t())
    cap = cfg["final_logit_softcapping"]
    if cap is not None:
        logits = cap * torch.tanh(logits / cap)
    return logits, x, new_past


FORWARDS = {"gpt2": gpt2_forward, "llama": llama_forward, "qwen2": llama_forward, "gpt_neox": neox_forward,
            "mistral": llama_forward, "qwen3": llama_forward, "phi3": phi3_forward, "gemma2": gemma2_forward}


def forward(cfg, P, ids, **kw):
    return FORWARDS[cfg["model_type"]](cfg, P, ids, **kw)
