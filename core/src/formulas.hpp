// The counting formulas, in one place. Each is derived in core/FORMULAS.md;
// the section is named next to it.
#pragma once

#include <cstdint>

#include "llmcalc/error.hpp"
#include "llmcalc/model.hpp"

namespace llmcalc::detail {

// Exact int64 arithmetic; a model whose counts do not fit is rejected.
inline std::int64_t mul(std::int64_t a, std::int64_t b) {
    std::int64_t r;
    if (__builtin_mul_overflow(a, b, &r)) {
        throw Error(ErrorCode::out_of_range, "config: the model is too large: a parameter count exceeds 2^63");
    }
    return r;
}
inline std::int64_t add(std::int64_t a, std::int64_t b) {
    std::int64_t r;
    if (__builtin_add_overflow(a, b, &r)) {
        throw Error(ErrorCode::out_of_range, "config: the model is too large: a parameter count exceeds 2^63");
    }
    return r;
}

// Parameters of ONE layer of a kind, by what they are (FORMULAS.md §2 "Parameters").
struct LayerParams {
    std::int64_t attn_matrix = 0;    // mixer matrices: Wq, Wk, Wv, Wo; MLA down/up projections; linear mixer
    std::int64_t attn_bias = 0;      // their biases
    std::int64_t attn_other = 0;     // attention sinks
    std::int64_t ssm_matrix = 0;     // Mamba in/x/dt/out projections
    std::int64_t ssm_other = 0;      // Mamba conv weights and biases, A, D, dt bias, projection biases
    std::int64_t norms = 0;          // the layer's norms (weights + biases), q/k norms, MLA latent norms
    std::int64_t ffn_matrix = 0;     // dense FFN matrices (or the linear replacement)
    std::int64_t ffn_bias = 0;
    std::int64_t router = 0;         // Wr (h x E) with its bias and routing-correction bias
    std::int64_t expert_matrix = 0;  // ONE routed expert's matrices
    std::int64_t expert_bias = 0;    // ONE routed expert's biases
    std::int64_t shared_matrix = 0;  // shared expert matrices
    std::int64_t shared_gate = 0;    // shared-expert gate (h x 1)
};

inline std::int64_t norm_params(const ModelSpec& m, std::int64_t width) {
    // RMSNorm: a weight per channel; LayerNorm: weight and bias.
    return m.norm_bias ? mul(2, width) : width;
}
inline std::int64_t norm_params(const ModelSpec& m) { return norm_params(m, m.hidden_size); }

inline std::int64_t ffn_matrix_params(std::int64_t h, std::int64_t width, bool gated) {
    // gated: gate, up (h x w each) and down (w x h); plain: up and down.
    return mul(mul(gated ? 3 : 2, h), width);
}

inline std::int64_t ffn_bias_params(std::int64_t h, std::int64_t width, bool gated) {
    return add(mul(gated ? 2 : 1, width), h);
}

inline int layer_norm_count(const LayerKind& k) {
    return (k.mixer != MixerKind::none ? k.mixer_norms : 0) + (k.ffn.kind != FfnKind::none ? k.ffn_norms : 0);
}

inline LayerParams layer_params(const ModelSpec& m, const LayerKind& k) {
    LayerParams p;
    const std::int64_t h = m.hidden_size;
    const AttentionSpec& a = k.attention;
    switch (k.mixer) {
        case MixerKind::attention: {
            const std::int64_t q = a.q_dim(), kv = a.kv_dim(), v = a.v_dim(), o = a.o_in();
            // Wq: h x q, Wk: h x kv, Wv: h x v, Wo: o x h
            p.attn_matrix = add(mul(h, add(q, add(kv, v))), mul(o, h));
            if (a.qkv_bias) p.attn_bias = add(p.attn_bias, add(q, add(kv, v)));
            if (a.o_bias) p.attn_bias = add(p.attn_bias, h);
            if (a.sinks) p.attn_other = a.num_heads;
            p.norms = add(p.norms, a.qk_norm_params);
            break;
        }
        case MixerKind::mla: {
            // FORMULAS.md §2.2: DeepSeek-V2/V3 multi-head latent attention.
            const std::int64_t nh = a.num_heads, qk = add(a.qk_nope_head_dim, a.qk_rope_head_dim);
            const std::int64_t v = a.v_head_dim;
            if (a.q_lora_rank > 0) {
                p.attn_matrix = add(mul(h, a.q_lora_rank), mul(a.q_lora_rank, mul(nh, qk)));  // q_a, q_b
                p.norms = add(p.norms, a.q_lora_rank);                                        // q_a_layernorm
                if (a.qkv_bias) p.attn_bias = add(p.attn_bias, a.q_lora_rank);
            } else {
                p.attn_matrix = mul(h, mul(nh, qk));  // q_proj
            }
            p.attn_matrix = add(p.attn_matrix, mul(h, add(a.kv_lora_rank, a.qk_rope_head_dim)));       // kv_a (latent + rope key)
            p.attn_matrix = add(p.attn_matrix, mul(a.kv_lora_rank, mul(nh, add(a.qk_nope_head_dim, v))));  // kv_b
            p.attn_matrix = add(p.attn_matrix, mul(mul(nh, v), h));                                   // o
            p.norms = add(p.norms, a.kv_lora_rank);                                                    // kv_a_layernorm
            if (a.qkv_bias) p.attn_bias = add(p.attn_bias, add(a.kv_lora_rank, a.qk_rope_head_dim));
            if (a.o_bias) p.attn_bias = add(p.attn_bias, h);
            if (a.sparse_topk > 0) {
                // indexer: wq_b (q_lora x heads·dim), wk (h x dim), weights_proj (h x heads), k_norm (LayerNorm)
                const std::int64_t ql = a.q_lora_rank > 0 ? a.q_lora_rank : h;
                p.attn_matrix = add(p.attn_matrix, add(mul(ql, mul(a.index_heads, a.index_head_dim)),
                                                       add(mul(h, a.index_head_dim), mul(h, a.index_heads))));
                p.norms = add(p.norms, mul(2, a.index_head_dim));
            }
            break;
        }
        case MixerKind::mamba:
        case MixerKind::mamba2: {
            // FORMULAS.md §2.3: HF MambaMixer / Mamba2Mixer.
            const SsmSpec& s = k.ssm;
            const bool v2 = k.mixer == MixerKind::mamba2;
            const std::int64_t di = s.d_inner, N = s.d_state, conv = s.conv_dim(v2);
            const std::int64_t in_width = v2 ? add(mul(2, di), add(mul(2, mul(s.n_groups, N)), s.n_heads)) : mul(2, di);
            p.ssm_matrix = add(mul(h, in_width), mul(di, h));                 // in_proj, out_proj
            p.ssm_other = add(mul(conv, s.d_conv), s.conv_bias ? conv : 0);   // depthwise conv1d
            if (s.proj_bias) p.ssm_other = add(p.ssm_other, add(in_width, h));
            if (v2) {
                p.ssm_other = add(p.ssm_other, mul(3, s.n_heads));  // dt_bias, A_log, D
                if (s.gated_norm) p.norms = add(p.norms, di);
            } else {
                p.ssm_matrix = add(p.ssm_matrix, add(mul(di, add(s.dt_rank, mul(2, N))), mul(s.dt_rank, di)));  // x_proj, dt_proj
                p.ssm_other = add(p.ssm_other, add(di, add(mul(di, N), di)));  // dt_proj bias, A_log, D
                if (s.inner_norms) p.norms = add(p.norms, add(s.dt_rank, mul(2, N)));
            }
            break;
        }
        case MixerKind::linear: p.attn_matrix = mul(h, h); break;
        case MixerKind::none: break;
    }
    p.norms = add(p.norms, mul(layer_norm_count(k), norm_params(m)));
    const FfnSpec& f = k.ffn;
    if (f.kind == FfnKind::dense) {
        p.ffn_matrix = ffn_matrix_params(h, f.intermediate, f.gated);
        if (f.bias) p.ffn_bias = ffn_bias_params(h, f.intermediate, f.gated);
    } else if (f.kind == FfnKind::linear) {
        p.ffn_matrix = mul(h, h);
    } else if (f.kind == FfnKind::moe) {
        p.router = mul(h, f.num_experts);
        if (f.router_bias) p.router = add(p.router, f.num_experts);
        if (f.score_correction_bias) p.router = add(p.router, f.num_experts);
        p.expert_matrix = ffn_matrix_params(h, f.expert_intermediate, f.gated);
        if (f.bias) p.expert_bias = ffn_bias_params(h, f.expert_intermediate, f.gated);
        if (f.shared_intermediate > 0) {
            p.shared_matrix = ffn_matrix_params(h, f.shared_intermediate, f.gated);
            if (f.shared_expert_gate) p.shared_gate = h;
        }
    }
    return p;
}

inline std::int64_t layer_total(const LayerParams& p, std::int64_t experts) {
    std::int64_t t = add(p.attn_matrix, add(p.attn_bias, p.attn_other));
    t = add(t, add(p.ssm_matrix, p.ssm_other));
    t = add(t, add(p.norms, add(p.ffn_matrix, p.ffn_bias)));
    t = add(t, add(p.router, mul(experts, add(p.expert_matrix, p.expert_bias))));
    return add(t, add(p.shared_matrix, p.shared_gate));
}

// FLOPs of one elementwise activation per element (FORMULAS.md §3 "Elementwise costs").
inline double activation_flops(Activation a) {
    switch (a) {
        case Activation::silu: return 4;       // x / (1 + exp(-x)): neg, exp, add, div
        case Activation::gelu: return 8;       // erf form, erf counted as one op after 3 for scaling
        case Activation::gelu_tanh: return 9;  // 0.5x(1+tanh(c(x+0.044715x^3)))
        case Activation::relu: return 1;
        case Activation::relu2: return 2;      // relu then square
    }
    return 4;
}

constexpr double kRmsNormFlopsPerElement = 4;    // square, accumulate, scale by 1/rms, times weight
constexpr double kLayerNormFlopsPerElement = 7;  // mean, subtract, square, accumulate, scale, weight, bias
constexpr double kSoftmaxFlopsPerElement = 5;    // scale, max, subtract+exp (1), sum, divide
constexpr double kRopeFlopsPerElement = 3;       // x*cos + rotate(x)*sin: 2 multiplies, 1 add

}  // namespace llmcalc::detail
