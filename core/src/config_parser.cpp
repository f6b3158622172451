// config.json -> ModelSpec. Which HF field means what, per model_type, is
// documented in core/FORMULAS.md ("Reading config.json").
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>

#include "formulas.hpp"
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

// ---------------------------------------------------------------------------
// Families. Which HF field means what is documented in FORMULAS.md §8.

enum class Family {
    llama, mistral, mixtral, qwen2, qwen2_moe, qwen3, qwen3_moe, gemma, gemma2, gemma3, phi3, granite,
    olmo2, cohere, starcoder2, mimo, gpt_oss, deepseek, llama4, gpt2, gpt_neox, opt, falcon, bloom, mpt,
    phi, mamba, mamba2, jamba, nemotron_h, deci, generic
};

struct FamilyInfo {
    const char* model_type;
    Family family;
};

constexpr FamilyInfo kFamilies[] = {
    {"llama", Family::llama}, {"mistral", Family::mistral}, {"mixtral", Family::mixtral},
    {"qwen2", Family::qwen2}, {"qwen2_moe", Family::qwen2_moe}, {"qwen3", Family::qwen3},
    {"qwen3_moe", Family::qwen3_moe}, {"gemma", Family::gemma}, {"gemma2", Family::gemma2},
    {"gemma3", Family::gemma3}, {"gemma3_text", Family::gemma3}, {"phi3", Family::phi3},
    {"granite", Family::granite}, {"olmo2", Family::olmo2}, {"cohere", Family::cohere},
    {"cohere2", Family::cohere}, {"starcoder2", Family::starcoder2}, {"mimo", Family::mimo},
    {"gpt_oss", Family::gpt_oss}, {"deepseek_v2", Family::deepseek}, {"deepseek_v3", Family::deepseek},
    {"deepseek_v32", Family::deepseek}, {"kimi_k2", Family::deepseek}, {"llama4", Family::llama4},
    {"llama4_text", Family::llama4}, {"gpt2", Family::gpt2}, {"gpt_neox", Family::gpt_neox},
    {"opt", Family::opt}, {"falcon", Family::falcon}, {"bloom", Family::bloom}, {"mpt", Family::mpt},
    {"phi", Family::phi}, {"mamba", Family::mamba}, {"mamba2", Family::mamba2}, {"jamba", Family::jamba},
    {"nemotron_h", Family::nemotron_h}, {"nemotron-nas", Family::deci}, {"deci", Family::deci},
};

std::string family_list() {
    std::string s;
    for (const auto& f : kFamilies) {
        if (!s.empty()) s += ", ";
        s += f.model_type;
    }
    return s;
}

// Everything that makes two layers cost the same, as one comparable byte string.
std::string kind_key(const LayerKind& k) {
    std::string key;
    key.reserve(400);
    auto put = [&key](auto v) {
        char bytes[sizeof v];
        std::memcpy(bytes, &v, sizeof v);
        key.append(bytes, sizeof v);
    };
    const AttentionSpec& a = k.attention;
    const SsmSpec& s = k.ssm;
    const FfnSpec& f = k.ffn;
    put(static_cast<int>(k.mixer));
    for (std::int64_t v : {a.num_heads, a.num_kv_heads, a.head_dim, a.v_head_dim, a.qk_norm_params, a.window, a.chunk,
                           a.sparse_topk, a.q_lora_rank, a.kv_lora_rank, a.qk_rope_head_dim, a.qk_nope_head_dim,
                           a.index_heads, a.index_head_dim, s.d_inner, s.d_state, s.d_conv, s.dt_rank, s.n_groups,
                           s.n_heads, f.intermediate, f.num_experts, f.experts_per_token, f.expert_intermediate,
                           f.shared_intermediate}) {
        put(v);
    }
    for (bool v : {a.qkv_bias, a.o_bias, a.qk_norm, a.sinks, s.conv_bias, s.proj_bias, s.inner_norms, s.gated_norm,
                   f.gated, f.bias, f.shared_expert_gate, f.router_bias, f.score_correction_bias, k.parallel,
                   k.post_norm_only}) {
        put(v);
    }
    put(static_cast<int>(a.position));
    put(a.rotary_fraction);
    put(static_cast<int>(f.kind));
    put(static_cast<int>(f.activation));
    put(k.mixer_norms);
    put(k.ffn_norms);
    return key;
}

const char* mixer_name(MixerKind m) {
    switch (m) {
        case MixerKind::attention: return "attention";
        case MixerKind::mla: return "MLA";
        case MixerKind::mamba: return "mamba";
        case MixerKind::mamba2: return "mamba2";
        case MixerKind::linear: return "linear";
        case MixerKind::none: return "no mixer";
    }
    return "";
}

std::string attention_span_name(const LayerKind& k) {
    const AttentionSpec& a = k.attention;
    if (a.window > 0) return "sliding";
    if (a.chunk > 0) return "chunked";
    if (a.position == PositionKind::none && (k.mixer == MixerKind::attention)) return "NoPE";
    return "full";
}

std::string ffn_name(const FfnSpec& f) {
    switch (f.kind) {
        case FfnKind::none: return "no FFN";
        case FfnKind::dense: return "dense";
        case FfnKind::moe: return "moe";
        case FfnKind::linear: return "linear FFN";
    }
    return "";
}

// Group per-layer descriptions into kinds and label each kind by what differs.
void group_layers(ModelSpec& m, const std::vector<LayerKind>& layers) {
    std::vector<std::string> keys;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        const std::string key = kind_key(layers[i]);
        const auto it = std::find(keys.begin(), keys.end(), key);
        std::size_t idx;
        if (it == keys.end()) {
            keys.push_back(key);
            m.layer_kinds.push_back(layers[i]);
            m.layer_kinds.back().count = 0;
            m.layer_kinds.back().layer_indices.clear();
            idx = m.layer_kinds.size() - 1;
        } else {
            idx = static_cast<std::size_t>(it - keys.begin());
        }
        m.layer_kinds[idx].count += 1;
        m.layer_kinds[idx].layer_indices.push_back(static_cast<std::int64_t>(i));
    }
    // What varies, compared among the kinds where it means something.
    auto varies = [&](auto applies, auto value) {
        bool seen = false, differs = false;
        decltype(value(m.layer_kinds[0])) v0{};
        for (const auto& k : m.layer_kinds) {
            if (!applies(k)) continue;
            if (!seen) {
                v0 = value(k);
                seen = true;
            } else if (value(k) != v0) {
                differs = true;
            }
        }
        return differs;
    };
    auto any = [](const LayerKind&) { return true; };
    auto is_attn = [](const LayerKind& k) { return k.mixer == MixerKind::attention || k.mixer == MixerKind::mla; };
    auto is_dense = [](const LayerKind& k) { return k.ffn.kind == FfnKind::dense; };
    const bool mixer_differs = varies(any, [](const LayerKind& k) { return static_cast<int>(k.mixer); });
    const bool span_differs = varies(is_attn, [](const LayerKind& k) { return attention_span_name(k); });
    const bool kv_differs = varies(is_attn, [](const LayerKind& k) { return k.attention.num_kv_heads; });
    const bool ffn_differs = varies(any, [](const LayerKind& k) { return static_cast<int>(k.ffn.kind); });
    const bool width_differs = varies(is_dense, [](const LayerKind& k) { return k.ffn.intermediate; });
    for (auto& k : m.layer_kinds) {
        std::string label;
        auto part = [&](const std::string& s) { label += (label.empty() ? "" : " · ") + s; };
        const bool attn = k.mixer == MixerKind::attention || k.mixer == MixerKind::mla;
        if (mixer_differs) part(mixer_name(k.mixer));
        if (span_differs && attn) part(attention_span_name(k));
        if (kv_differs && k.mixer == MixerKind::attention) part("kv " + std::to_string(k.attention.num_kv_heads));
        if (ffn_differs) part(ffn_name(k.ffn));
        if (width_differs && k.ffn.kind == FfnKind::dense) part("ffn " + std::to_string(k.ffn.intermediate));
        if (label.empty()) {
            if (k.mixer == MixerKind::mamba || k.mixer == MixerKind::mamba2) label = mixer_name(k.mixer);
            else label = k.ffn.kind == FfnKind::moe ? "moe" : "decoder";
        }
        k.label = label;
    }
}

std::int64_t find_multiple(std::int64_t n, std::int64_t k) { return n % k == 0 ? n : n + k - n % k; }

// Reads one model. `r` is the reader of the language-model config (the top level,
// or text_config for multimodal configs).
class Parser {
public:
    Parser(FieldReader& r, ModelSpec& m, Family family) : r_(r), m_(m), fam_(family) {}

    void run();

private:
    FieldReader& r_;
    ModelSpec& m_;
    Family fam_;
    std::vector<std::string>& warnings() { return m_.warnings; }

    std::int64_t req(std::initializer_list<const char*> keys, std::int64_t lo, std::int64_t hi) {
        auto v = r_.opt_int_alias(keys, lo, hi);
        if (!v) r_.fail(ErrorCode::missing_field, std::string(*keys.begin()) + " is required (an integer from " +
                                                      std::to_string(lo) + " to " + std::to_string(hi) + ")");
        return *v;
    }
    std::int64_t opt(std::initializer_list<const char*> keys, std::int64_t lo, std::int64_t hi, std::int64_t def) {
        return r_.opt_int_alias(keys, lo, hi).value_or(def);
    }
    bool flag(const char* key, bool def) { return r_.opt_bool(key).value_or(def); }

    Activation activation(std::initializer_list<const char*> keys, const char* def) {
        for (const char* k : keys) {
            if (r_.has(k)) return parse_activation(r_.get_string(k), warnings());
        }
        return parse_activation(def, warnings());
    }

    void dtype();
    AttentionSpec standard_attention(std::int64_t heads_default = 0);
    std::vector<std::int64_t> windows();
    void decoder();
    void classic();
    void ssm_models();
    void deci();
    SsmSpec mamba1_spec(const char* prefix);
    SsmSpec mamba2_spec();
};

void Parser::dtype() {
    std::string dt = "bfloat16";
    if (r_.has("torch_dtype")) dt = r_.get_string("torch_dtype");
    else if (r_.has("dtype")) dt = r_.get_string("dtype");
    else warnings().push_back("torch_dtype is not given; weights assumed bfloat16 (16 bits)");
    m_.dtype = dt;
    m_.dtype_bits = dtype_bits(dt, warnings());
}

AttentionSpec Parser::standard_attention(std::int64_t heads_default) {
    AttentionSpec a;
    a.num_heads = heads_default > 0 ? opt({"num_attention_heads", "n_head", "n_heads"}, 1, kMaxHeads, heads_default)
                                    : req({"num_attention_heads", "n_head", "n_heads"}, 1, kMaxHeads);
    a.num_kv_heads = opt({"num_key_value_heads"}, 1, kMaxHeads, a.num_heads);
    if (a.num_kv_heads > a.num_heads || a.num_heads % a.num_kv_heads != 0) {
        r_.fail(ErrorCode::inconsistent, "num_key_value_heads is " + std::to_string(a.num_kv_heads) +
                                             "; it must divide num_attention_heads (" + std::to_string(a.num_heads) + ")");
    }
    if (auto hd = r_.opt_int_alias({"head_dim", "attention_head_dim"}, 1, kMaxHeadDim)) {
        a.head_dim = *hd;
    } else {
        if (m_.hidden_size % a.num_heads != 0) {
            r_.fail(ErrorCode::inconsistent, "hidden_size (" + std::to_string(m_.hidden_size) +
                                                 ") is not divisible by num_attention_heads (" +
                                                 std::to_string(a.num_heads) + ") and head_dim is not given");
        }
        a.head_dim = m_.hidden_size / a.num_heads;
    }
    if (auto f = r_.opt_number("partial_rotary_factor", 0.0, 1.0)) a.rotary_fraction = *f;
    return a;
}

// Per-layer sliding windows: layer_types, or the family's rule.
std::vector<std::int64_t> Parser::windows() {
    std::vector<std::int64_t> w(static_cast<std::size_t>(m_.num_layers), 0);
    const std::int64_t win = r_.opt_int("sliding_window", 1, kMaxWindow).value_or(0);
    const json* types = r_.raw("layer_types");
    if (types && !types->is_null()) {
        if (!types->is_array() || types->size() != static_cast<std::size_t>(m_.num_layers)) {
            r_.fail(ErrorCode::inconsistent, "layer_types must be an array with one entry per layer (" +
                                                 std::to_string(m_.num_layers) + ")");
        }
        for (std::size_t i = 0; i < types->size(); ++i) {
            const json& t = (*types)[i];
            if (!t.is_string()) r_.fail(ErrorCode::wrong_type, "layer_types[" + std::to_string(i) + "] must be a string");
            const auto& s = t.get_ref<const std::string&>();
            if (s == "sliding_attention") {
                if (win == 0) r_.fail(ErrorCode::missing_field, "sliding_window is required when layer_types has sliding_attention");
                w[i] = win;
            } else if (s != "full_attention" && s != "chunked_attention") {
                r_.fail(ErrorCode::unsupported, "layer_types[" + std::to_string(i) + "] is \"" + s.substr(0, 40) +
                                                    "\"; expected \"full_attention\" or \"sliding_attention\"");
            }
        }
        return w;
    }
    if (win == 0) return w;
    switch (fam_) {
        case Family::qwen2: case Family::qwen2_moe: case Family::qwen3: case Family::qwen3_moe: case Family::mimo:
            // Qwen: only with use_sliding_window, and only for layers >= max_window_layers
            if (flag("use_sliding_window", false)) {
                const std::int64_t from = opt({"max_window_layers"}, 0, kMaxLayers, 0);
                for (std::int64_t i = from; i < m_.num_layers; ++i) w[static_cast<std::size_t>(i)] = win;
            }
            break;
        case Family::gemma2:
            for (std::size_t i = 0; i < w.size(); i += 2) w[i] = win;  // even layers slide
            break;
        case Family::gemma3: {
            const std::int64_t pattern = opt({"sliding_window_pattern"}, 1, kMaxLayers, 6);
            for (std::size_t i = 0; i < w.size(); ++i) {
                if ((static_cast<std::int64_t>(i) + 1) % pattern != 0) w[i] = win;  // every pattern-th layer is global
            }
            break;
        }
        case Family::cohere:
            // Cohere2: sliding_window_pattern as Gemma 3; Cohere (v1) has no window
            if (m_.model_type == "cohere2") {
                const std::int64_t pattern = opt({"sliding_window_pattern"}, 1, kMaxLayers, 4);
                for (std::size_t i = 0; i < w.size(); ++i) {
                    if ((static_cast<std::int64_t>(i) + 1) % pattern != 0) w[i] = win;
                }
            }
            break;
        default:
            std::fill(w.begin(), w.end(), win);
    }
    return w;
}

void Parser::run() {
    switch (fam_) {
        case Family::gpt2: case Family::gpt_neox: case Family::opt: case Family::falcon: case Family::bloom:
        case Family::mpt: case Family::phi:
            classic();
            break;
        case Family::mamba: case Family::mamba2: case Family::jamba: case Family::nemotron_h:
            ssm_models();
            break;
        case Family::deci:
            deci();
            break;
        default:
            decoder();
    }
}

// Llama-style decoders and their descendants (FORMULAS.md §8).
void Parser::decoder() {
    const Family f = fam_;
    m_.hidden_size = req({"hidden_size"}, 1, kMaxHidden);
    m_.num_layers = req({"num_hidden_layers"}, 1, kMaxLayers);
    m_.vocab_size = req({"vocab_size"}, 1, kMaxVocab);
    m_.max_position_embeddings = opt({"max_position_embeddings"}, 1, kMaxPositions, 0);
    dtype();
    const bool tie_default = f == Family::gemma || f == Family::gemma2 || f == Family::gemma3 ||
                             f == Family::cohere || f == Family::starcoder2;
    m_.tie_word_embeddings = flag("tie_word_embeddings", tie_default);
    m_.scale_embeddings = f == Family::gemma || f == Family::gemma2 || f == Family::gemma3;
    if (f == Family::cohere || f == Family::starcoder2) m_.norm = NormKind::layer_norm;
    if (f == Family::starcoder2) m_.norm_bias = true;

    const bool mla = f == Family::deepseek || (f == Family::generic && r_.has("kv_lora_rank"));
    AttentionSpec attn;
    MixerKind mixer = MixerKind::attention;
    if (mla) {
        mixer = MixerKind::mla;
        attn.num_heads = req({"num_attention_heads"}, 1, kMaxHeads);
        attn.num_kv_heads = attn.num_heads;
        attn.q_lora_rank = opt({"q_lora_rank"}, 1, kMaxIntermediate, 0);
        attn.kv_lora_rank = req({"kv_lora_rank"}, 1, kMaxIntermediate);
        attn.qk_rope_head_dim = req({"qk_rope_head_dim"}, 1, kMaxHeadDim);
        attn.qk_nope_head_dim = req({"qk_nope_head_dim"}, 0, kMaxHeadDim);
        attn.v_head_dim = req({"v_head_dim"}, 1, kMaxHeadDim);
        attn.head_dim = attn.qk_nope_head_dim + attn.qk_rope_head_dim;
        attn.rotary_fraction = static_cast<double>(attn.qk_rope_head_dim) / static_cast<double>(attn.head_dim);
        const bool b = flag("attention_bias", false);
        attn.qkv_bias = b;
        attn.o_bias = b;
        (void)r_.opt_int("num_key_value_heads", 1, kMaxHeads);  // MLA: every head has its own k, v
        if (r_.has("index_topk")) {
            attn.sparse_topk = req({"index_topk"}, 1, kMaxWindow);
            attn.index_heads = req({"index_n_heads"}, 1, kMaxHeads);
            attn.index_head_dim = req({"index_head_dim"}, 1, kMaxHeadDim);
        }
    } else {
        attn = standard_attention();
        switch (f) {
            case Family::qwen2: case Family::qwen2_moe: case Family::mimo:
                attn.qkv_bias = true;  // Qwen2Attention: bias on q, k, v only
                break;
            case Family::mistral: case Family::mixtral: case Family::phi3:
                break;  // no attention biases in these architectures
            case Family::starcoder2: {
                const bool b = flag("use_bias", true);
                attn.qkv_bias = b;
                attn.o_bias = b;
                break;
            }
            default: {
                const bool b = flag("attention_bias", f == Family::gpt_oss);
                attn.qkv_bias = b;
                attn.o_bias = b;
            }
        }
        if (f == Family::qwen3 || f == Family::qwen3_moe || f == Family::gemma3) {
            attn.qk_norm = true;
            attn.qk_norm_params = 2 * attn.head_dim;  // one RMSNorm over head_dim for q, one for k
        } else if (f == Family::olmo2) {
            attn.qk_norm = true;
            attn.qk_norm_params = attn.q_dim() + attn.kv_dim();  // RMSNorm over the whole q and k projections
        } else if (f == Family::cohere && flag("use_qk_norm", false)) {
            attn.qk_norm = true;
            attn.qk_norm_params = attn.q_dim() + attn.kv_dim();  // per-head LayerNorm weights
        } else if (f == Family::llama4) {
            attn.qk_norm = flag("use_qk_norm", true);  // L2 norm without weights
        }
        attn.sinks = f == Family::gpt_oss;
    }

    // FFN
    FfnSpec dense;
    dense.kind = FfnKind::dense;
    const char* act_default = (f == Family::gemma || f == Family::gemma2 || f == Family::gemma3) ? "gelu_pytorch_tanh" : "silu";
    dense.activation = (f == Family::gemma || f == Family::gemma2 || f == Family::gemma3)
                           ? activation({"hidden_activation", "hidden_act"}, act_default)
                           : activation({"hidden_act"}, act_default);
    if (f == Family::starcoder2) {
        dense.gated = false;
        dense.bias = flag("use_bias", true);
    }
    if (f == Family::llama || f == Family::generic || f == Family::granite) dense.bias = flag("mlp_bias", false);
    const std::int64_t inter_dense = f == Family::llama4 ? opt({"intermediate_size_mlp"}, 1, kMaxIntermediate, 0) : 0;
    dense.intermediate = inter_dense > 0 ? inter_dense : req({"intermediate_size"}, 1, kMaxIntermediate);

    FfnSpec moe = dense;
    moe.kind = FfnKind::moe;
    moe.intermediate = 0;
    moe.bias = false;
    std::vector<bool> is_moe(static_cast<std::size_t>(m_.num_layers), false);
    std::int64_t experts = 0;
    auto every = [&](auto pred) {
        for (std::int64_t i = 0; i < m_.num_layers; ++i) is_moe[static_cast<std::size_t>(i)] = pred(i);
    };
    if (f == Family::mixtral) {
        experts = req({"num_local_experts"}, 1, kMaxExperts);
        moe.expert_intermediate = dense.intermediate;
        every([](std::int64_t) { return true; });
    } else if (f == Family::gpt_oss) {
        experts = req({"num_local_experts", "num_experts"}, 1, kMaxExperts);
        moe.expert_intermediate = dense.intermediate;
        moe.bias = true;        // gate_up and down biases per expert
        moe.router_bias = true;
        every([](std::int64_t) { return true; });
    } else if (mla || f == Family::deepseek) {
        experts = opt({"n_routed_experts"}, 0, kMaxExperts, 0);
        if (experts > 0) {
            moe.expert_intermediate = req({"moe_intermediate_size"}, 1, kMaxIntermediate);
            moe.shared_intermediate = opt({"n_shared_experts"}, 0, kMaxExperts, 0) * moe.expert_intermediate;
            moe.score_correction_bias = r_.opt_string("topk_method").value_or("") == "noaux_tc";
            const std::int64_t first_dense = opt({"first_k_dense_replace"}, 0, kMaxLayers, 0);
            const std::int64_t freq = opt({"moe_layer_freq"}, 1, kMaxLayers, 1);
            every([&](std::int64_t i) { return i >= first_dense && i % freq == 0; });
            (void)r_.opt_int("n_group", 1, kMaxExperts);
            (void)r_.opt_int("topk_group", 1, kMaxExperts);
        }
    } else if (f == Family::llama4) {
        experts = req({"num_local_experts"}, 1, kMaxExperts);
        moe.expert_intermediate = req({"intermediate_size"}, 1, kMaxIntermediate);
        moe.shared_intermediate = moe.expert_intermediate;  // one shared expert of the same width
        const std::int64_t step = opt({"interleave_moe_layer_step"}, 1, kMaxLayers, 1);
        if (auto list = r_.opt_int_list("moe_layers", 0, m_.num_layers - 1, static_cast<std::size_t>(kMaxLayers))) {
            for (auto i : *list) is_moe[static_cast<std::size_t>(i)] = true;
        } else {
            every([&](std::int64_t i) { return (i + 1) % step == 0; });
        }
    } else if (f == Family::qwen2_moe || f == Family::qwen3_moe ||
               (f == Family::generic && (r_.has("num_experts") || r_.has("num_local_experts")))) {
        experts = opt({"num_experts", "num_local_experts"}, 0, kMaxExperts, 0);
        if (experts > 0) {
            moe.expert_intermediate = r_.has("moe_intermediate_size") ? req({"moe_intermediate_size"}, 1, kMaxIntermediate)
                                                                       : dense.intermediate;
            const std::int64_t step = opt({"decoder_sparse_step"}, 1, kMaxLayers, 1);
            std::vector<std::int64_t> mlp_only;
            if (auto l = r_.opt_int_list("mlp_only_layers", 0, m_.num_layers - 1, static_cast<std::size_t>(kMaxLayers))) mlp_only = *l;
            every([&](std::int64_t i) {
                return std::find(mlp_only.begin(), mlp_only.end(), i) == mlp_only.end() && (i + 1) % step == 0;
            });
            if (f == Family::qwen2_moe) {
                moe.shared_intermediate = opt({"shared_expert_intermediate_size"}, 0, kMaxIntermediate, 0);
                moe.shared_expert_gate = moe.shared_intermediate > 0;
            }
        }
    }
    if (experts > 0) {
        moe.num_experts = experts;
        moe.experts_per_token = req({"num_experts_per_tok", "experts_per_token"}, 1, experts);
    }

    // Attention spans per layer
    const std::vector<std::int64_t> win = windows();
    std::vector<int> rope(static_cast<std::size_t>(m_.num_layers), 1);
    std::int64_t chunk = 0;
    if (f == Family::llama4) {
        chunk = opt({"attention_chunk_size"}, 1, kMaxWindow, 0);
        if (auto list = r_.opt_int_list("no_rope_layers", 0, 1, static_cast<std::size_t>(kMaxLayers))) {
            if (list->size() != rope.size()) r_.fail(ErrorCode::inconsistent, "no_rope_layers must have one entry per layer");
            for (std::size_t i = 0; i < rope.size(); ++i) rope[i] = static_cast<int>((*list)[i]);  // 1 = RoPE, 0 = NoPE
        } else {
            for (std::size_t i = 0; i < rope.size(); ++i) rope[i] = (i + 1) % 4 != 0;
        }
    }

    std::vector<LayerKind> layers(static_cast<std::size_t>(m_.num_layers));
    for (std::size_t i = 0; i < layers.size(); ++i) {
        LayerKind& k = layers[i];
        k.mixer = mixer;
        k.attention = attn;
        k.attention.window = win[i];
        if (f == Family::llama4) {
            if (rope[i]) {
                k.attention.chunk = chunk;
            } else {
                k.attention.position = PositionKind::none;
                k.attention.rotary_fraction = 0;
                k.attention.qk_norm = false;  // Llama 4 normalises q, k on RoPE layers only
            }
        }
        k.ffn = is_moe[i] ? moe : dense;
        if (f == Family::gemma2 || f == Family::gemma3) {
            k.mixer_norms = 2;  // input + post-attention norms
            k.ffn_norms = 2;    // pre- and post-feedforward norms
        } else if (f == Family::olmo2) {
            k.post_norm_only = true;
        } else if (f == Family::cohere) {
            k.parallel = true;  // one input norm feeds attention and FFN
            k.ffn_norms = 0;
        }
    }
    group_layers(m_, layers);

    // Multi-token prediction modules (DeepSeek-V3, MiMo): reported apart from the main model.
    if (f == Family::deepseek || f == Family::mimo) {
        m_.mtp_layers = opt({"num_nextn_predict_layers"}, 0, 64, 0);
        if (m_.mtp_layers > 0) {
            LayerKind mtp = layers.back();
            mtp.count = 1;
            mtp.label = "mtp";
            mtp.layer_indices.clear();
            m_.mtp_layer = mtp;
        }
    }
}

// GPT-2, GPT-NeoX, OPT, Falcon, BLOOM, MPT, Phi: LayerNorm with bias, plain MLPs.
void Parser::classic() {
    const Family f = fam_;
    m_.norm = NormKind::layer_norm;
    m_.norm_bias = true;
    m_.hidden_size = req({"hidden_size", "n_embd", "d_model", "n_embed"}, 1, kMaxHidden);
    m_.num_layers = req({"num_hidden_layers", "n_layer", "n_layers"}, 1, kMaxLayers);
    m_.vocab_size = req({"vocab_size"}, 1, kMaxVocab);
    dtype();
    const std::int64_t h = m_.hidden_size;
    AttentionSpec a = standard_attention();
    FfnSpec ffn;
    ffn.kind = FfnKind::dense;
    ffn.gated = false;
    ffn.bias = true;
    a.qkv_bias = a.o_bias = true;
    LayerKind k;
    switch (f) {
        case Family::gpt2:
            m_.max_position_embeddings = req({"n_positions", "max_position_embeddings"}, 1, kMaxPositions);
            m_.position_rows = m_.max_position_embeddings;
            m_.tie_word_embeddings = flag("tie_word_embeddings", true);
            a.position = PositionKind::learned;
            a.rotary_fraction = 0;
            ffn.intermediate = opt({"n_inner"}, 1, kMaxIntermediate, 4 * h);
            ffn.activation = activation({"activation_function"}, "gelu_new");
            break;
        case Family::gpt_neox:
            m_.max_position_embeddings = opt({"max_position_embeddings"}, 1, kMaxPositions, 0);
            m_.tie_word_embeddings = flag("tie_word_embeddings", false);
            a.qkv_bias = a.o_bias = flag("attention_bias", true);
            if (auto pct = r_.opt_number("rotary_pct", 0.0, 1.0)) a.rotary_fraction = *pct;
            ffn.intermediate = req({"intermediate_size"}, 1, kMaxIntermediate);
            ffn.activation = activation({"hidden_act"}, "gelu");
            k.parallel = flag("use_parallel_residual", true);  // two norms even when parallel
            break;
        case Family::opt: {
            m_.max_position_embeddings = req({"max_position_embeddings"}, 1, kMaxPositions);
            m_.position_rows = m_.max_position_embeddings + 2;  // OPT's learned positions are offset by 2
            m_.embed_dim = opt({"word_embed_proj_dim"}, 1, kMaxHidden, h);
            m_.tie_word_embeddings = flag("tie_word_embeddings", true);
            const bool before = flag("do_layer_norm_before", true);
            m_.final_norm = before && !flag("_remove_final_layer_norm", false);
            const bool bias = flag("enable_bias", true);
            a.qkv_bias = a.o_bias = ffn.bias = bias;
            if (!flag("layer_norm_elementwise_affine", true)) {
                m_.warnings.push_back("layer_norm_elementwise_affine is false: norms have no parameters");
            }
            a.position = PositionKind::learned;
            a.rotary_fraction = 0;
            ffn.intermediate = req({"ffn_dim"}, 1, kMaxIntermediate);
            ffn.activation = activation({"activation_function"}, "relu");
            break;
        }
        case Family::falcon: {
            m_.max_position_embeddings = opt({"max_position_embeddings"}, 1, kMaxPositions, 0);
            m_.tie_word_embeddings = flag("tie_word_embeddings", true);
            const bool new_arch = flag("new_decoder_architecture", false);
            if (new_arch) {
                a.num_kv_heads = opt({"num_kv_heads", "num_key_value_heads"}, 1, a.num_heads, a.num_heads);
            } else if (flag("multi_query", true)) {
                a.num_kv_heads = 1;
            }
            if (a.num_heads % a.num_kv_heads != 0) r_.fail(ErrorCode::inconsistent, "num_kv_heads must divide num_attention_heads");
            const bool bias = flag("bias", false);
            a.qkv_bias = a.o_bias = ffn.bias = bias;
            if (flag("alibi", false)) {
                a.position = PositionKind::alibi;
                a.rotary_fraction = 0;
            }
            ffn.intermediate = opt({"ffn_hidden_size"}, 1, kMaxIntermediate, 4 * h);
            ffn.activation = activation({"activation"}, "gelu");
            k.parallel = new_arch || flag("parallel_attn", true);
            if (k.parallel && !new_arch) k.ffn_norms = 0;  // one input_layernorm feeds both
            (void)r_.opt_int("num_kv_heads", 1, kMaxHeads);
            break;
        }
        case Family::bloom:
            m_.tie_word_embeddings = flag("tie_word_embeddings", true);
            m_.embedding_norm = true;  // word_embeddings_layernorm
            a.position = PositionKind::alibi;
            a.rotary_fraction = 0;
            ffn.intermediate = 4 * h;
            ffn.activation = Activation::gelu_tanh;
            break;
        case Family::mpt: {
            m_.max_position_embeddings = opt({"max_seq_len"}, 1, kMaxPositions, 0);
            m_.tie_word_embeddings = true;
            const bool no_bias = flag("no_bias", true);
            a.qkv_bias = a.o_bias = ffn.bias = !no_bias;
            m_.norm_bias = !no_bias;
            bool alibi = true;
            if (const json* ac = r_.raw("attn_config"); ac && ac->is_object()) {
                FieldReader ar(*ac, "config.attn_config");
                alibi = ar.opt_bool("alibi").value_or(true);
                if (auto kv = ar.opt_int("kv_n_heads", 1, a.num_heads)) a.num_kv_heads = *kv;
            }
            a.position = alibi ? PositionKind::alibi : PositionKind::learned;
            a.rotary_fraction = 0;
            if (!alibi) m_.position_rows = m_.max_position_embeddings;
            ffn.intermediate = opt({"expansion_ratio"}, 1, 1024, 4) * h;
            ffn.activation = Activation::gelu;
            break;
        }
        case Family::phi: {
            m_.max_position_embeddings = opt({"max_position_embeddings"}, 1, kMaxPositions, 0);
            m_.tie_word_embeddings = flag("tie_word_embeddings", false);
            m_.lm_head_bias = true;
            ffn.intermediate = req({"intermediate_size"}, 1, kMaxIntermediate);
            ffn.activation = activation({"hidden_act"}, "gelu_new");
            k.parallel = true;
            k.ffn_norms = 0;  // one input_layernorm feeds attention and MLP
            if (flag("qk_layernorm", false)) {
                a.qk_norm = true;
                a.qk_norm_params = 4 * a.head_dim;  // LayerNorm (weight + bias) over head_dim for q and for k
            }
            break;
        }
        default: break;
    }
    k.mixer = MixerKind::attention;
    k.attention = a;
    k.ffn = ffn;
    group_layers(m_, std::vector<LayerKind>(static_cast<std::size_t>(m_.num_layers), k));
}

SsmSpec Parser::mamba1_spec(const char* prefix) {
    const std::string p(prefix);
    auto key = [&](const char* plain, const char* jamba) { return p.empty() ? plain : jamba; };
    SsmSpec s;
    const std::int64_t h = m_.hidden_size;
    s.d_state = req({key("state_size", "mamba_d_state")}, 1, 1 << 16);
    s.d_conv = req({key("conv_kernel", "mamba_d_conv")}, 1, 1024);
    const std::int64_t expand = req({key("expand", "mamba_expand")}, 1, 64);
    s.d_inner = expand * h;
    const char* dt_key = key("time_step_rank", "mamba_dt_rank");
    const json* dt = r_.raw(dt_key);
    if (dt && dt->is_string() && dt->get<std::string>() == "auto") {
        s.dt_rank = (h + 15) / 16;  // ceil(h / 16)
    } else {
        s.dt_rank = opt({dt_key}, 1, kMaxHidden, (h + 15) / 16);
    }
    s.conv_bias = flag(key("use_conv_bias", "mamba_conv_bias"), true);
    s.proj_bias = flag(key("use_bias", "mamba_proj_bias"), false);
    return s;
}

SsmSpec Parser::mamba2_spec() {
    SsmSpec s;
    const bool nemo = fam_ == Family::nemotron_h;
    s.d_state = req({nemo ? "ssm_state_size" : "state_size"}, 1, 1 << 16);
    s.d_conv = req({"conv_kernel"}, 1, 1024);
    s.n_groups = opt({"n_groups"}, 1, 1 << 16, 1);
    s.n_heads = req({nemo ? "mamba_num_heads" : "num_heads"}, 1, kMaxHeads);
    const std::int64_t head_dim = req({nemo ? "mamba_head_dim" : "head_dim"}, 1, kMaxHeadDim);
    s.d_inner = s.n_heads * head_dim;
    s.conv_bias = flag("use_conv_bias", true);
    s.proj_bias = flag(nemo ? "mamba_proj_bias" : "use_bias", false);
    return s;
}

// Mamba, Mamba-2, Jamba, Nemotron-H: state-space layers with attention where the config puts it.
void Parser::ssm_models() {
    const Family f = fam_;
    m_.hidden_size = req({"hidden_size", "d_model"}, 1, kMaxHidden);
    m_.num_layers = req({"num_hidden_layers", "n_layer"}, 1, kMaxLayers);
    m_.vocab_size = req({"vocab_size"}, 1, kMaxVocab);
    m_.max_position_embeddings = opt({"max_position_embeddings"}, 1, kMaxPositions, 0);
    dtype();
    m_.tie_word_embeddings = flag("tie_word_embeddings", f == Family::mamba);
    std::vector<LayerKind> layers(static_cast<std::size_t>(m_.num_layers));
    if (f == Family::mamba || f == Family::mamba2) {
        LayerKind k;
        k.mixer = f == Family::mamba ? MixerKind::mamba : MixerKind::mamba2;
        if (f == Family::mamba) k.ssm = mamba1_spec("");
        else k.ssm = mamba2_spec();
        k.ffn.kind = FfnKind::none;
        std::fill(layers.begin(), layers.end(), k);
    } else if (f == Family::jamba) {
        AttentionSpec a = standard_attention();
        a.position = PositionKind::none;  // Jamba's attention layers have no positional encoding
        a.rotary_fraction = 0;
        SsmSpec s = mamba1_spec("mamba_");
        s.inner_norms = true;  // dt, B and C RMSNorms
        const std::int64_t attn_period = opt({"attn_layer_period"}, 1, kMaxLayers, 8);
        const std::int64_t attn_offset = opt({"attn_layer_offset"}, 0, kMaxLayers, 4);
        const std::int64_t exp_period = opt({"expert_layer_period"}, 1, kMaxLayers, 2);
        const std::int64_t exp_offset = opt({"expert_layer_offset"}, 0, kMaxLayers, 1);
        FfnSpec dense;
        dense.intermediate = req({"intermediate_size"}, 1, kMaxIntermediate);
        dense.activation = activation({"hidden_act"}, "silu");
        FfnSpec moe = dense;
        moe.kind = FfnKind::moe;
        moe.num_experts = opt({"num_experts"}, 1, kMaxExperts, 16);
        moe.experts_per_token = req({"num_experts_per_tok"}, 1, moe.num_experts);
        moe.expert_intermediate = dense.intermediate;
        moe.intermediate = 0;
        for (std::size_t i = 0; i < layers.size(); ++i) {
            const auto li = static_cast<std::int64_t>(i);
            LayerKind& k = layers[i];
            if (li % attn_period == attn_offset) {
                k.mixer = MixerKind::attention;
                k.attention = a;
            } else {
                k.mixer = MixerKind::mamba;
                k.ssm = s;
            }
            k.ffn = (moe.num_experts > 1 && li % exp_period == exp_offset) ? moe : dense;
        }
    } else {  // nemotron_h
        const std::string pattern = r_.get_string("hybrid_override_pattern");
        if (static_cast<std::int64_t>(pattern.size()) != m_.num_layers) {
            r_.fail(ErrorCode::inconsistent, "hybrid_override_pattern has " + std::to_string(pattern.size()) +
                                                 " characters; num_hidden_layers is " + std::to_string(m_.num_layers));
        }
        AttentionSpec a = standard_attention();
        a.position = PositionKind::none;  // no rotary embedding in Nemotron-H attention
        a.rotary_fraction = 0;
        a.qkv_bias = a.o_bias = flag("attention_bias", false);
        const SsmSpec s = mamba2_spec();
        FfnSpec mlp;
        mlp.gated = false;
        mlp.intermediate = req({"intermediate_size"}, 1, kMaxIntermediate);
        mlp.activation = activation({"mlp_hidden_act"}, "relu2");
        mlp.bias = flag("mlp_bias", false);
        for (std::size_t i = 0; i < layers.size(); ++i) {
            LayerKind& k = layers[i];
            k.ffn.kind = FfnKind::none;
            switch (pattern[i]) {
                case 'M': k.mixer = MixerKind::mamba2; k.ssm = s; break;
                case '*': k.mixer = MixerKind::attention; k.attention = a; break;
                case '-': k.mixer = MixerKind::none; k.ffn = mlp; break;
                default:
                    r_.fail(ErrorCode::unsupported, "hybrid_override_pattern[" + std::to_string(i) + "] is '" +
                                                        std::string(1, pattern[i]) + "'; expected M (Mamba-2), * (attention) or - (MLP)");
            }
        }
    }
    group_layers(m_, layers);
}

// DeciLM / Nemotron-NAS: one block_configs entry per layer.
void Parser::deci() {
    m_.hidden_size = req({"hidden_size"}, 1, kMaxHidden);
    m_.num_layers = req({"num_hidden_layers"}, 1, kMaxLayers);
    m_.vocab_size = req({"vocab_size"}, 1, kMaxVocab);
    m_.max_position_embeddings = opt({"max_position_embeddings"}, 1, kMaxPositions, 0);
    dtype();
    m_.tie_word_embeddings = flag("tie_word_embeddings", false);
    const AttentionSpec base = standard_attention();
    const Activation act = activation({"hidden_act"}, "silu");
    const bool attn_bias = flag("attention_bias", false);
    const json* blocks = r_.raw("block_configs");
    if (!blocks || !blocks->is_array()) r_.fail(ErrorCode::missing_field, "block_configs is required (one entry per layer)");
    if (static_cast<std::int64_t>(blocks->size()) != m_.num_layers) {
        r_.fail(ErrorCode::inconsistent, "block_configs has " + std::to_string(blocks->size()) +
                                             " entries; num_hidden_layers is " + std::to_string(m_.num_layers));
    }
    std::vector<LayerKind> layers(blocks->size());
    for (std::size_t i = 0; i < blocks->size(); ++i) {
        const std::string where = "config.block_configs[" + std::to_string(i) + "]";
        FieldReader b((*blocks)[i], where);
        const json* attn_doc = b.raw("attention");
        const json* ffn_doc = b.raw("ffn");
        if (!attn_doc || !ffn_doc) b.fail(ErrorCode::missing_field, "attention and ffn are required");
        FieldReader ar(*attn_doc, where + ".attention");
        FieldReader fr(*ffn_doc, where + ".ffn");
        LayerKind& k = layers[i];
        if (ar.opt_bool("no_op").value_or(false)) {
            k.mixer = MixerKind::none;
        } else if (ar.opt_bool("replace_with_linear").value_or(false)) {
            k.mixer = MixerKind::linear;
        } else {
            k.mixer = MixerKind::attention;
            k.attention = base;
            const std::int64_t group = ar.get_int("n_heads_in_group", 1, base.num_heads);
            if (base.num_heads % group != 0) ar.fail(ErrorCode::inconsistent, "n_heads_in_group must divide num_attention_heads");
            k.attention.num_kv_heads = base.num_heads / group;
            k.attention.qkv_bias = k.attention.o_bias = attn_bias;
            if (auto w = ar.opt_int("window_length", 1, kMaxWindow)) k.attention.window = *w;
        }
        if (fr.opt_bool("no_op").value_or(false)) {
            k.ffn.kind = FfnKind::none;
        } else if (fr.opt_bool("replace_with_linear").value_or(false)) {
            k.ffn.kind = FfnKind::linear;
        } else {
            k.ffn.kind = FfnKind::dense;
            k.ffn.activation = act;
            const double mult = fr.get_number("ffn_mult", 1e-3, 1e3);
            // DeciLM: int(2·ffn_mult·h/3) rounded up to a multiple of 256
            k.ffn.intermediate = find_multiple(static_cast<std::int64_t>(2 * mult * static_cast<double>(m_.hidden_size) / 3), 256);
        }
    }
    group_layers(m_, layers);
}

// A ViT-style vision tower, counted separately (FORMULAS.md §2.5): an estimate
// from the generic formula, since towers differ in details.
std::int64_t vision_tower_params(const json& v, std::int64_t text_hidden, std::string& note) {
    FieldReader r(v, "config.vision_config");
    const std::int64_t hv = r.get_int("hidden_size", 1, kMaxHidden);
    const std::int64_t iv = r.get_int("intermediate_size", 1, kMaxIntermediate);
    const std::int64_t layers = r.opt_int_alias({"num_hidden_layers", "depth"}, 1, kMaxLayers).value_or(1);
    const std::int64_t patch = r.opt_int("patch_size", 1, 4096).value_or(14);
    const std::int64_t image = r.opt_int("image_size", 1, 1 << 20).value_or(336);
    const std::int64_t channels = r.opt_int("num_channels", 1, 64).value_or(3);
    const std::int64_t patches = (image / patch) * (image / patch);
    const std::int64_t out_dim = r.opt_int_alias({"vision_output_dim", "projector_output_dim"}, 1, kMaxHidden).value_or(hv);
    using detail::add;
    using detail::mul;
    std::int64_t p = add(mul(mul(channels, mul(patch, patch)), hv), mul(add(patches, 1), hv));  // patch embedding, positions
    const std::int64_t layer = add(add(mul(4, add(mul(hv, hv), hv)), add(mul(2, mul(hv, iv)), add(iv, hv))), mul(4, hv));
    p = add(p, mul(layers, layer));
    p = add(p, mul(4, hv));                      // pre/post LayerNorms
    p = add(p, mul(out_dim, text_hidden));       // projection into the language model
    note = "vision tower: " + std::to_string(layers) + " ViT layers of width " + std::to_string(hv) +
           " (estimate from the generic ViT formula, FORMULAS.md §2.5)";
    return p;
}

}  // namespace

ModelSpec parse_model_config(const json& config) {
    FieldReader top(config, "config");
    ModelSpec m;
    m.model_type = top.opt_string("model_type").value_or("");
    if (const json* arch = top.raw("architectures"); arch && !arch->is_null()) {
        if (!arch->is_array() || std::any_of(arch->begin(), arch->end(), [](const json& x) { return !x.is_string(); })) {
            top.fail(ErrorCode::wrong_type, "architectures must be an array of strings, got " + detail::describe_json(*arch));
        }
        if (!arch->empty()) m.architecture = (*arch)[0].get<std::string>().substr(0, 200);
    }
    Family family = Family::generic;
    for (const auto& f : kFamilies) {
        if (m.model_type == f.model_type) family = f.family;
    }
    if (family == Family::generic && top.has("kv_lora_rank") && top.has("n_routed_experts")) {
        family = Family::deepseek;  // a DeepSeek-V3 descendant under another name
        m.warnings.push_back("model_type \"" + m.model_type + "\" is analysed as DeepSeek-V3 (MLA + MoE fields found)");
    }
    // Multimodal configs keep the language model in text_config.
    const json* text = nullptr;
    if ((family == Family::llama4 || family == Family::gemma3 || family == Family::generic) && top.has("text_config")) {
        text = top.raw("text_config");
        if (!text->is_object()) top.fail(ErrorCode::wrong_type, "text_config must be an object");
    }
    FieldReader inner(text ? *text : config, text ? "config.text_config" : "config");
    FieldReader& r = text ? inner : top;
    if (text && family == Family::generic) {
        const std::string tt = r.opt_string("model_type").value_or("");
        for (const auto& f : kFamilies) {
            if (tt == f.model_type) family = f.family;
        }
    }
    if (family == Family::generic) {
        std::vector<std::string> missing;
        for (const char* k : {"hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "vocab_size"}) {
            if (!r.has(k)) missing.push_back(k);
        }
        const std::string what = m.model_type.empty() ? std::string("config has no model_type")
                                                      : "model_type \"" + m.model_type.substr(0, 60) + "\" is not supported";
        if (!missing.empty()) {
            std::string list;
            for (const auto& k : missing) list += (list.empty() ? "" : ", ") + k;
            throw Error(ErrorCode::unsupported, "config: " + what + " (supported: " + family_list() +
                                                    "), and it lacks the fields needed to analyse it as a generic decoder: " + list);
        }
        m.warnings.push_back(what + "; analysed as a generic Llama-style decoder: pre-RMSNorm, gated FFN, "
                                    "untied embeddings unless tie_word_embeddings, biases only if "
                                    "attention_bias / mlp_bias");
    }
    Parser(r, m, family).run();
    if (const json* q = r.raw("quantization_config"); q && !q->is_null()) {
        m.quantization = parse_quantization(*q, m.hidden_size, m.warnings);
    } else if (text) {
        if (const json* tq = top.raw("quantization_config"); tq && !tq->is_null()) {
            m.quantization = parse_quantization(*tq, m.hidden_size, m.warnings);
        }
    }
    if (text) {
        if (const json* v = top.raw("vision_config"); v && v->is_object()) {
            m.vision_params = vision_tower_params(*v, m.hidden_size, m.vision_note);
        }
        if (auto tie = top.opt_bool("tie_word_embeddings"); tie && !inner.present("tie_word_embeddings")) {
            m.tie_word_embeddings = *tie;
        }
        (void)top.opt_string("torch_dtype");
    }
    if (family == Family::deepseek && m.layer_kinds[0].attention.sparse_topk > 0) {
        m.warnings.push_back("DeepSeek sparse attention: each token attends to at most index_topk keys chosen by the "
                             "indexer; the indexer's own scoring is counted over the full context");
    }
    m.fields_used = top.used();
    m.fields_ignored = top.ignored();
    if (text) {
        for (const auto& k : inner.used()) m.fields_used.push_back("text_config." + k);
        for (const auto& k : inner.ignored()) m.fields_ignored.push_back("text_config." + k);
    }
    (void)count_parameters(m);  // reject models whose counts overflow, at parse time
    return m;
}

}  // namespace llmcalc
