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
    std::int64_t attn_matrix = 0;    // Wq, Wk, Wv, Wo
    std::int64_t attn_bias = 0;      // bq, bk, bv, bo
    std::int64_t qk_norm = 0;        // q_norm, k_norm weights
    std::int64_t norms = 0;          // the layer's two norms (weights + biases)
    std::int64_t ffn_matrix = 0;     // dense FFN matrices
    std::int64_t ffn_bias = 0;
    std::int64_t router = 0;         // Wr (h x E)
    std::int64_t expert_matrix = 0;  // ONE routed expert's matrices
    std::int64_t expert_bias = 0;    // ONE routed expert's biases
    std::int64_t shared_matrix = 0;  // shared expert matrices
    std::int64_t shared_gate = 0;    // shared-expert gate (h x 1)
};

inline std::int64_t norm_params(const ModelSpec& m) {
    // RMSNorm: a weight per channel; LayerNorm: weight and bias.
    return m.norm_bias ? mul(2, m.hidden_size) : m.hidden_size;
}

inline std::int64_t ffn_matrix_params(std::int64_t h, std::int64_t width, bool gated) {
    // gated: gate, up (h x w each) and down (w x h); plain: up and down.
    return mul(mul(gated ? 3 : 2, h), width);
}

inline std::int64_t ffn_bias_params(std::int64_t h, std::int64_t width, bool gated) {
    return add(mul(gated ? 2 : 1, width), h);
}

inline LayerParams layer_params(const ModelSpec& m, const LayerKind& k) {
    LayerParams p;
    const std::int64_t h = m.hidden_size;
    const AttentionSpec& a = k.attention;
    if (a.kind == AttentionKind::standard) {
        const std::int64_t q = mul(a.num_heads, a.head_dim);
        const std::int64_t kv = mul(a.num_kv_heads, a.head_dim);
        // Wq: h x q, Wk, Wv: h x kv, Wo: q x h
        p.attn_matrix = add(mul(h, add(q, mul(2, kv))), mul(q, h));
        if (a.qkv_bias) p.attn_bias = add(p.attn_bias, add(q, mul(2, kv)));
        if (a.o_bias) p.attn_bias = add(p.attn_bias, h);
        if (a.qk_norm) p.qk_norm = mul(2, a.head_dim);
        p.norms = add(p.norms, norm_params(m));
    }
    const FfnSpec& f = k.ffn;
    if (f.kind != FfnKind::none) p.norms = add(p.norms, norm_params(m));
    if (f.kind == FfnKind::dense) {
        p.ffn_matrix = ffn_matrix_params(h, f.intermediate, f.gated);
        if (f.bias) p.ffn_bias = ffn_bias_params(h, f.intermediate, f.gated);
    } else if (f.kind == FfnKind::moe) {
        p.router = mul(h, f.num_experts);
        p.expert_matrix = ffn_matrix_params(h, f.expert_intermediate, f.gated);
        if (f.bias) p.expert_bias = ffn_bias_params(h, f.expert_intermediate, f.gated);
        if (f.shared_intermediate > 0) {
            p.shared_matrix = ffn_matrix_params(h, f.shared_intermediate, f.gated);
            if (f.shared_expert_gate) p.shared_gate = h;
        }
    }
    return p;
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
