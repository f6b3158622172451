// config.json -> ModelSpec. Which HF field means what, per model_type, is
// documented in core/FORMULAS.md ("Reading config.json").
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "json_reader.hpp"
#include "llmcalc/api.hpp"
#include "llmcalc/model.hpp"

namespace llmcalc {
namespace {

using detail::FieldReader;
using detail::json;

// Documented ranges (core/FORMULAS.md, "Valid ranges").
constexpr std::int64_t kMaxHidden = 1 << 20;
constexpr std::int64_t kMaxLayers = 10000;
constexpr std::int64_t kMaxHeads = 1 << 16;
constexpr std::int64_t kMaxHeadDim = 1 << 16;
constexpr std::int64_t kMaxIntermediate = 1 << 24;
constexpr std::int64_t kMaxVocab = 1 << 24;
constexpr std::int64_t kMaxExperts = 1 << 16;
constexpr std::int64_t kMaxWindow = std::int64_t{1} << 40;
constexpr std::int64_t kMaxPositions = std::int64_t{1} << 40;

enum class Family { llama, mistral, mixtral, qwen2, qwen2_moe, qwen3, qwen3_moe, gemma, phi3, generic };

struct FamilyInfo {
    const char* model_type;
    Family family;
};

constexpr FamilyInfo kFamilies[] = {
    {"llama", Family::llama},       {"mistral", Family::mistral},     {"mixtral", Family::mixtral},
    {"qwen2", Family::qwen2},       {"qwen2_moe", Family::qwen2_moe}, {"qwen3", Family::qwen3},
    {"qwen3_moe", Family::qwen3_moe}, {"gemma", Family::gemma},       {"phi3", Family::phi3},
};

bool operator==(const AttentionSpec& a, const AttentionSpec& b) {
    return a.kind == b.kind && a.num_heads == b.num_heads && a.num_kv_heads == b.num_kv_heads &&
           a.head_dim == b.head_dim && a.qkv_bias == b.qkv_bias && a.o_bias == b.o_bias &&
           a.qk_norm == b.qk_norm && a.window == b.window && a.rotary_fraction == b.rotary_fraction;
}

bool operator==(const FfnSpec& a, const FfnSpec& b) {
    return a.kind == b.kind && a.activation == b.activation && a.gated == b.gated && a.bias == b.bias &&
           a.intermediate == b.intermediate && a.num_experts == b.num_experts &&
           a.experts_per_token == b.experts_per_token && a.expert_intermediate == b.expert_intermediate &&
           a.shared_intermediate == b.shared_intermediate && a.shared_expert_gate == b.shared_expert_gate;
}

Activation parse_activation(const std::string& name, std::vector<std::string>& warnings) {
    if (name == "silu" || name == "swish") return Activation::silu;
    if (name == "gelu" || name == "gelu_python" || name == "gelu_accurate") return Activation::gelu;
    if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast" || name == "gelu_tanh")
        return Activation::gelu_tanh;
    if (name == "relu") return Activation::relu;
    if (name == "relu2") return Activation::relu2;
    warnings.push_back("hidden_act \"" + name + "\" is not known; its cost is counted as SiLU's");
    return Activation::silu;
}

double dtype_bits(const std::string& dtype, std::vector<std::string>& warnings) {
    if (dtype == "bfloat16" || dtype == "float16" || dtype == "half" || dtype == "bf16" || dtype == "fp16") return 16;
    if (dtype == "float32" || dtype == "float" || dtype == "fp32") return 32;
    if (dtype.rfind("float8", 0) == 0) return 8;
    warnings.push_back("torch_dtype \"" + dtype + "\" is not known; weights counted at 16 bits");
    return 16;
}

// Does a modules_to_not_convert pattern name the attention / the FFN of the layers?
bool names_attention(const std::string& p) {
    return p.find("self_attn") != std::string::npos || p.find(".attn") != std::string::npos;
}
bool names_ffn(const std::string& p) {
    auto ends = [&](const char* s) {
        const std::string suffix(s);
        return p.size() >= suffix.size() && p.compare(p.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    return ends("mlp") || ends("experts") || ends("feed_forward") || ends("mlp.*");
}

// quantization_config -> effective bits per matrix weight, scales included.
// Formulas and sources: core/FORMULAS.md, "Quantised checkpoints".
CheckpointQuantization parse_quantization(const json& q, std::int64_t hidden, std::vector<std::string>& warnings) {
    FieldReader r(q, "config.quantization_config");
    CheckpointQuantization out;
    const std::string method = r.opt_string("quant_method").value_or("");
    double bits = 0;
    std::string desc;
    if (method == "fp8") {
        bits = 8;
        desc = "FP8 weights";
        if (r.has("weight_block_size")) {
            auto block = r.opt_int_list("weight_block_size", 1, 1 << 20, 2);
            if (block->size() != 2) r.fail(ErrorCode::wrong_type, "weight_block_size must be a list of two integers");
            bits += 32.0 / static_cast<double>((*block)[0] * (*block)[1]);  // one FP32 scale per block
            desc += ", one FP32 scale per " + std::to_string((*block)[0]) + "x" + std::to_string((*block)[1]) + " block";
        }
        if (r.has("activation_scheme")) {
            (void)r.opt_string("activation_scheme");
            out.fp8_activations = true;
            desc += ", FP8 activations (GEMMs at 8 bit)";
        }
    } else if (method == "gptq" || method == "awq") {
        const std::int64_t b = r.opt_int_alias({"bits", "w_bit"}, 1, 16).value_or(4);
        const std::int64_t g = r.opt_int_alias({"group_size", "q_group_size"}, -1, 1 << 20).value_or(128);
        bool zero_point = true;
        if (method == "awq") zero_point = r.opt_bool("zero_point").value_or(true);
        const double group = (g <= 0) ? static_cast<double>(hidden) : static_cast<double>(g);
        // one FP16 scale and one b-bit zero point per group of weights
        bits = static_cast<double>(b) + (16.0 + (zero_point ? static_cast<double>(b) : 0.0)) / group;
        desc = method + " " + std::to_string(b) + "-bit, " +
               (g <= 0 ? std::string("per-channel") : "group size " + std::to_string(g)) +
               (zero_point ? ", FP16 scale + zero point per group" : ", FP16 scale per group");
    } else if (method == "bitsandbytes") {
        const bool four = r.opt_bool("load_in_4bit").value_or(false);
        const bool eight = r.opt_bool("load_in_8bit").value_or(false);
        if (four) {
            const bool dq = r.opt_bool("bnb_4bit_use_double_quant").value_or(false);
            const std::string type = r.opt_string("bnb_4bit_quant_type").value_or("fp4");
            // blocks of 64 weights with an FP32 absmax; double quantisation stores it in 8 bits
            // with one FP32 constant per 256 blocks
            bits = dq ? 4.0 + 8.0 / 64.0 + 32.0 / (64.0 * 256.0) : 4.0 + 32.0 / 64.0;
            desc = "bitsandbytes 4-bit " + type + (dq ? " with double quantisation" : "") + ", block size 64";
        } else if (eight) {
            bits = 8.0 + 32.0 / static_cast<double>(hidden);  // LLM.int8: one FP32 scale per row
            desc = "bitsandbytes LLM.int8, one FP32 scale per row";
        }
    } else if (method == "mxfp4") {
        bits = 4.0 + 8.0 / 32.0;  // OCP MX: FP4 E2M1 elements, one E8M0 scale per 32
        desc = "MXFP4: 4-bit elements, one 8-bit scale per 32";
    } else if (!method.empty()) {
        warnings.push_back("quantization_config.quant_method \"" + method +
                           "\" is not modelled; weights are counted at torch_dtype");
        return out;
    } else {
        warnings.push_back("quantization_config has no quant_method; weights are counted at torch_dtype");
        return out;
    }
    if (bits <= 0) return out;
    bool attention = true, ffn = true;
    if (r.has("modules_to_not_convert")) {
        const json* list = r.raw("modules_to_not_convert");
        if (!list->is_array()) r.fail(ErrorCode::wrong_type, "modules_to_not_convert must be an array of strings");
        for (const auto& p : *list) {
            if (!p.is_string()) r.fail(ErrorCode::wrong_type, "modules_to_not_convert must be an array of strings");
            const auto& s = p.get_ref<const std::string&>();
            if (names_attention(s)) attention = false;
            if (names_ffn(s)) ffn = false;
        }
    }
    out.method = method;
    out.attention_bits = attention ? bits : 0;
    out.ffn_bits = ffn ? bits : 0;
    char buf[64];
    std::snprintf(buf, sizeof buf, ": %.4g bits per weight", bits);
    out.description = desc + buf + (attention ? "" : "; attention not quantised") + (ffn ? "" : "; FFN not quantised");
    return out;
}

std::string family_list() {
    std::string s;
    for (const auto& f : kFamilies) {
        if (!s.empty()) s += ", ";
        s += f.model_type;
    }
    return s;
}

}  // namespace

ModelSpec parse_model_config(const json& config) {
    FieldReader r(config, "config");
    ModelSpec m;
    std::vector<std::string>& warnings = m.warnings;

    m.model_type = r.opt_string("model_type").value_or("");
    if (const json* arch = r.raw("architectures"); arch && arch->is_array() && !arch->empty() &&
                                                     (*arch)[0].is_string()) {
        m.architecture = (*arch)[0].get<std::string>();
    }
    Family family = Family::generic;
    for (const auto& f : kFamilies) {
        if (m.model_type == f.model_type) family = f.family;
    }
    if (family == Family::generic) {
        std::vector<std::string> missing;
        for (const char* k : {"hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "vocab_size"}) {
            if (!r.has(k)) missing.push_back(k);
        }
        const std::string what = m.model_type.empty() ? std::string("config has no model_type")
                                                      : "model_type \"" + m.model_type + "\" is not supported";
        if (!missing.empty()) {
            std::string list;
            for (const auto& k : missing) list += (list.empty() ? "" : ", ") + k;
            throw Error(ErrorCode::unsupported,
                        "config: " + what + " (supported: " + family_list() +
                            "), and it lacks the fields needed to analyse it as a generic decoder: " + list);
        }
        warnings.push_back(what + "; analysed as a generic Llama-style decoder: pre-RMSNorm, gated FFN, "
                                  "untied embeddings unless tie_word_embeddings, biases only if "
                                  "attention_bias / mlp_bias");
    }

    // --- sizes common to every family
    m.hidden_size = r.get_int("hidden_size", 1, kMaxHidden);
    m.num_layers = r.get_int("num_hidden_layers", 1, kMaxLayers);
    m.vocab_size = r.get_int("vocab_size", 1, kMaxVocab);
    m.max_position_embeddings = r.opt_int("max_position_embeddings", 1, kMaxPositions).value_or(0);
    const std::int64_t heads = r.get_int("num_attention_heads", 1, kMaxHeads);
    const std::int64_t kv_heads = r.opt_int("num_key_value_heads", 1, kMaxHeads).value_or(heads);
    if (kv_heads > heads || heads % kv_heads != 0) {
        r.fail(ErrorCode::inconsistent, "num_key_value_heads is " + std::to_string(kv_heads) +
                                            "; it must divide num_attention_heads (" + std::to_string(heads) + ")");
    }
    std::int64_t head_dim = 0;
    if (auto hd = r.opt_int("head_dim", 1, kMaxHeadDim)) {
        head_dim = *hd;
    } else {
        if (m.hidden_size % heads != 0) {
            r.fail(ErrorCode::inconsistent, "hidden_size (" + std::to_string(m.hidden_size) +
                                                ") is not divisible by num_attention_heads (" +
                                                std::to_string(heads) + ") and head_dim is not given");
        }
        head_dim = m.hidden_size / heads;
    }
    const std::int64_t intermediate = r.get_int("intermediate_size", 1, kMaxIntermediate);

    // --- dtype and quantisation
    std::string dtype = "bfloat16";
    if (r.has("torch_dtype")) dtype = r.get_string("torch_dtype");
    else if (r.has("dtype")) dtype = r.get_string("dtype");
    else warnings.push_back("torch_dtype is not given; weights assumed bfloat16 (16 bits)");
    m.dtype = dtype;
    m.dtype_bits = dtype_bits(dtype, warnings);
    if (const json* q = r.raw("quantization_config"); q && !q->is_null()) {
        m.quantization = parse_quantization(*q, m.hidden_size, warnings);
    }

    // --- embeddings
    const bool tie_default = (family == Family::gemma);  // GemmaConfig defaults to tied
    m.tie_word_embeddings = r.opt_bool("tie_word_embeddings").value_or(tie_default);
    m.scale_embeddings = (family == Family::gemma);
    m.norm = NormKind::rms_norm;

    // --- attention
    AttentionSpec attn;
    attn.num_heads = heads;
    attn.num_kv_heads = kv_heads;
    attn.head_dim = head_dim;
    switch (family) {
        case Family::qwen2:
        case Family::qwen2_moe:
            attn.qkv_bias = true;  // Qwen2Attention: bias on q, k, v only
            break;
        case Family::mistral:
        case Family::mixtral:
        case Family::phi3:
            break;  // no attention biases in these architectures
        default: {
            const bool b = r.opt_bool("attention_bias").value_or(false);
            attn.qkv_bias = b;
            attn.o_bias = b;
        }
    }
    attn.qk_norm = (family == Family::qwen3 || family == Family::qwen3_moe);
    if (auto f = r.opt_number("partial_rotary_factor", 0.0, 1.0)) attn.rotary_fraction = *f;

    // Sliding windows: per-layer list (layer_types) or the family's rule.
    std::vector<std::int64_t> window(static_cast<std::size_t>(m.num_layers), 0);
    std::int64_t sliding_window = 0;
    const bool family_uses_window =
        family == Family::mistral || family == Family::mixtral || family == Family::phi3 ||
        family == Family::qwen2 || family == Family::qwen2_moe || family == Family::qwen3 ||
        family == Family::qwen3_moe || family == Family::generic;
    if (family_uses_window) {
        sliding_window = r.opt_int("sliding_window", 1, kMaxWindow).value_or(0);
    }
    const json* layer_types = family_uses_window ? r.raw("layer_types") : nullptr;
    if (layer_types && !layer_types->is_null()) {
        if (!layer_types->is_array() || layer_types->size() != static_cast<std::size_t>(m.num_layers)) {
            r.fail(ErrorCode::inconsistent, "layer_types must be an array with one entry per layer (" +
                                                std::to_string(m.num_layers) + ")");
        }
        for (std::size_t i = 0; i < layer_types->size(); ++i) {
            const json& t = (*layer_types)[i];
            if (!t.is_string()) r.fail(ErrorCode::wrong_type, "layer_types[" + std::to_string(i) + "] must be a string");
            const auto& s = t.get_ref<const std::string&>();
            if (s == "sliding_attention") {
                if (sliding_window == 0) r.fail(ErrorCode::missing_field, "sliding_window is required when layer_types has sliding_attention");
                window[i] = sliding_window;
            } else if (s != "full_attention") {
                r.fail(ErrorCode::unsupported, "layer_types[" + std::to_string(i) + "] is \"" + s +
                                                   "\"; expected \"full_attention\" or \"sliding_attention\"");
            }
        }
    } else if (sliding_window > 0) {
        if (family == Family::qwen2 || family == Family::qwen2_moe || family == Family::qwen3 ||
            family == Family::qwen3_moe) {
            // Qwen: only with use_sliding_window, and only for layers >= max_window_layers
            if (r.opt_bool("use_sliding_window").value_or(false)) {
                const std::int64_t from = r.opt_int("max_window_layers", 0, kMaxLayers).value_or(0);
                for (std::int64_t i = from; i < m.num_layers; ++i) window[static_cast<std::size_t>(i)] = sliding_window;
            }
        } else {
            std::fill(window.begin(), window.end(), sliding_window);
        }
    }

    // --- FFN
    FfnSpec dense;
    dense.kind = FfnKind::dense;
    dense.intermediate = intermediate;
    dense.gated = true;
    std::string act = "silu";
    if (family == Family::gemma && r.has("hidden_activation")) act = r.get_string("hidden_activation");
    else if (r.has("hidden_act")) act = r.get_string("hidden_act");
    dense.activation = parse_activation(act, warnings);
    if (family == Family::llama || family == Family::generic) dense.bias = r.opt_bool("mlp_bias").value_or(false);

    FfnSpec moe = dense;
    moe.kind = FfnKind::moe;
    moe.intermediate = 0;
    std::vector<bool> is_moe(static_cast<std::size_t>(m.num_layers), false);
    std::int64_t experts = 0;
    if (family == Family::mixtral) {
        experts = r.get_int("num_local_experts", 1, kMaxExperts);
        moe.expert_intermediate = intermediate;
        std::fill(is_moe.begin(), is_moe.end(), true);
    } else if (family == Family::qwen2_moe || family == Family::qwen3_moe ||
               (family == Family::generic && (r.has("num_experts") || r.has("num_local_experts")))) {
        experts = r.opt_int_alias({"num_experts", "num_local_experts"}, 0, kMaxExperts).value_or(0);
        if (experts > 0) {
            moe.expert_intermediate = r.has("moe_intermediate_size")
                                          ? r.get_int("moe_intermediate_size", 1, kMaxIntermediate)
                                          : intermediate;
            const std::int64_t step = r.opt_int("decoder_sparse_step", 1, kMaxLayers).value_or(1);
            std::vector<std::int64_t> mlp_only;
            if (auto l = r.opt_int_list("mlp_only_layers", 0, m.num_layers - 1, static_cast<std::size_t>(kMaxLayers))) mlp_only = *l;
            for (std::int64_t i = 0; i < m.num_layers; ++i) {
                const bool listed = std::find(mlp_only.begin(), mlp_only.end(), i) != mlp_only.end();
                is_moe[static_cast<std::size_t>(i)] = !listed && (i + 1) % step == 0;
            }
            if (family == Family::qwen2_moe) {
                moe.shared_intermediate = r.opt_int("shared_expert_intermediate_size", 0, kMaxIntermediate).value_or(0);
                moe.shared_expert_gate = moe.shared_intermediate > 0;
            }
        }
    }
    if (experts > 0) {
        moe.num_experts = experts;
        moe.experts_per_token = r.get_int("num_experts_per_tok", 1, experts);
    }

    // --- group identical layers into kinds
    for (std::int64_t i = 0; i < m.num_layers; ++i) {
        AttentionSpec a = attn;
        a.window = window[static_cast<std::size_t>(i)];
        const FfnSpec& f = is_moe[static_cast<std::size_t>(i)] ? moe : dense;
        auto it = std::find_if(m.layer_kinds.begin(), m.layer_kinds.end(),
                               [&](const LayerKind& k) { return k.attention == a && k.ffn == f; });
        if (it == m.layer_kinds.end()) {
            LayerKind k;
            k.attention = a;
            k.ffn = f;
            m.layer_kinds.push_back(k);
            it = m.layer_kinds.end() - 1;
        }
        it->count += 1;
        it->layer_indices.push_back(i);
    }
    // Labels: name what differs between kinds.
    bool ffn_differs = false, window_differs = false;
    for (const auto& k : m.layer_kinds) {
        ffn_differs |= k.ffn.kind != m.layer_kinds[0].ffn.kind;
        window_differs |= k.attention.window != m.layer_kinds[0].attention.window;
    }
    for (auto& k : m.layer_kinds) {
        std::string label;
        if (ffn_differs) label = k.ffn.kind == FfnKind::moe ? "moe" : "dense";
        if (window_differs) {
            if (!label.empty()) label += " ";
            label += k.attention.window > 0 ? "sliding" : "full";
        }
        if (label.empty()) label = k.ffn.kind == FfnKind::moe ? "moe" : "decoder";
        k.label = label;
    }

    m.fields_used = r.used();
    m.fields_ignored = r.ignored();
    (void)count_parameters(m);  // reject models whose counts overflow, at parse time
    return m;
}

}  // namespace llmcalc
