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
};

// Σ_{p=a}^{b} min(p, w) for 1 <= a <= b, w > 0: causal pairs under a sliding window.
double sum_min(double a, double b, double w) {
    if (b <= w) return (a + b) * (b - a + 1) / 2;
    if (a > w) return (b - a + 1) * w;
    return (a + w) * (w - a + 1) / 2 + (b - w) * w;
}

AttentionWork attention_work(const Workload& wl, std::int64_t window, CausalConvention causal) {
    AttentionWork w;
    for (const Query& q : wl.queries) {
        const double c = static_cast<double>(q.cached_tokens);
        const double n = static_cast<double>(q.new_tokens);
        const double ctx = c + n;
        double span = ctx, stored = ctx, pairs;
        if (window > 0) {
            const double win = static_cast<double>(window);
            span = std::min(ctx, win + n - 1);  // keys any new token can see
            stored = std::min(ctx, win);        // a rolling buffer keeps the last `window`
        }
        if (causal == CausalConvention::triangle) {
            // token at position p (1-based) sees p keys, or min(p, window)
            pairs = window > 0 ? sum_min(c + 1, ctx, static_cast<double>(window)) : n * c + n * (n + 1) / 2;
        } else {
            pairs = n * span;
        }
        w.pairs += pairs;
        w.keys_read += span;
        w.stored_tokens += stored;
    }
    const double b = static_cast<double>(wl.batch_size);
    w.pairs *= b;
    w.keys_read *= b;
    w.stored_tokens *= b;
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
        op.weight_bytes = static_cast<double>(detail::norm_params(m)) * p.other_weight_bits / 8;
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

    void attention(int kind, std::int64_t count, const AttentionSpec& at, const AttentionWork& work) {
        const double h = static_cast<double>(m.hidden_size);
        const double q = static_cast<double>(at.q_dim());
        const double kv = static_cast<double>(at.kv_dim());
        const double d = static_cast<double>(at.head_dim);
        const double nh = static_cast<double>(at.num_heads);
        const double kvb = p.kv_cache_bits / 8;
        norm("attn_norm", kind, OpGroup::attention, count, T, h);
        linear("qkv_proj", kind, OpGroup::attention, count, T, h, q + 2 * kv, p.attention_weight_bits,
               at.qkv_bias ? q + 2 * kv : 0);
        if (at.qk_norm) {
            OpCost& op = norm("qk_norm", kind, OpGroup::attention, count, T, q + kv);
            op.flops = T * (q + kv) * detail::kRmsNormFlopsPerElement;
            op.weight_bytes = 2 * d * p.other_weight_bits / 8;
        }
        if (at.rotary_fraction > 0) {
            OpCost& op = push("rope", kind, OpGroup::attention, count);
            op.flops = T * (q + kv) * at.rotary_fraction * detail::kRopeFlopsPerElement;
            op.input_bytes = T * (q + kv) * a;
            op.output_bytes = T * (q + kv) * a;
        }
        {
            OpCost& op = push("kv_cache_write", kind, OpGroup::attention, count);
            op.input_bytes = T * 2 * kv * a;
            op.kv_write_bytes = T * 2 * kv * kvb;
        }
        const bool unfused = o.attention == AttentionImpl::unfused;
        const ComputeClass attn_class = compute_class_for_bits(std::max(p.activation_bits, p.kv_cache_bits));
        {
            OpCost& op = push("attn_scores", kind, OpGroup::attention, count);
            op.is_matmul = true;
            op.compute = attn_class;
            op.flops = o.flops == FlopConvention::two_mnk ? nh * work.pairs * 2 * d : nh * work.pairs * (2 * d - 1);
            op.input_bytes = T * q * a;
            op.kv_read_bytes = work.keys_read * kv * kvb;
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
            op.flops = o.flops == FlopConvention::two_mnk ? nh * d * 2 * work.pairs : nh * d * (2 * work.pairs - T);
            op.input_bytes = unfused ? nh * work.pairs * a : 0;
            op.kv_read_bytes = work.keys_read * kv * kvb;
            op.output_bytes = T * q * a;
        }
        linear("o_proj", kind, OpGroup::attention, count, T, q, h, p.attention_weight_bits, at.o_bias ? h : 0);
        residual("attn_residual", kind, OpGroup::attention, count);
    }

    void moe(int kind, std::int64_t count, const FfnSpec& f) {
        const double h = static_cast<double>(m.hidden_size);
        const double E = static_cast<double>(f.num_experts);
        const double k = static_cast<double>(f.experts_per_token);
        const double shared_gate = f.shared_expert_gate ? 1 : 0;
        {
            OpCost& op = linear("router", kind, OpGroup::ffn, count, T, h, E + shared_gate, p.other_weight_bits, 0);
            op.flops += T * E * detail::kSoftmaxFlopsPerElement;  // routing softmax / top-k
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
            dense_ffn(f.gated ? "shared_gate_up" : "shared_up", "shared_act_mul", "shared_down", kind, count, f,
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

    // Embedding lookup: one row per token, at most V distinct rows.
    {
        OpCost& op = b.push("embedding", -1, OpGroup::model, 1);
        op.flops = m.scale_embeddings ? b.T * h : 0;
        op.weight_bytes = std::min(b.T, V) * h * p.embedding_bits / 8;
        op.input_bytes = b.T * 4;  // int32 token ids
        op.output_bytes = b.T * h * b.a;
    }

    out.kv_cache.bytes_per_token = 0;
    out.kv_cache.bytes = 0;
    out.kv_cache.bytes_per_token_by_kind.assign(m.layer_kinds.size(), 0.0);
    double weights = static_cast<double>(out.params.embedding) * p.embedding_bits / 8 +
                     static_cast<double>(out.params.lm_head) * p.embedding_bits / 8 +
                     static_cast<double>(detail::norm_params(m)) * p.other_weight_bits / 8;

    for (std::size_t ki = 0; ki < m.layer_kinds.size(); ++ki) {
        const LayerKind& k = m.layer_kinds[ki];
        const int kind = static_cast<int>(ki);
        const detail::LayerParams lp = detail::layer_params(m, k);
        const double n = static_cast<double>(k.count);
        weights += n * (static_cast<double>(lp.attn_matrix) * p.attention_weight_bits / 8 +
                        static_cast<double>(lp.attn_bias + lp.qk_norm + lp.norms + lp.ffn_bias + lp.router +
                                            lp.shared_gate + k.ffn.num_experts * lp.expert_bias) *
                            p.other_weight_bits / 8 +
                        static_cast<double>(lp.ffn_matrix + lp.shared_matrix) * p.ffn_weight_bits / 8 +
                        static_cast<double>(k.ffn.num_experts) * static_cast<double>(lp.expert_matrix) *
                            p.ffn_weight_bits / 8);

        if (k.attention.kind == AttentionKind::standard) {
            const AttentionWork work = attention_work(wl, k.attention.window, o.causal);
            b.attention(kind, k.count, k.attention, work);
            const double per_token = 2.0 * static_cast<double>(k.attention.kv_dim()) * p.kv_cache_bits / 8;
            out.kv_cache.bytes_per_token_by_kind[ki] = per_token;
            out.kv_cache.bytes_per_token += n * per_token;
            out.kv_cache.bytes += n * per_token * work.stored_tokens;
        }
        if (k.ffn.kind != FfnKind::none) b.norm("ffn_norm", kind, OpGroup::ffn, k.count, b.T, h);
        if (k.ffn.kind == FfnKind::dense) {
            b.dense_ffn(k.ffn.gated ? "gate_up_proj" : "up_proj", "act_mul", "down_proj", kind, k.count, k.ffn,
                        static_cast<double>(k.ffn.intermediate), b.T, p.ffn_weight_bits);
        } else if (k.ffn.kind == FfnKind::moe) {
            b.moe(kind, k.count, k.ffn);
        }
        if (k.ffn.kind != FfnKind::none) b.residual("ffn_residual", kind, OpGroup::ffn, k.count);
    }

    b.norm("final_norm", -1, OpGroup::model, 1, b.T, h);
    b.linear("lm_head", -1, OpGroup::model, 1, static_cast<double>(ws.logit_tokens), h, V, p.embedding_bits, 0);

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
