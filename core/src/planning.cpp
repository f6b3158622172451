// Generation timeline and capacity (FORMULAS.md §9, §10), built on analyze_into.
#include "llmcalc/planning.hpp"

#include <algorithm>
#include <cmath>

#include "json_reader.hpp"

namespace llmcalc {

using detail::FieldReader;
using nlohmann::json;

namespace {

constexpr std::int64_t kMaxTokens = 1'000'000'000;
constexpr std::int64_t kMaxOutput = 100'000'000;

// Σ_{x=x0}^{x1} (P + p·x)
double sum_affine(double P, double p, double x0, double x1) {
    if (x1 < x0) return 0;
    const double n = x1 - x0 + 1;
    return n * P + p * (x0 + x1) * n / 2;
}

// Σ_{x=0}^{L} max(A + a·x, B + b·x) over integers, exactly.
double sum_max_affine(double A, double a, double B, double b, double L) {
    if (a == b) return A >= B ? sum_affine(A, a, 0, L) : sum_affine(B, b, 0, L);
    const double r = (B - A) / (a - b);  // where the two lines cross
    if (a > b) {
        // x < r: B is larger; x >= r: A is larger
        const double k = std::clamp(std::ceil(r), 0.0, L + 1);
        return sum_affine(B, b, 0, k - 1) + sum_affine(A, a, k, L);
    }
    const double k = std::clamp(std::floor(r) + 1, 0.0, L + 1);  // x <= r: A; x > r: B
    return sum_affine(A, a, 0, k - 1) + sum_affine(B, b, k, L);
}

Workload one_step(std::int64_t cached, std::int64_t fresh, std::int64_t batch) {
    Workload w;
    w.queries = {{cached, fresh}};
    w.batch_size = batch;
    return w;
}

// Contexts where some operator's cost stops being affine in the context of a
// decode step: a window or top-k filling up, a chunk boundary.
std::vector<std::int64_t> segment_starts(const ModelSpec& m, std::int64_t first, std::int64_t last) {
    std::vector<std::int64_t> starts{first};
    for (const LayerKind& k : m.layer_kinds) {
        if (k.mixer != MixerKind::attention && k.mixer != MixerKind::mla) continue;
        const AttentionSpec& a = k.attention;
        for (const std::int64_t limit : {a.window, a.sparse_topk}) {
            // keys = min(c + 1, limit): affine up to c = limit − 1, constant from c = limit
            if (limit > 0 && limit > first && limit <= last) starts.push_back(limit);
        }
        if (a.chunk > 0) {
            for (std::int64_t c = (first / a.chunk + 1) * a.chunk; c <= last; c += a.chunk) starts.push_back(c);
        }
    }
    std::sort(starts.begin(), starts.end());
    starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
    return starts;
}

double memory_bound_share(const Analysis& a) {
    double mem = 0;
    for (const OpCost& op : a.ops) {
        if (op.memory_bound()) mem += static_cast<double>(op.count) * op.time_s;
    }
    return a.totals.time_s > 0 ? mem / a.totals.time_s : 0;
}

void validate_generation(const GenerationOptions& g) {
    detail::check_range("generation.prompt_tokens", static_cast<double>(g.prompt_tokens), 1, kMaxTokens);
    detail::check_range("generation.output_tokens", static_cast<double>(g.output_tokens), 1, kMaxOutput);
    detail::check_range("generation.batch_size", static_cast<double>(g.batch_size), 1, 1'000'000);
    detail::check_range("generation.cached_tokens", static_cast<double>(g.cached_tokens), 0, kMaxTokens);
    detail::check_range("generation.series_points", static_cast<double>(g.series_points), 2, 100'000);
}

}  // namespace

GenerationResult estimate_generation(const ModelSpec& m, const GenerationOptions& g, const Precision& precision,
                                     const Options& options, const Hardware& hw) {
    validate_generation(g);
    GenerationResult r;
    Analysis a, b;
    a.ops.reserve(96);
    b.ops.reserve(96);
    analyze_into(a, m, one_step(g.cached_tokens, g.prompt_tokens, g.batch_size), precision, options, &hw);
    r.ttft_s = a.totals.time_s;
    double peak_act = a.memory.activation_bytes;
    const double weights = a.memory.weights_bytes;
    const std::int64_t first = g.cached_tokens + g.prompt_tokens;  // context of the first decode step
    const std::int64_t steps = g.output_tokens - 1;
    r.decode_steps = steps;
    double kv_last = a.memory.kv_cache_bytes;
    if (steps > 0) {
        const std::int64_t last = first + steps - 1;
        const std::vector<std::int64_t> starts = segment_starts(m, first, last);
        for (std::size_t i = 0; i < starts.size(); ++i) {
            const std::int64_t s = starts[i];
            const std::int64_t e = i + 1 < starts.size() ? starts[i + 1] - 1 : last;
            analyze_into(a, m, one_step(s, 1, g.batch_size), precision, options, &hw);
            if (e == s) {
                r.decode_s += a.totals.time_s;
                continue;
            }
            analyze_into(b, m, one_step(e, 1, g.batch_size), precision, options, &hw);
            const double L = static_cast<double>(e - s);
            for (std::size_t j = 0; j < a.ops.size(); ++j) {
                const OpCost& x = a.ops[j];
                const OpCost& y = b.ops[j];
                r.decode_s += static_cast<double>(x.count) *
                              sum_max_affine(x.compute_time_s, (y.compute_time_s - x.compute_time_s) / L, x.memory_time_s,
                                             (y.memory_time_s - x.memory_time_s) / L, L);
            }
        }
        analyze_into(a, m, one_step(first, 1, g.batch_size), precision, options, &hw);
        r.tpot_first_s = a.totals.time_s;
        peak_act = std::max(peak_act, a.memory.activation_bytes);
        analyze_into(b, m, one_step(last, 1, g.batch_size), precision, options, &hw);
        r.tpot_last_s = b.totals.time_s;
        kv_last = b.memory.kv_cache_bytes;
        r.tpot_mean_s = r.decode_s / static_cast<double>(steps);
        // The per-step series, sampled evenly over the steps.
        const std::int64_t n = std::min<std::int64_t>(g.series_points, steps);
        r.series.reserve(static_cast<std::size_t>(n));
        for (std::int64_t i = 0; i < n; ++i) {
            const std::int64_t step = n == 1 ? 1 : 1 + (i * (steps - 1)) / (n - 1);
            const std::int64_t ctx = first + step - 1;
            analyze_into(a, m, one_step(ctx, 1, g.batch_size), precision, options, &hw);
            r.series.push_back({step, ctx, a.totals.time_s, memory_bound_share(a), a.memory.kv_cache_bytes});
        }
    }
    const double B = static_cast<double>(g.batch_size), G = static_cast<double>(g.output_tokens);
    r.e2e_s = r.ttft_s + r.decode_s;
    r.request_tokens_per_s = G / r.e2e_s;
    r.output_tokens_per_s = B * G / r.e2e_s;
    r.decode_tokens_per_s = steps > 0 ? B * static_cast<double>(steps) / r.decode_s : 0;
    r.prefill_tokens_per_s = B * static_cast<double>(g.prompt_tokens) / r.ttft_s;
    r.peak_memory_bytes = weights + kv_last + peak_act;
    return r;
}

double decode_time_by_loop(const ModelSpec& m, const GenerationOptions& g, const Precision& precision,
                           const Options& options, const Hardware& hw) {
    validate_generation(g);
    Analysis a;
    double total = 0;
    const std::int64_t first = g.cached_tokens + g.prompt_tokens;
    for (std::int64_t i = 0; i < g.output_tokens - 1; ++i) {
        analyze_into(a, m, one_step(first + i, 1, g.batch_size), precision, options, &hw);
        total += a.totals.time_s;
    }
    return total;
}

CapacityResult estimate_capacity(const ModelSpec& m, const CapacityOptions& c, const Precision& precision,
                                 const Options& options, const Hardware& hw) {
    detail::check_range("capacity.memory_fraction", c.memory_fraction, 1e-3, 1);
    detail::check_range("capacity.devices", static_cast<double>(c.devices), 1, 1'000'000);
    detail::check_range("capacity.context", static_cast<double>(c.context), 1, kMaxTokens);
    detail::check_range("capacity.batch_size", static_cast<double>(c.batch_size), 1, 1'000'000);
    detail::check_range("capacity.prompt_tokens", static_cast<double>(c.prompt_tokens), 1, kMaxTokens);
    detail::check_range("capacity.prefill_chunk", static_cast<double>(c.prefill_chunk), 0, kMaxTokens);
    CapacityResult r;
    const double per_device = c.memory_fraction * hw.memory_bytes;
    r.budget_bytes = per_device * static_cast<double>(c.devices);
    Analysis a;
    a.ops.reserve(96);
    // Memory of one decode step: `batch` sequences whose cache holds `context` tokens after it.
    auto memory_at = [&](std::int64_t batch, std::int64_t context) {
        analyze_into(a, m, one_step(context - 1, 1, batch), precision, options, &hw);
        return a.memory.total_bytes;
    };
    const double base = memory_at(1, 1);
    r.weights_bytes = a.memory.weights_bytes;
    r.kv_bytes_per_token = a.kv_cache.bytes_per_token;
    r.state_bytes_per_sequence = a.kv_cache.state_bytes_per_sequence;
    const double free_bytes = r.budget_bytes - (base - a.kv_cache.bytes);
    r.kv_token_capacity = r.kv_bytes_per_token > 0 ? std::max(0.0, std::floor(free_bytes / r.kv_bytes_per_token)) : -1;

    // Largest batch at `context`: the largest B that fits while B + 1 does not (memory grows with B).
    if (memory_at(1, c.context) <= r.budget_bytes) {
        std::int64_t lo = 1, hi = 2;
        while (hi <= 1'000'000 && memory_at(hi, c.context) <= r.budget_bytes) {
            lo = hi;
            hi *= 2;
        }
        hi = std::min<std::int64_t>(hi, 1'000'001);
        while (hi - lo > 1) {
            const std::int64_t mid = lo + (hi - lo) / 2;
            (memory_at(mid, c.context) <= r.budget_bytes ? lo : hi) = mid;
        }
        r.max_batch = lo;
    }
    // Longest context at `batch_size` (−1 when memory stops growing before the limit).
    if (memory_at(c.batch_size, 1) <= r.budget_bytes) {
        if (memory_at(c.batch_size, kMaxTokens) <= r.budget_bytes) {
            r.max_context = -1;
        } else {
            std::int64_t lo = 1, hi = kMaxTokens;
            while (hi - lo > 1) {
                const std::int64_t mid = lo + (hi - lo) / 2;
                (memory_at(c.batch_size, mid) <= r.budget_bytes ? lo : hi) = mid;
            }
            r.max_context = lo;
        }
    }
    r.decode_memory_bytes = memory_at(c.batch_size, c.context);
    r.min_devices = static_cast<std::int64_t>(std::ceil(r.decode_memory_bytes / per_device));
    // Activation memory of the prefill: tiled (FlashAttention) against a materialised score matrix,
    // and with the prompt processed in chunks.
    Options fused = options, unfused = options;
    fused.attention = AttentionImpl::fused;
    unfused.attention = AttentionImpl::unfused;
    analyze_into(a, m, one_step(0, c.prompt_tokens, c.batch_size), precision, fused, &hw);
    r.prefill_activation_fused = a.memory.activation_bytes;
    analyze_into(a, m, one_step(0, c.prompt_tokens, c.batch_size), precision, unfused, &hw);
    r.prefill_activation_unfused = a.memory.activation_bytes;
    const std::int64_t chunk = (c.prefill_chunk > 0 && c.prefill_chunk < c.prompt_tokens) ? c.prefill_chunk : c.prompt_tokens;
    analyze_into(a, m, one_step(c.prompt_tokens - chunk, chunk, c.batch_size), precision, fused, &hw);
    r.prefill_activation_chunked = a.memory.activation_bytes;
    return r;
}

namespace {

const Hardware& require_hardware(const Request& req, const char* what) {
    if (!req.has_hardware) {
        throw Error(ErrorCode::missing_field, std::string("request.hardware is required for ") + what);
    }
    return req.hardware;
}

json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

}  // namespace

json generation_request(const json& request) {
    const Request req = parse_request(request, {"generation"});
    const Hardware& hw = require_hardware(req, "a generation estimate");
    GenerationOptions g;
    if (const auto it = request.find("generation"); it != request.end() && !it->is_null()) {
        FieldReader r(*it, "generation");
        g.prompt_tokens = r.opt_int("prompt_tokens", 1, kMaxTokens).value_or(g.prompt_tokens);
        g.output_tokens = r.opt_int("output_tokens", 1, kMaxOutput).value_or(g.output_tokens);
        g.batch_size = r.opt_int("batch_size", 1, 1'000'000).value_or(g.batch_size);
        g.cached_tokens = r.opt_int("cached_tokens", 0, kMaxTokens).value_or(g.cached_tokens);
        g.series_points = r.opt_int("series_points", 2, 100'000).value_or(g.series_points);
        r.reject_unknown();
    }
    const GenerationResult res = estimate_generation(req.model, g, req.precision, req.options, hw);
    json series = {{"step", json::array()}, {"context", json::array()}, {"time_s", json::array()},
                   {"memory_bound_share", json::array()}, {"kv_cache_bytes", json::array()}};
    for (const StepPoint& p : res.series) {
        series["step"].push_back(p.step);
        series["context"].push_back(p.context);
        series["time_s"].push_back(p.time_s);
        series["memory_bound_share"].push_back(p.memory_bound_share);
        series["kv_cache_bytes"].push_back(p.kv_cache_bytes);
    }
    return {{"generation", {{"prompt_tokens", g.prompt_tokens}, {"output_tokens", g.output_tokens},
                            {"batch_size", g.batch_size}, {"cached_tokens", g.cached_tokens}}},
            {"ttft_s", res.ttft_s},
            {"tpot_first_s", number_or_null(res.decode_steps > 0 ? res.tpot_first_s : NAN)},
            {"tpot_last_s", number_or_null(res.decode_steps > 0 ? res.tpot_last_s : NAN)},
            {"tpot_mean_s", number_or_null(res.decode_steps > 0 ? res.tpot_mean_s : NAN)},
            {"decode_s", res.decode_s},
            {"e2e_s", res.e2e_s},
            {"decode_steps", res.decode_steps},
            {"request_tokens_per_s", res.request_tokens_per_s},
            {"output_tokens_per_s", res.output_tokens_per_s},
            {"decode_tokens_per_s", res.decode_tokens_per_s},
            {"prefill_tokens_per_s", res.prefill_tokens_per_s},
            {"peak_memory_bytes", res.peak_memory_bytes},
            {"fits", res.peak_memory_bytes <= hw.memory_bytes},
            {"series", series},
            {"warnings", req.model.warnings}};
}

json capacity_request(const json& request) {
    const Request req = parse_request(request, {"capacity"});
    const Hardware& hw = require_hardware(req, "a capacity estimate");
    CapacityOptions c;
    c.devices = hw.count;
    if (const auto it = request.find("capacity"); it != request.end() && !it->is_null()) {
        FieldReader r(*it, "capacity");
        c.memory_fraction = r.opt_number("memory_fraction", 1e-3, 1).value_or(c.memory_fraction);
        c.devices = r.opt_int("devices", 1, 1'000'000).value_or(c.devices);
        c.context = r.opt_int("context", 1, kMaxTokens).value_or(c.context);
        c.batch_size = r.opt_int("batch_size", 1, 1'000'000).value_or(c.batch_size);
        c.prompt_tokens = r.opt_int("prompt_tokens", 1, kMaxTokens).value_or(c.prompt_tokens);
        c.prefill_chunk = r.opt_int("prefill_chunk", 0, kMaxTokens).value_or(c.prefill_chunk);
        r.reject_unknown();
    }
    const CapacityResult res = estimate_capacity(req.model, c, req.precision, req.options, hw);
    return {{"capacity", {{"memory_fraction", c.memory_fraction}, {"devices", c.devices}, {"context", c.context},
                          {"batch_size", c.batch_size}, {"prompt_tokens", c.prompt_tokens},
                          {"prefill_chunk", c.prefill_chunk}}},
            {"budget_bytes", res.budget_bytes},
            {"weights_bytes", res.weights_bytes},
            {"kv_bytes_per_token", res.kv_bytes_per_token},
            {"state_bytes_per_sequence", res.state_bytes_per_sequence},
            {"kv_token_capacity", res.kv_token_capacity >= 0 ? json(res.kv_token_capacity) : json(nullptr)},
            {"max_batch", res.max_batch},
            {"max_context", res.max_context >= 0 ? json(res.max_context) : json(nullptr)},
            {"max_context_unbounded", res.max_context < 0},
            {"min_devices", res.min_devices},
            {"decode_memory_bytes", res.decode_memory_bytes},
            {"prefill_activation_bytes", {{"fused", res.prefill_activation_fused},
                                          {"unfused", res.prefill_activation_unfused},
                                          {"chunked", res.prefill_activation_chunked}}},
            {"warnings", req.model.warnings}};
}

}  // namespace llmcalc
