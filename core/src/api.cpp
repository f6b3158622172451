// JSON documents in and out: the one place results become JSON.
#include "llmcalc/api.hpp"

#include <cmath>
#include <cstdio>

#include "json_reader.hpp"

namespace llmcalc {

using detail::FieldReader;
using nlohmann::json;

namespace {

constexpr double kMaxTflops = 1e9;        // 1 ZFLOP/s: far above any device
constexpr double kMaxBandwidthGbs = 1e9;  // 1 PB/s
constexpr double kMaxMemoryGb = 1e9;      // 1 EB

json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

std::vector<std::int64_t> int_or_list(FieldReader& r, const char* key, std::int64_t lo, std::int64_t hi) {
    const json* v = r.raw(key);
    if (!v || v->is_null()) return {};
    if (v->is_array()) return *r.opt_int_list(key, lo, hi, 4096);
    return {*r.opt_int(key, lo, hi)};
}

const char* flops_name(FlopConvention c) { return c == FlopConvention::two_mnk ? "2mnk" : "exact"; }
const char* causal_name(CausalConvention c) { return c == CausalConvention::triangle ? "triangle" : "square"; }
const char* lm_head_name(LmHeadTokens t) { return t == LmHeadTokens::last ? "last" : "all"; }
const char* attention_name(AttentionImpl a) { return a == AttentionImpl::fused ? "fused" : "unfused"; }
const char* group_name(OpGroup g) {
    switch (g) {
        case OpGroup::attention: return "attention";
        case OpGroup::ffn: return "ffn";
        default: return "model";
    }
}
const char* activation_name(Activation a) {
    switch (a) {
        case Activation::silu: return "silu";
        case Activation::gelu: return "gelu";
        case Activation::gelu_tanh: return "gelu_tanh";
        case Activation::relu: return "relu";
        case Activation::relu2: return "relu2";
    }
    return "";
}

}  // namespace

const json& unwrap_preset(const json& document) {
    if (document.is_object() && document.contains("config") && document.contains("id") &&
        document["config"].is_object()) {
        return document["config"];
    }
    return document;
}

Hardware parse_hardware(const json& doc) {
    FieldReader r(doc, "hardware");
    Hardware hw;
    hw.id = r.opt_string("id").value_or("custom");
    hw.name = r.opt_string("name").value_or(hw.id);
    hw.category = r.opt_string("category").value_or("custom");
    hw.source = r.opt_string("source").value_or("");
    (void)r.opt_string("notes");
    hw.memory_bytes = r.get_number("memory_gb", 1e-6, kMaxMemoryGb) * 1e9;
    hw.bandwidth_bytes_s = r.get_number("memory_bandwidth_gbs", 1e-6, kMaxBandwidthGbs) * 1e9;
    const json* peaks = r.raw("peak_tflops");
    if (!peaks || peaks->is_null()) {
        r.fail(ErrorCode::missing_field, "peak_tflops is required (an object such as {\"bf16\": 989.4})");
    }
    FieldReader pr(*peaks, "hardware.peak_tflops");
    auto tf = [&](const char* k) { return pr.opt_number(k, 0, kMaxTflops).value_or(0) * 1e12; };
    hw.peak_fp32 = tf("fp32");
    hw.peak_16 = std::max(tf("fp16"), tf("bf16"));
    hw.peak_8 = std::max(tf("fp8"), tf("int8"));
    hw.peak_4 = std::max(tf("fp4"), tf("int4"));
    (void)tf("fp64");
    (void)tf("tf32");
    const auto unknown = pr.ignored();
    if (!unknown.empty()) {
        throw Error(ErrorCode::unknown_name, "hardware.peak_tflops." + unknown[0] +
                                                 " is not a known precision; expected fp64, fp32, tf32, fp16, "
                                                 "bf16, fp8, int8, fp4 or int4");
    }
    if (hw.peak_fp32 + hw.peak_16 + hw.peak_8 + hw.peak_4 <= 0) {
        throw Error(ErrorCode::out_of_range, "hardware.peak_tflops needs at least one precision with a peak above 0");
    }
    hw.peak_vector = r.opt_number("vector_tflops", 0, kMaxTflops).value_or(0) * 1e12;
    hw.count = r.opt_int("count", 1, 1 << 20).value_or(1);
    (void)r.opt_string("device");
    if (const json* link = r.raw("interconnect"); link && !link->is_null()) {
        FieldReader lr(*link, "hardware.interconnect");
        hw.interconnect = lr.opt_string("name").value_or("link");
        hw.link_bandwidth_bytes_s = lr.get_number("bandwidth_gbs", 1e-6, kMaxBandwidthGbs) * 1e9;
        hw.link_latency_s = lr.opt_number("latency_us", 0, 1e6).value_or(0) * 1e-6;
        (void)lr.opt_string("source");
        lr.reject_unknown();
    }
    r.reject_unknown();
    return hw;
}

Workload parse_workload(const json& doc) {
    FieldReader r(doc, "workload");
    Workload w;
    w.batch_size = r.opt_int("batch_size", 1, 1'000'000).value_or(1);
    if (r.has("queries")) {
        const json* qs = r.raw("queries");
        if (!qs->is_array()) r.fail(ErrorCode::wrong_type, "queries must be an array of {cached_tokens, new_tokens}");
        if (qs->size() > 4096) r.fail(ErrorCode::out_of_range, "queries has " + std::to_string(qs->size()) + " entries; at most 4096 are allowed");
        w.queries.clear();
        for (std::size_t i = 0; i < qs->size(); ++i) {
            FieldReader q((*qs)[i], "workload.queries[" + std::to_string(i) + "]");
            Query query;
            query.cached_tokens = q.opt_int("cached_tokens", 0, 1'000'000'000).value_or(0);
            query.new_tokens = q.get_int("new_tokens", 1, 1'000'000'000);
            q.reject_unknown();
            w.queries.push_back(query);
        }
    } else {
        // CLI style: input_tokens / cached_tokens, each a number or a list (one per query).
        auto inputs = int_or_list(r, "input_tokens", 1, 1'000'000'000);
        auto cached = int_or_list(r, "cached_tokens", 0, 1'000'000'000);
        if (inputs.empty()) inputs = {1};
        if (cached.empty()) cached = {0};
        if (inputs.size() != cached.size() && inputs.size() != 1 && cached.size() != 1) {
            r.fail(ErrorCode::inconsistent, "cached_tokens has " + std::to_string(cached.size()) +
                                                " entries but input_tokens has " + std::to_string(inputs.size()) +
                                                "; give one of each per query, or a single value for all");
        }
        const std::size_t n = std::max(inputs.size(), cached.size());
        w.queries.assign(n, Query{});
        for (std::size_t i = 0; i < n; ++i) {
            w.queries[i].new_tokens = inputs.size() == 1 ? inputs[0] : inputs[i];
            w.queries[i].cached_tokens = cached.size() == 1 ? cached[0] : cached[i];
        }
    }
    r.reject_unknown();
    validate_workload(w);
    return w;
}

Precision parse_precision(const json& doc) {
    FieldReader r(doc, "precision");
    Precision p;
    const double weight = r.opt_number("weight_bits", 1, 64).value_or(0);
    p.attention_weight_bits = r.opt_number("attention_weight_bits", 1, 64).value_or(weight);
    p.ffn_weight_bits = r.opt_number("ffn_weight_bits", 1, 64).value_or(weight);
    p.embedding_bits = r.opt_number("embedding_bits", 1, 64).value_or(0);
    p.activation_bits = r.opt_number("activation_bits", 1, 64).value_or(0);
    p.kv_cache_bits = r.opt_number("kv_cache_bits", 1, 64).value_or(0);
    r.reject_unknown();
    return p;
}

Options parse_options(const json& doc) {
    FieldReader r(doc, "options");
    Options o;
    o.flops = r.choice("flops", {{"2mnk", FlopConvention::two_mnk}, {"exact", FlopConvention::exact}}, o.flops);
    o.causal = r.choice("causal", {{"triangle", CausalConvention::triangle}, {"square", CausalConvention::square}}, o.causal);
    o.lm_head = r.choice("lm_head", {{"last", LmHeadTokens::last}, {"all", LmHeadTokens::all}}, o.lm_head);
    o.attention = r.choice("attention", {{"fused", AttentionImpl::fused}, {"unfused", AttentionImpl::unfused}}, o.attention);
    o.mla = r.choice("mla", {{"auto", MlaMode::automatic}, {"absorbed", MlaMode::absorbed}, {"naive", MlaMode::naive}}, o.mla);
    o.compute_efficiency = r.opt_number("compute_efficiency", 1e-6, 1).value_or(1);
    o.bandwidth_efficiency = r.opt_number("bandwidth_efficiency", 1e-6, 1).value_or(1);
    r.reject_unknown();
    return o;
}

namespace {
const char* mixer_kind_name(MixerKind k) {
    switch (k) {
        case MixerKind::attention: return "attention";
        case MixerKind::mla: return "mla";
        case MixerKind::mamba: return "mamba";
        case MixerKind::mamba2: return "mamba2";
        case MixerKind::linear: return "linear";
        case MixerKind::none: return "none";
    }
    return "";
}
const char* position_name(PositionKind p) {
    switch (p) {
        case PositionKind::rope: return "rope";
        case PositionKind::alibi: return "alibi";
        case PositionKind::learned: return "learned";
        case PositionKind::none: return "none";
    }
    return "";
}
const char* ffn_kind_name(FfnKind k) {
    switch (k) {
        case FfnKind::dense: return "dense";
        case FfnKind::moe: return "moe";
        case FfnKind::linear: return "linear";
        case FfnKind::none: return "none";
    }
    return "";
}
}  // namespace

json model_to_json(const ModelSpec& m) {
    json kinds = json::array();
    for (const LayerKind& k : m.layer_kinds) {
        json mixer(json::value_t::object);
        mixer["kind"] = mixer_kind_name(k.mixer);
        if (k.mixer == MixerKind::attention || k.mixer == MixerKind::mla) {
            const AttentionSpec& a = k.attention;
            mixer["num_heads"] = a.num_heads;
            mixer["num_kv_heads"] = a.num_kv_heads;
            mixer["head_dim"] = a.head_dim;
            mixer["v_head_dim"] = a.v_head_dim ? a.v_head_dim : a.head_dim;
            mixer["qkv_bias"] = a.qkv_bias;
            mixer["o_bias"] = a.o_bias;
            mixer["qk_norm"] = a.qk_norm;
            mixer["sinks"] = a.sinks;
            mixer["window"] = a.window;
            mixer["chunk"] = a.chunk;
            mixer["sparse_topk"] = a.sparse_topk;
            mixer["position"] = position_name(a.position);
            mixer["rotary_fraction"] = a.rotary_fraction;
            if (k.mixer == MixerKind::mla) {
                mixer["q_lora_rank"] = a.q_lora_rank;
                mixer["kv_lora_rank"] = a.kv_lora_rank;
                mixer["qk_rope_head_dim"] = a.qk_rope_head_dim;
                mixer["qk_nope_head_dim"] = a.qk_nope_head_dim;
            }
        } else if (k.mixer == MixerKind::mamba || k.mixer == MixerKind::mamba2) {
            mixer["d_inner"] = k.ssm.d_inner;
            mixer["d_state"] = k.ssm.d_state;
            mixer["d_conv"] = k.ssm.d_conv;
            if (k.mixer == MixerKind::mamba) mixer["dt_rank"] = k.ssm.dt_rank;
            else {
                mixer["n_heads"] = k.ssm.n_heads;
                mixer["n_groups"] = k.ssm.n_groups;
            }
        }
        json f(json::value_t::object);
        f["kind"] = ffn_kind_name(k.ffn.kind);
        if (k.ffn.kind == FfnKind::dense || k.ffn.kind == FfnKind::moe) {
            f["activation"] = activation_name(k.ffn.activation);
            f["gated"] = k.ffn.gated;
            f["bias"] = k.ffn.bias;
        }
        if (k.ffn.kind == FfnKind::dense) f["intermediate_size"] = k.ffn.intermediate;
        if (k.ffn.kind == FfnKind::moe) {
            f["num_experts"] = k.ffn.num_experts;
            f["experts_per_token"] = k.ffn.experts_per_token;
            f["expert_intermediate_size"] = k.ffn.expert_intermediate;
            f["shared_intermediate_size"] = k.ffn.shared_intermediate;
        }
        json kind(json::value_t::object);
        kind["label"] = k.label;
        kind["count"] = k.count;
        kind["layers"] = k.layer_indices;
        kind["attention"] = std::move(mixer);  // the mixer: attention, MLA, Mamba, ...
        kind["ffn"] = std::move(f);
        kind["parallel"] = k.parallel;
        kinds.push_back(std::move(kind));
    }
    json q = nullptr;
    if (!m.quantization.method.empty()) {
        q = {{"method", m.quantization.method},
             {"attention_bits", m.quantization.attention_bits},
             {"ffn_bits", m.quantization.ffn_bits},
             {"description", m.quantization.description}};
    }
    json out(json::value_t::object);
    out["model_type"] = m.model_type;
    out["architecture"] = m.architecture;
    out["hidden_size"] = m.hidden_size;
    out["vocab_size"] = m.vocab_size;
    out["num_layers"] = m.num_layers;
    out["max_position_embeddings"] = m.max_position_embeddings;
    out["tie_word_embeddings"] = m.tie_word_embeddings;
    out["norm"] = m.norm == NormKind::rms_norm ? "rms_norm" : "layer_norm";
    out["dtype"] = m.dtype;
    out["dtype_bits"] = m.dtype_bits;
    out["quantization"] = std::move(q);
    out["layer_kinds"] = std::move(kinds);
    out["mtp_layers"] = m.mtp_layers;
    out["vision"] = m.vision_params > 0 ? json(m.vision_note) : json(nullptr);
    out["fields_used"] = m.fields_used;
    out["fields_ignored"] = m.fields_ignored;
    out["warnings"] = m.warnings;
    return out;
}

json result_to_json(const ModelSpec& m, const Analysis& an, const Hardware* hw) {
    const ParamCounts& p = an.params;
    json ops = json::array();
    ops.get_ref<json::array_t&>().reserve(an.ops.size());
    for (const OpCost& op : an.ops) {
        const double bytes = op.bytes();
        const double c = static_cast<double>(op.count);
        json o(json::value_t::object);
        o["name"] = op.name;
        o["kind"] = op.layer_kind >= 0 ? m.layer_kinds[static_cast<std::size_t>(op.layer_kind)].label : "model";
        o["layer_kind"] = op.layer_kind;
        o["group"] = group_name(op.group);
        o["type"] = op.is_matmul ? "matmul" : "elementwise";
        o["precision"] = compute_class_name(op.compute);
        o["count"] = op.count;
        o["flops"] = op.flops;
        o["weight_bytes"] = op.weight_bytes;
        o["input_bytes"] = op.input_bytes;
        o["output_bytes"] = op.output_bytes;
        o["kv_read_bytes"] = op.kv_read_bytes;
        o["kv_write_bytes"] = op.kv_write_bytes;
        o["bytes"] = bytes;
        o["intensity"] = bytes > 0 ? json(op.flops / bytes) : json(nullptr);
        o["total_flops"] = c * op.flops;
        o["total_bytes"] = c * bytes;
        if (hw) {
            o["bound"] = op.memory_bound() ? "memory" : "compute";
            o["compute_time_s"] = op.compute_time_s;
            o["memory_time_s"] = op.memory_time_s;
            o["time_s"] = op.time_s;
            o["total_time_s"] = c * op.time_s;
        } else {
            o["bound"] = nullptr;
            o["time_s"] = nullptr;
            o["total_time_s"] = nullptr;
        }
        ops.push_back(std::move(o));
    }
    json by_kind = json::array();
    for (std::size_t i = 0; i < m.layer_kinds.size(); ++i) {
        by_kind.push_back({{"kind", m.layer_kinds[i].label},
                           {"count", m.layer_kinds[i].count},
                           {"window", m.layer_kinds[i].attention.window},
                           {"bytes_per_token_per_layer", an.kv_cache.bytes_per_token_by_kind[i]}});
    }
    json warnings = m.warnings;
    for (const auto& w : an.warnings) warnings.push_back(w);

    json queries = json::array();
    json totals = {{"flops", an.totals.flops},
                   {"bytes", an.totals.bytes},
                   {"weight_bytes", an.totals.weight_bytes},
                   {"kv_bytes", an.totals.kv_bytes},
                   {"intensity", number_or_null(an.totals.intensity())}};
    json hardware = nullptr;
    if (hw) {
        totals["time_s"] = an.totals.time_s;
        totals["compute_time_s"] = an.totals.compute_time_s;
        totals["memory_time_s"] = an.totals.memory_time_s;
        totals["tokens_per_s"] = an.totals.time_s > 0 ? json(static_cast<double>(an.workload.new_tokens) / an.totals.time_s) : json(nullptr);
        hardware = {{"id", hw->id},
                    {"name", hw->name},
                    {"category", hw->category},
                    {"memory_bytes", hw->memory_bytes},
                    {"bandwidth_bytes_s", hw->bandwidth_bytes_s},
                    {"peak_flops", {{"fp32", hw->peak_fp32}, {"16-bit", hw->peak_16}, {"8-bit", hw->peak_8}, {"4-bit", hw->peak_4}, {"vector", hw->peak(ComputeClass::vector)}}},
                    {"ridge_point", an.ridge_point},
                    {"count", hw->count},
                    // a node's memory is its devices' together (the model sharded over them)
                    {"fits", an.memory.total_bytes <= hw->memory_bytes * static_cast<double>(hw->count)},
                    {"memory_fraction", an.memory.total_bytes / (hw->memory_bytes * static_cast<double>(hw->count))},
                    {"source", hw->source}};
    } else {
        totals["time_s"] = nullptr;
    }
    const ResolvedPrecision& rp = an.precision;
    return {{"model", model_to_json(m)},
            {"workload", {{"sequences", an.workload.sequences},
                          {"new_tokens", an.workload.new_tokens},
                          {"context_tokens", an.workload.context_tokens},
                          {"logit_tokens", an.workload.logit_tokens},
                          {"max_context", an.workload.max_context}}},
            {"precision", {{"attention_weight_bits", rp.attention_weight_bits},
                           {"ffn_weight_bits", rp.ffn_weight_bits},
                           {"embedding_bits", rp.embedding_bits},
                           {"activation_bits", rp.activation_bits},
                           {"kv_cache_bits", rp.kv_cache_bits},
                           {"other_weight_bits", rp.other_weight_bits},
                           {"linear_compute_bits", rp.linear_compute_bits}}},
            {"params", {{"total", p.total},
                        {"ssm", p.ssm},
                        {"mtp", p.mtp},
                        {"vision", p.vision},
                        {"active", p.active},
                        {"embedding", p.embedding},
                        {"attention", p.attention},
                        {"ffn", p.ffn()},
                        {"ffn_dense", p.ffn_dense},
                        {"experts_routed", p.experts_routed},
                        {"experts_shared", p.experts_shared},
                        {"router", p.router},
                        {"norms", p.norms},
                        {"lm_head", p.lm_head}}},
            {"kv_cache", {{"bytes_per_token", an.kv_cache.bytes_per_token},
                          {"state_bytes_per_sequence", an.kv_cache.state_bytes_per_sequence},
                          {"bytes", an.kv_cache.bytes},
                          {"by_kind", by_kind}}},
            {"memory", {{"weights_bytes", an.memory.weights_bytes},
                        {"kv_cache_bytes", an.memory.kv_cache_bytes},
                        {"activation_bytes", an.memory.activation_bytes},
                        {"total_bytes", an.memory.total_bytes}}},
            {"hardware", hardware},
            {"ops", ops},
            {"totals", totals},
            {"warnings", warnings}};
}

Request parse_request(const json& request, std::initializer_list<const char*> extra_keys) {
    FieldReader r(request, "request");
    const json* config = r.raw("config");
    if (!config || config->is_null()) r.fail(ErrorCode::missing_field, "config is required (a config.json object)");
    Request p;
    if (config->is_string()) {
        // The config as text (pasted by a user): parsed here so its errors read like any other.
        const json parsed = parse_json_text(config->get_ref<const std::string&>(), "config");
        p.model = parse_model_config(unwrap_preset(parsed));
    } else {
        p.model = parse_model_config(unwrap_preset(*config));
    }
    const json empty = json::object();
    auto doc = [&](const char* key) -> const json& {
        const json* v = r.raw(key);
        return (v && !v->is_null()) ? *v : empty;
    };
    p.workload = parse_workload(doc("workload"));
    p.precision = parse_precision(doc("precision"));
    p.options = parse_options(doc("options"));
    const json* hw_doc = r.raw("hardware");
    for (const char* k : extra_keys) r.mark_used(k);
    r.reject_unknown();
    p.has_hardware = hw_doc && !hw_doc->is_null();
    if (p.has_hardware) p.hardware = parse_hardware(*hw_doc);
    return p;
}

json analyze_request(const json& request) {
    const Request p = parse_request(request);
    const Hardware* hw = p.has_hardware ? &p.hardware : nullptr;
    const Analysis an = analyze(p.model, p.workload, p.precision, p.options, hw);
    json result = result_to_json(p.model, an, hw);
    const Options& options = p.options;
    result["options"] = {{"flops", flops_name(options.flops)},
                         {"causal", causal_name(options.causal)},
                         {"lm_head", lm_head_name(options.lm_head)},
                         {"attention", attention_name(options.attention)},
                         {"mla", options.mla == MlaMode::automatic ? "auto" : options.mla == MlaMode::absorbed ? "absorbed" : "naive"},
                         {"compute_efficiency", options.compute_efficiency},
                         {"bandwidth_efficiency", options.bandwidth_efficiency}};
    json qs = json::array();
    for (const Query& q : p.workload.queries) qs.push_back({{"cached_tokens", q.cached_tokens}, {"new_tokens", q.new_tokens}});
    result["workload"]["batch_size"] = p.workload.batch_size;
    result["workload"]["queries"] = qs;
    return result;
}

json sweep_request(const json& request, const json& sweep) {
    Request p = parse_request(request);
    FieldReader r(sweep, "sweep");
    enum class Var { context, batch, new_tokens, weight_bits, kv_bits, act_bits };
    const Var var = r.choice("variable",
                         {{"context", Var::context}, {"batch_size", Var::batch}, {"new_tokens", Var::new_tokens},
                          {"weight_bits", Var::weight_bits}, {"kv_cache_bits", Var::kv_bits},
                          {"activation_bits", Var::act_bits}},
                         Var::context);
    const json* values = r.raw("values");
    if (!values || !values->is_array()) r.fail(ErrorCode::missing_field, "values is required (an array of numbers)");
    if (values->size() > 100000) r.fail(ErrorCode::out_of_range, "values has more than 100000 entries");
    std::vector<double> list;
    list.reserve(values->size());
    const bool bits = var == Var::weight_bits || var == Var::kv_bits || var == Var::act_bits;
    if (bits) {
        for (std::size_t i = 0; i < values->size(); ++i) {
            const std::string k = "values[" + std::to_string(i) + "]";
            const json& v = (*values)[i];
            if (!v.is_number()) r.fail(ErrorCode::wrong_type, k + " must be a number of bits");
            detail::check_range("sweep." + k, v.get<double>(), 1, 64);
            list.push_back(v.get<double>());
        }
    } else {
        const std::int64_t lo = var == Var::context ? 0 : 1;
        const std::int64_t hi = var == Var::batch ? 1'000'000 : 1'000'000'000;
        const std::vector<std::int64_t> ints = *r.opt_int_list("values", lo, hi, 100000);
        for (const auto v : ints) list.push_back(static_cast<double>(v));
    }
    r.reject_unknown();
    const Hardware* hw = p.device();
    static const char* names[] = {"context", "batch_size", "new_tokens", "weight_bits", "kv_cache_bits", "activation_bits"};
    json out = {{"variable", names[static_cast<int>(var)]}, {"values", list}};
    std::vector<double> time, flops, bytes, kv, total, weights, intensity;
    for (auto* v : {&time, &flops, &bytes, &kv, &total, &weights, &intensity}) v->reserve(list.size());
    Analysis an;
    an.ops.reserve(96);
    Workload w = p.workload;
    Precision prec = p.precision;
    for (const double value : list) {
        const auto iv = static_cast<std::int64_t>(value);
        switch (var) {
            case Var::context: for (Query& q : w.queries) q.cached_tokens = iv; break;  // every query at this context
            case Var::batch: w.batch_size = iv; break;
            case Var::new_tokens: for (Query& q : w.queries) q.new_tokens = iv; break;
            case Var::weight_bits: prec.attention_weight_bits = prec.ffn_weight_bits = value; break;
            case Var::kv_bits: prec.kv_cache_bits = value; break;
            case Var::act_bits: prec.activation_bits = value; break;
        }
        analyze_into(an, p.model, w, prec, p.options, hw);
        time.push_back(an.totals.time_s);
        flops.push_back(an.totals.flops);
        bytes.push_back(an.totals.bytes);
        kv.push_back(an.memory.kv_cache_bytes);
        total.push_back(an.memory.total_bytes);
        weights.push_back(an.memory.weights_bytes);
        intensity.push_back(an.totals.intensity());
    }
    out["time_s"] = hw ? json(time) : json(nullptr);
    out["flops"] = flops;
    out["bytes"] = bytes;
    out["intensity"] = intensity;
    out["kv_cache_bytes"] = kv;
    out["total_memory_bytes"] = total;
    out["weights_bytes"] = weights;
    return out;
}

std::string ops_to_csv(const json& result) {
    static const char* cols[] = {"name", "kind", "count", "type", "precision", "flops", "weight_bytes",
                                 "input_bytes", "output_bytes", "kv_read_bytes", "kv_write_bytes", "bytes",
                                 "intensity", "bound", "time_s", "total_time_s"};
    std::string out;
    for (std::size_t i = 0; i < std::size(cols); ++i) out += (i ? "," : "") + std::string(cols[i]);
    out += "\n";
    for (const auto& op : result.at("ops")) {
        for (std::size_t i = 0; i < std::size(cols); ++i) {
            if (i) out += ",";
            const json& v = op.contains(cols[i]) ? op.at(cols[i]) : json(nullptr);
            if (v.is_null()) continue;
            if (v.is_string()) {
                const auto& s = v.get_ref<const std::string&>();
                if (s.find_first_of(",\"\n") == std::string::npos) {
                    out += s;
                } else {
                    out += '"';
                    for (char ch : s) out += (ch == '"') ? std::string("\"\"") : std::string(1, ch);
                    out += '"';
                }
            } else if (v.is_number_float()) {
                char buf[32];
                std::snprintf(buf, sizeof buf, "%.17g", v.get<double>());
                out += buf;
            } else {
                out += v.dump();
            }
        }
        out += "\n";
    }
    return out;
}

}  // namespace llmcalc
