// The per-operator analysis (FORMULAS.md §3-§6).
#include "llmcalc/analysis.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "formulas.hpp"
#include "json_reader.hpp"

namespace llmcalc {

namespace {

using detail::check_range;

constexpr std::int64_t kMaxTokens = 1'000'000'000;   // per query, cached or new
constexpr std::int64_t kMaxBatch = 1'000'000;
constexpr std::size_t kMaxQueries = 4096;

double gemm_flops(double m, double n, double k, FlopConvention c) {
    // FORMULAS.md §3.1: a multiply and an add per (m, n, k), or k multiplies and k-1 adds per output.
    return c == FlopConvention::two_mnk ? 2.0 * m * n * k : m * n * (2.0 * k - 1.0);
}

// Attention work of one layer kind over the whole batch (FORMULAS.md §3.3).
struct AttentionWork {
    double pairs = 0;          // (query token, key) pairs scored, per head
    double keys_read = 0;      // K (or V) vectors read from the cache, per kv head
    double stored_tokens = 0;  // tokens held in this layer's cache after the step
    double full_pairs = 0;     // causal pairs over the whole context (the sparse-attention indexer)
    double full_keys = 0;      // keys of the whole context
};

// Σ_{p=a}^{b} min(p, w) for 1 <= a <= b, w > 0: causal pairs under a sliding window.
double sum_min(double a, double b, double w) {
    if (b <= w) return (a + b) * (b - a + 1) / 2;
    if (a > w) return (b - a + 1) * w;
    return (a + w) * (w - a + 1) / 2 + (b - w) * w;
}

// Σ_{p=1}^{n} (((p−1) mod C) + 1): causal pairs when attention restarts every C tokens.
double chunk_prefix(double n, double C) {
    const double q = std::floor(n / C), r = n - q * C;
    return q * C * (C + 1) / 2 + r * (r + 1) / 2;
}

AttentionWork attention_work(const Workload& wl, const AttentionSpec& at, CausalConvention causal) {
    AttentionWork w;
    const double win = static_cast<double>(at.window);
    const double chunk = static_cast<double>(at.chunk);
    const double topk = static_cast<double>(at.sparse_topk);
    for (const Query& q : wl.queries) {
        const double c = static_cast<double>(q.cached_tokens);
        const double n = static_cast<double>(q.new_tokens);
        const double ctx = c + n;
        const double causal_full = n * c + n * (n + 1) / 2;
        double span = ctx, stored = ctx, tri = causal_full;
        if (at.window > 0) {
            span = std::min(ctx, win + n - 1);  // keys any new token can see
            stored = std::min(ctx, win);        // a rolling buffer keeps the last `window`
            tri = sum_min(c + 1, ctx, win);     // token at position p sees min(p, window) keys
        } else if (at.chunk > 0) {
            const double chunk_start = std::floor(c / chunk) * chunk;  // 0-based start of the first new token's chunk
            span = ctx - chunk_start;
            stored = ctx - std::floor((ctx - 1) / chunk) * chunk;      // the current chunk
            tri = chunk_prefix(ctx, chunk) - chunk_prefix(c, chunk);
        } else if (at.sparse_topk > 0) {
            span = std::min(ctx, n * topk);     // the selected keys (all of them for a long prefill)
            tri = sum_min(c + 1, ctx, topk);    // each token attends to min(p, topk) keys
        }
        w.pairs += causal == CausalConvention::triangle ? tri : n * span;
        w.keys_read += span;
        w.stored_tokens += stored;
        w.full_pairs += causal == CausalConvention::triangle ? causal_full : n * ctx;
        w.full_keys += ctx;
    }
    const double b = static_cast<double>(wl.batch_size);
    w.pairs *= b;
    w.keys_read *= b;
    w.stored_tokens *= b;
    w.full_pairs *= b;
    w.full_keys *= b;
    return w;
}

struct Builder {
    const ModelSpec& m;
    const ResolvedPrecision& p;
    const Options& o;
    std::vector<OpCost>& ops;
    double T = 0;  // tokens processed this step
    double a = 0;  // bytes per activation

    double linear_bits(double weight_bits) const {
        return p.linear_compute_bits > 0 ? p.linear_compute_bits : std::max(weight_bits, p.activation_bits);
    }

    OpCost& push(const char* name, int kind, OpGroup group, std::int64_t count) {
        ops.emplace_back();
        OpCost& op = ops.back();
        op.name = name;
        op.layer_kind = kind;
        op.group = group;
        op.count = count;
        return op;
    }

    // A linear layer on `rows` rows: x (rows x k) · W (k x n) [+ b].
    OpCost& linear(const char* name, int kind, OpGroup group, std::int64_t count, double rows, double k, double n,
                   double weight_bits, double bias_params, double weight_rows_read = -1) {
        OpCost& op = push(name, kind, group, count);
        op.is_matmul = true;
        op.compute = compute_class_for_bits(linear_bits(weight_bits));
        op.flops = gemm_flops(rows, n, k, o.flops) + rows * bias_params;  // bias: one add per output
        const double matrices = weight_rows_read < 0 ? 1 : weight_rows_read;  // distinct experts read
        op.weight_bytes = matrices * k * n * weight_bits / 8 + matrices * bias_params * p.other_weight_bits / 8;
        op.input_bytes = rows * k * a;
        op.output_bytes = rows * n * a;
        return op;
    }

    OpCost& norm(const char* name, int kind, OpGroup group, std::int64_t count, double rows, double width) {
        OpCost& op = push(name, kind, group, count);
        const double per = m.norm == NormKind::layer_norm ? detail::kLayerNormFlopsPerElement
                                                          : detail::kRmsNormFlopsPerElement;
        op.flops = rows * width * per;
        op.weight_bytes = static_cast<double>(detail::norm_params(m, static_cast<std::int64_t>(width))) * p.other_weight_bits / 8;
        op.input_bytes = rows * width * a;
        op.output_bytes = rows * width * a;
        return op;
    }

    OpCost& residual(const char* name, int kind, OpGroup group, std::int64_t count) {
        OpCost& op = push(name, kind, group, count);
        const double h = static_cast<double>(m.hidden_size);
        op.flops = T * h;
        op.input_bytes = 2 * T * h * a;
        op.output_bytes = T * h * a;
        return op;
    }

    // act(gate) * up, or act(up), over rows x width.
    OpCost& activation(const char* name, int kind, std::int64_t count, double rows, double width, const FfnSpec& f) {
        OpCost& op = push(name, kind, OpGroup::ffn, count);
        op.flops = rows * width * (detail::activation_flops(f.activation) + (f.gated ? 1 : 0));
        op.input_bytes = rows * width * (f.gated ? 2 : 1) * a;
        op.output_bytes = rows * width * a;
        return op;
    }

    void dense_ffn(const char* up_name, const char* act_name, const char* down_name, int kind, std::int64_t count,
                   const FfnSpec& f, double width, double rows, double weight_bits) {
        const double h = static_cast<double>(m.hidden_size);
        const double up_n = (f.gated ? 2 : 1) * width;
        linear(up_name, kind, OpGroup::ffn, count, rows, h, up_n, weight_bits, f.bias ? up_n : 0);
        activation(act_name, kind, count, rows, width, f);
        linear(down_name, kind, OpGroup::ffn, count, rows, width, h, weight_bits, f.bias ? h : 0);
    }

    // Norms around a sublayer (FORMULAS.md §3.2): pre-norm, post-norm, or both.
    void norms_before(const char* name, int kind, OpGroup g, std::int64_t count, const LayerKind& k, int norms) {
        if (norms > 0 && !k.post_norm_only) norm(name, kind, g, count, T, static_cast<double>(m.hidden_size));
    }
    void norms_after(const char* name, int kind, OpGroup g, std::int64_t count, const LayerKind& k, int norms) {
        if ((norms > 1 || (norms > 0 && k.post_norm_only))) norm(name, kind, g, count, T, static_cast<double>(m.hidden_size));
    }

    void attention_core(int kind, std::int64_t count, const AttentionSpec& at, const AttentionWork& work,
                        double score_dim, double value_dim, double kv_key_bytes, double kv_value_bytes, double heads) {
        const bool unfused = o.attention == AttentionImpl::unfused;
        const ComputeClass attn_class = compute_class_for_bits(std::max(p.activation_bits, p.kv_cache_bits));
        const double nh = heads;
        {
            OpCost& op = push("attn_scores", kind, OpGroup::attention, count);
            op.is_matmul = true;
            op.compute = attn_class;
            op.flops = o.flops == FlopConvention::two_mnk ? nh * work.pairs * 2 * score_dim : nh * work.pairs * (2 * score_dim - 1);
            if (at.position == PositionKind::alibi) op.flops += nh * work.pairs;  // + the linear bias per score
            op.input_bytes = T * nh * score_dim * a;
            op.kv_read_bytes = work.keys_read * kv_key_bytes;
            op.output_bytes = unfused ? nh * work.pairs * a : 0;
        }
        {
            OpCost& op = push("softmax", kind, OpGroup::attention, count);
            op.flops = nh * work.pairs * detail::kSoftmaxFlopsPerElement;
            op.input_bytes = unfused ? nh * work.pairs * a : 0;
            op.output_bytes = unfused ? nh * work.pairs * a : 0;
        }
        {
            OpCost& op = push("attn_v", kind, OpGroup::attention, count);
            op.is_matmul = true;
            op.compute = attn_class;
            op.flops = o.flops == FlopConvention::two_mnk ? nh * value_dim * 2 * work.pairs
                                                          : nh * value_dim * (2 * work.pairs - T);
            op.input_bytes = unfused ? nh * work.pairs * a : 0;
            op.kv_read_bytes = work.keys_read * kv_value_bytes;
            op.output_bytes = T * nh * value_dim * a;
        }
    }

    void rope(int kind, std::int64_t count, double width) {
        OpCost& op = push("rope", kind, OpGroup::attention, count);
        op.flops = T * width * detail::kRopeFlopsPerElement;
        op.input_bytes = T * width * a;
        op.output_bytes = T * width * a;
    }

    void attention(int kind, std::int64_t count, const AttentionSpec& at, const AttentionWork& work) {
        const double h = static_cast<double>(m.hidden_size);
        const double q = static_cast<double>(at.q_dim());
        const double kv = static_cast<double>(at.kv_dim());
        const double v = static_cast<double>(at.v_dim());
        const double d = static_cast<double>(at.head_dim);
        const double kvb = p.kv_cache_bits / 8;
        linear("qkv_proj", kind, OpGroup::attention, count, T, h, q + kv + v, p.attention_weight_bits,
               at.qkv_bias ? q + kv + v : 0);
        if (at.qk_norm) {
            OpCost& op = norm("qk_norm", kind, OpGroup::attention, count, T, q + kv);
            op.flops = T * (q + kv) * detail::kRmsNormFlopsPerElement;
            op.weight_bytes = static_cast<double>(at.qk_norm_params) * p.other_weight_bits / 8;
        }
        if (at.position == PositionKind::rope && at.rotary_fraction > 0) rope(kind, count, (q + kv) * at.rotary_fraction);
        {
            OpCost& op = push("kv_cache_write", kind, OpGroup::attention, count);
            op.input_bytes = T * (kv + v) * a;
            op.kv_write_bytes = T * (kv + v) * kvb;
        }
        const double vd = static_cast<double>(at.v_head_dim ? at.v_head_dim : at.head_dim);
        attention_core(kind, count, at, work, d, vd, kv * kvb, v * kvb, static_cast<double>(at.num_heads));
        linear("o_proj", kind, OpGroup::attention, count, T, static_cast<double>(at.o_in()), h, p.attention_weight_bits,
               at.o_bias ? h : 0);
    }

    // Multi-head latent attention (FORMULAS.md §3.6).
    void mla(int kind, std::int64_t count, const AttentionSpec& at, const AttentionWork& work, bool absorbed) {
        const double h = static_cast<double>(m.hidden_size);
        const double nh = static_cast<double>(at.num_heads);
        const double nope = static_cast<double>(at.qk_nope_head_dim), rope_d = static_cast<double>(at.qk_rope_head_dim);
        const double kvl = static_cast<double>(at.kv_lora_rank), v = static_cast<double>(at.v_head_dim);
        const double ql = static_cast<double>(at.q_lora_rank);
        const double kvb = p.kv_cache_bits / 8;
        const double wb = p.attention_weight_bits;
        if (at.q_lora_rank > 0) {
            linear("q_a_proj", kind, OpGroup::attention, count, T, h, ql, wb, at.qkv_bias ? ql : 0);
            norm("q_a_norm", kind, OpGroup::attention, count, T, ql).weight_bytes = ql * p.other_weight_bits / 8;
            linear("q_b_proj", kind, OpGroup::attention, count, T, ql, nh * (nope + rope_d), wb, 0);
        } else {
            linear("q_proj", kind, OpGroup::attention, count, T, h, nh * (nope + rope_d), wb, 0);
        }
        linear("kv_a_proj", kind, OpGroup::attention, count, T, h, kvl + rope_d, wb, at.qkv_bias ? kvl + rope_d : 0);
        norm("kv_a_norm", kind, OpGroup::attention, count, T, kvl).weight_bytes = kvl * p.other_weight_bits / 8;
        rope(kind, count, nh * rope_d + rope_d);
        {
            OpCost& op = push("kv_cache_write", kind, OpGroup::attention, count);
            op.input_bytes = T * (kvl + rope_d) * a;
            op.kv_write_bytes = T * (kvl + rope_d) * kvb;
        }
        if (at.sparse_topk > 0) {
            // DeepSeek sparse attention indexer: its projections, then scores of every key in the context.
            const double ni = static_cast<double>(at.index_heads), di = static_cast<double>(at.index_head_dim);
            const double q_in = at.q_lora_rank > 0 ? ql : h;
            OpCost& proj = linear("indexer_proj", kind, OpGroup::attention, count, T, 0, 0, wb, 0);
            proj.flops = gemm_flops(T, ni * di, q_in, o.flops) + gemm_flops(T, di, h, o.flops) + gemm_flops(T, ni, h, o.flops);
            proj.weight_bytes = (q_in * ni * di + h * di + h * ni) * wb / 8;
            proj.input_bytes = T * (q_in + h) * a;
            proj.output_bytes = T * (ni * di + di + ni) * a;
            proj.kv_write_bytes = T * di * kvb;
            OpCost& sc = push("indexer_scores", kind, OpGroup::attention, count);
            sc.is_matmul = true;
            sc.compute = compute_class_for_bits(std::max(p.activation_bits, p.kv_cache_bits));
            sc.flops = ni * work.full_pairs * 2 * di + work.full_pairs * ni * 2;  // q·k per head, weighted sum over heads
            sc.input_bytes = T * ni * di * a;
            sc.kv_read_bytes = work.full_keys * di * kvb;
        }
        const double latent = (kvl + rope_d) * kvb;
        if (absorbed) {
            // W_UK folded into the query, W_UV applied after attention: attention runs on the latent.
            // q_absorb / v_absorb: per head, T rows times that head's slice of W_UK / W_UV (nh slices in all)
            linear("q_absorb", kind, OpGroup::attention, count, T * nh, nope, kvl, wb, 0).weight_bytes = kvl * nh * nope * wb / 8;
            attention_core(kind, count, at, work, kvl + rope_d, kvl, latent, 0, nh);
            linear("v_absorb", kind, OpGroup::attention, count, T * nh, kvl, v, wb, 0).weight_bytes = kvl * nh * v * wb / 8;
        } else {
            // Decompress keys and values of every key read from the latent cache.
            linear("kv_b_proj", kind, OpGroup::attention, count, work.keys_read, kvl, nh * (nope + v), wb, 0);
            attention_core(kind, count, at, work, nope + rope_d, v, latent, 0, nh);
        }
        linear("o_proj", kind, OpGroup::attention, count, T, nh * v, h, wb, at.o_bias ? h : 0);
    }

    // Mamba / Mamba-2 (FORMULAS.md §3.7). `seqs` sequences each carry a recurrent state.
    void ssm(int kind, std::int64_t count, const SsmSpec& s, bool v2, double seqs) {
        const double h = static_cast<double>(m.hidden_size);
        const double di = static_cast<double>(s.d_inner), N = static_cast<double>(s.d_state);
        const double conv = static_cast<double>(s.conv_dim(v2)), K = static_cast<double>(s.d_conv);
        const double G = static_cast<double>(s.n_groups), H = static_cast<double>(s.n_heads);
        const double sb = p.kv_cache_bits / 8;  // states are held at the KV-cache precision
        const double wb = p.attention_weight_bits;
        const double in_w = v2 ? 2 * di + 2 * G * N + H : 2 * di;
        linear("ssm_in_proj", kind, OpGroup::attention, count, T, h, in_w, wb, s.proj_bias ? in_w : 0);
        {
            OpCost& op = push("ssm_conv1d", kind, OpGroup::attention, count);
            op.flops = T * conv * 2 * K + (s.conv_bias ? T * conv : 0) + T * conv * detail::activation_flops(Activation::silu);
            op.weight_bytes = conv * (K + (s.conv_bias ? 1 : 0)) * p.other_weight_bits / 8;
            op.input_bytes = T * conv * a;
            op.output_bytes = T * conv * a;
            op.kv_read_bytes = seqs * conv * (K - 1) * sb;   // the conv state
            op.kv_write_bytes = seqs * conv * (K - 1) * sb;
        }
        if (!v2) {
            const double r = static_cast<double>(s.dt_rank);
            linear("ssm_x_proj", kind, OpGroup::attention, count, T, di, r + 2 * N, wb, 0);
            linear("ssm_dt_proj", kind, OpGroup::attention, count, T, r, di, wb, di);
        }
        {
            OpCost& op = push("ssm_scan", kind, OpGroup::attention, count);
            // per (token, channel, state): exp(Δ·A) 2, Δ·B·x 2, state update 2, C·h 2; + D·x skip per channel
            op.flops = T * di * N * 8 + T * di * 2;
            op.weight_bytes = (v2 ? 3 * H : di * N + di) * p.other_weight_bits / 8;
            op.input_bytes = T * (di + (v2 ? H : di) + 2 * (v2 ? G : 1) * N) * a;
            op.output_bytes = T * di * a;
            op.kv_read_bytes = seqs * di * N * sb;  // the recurrent state, read and written once per step
            op.kv_write_bytes = seqs * di * N * sb;
        }
        {
            OpCost& op = push(v2 ? "ssm_gated_norm" : "ssm_gate", kind, OpGroup::attention, count);
            op.flops = T * di * (detail::activation_flops(Activation::silu) + 1 + (v2 && s.gated_norm ? detail::kRmsNormFlopsPerElement : 0));
            op.weight_bytes = (v2 && s.gated_norm ? di : 0) * p.other_weight_bits / 8;
            op.input_bytes = 2 * T * di * a;
            op.output_bytes = T * di * a;
        }
        linear("ssm_out_proj", kind, OpGroup::attention, count, T, di, h, wb, s.proj_bias ? h : 0);
    }

    void moe(int kind, std::int64_t count, const FfnSpec& f) {
        const double h = static_cast<double>(m.hidden_size);
        const double E = static_cast<double>(f.num_experts);
        const double k = static_cast<double>(f.experts_per_token);
        const double shared_gate = f.shared_expert_gate ? 1 : 0;
        {
            OpCost& op = linear("router", kind, OpGroup::ffn, count, T, h, E + shared_gate, p.other_weight_bits,
                                f.router_bias ? E : 0);
            op.flops += T * E * detail::kSoftmaxFlopsPerElement;  // routing softmax / top-k
            if (f.score_correction_bias) op.weight_bytes += E * p.other_weight_bits / 8;
        }
        // FORMULAS.md §3.5: expected distinct experts hit by T tokens choosing k of E uniformly.
        const double touched = (k >= E) ? E : E * (1 - std::exp(T * std::log1p(-k / E)));
        const double routed = T * k;
        const double width = static_cast<double>(f.expert_intermediate);
        const double up_n = (f.gated ? 2 : 1) * width;
        linear("experts_gate_up", kind, OpGroup::ffn, count, routed, h, up_n, p.ffn_weight_bits, f.bias ? up_n : 0, touched);
        activation("experts_act_mul", kind, count, routed, width, f);
        linear("experts_down", kind, OpGroup::ffn, count, routed, width, h, p.ffn_weight_bits, f.bias ? h : 0, touched);
        if (f.shared_intermediate > 0) {
            FfnSpec shared = f;
            shared.bias = false;
            dense_ffn(f.gated ? "shared_gate_up" : "shared_up", "shared_act_mul", "shared_down", kind, count, shared,
                      static_cast<double>(f.shared_intermediate), T, p.ffn_weight_bits);
        }
        OpCost& op = push("moe_combine", kind, OpGroup::ffn, count);
        const double shared = f.shared_intermediate > 0 ? 1 : 0;
        // weighted sum of k expert outputs (+ gated shared output): a multiply and an add per element
        op.flops = 2 * routed * h + shared * (2 * T * h + (f.shared_expert_gate ? 4 * T : 0));
        op.input_bytes = (routed + shared * T) * h * a;
        op.output_bytes = T * h * a;
    }
};

}  // namespace

ComputeClass compute_class_for_bits(double bits) {
    // FORMULAS.md §5: a width belongs to the narrowest unit that holds it (4.5 -> 4-bit class).
    if (bits < 5) return ComputeClass::b4;
    if (bits < 9) return ComputeClass::b8;
    if (bits < 17) return ComputeClass::b16;
    return ComputeClass::fp32;
}

const char* compute_class_name(ComputeClass c) {
    switch (c) {
        case ComputeClass::fp32: return "fp32";
        case ComputeClass::b16: return "16-bit";
        case ComputeClass::b8: return "8-bit";
        case ComputeClass::b4: return "4-bit";
        case ComputeClass::vector: return "vector";
    }
    return "";
}

double Hardware::peak(ComputeClass c) const {
    // Fall back to the next wider precision the device has a unit for.
    const double chain[] = {peak_4, peak_8, peak_16, peak_fp32};
    int start = 0;
    switch (c) {
        case ComputeClass::b4: start = 0; break;
        case ComputeClass::b8: start = 1; break;
        case ComputeClass::b16: start = 2; break;
        case ComputeClass::fp32: start = 3; break;
        case ComputeClass::vector:
            if (peak_vector > 0) return peak_vector;
            start = 3;
            break;
    }
    for (int i = start; i < 4; ++i) {
        if (chain[i] > 0) return chain[i];
    }
    for (int i = start - 1; i >= 0; --i) {  // nothing wider: the widest narrower unit
        if (chain[i] > 0) return chain[i];
    }
    return 0;
}

ResolvedPrecision resolve_precision(const ModelSpec& m, const Precision& u) {
    ResolvedPrecision r{};
    const double dt = m.dtype_bits;
    r.attention_weight_bits = u.attention_weight_bits > 0 ? u.attention_weight_bits
                              : m.quantization.attention_bits > 0 ? m.quantization.attention_bits : dt;
    r.ffn_weight_bits = u.ffn_weight_bits > 0 ? u.ffn_weight_bits
                        : m.quantization.ffn_bits > 0 ? m.quantization.ffn_bits : dt;
    r.embedding_bits = u.embedding_bits > 0 ? u.embedding_bits : dt;
    r.activation_bits = u.activation_bits > 0 ? u.activation_bits : std::max(dt, 16.0);
    r.kv_cache_bits = u.kv_cache_bits > 0 ? u.kv_cache_bits : std::max(dt, 16.0);
    r.other_weight_bits = std::max(dt, 16.0);
    r.linear_compute_bits = (m.quantization.fp8_activations && u.activation_bits <= 0) ? 8 : 0;
    return r;
}

void validate_precision(const Precision& p) {
    const struct { const char* name; double v; } fields[] = {
        {"precision.attention_weight_bits", p.attention_weight_bits},
        {"precision.ffn_weight_bits", p.ffn_weight_bits},
        {"precision.embedding_bits", p.embedding_bits},
        {"precision.activation_bits", p.activation_bits},
        {"precision.kv_cache_bits", p.kv_cache_bits},
    };
    for (const auto& f : fields) {
        if (f.v != 0) check_range(f.name, f.v, 1, 64);  // 0 = default
    }
}

void validate_options(const Options& o) {
    check_range("options.compute_efficiency", o.compute_efficiency, 1e-6, 1);
    check_range("options.bandwidth_efficiency", o.bandwidth_efficiency, 1e-6, 1);
}

void validate_workload(const Workload& w) {
    if (w.queries.empty()) {
        throw Error(ErrorCode::out_of_range, "workload.queries is empty; give at least one (cached, new) query");
    }
    if (w.queries.size() > kMaxQueries) {
        throw Error(ErrorCode::out_of_range, "workload.queries has " + std::to_string(w.queries.size()) +
                                                 " entries; at most " + std::to_string(kMaxQueries) + " are allowed");
    }
    check_range("workload.batch_size", static_cast<double>(w.batch_size), 1, kMaxBatch);
    for (std::size_t i = 0; i < w.queries.size(); ++i) {
        const std::string at = "workload.queries[" + std::to_string(i) + "]";
        check_range(at + ".cached_tokens", static_cast<double>(w.queries[i].cached_tokens), 0, kMaxTokens);
        check_range(at + ".new_tokens", static_cast<double>(w.queries[i].new_tokens), 1, kMaxTokens);
    }
}

void analyze_into(Analysis& out, const ModelSpec& m, const Workload& wl, const Precision& precision,
                  const Options& o, const Hardware* hw) {
    validate_workload(wl);
    validate_precision(precision);
    validate_options(o);
    if (m.layer_kinds.empty()) throw Error(ErrorCode::internal, "model has no layers");

    out.params = count_parameters(m);
    out.precision = resolve_precision(m, precision);
    out.ops.clear();
    out.warnings.clear();
    out.has_hardware = hw != nullptr;
    const ResolvedPrecision& p = out.precision;

    // Workload totals (exact integers: bounded by the validated ranges, < 2^63).
    WorkloadStats& ws = out.workload;
    ws = WorkloadStats{};
    std::int64_t new_per_batch = 0, ctx_per_batch = 0;
    for (const Query& q : wl.queries) {
        new_per_batch += q.new_tokens;
        ctx_per_batch += q.cached_tokens + q.new_tokens;
        ws.max_context = std::max(ws.max_context, q.cached_tokens + q.new_tokens);
    }
    ws.sequences = wl.batch_size * static_cast<std::int64_t>(wl.queries.size());
    ws.new_tokens = wl.batch_size * new_per_batch;
    ws.context_tokens = wl.batch_size * ctx_per_batch;
    ws.logit_tokens = o.lm_head == LmHeadTokens::last ? ws.sequences : ws.new_tokens;
    if (m.max_position_embeddings > 0 && ws.max_context > m.max_position_embeddings) {
        out.warnings.push_back("a sequence reaches " + std::to_string(ws.max_context) +
                               " tokens, beyond the model's max_position_embeddings (" +
                               std::to_string(m.max_position_embeddings) + ")");
    }

    Builder b{m, p, o, out.ops};
    b.T = static_cast<double>(ws.new_tokens);
    b.a = p.activation_bits / 8;
    const double h = static_cast<double>(m.hidden_size);
    const double V = static_cast<double>(m.vocab_size);

    const double ew = static_cast<double>(m.embedding_width());
    const double seqs = static_cast<double>(ws.sequences);
    const double bits_o = p.other_weight_bits / 8;

    // Embedding lookup: one row per token, at most V distinct rows.
    {
        OpCost& op = b.push("embedding", -1, OpGroup::model, 1);
        op.flops = m.scale_embeddings ? b.T * ew : 0;
        op.weight_bytes = std::min(b.T, V) * ew * p.embedding_bits / 8;
        op.input_bytes = b.T * 4;  // int32 token ids
        op.output_bytes = b.T * ew * b.a;
    }
    if (m.position_rows > 0) {
        OpCost& op = b.push("pos_embedding", -1, OpGroup::model, 1);
        op.flops = b.T * ew;  // added to the token embedding
        op.weight_bytes = std::min(b.T, static_cast<double>(m.position_rows)) * ew * p.embedding_bits / 8;
        op.input_bytes = b.T * ew * b.a;
        op.output_bytes = b.T * ew * b.a;
    }
    if (m.embedding_norm) b.norm("embedding_norm", -1, OpGroup::model, 1, b.T, ew);
    if (ew != h) b.linear("project_in", -1, OpGroup::model, 1, b.T, ew, h, p.embedding_bits, 0);

    out.kv_cache.bytes_per_token = 0;
    out.kv_cache.state_bytes_per_sequence = 0;
    out.kv_cache.bytes = 0;
    out.kv_cache.bytes_per_token_by_kind.assign(m.layer_kinds.size(), 0.0);
    const double kvb = p.kv_cache_bits / 8;
    double weights = static_cast<double>(out.params.embedding + out.params.lm_head) * p.embedding_bits / 8 +
                     (m.final_norm ? static_cast<double>(detail::norm_params(m)) * bits_o : 0);
    if (m.lm_head_bias) weights += V * (bits_o - p.embedding_bits / 8);  // the bias at the dtype
    const bool pure_decode = ws.new_tokens == ws.sequences;
    const bool absorb = o.mla == MlaMode::absorbed || (o.mla == MlaMode::automatic && pure_decode);

    for (std::size_t ki = 0; ki < m.layer_kinds.size(); ++ki) {
        const LayerKind& k = m.layer_kinds[ki];
        const int kind = static_cast<int>(ki);
        const detail::LayerParams lp = detail::layer_params(m, k);
        const double n = static_cast<double>(k.count);
        const double E = static_cast<double>(k.ffn.num_experts);
        weights += n * (static_cast<double>(lp.attn_matrix + lp.ssm_matrix) * p.attention_weight_bits / 8 +
                        static_cast<double>(lp.attn_bias + lp.attn_other + lp.ssm_other + lp.norms + lp.ffn_bias +
                                            lp.router + lp.shared_gate) * bits_o +
                        E * static_cast<double>(lp.expert_bias) * bits_o +
                        static_cast<double>(lp.ffn_matrix + lp.shared_matrix) * p.ffn_weight_bits / 8 +
                        E * static_cast<double>(lp.expert_matrix) * p.ffn_weight_bits / 8);

        // Mixer sublayer
        if (k.mixer != MixerKind::none) {
            b.norms_before("attn_norm", kind, OpGroup::attention, k.count, k, k.mixer_norms);
            const AttentionSpec& at = k.attention;
            double per_token = 0, per_sequence = 0, stored = 0;
            switch (k.mixer) {
                case MixerKind::attention: {
                    const AttentionWork work = attention_work(wl, at, o.causal);
                    b.attention(kind, k.count, at, work);
                    per_token = static_cast<double>(at.kv_dim() + at.v_dim()) * kvb;
                    stored = work.stored_tokens;
                    break;
                }
                case MixerKind::mla: {
                    const AttentionWork work = attention_work(wl, at, o.causal);
                    b.mla(kind, k.count, at, work, absorb);
                    per_token = static_cast<double>(at.kv_lora_rank + at.qk_rope_head_dim + at.index_head_dim) * kvb;
                    stored = work.stored_tokens;
                    break;
                }
                case MixerKind::mamba:
                case MixerKind::mamba2: {
                    const bool v2 = k.mixer == MixerKind::mamba2;
                    b.ssm(kind, k.count, k.ssm, v2, seqs);
                    per_sequence = (static_cast<double>(k.ssm.d_inner * k.ssm.d_state) +
                                    static_cast<double>(k.ssm.conv_dim(v2) * (k.ssm.d_conv - 1))) * kvb;
                    break;
                }
                case MixerKind::linear:
                    b.linear("linear_mixer", kind, OpGroup::attention, k.count, b.T, h, h, p.attention_weight_bits, 0);
                    break;
                case MixerKind::none: break;
            }
            out.kv_cache.bytes_per_token_by_kind[ki] = per_token;
            out.kv_cache.bytes_per_token += n * per_token;
            out.kv_cache.state_bytes_per_sequence += n * per_sequence;
            out.kv_cache.bytes += n * (per_token * stored + per_sequence * seqs);
            b.norms_after("post_attn_norm", kind, OpGroup::attention, k.count, k, k.mixer_norms);
            if (!k.parallel) b.residual("attn_residual", kind, OpGroup::attention, k.count);
        }
        // FFN sublayer
        if (k.ffn.kind != FfnKind::none) {
            b.norms_before("ffn_norm", kind, OpGroup::ffn, k.count, k, k.ffn_norms);
            if (k.ffn.kind == FfnKind::dense) {
                b.dense_ffn(k.ffn.gated ? "gate_up_proj" : "up_proj", "act_mul", "down_proj", kind, k.count, k.ffn,
                            static_cast<double>(k.ffn.intermediate), b.T, p.ffn_weight_bits);
            } else if (k.ffn.kind == FfnKind::moe) {
                b.moe(kind, k.count, k.ffn);
            } else {
                b.linear("linear_ffn", kind, OpGroup::ffn, k.count, b.T, h, h, p.ffn_weight_bits, 0);
            }
            b.norms_after("post_ffn_norm", kind, OpGroup::ffn, k.count, k, k.ffn_norms);
        }
        if (k.parallel && k.mixer != MixerKind::none && k.ffn.kind != FfnKind::none) {
            OpCost& op = b.push("parallel_residual", kind, OpGroup::ffn, k.count);  // x + attn(x) + ffn(x)
            op.flops = 2 * b.T * h;
            op.input_bytes = 3 * b.T * h * b.a;
            op.output_bytes = b.T * h * b.a;
        } else if (k.ffn.kind != FfnKind::none) {
            b.residual("ffn_residual", kind, OpGroup::ffn, k.count);
        }
    }

    if (m.final_norm) b.norm("final_norm", -1, OpGroup::model, 1, b.T, h);
    if (ew != h) b.linear("project_out", -1, OpGroup::model, 1, static_cast<double>(ws.logit_tokens), h, ew, p.embedding_bits, 0);
    b.linear("lm_head", -1, OpGroup::model, 1, static_cast<double>(ws.logit_tokens), ew, V, p.embedding_bits,
             m.lm_head_bias ? V : 0);

    // Totals, roofline times, peak working set.
    out.totals = Totals{};
    double peak_act = 0;
    std::string fallback_warning;
    for (OpCost& op : out.ops) {
        const double c = static_cast<double>(op.count);
        out.totals.flops += c * op.flops;
        out.totals.bytes += c * op.bytes();
        out.totals.weight_bytes += c * op.weight_bytes;
        out.totals.kv_bytes += c * (op.kv_read_bytes + op.kv_write_bytes);
        peak_act = std::max(peak_act, op.input_bytes + op.output_bytes);
        if (hw) {
            const double peak = hw->peak(op.compute) * o.compute_efficiency;
            op.compute_time_s = peak > 0 ? op.flops / peak : 0;
            op.memory_time_s = op.bytes() / (hw->bandwidth_bytes_s * o.bandwidth_efficiency);
            op.time_s = std::max(op.compute_time_s, op.memory_time_s);
            out.totals.compute_time_s += c * op.compute_time_s;
            out.totals.memory_time_s += c * op.memory_time_s;
            out.totals.time_s += c * op.time_s;
        }
    }
    out.memory.weights_bytes = weights;
    out.memory.kv_cache_bytes = out.kv_cache.bytes;
    out.memory.activation_bytes = peak_act;
    out.memory.total_bytes = weights + out.kv_cache.bytes + peak_act;
    out.ridge_point = 0;
    if (hw) {
        const ComputeClass main = compute_class_for_bits(b.linear_bits(p.ffn_weight_bits));
        out.ridge_point = hw->peak(main) * o.compute_efficiency / (hw->bandwidth_bytes_s * o.bandwidth_efficiency);
        const double wanted[] = {hw->peak_4, hw->peak_8, hw->peak_16, hw->peak_fp32};
        const int idx = main == ComputeClass::b4 ? 0 : main == ComputeClass::b8 ? 1 : main == ComputeClass::b16 ? 2 : 3;
        if (wanted[idx] <= 0) {
            out.warnings.push_back(hw->name + " lists no " + compute_class_name(main) +
                                   " peak; those GEMMs use the next wider precision it has");
        }
    }
}

Analysis analyze(const ModelSpec& model, const Workload& workload, const Precision& precision,
                 const Options& options, const Hardware* hardware) {
    Analysis out;
    out.ops.reserve(64);
    analyze_into(out, model, workload, precision, options, hardware);
    return out;
}

}  // namespace llmcalc
