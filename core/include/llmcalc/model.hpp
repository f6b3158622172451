// llmcalc — the normalised model description every config is parsed into.
//
// A model is an embedding, a stack of decoder layers and an LM head. Layers
// that are identical form one LayerKind with a count; costs are computed once
// per kind and multiplied (see core/FORMULAS.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace llmcalc {

enum class NormKind { rms_norm, layer_norm };

// Elementwise activation of the FFN. The FLOP cost per element is in FORMULAS.md.
enum class Activation { silu, gelu, gelu_tanh, relu, relu2 };

enum class AttentionKind { none, standard };  // standard = MHA / GQA / MQA
enum class FfnKind { none, dense, moe };

struct AttentionSpec {
    AttentionKind kind = AttentionKind::standard;
    std::int64_t num_heads = 0;      // query heads
    std::int64_t num_kv_heads = 0;   // key/value heads (== num_heads: MHA, 1: MQA)
    std::int64_t head_dim = 0;       // per head, for q, k and v
    bool qkv_bias = false;           // bias on the q, k and v projections
    bool o_bias = false;             // bias on the output projection
    bool qk_norm = false;            // RMSNorm over head_dim on q and k (Qwen3)
    std::int64_t window = 0;         // sliding-window length in tokens, 0 = full attention
    double rotary_fraction = 1.0;    // fraction of head_dim RoPE rotates

    std::int64_t q_dim() const { return num_heads * head_dim; }
    std::int64_t kv_dim() const { return num_kv_heads * head_dim; }
};

struct FfnSpec {
    FfnKind kind = FfnKind::dense;
    Activation activation = Activation::silu;
    bool gated = true;                         // act(gate(x)) * up(x), else act(up(x))
    bool bias = false;                         // biases on the FFN projections
    std::int64_t intermediate = 0;             // dense FFN width
    // Mixture of experts (kind == moe)
    std::int64_t num_experts = 0;              // routed experts E
    std::int64_t experts_per_token = 0;        // top-k
    std::int64_t expert_intermediate = 0;      // width of one routed expert
    std::int64_t shared_intermediate = 0;      // total width of the shared expert(s), 0 = none
    bool shared_expert_gate = false;           // sigmoid gate Linear(h, 1) on the shared expert (Qwen2-MoE)
};

struct LayerKind {
    std::string label;        // what users see: "dense", "moe", "sliding", ...
    std::int64_t count = 0;   // how many decoder layers are of this kind
    std::vector<std::int64_t> layer_indices;  // which ones (0-based)
    AttentionSpec attention;
    FfnSpec ffn;
};

// Bits per weight as stored in the checkpoint, by group; 0 = use the dtype.
struct CheckpointQuantization {
    std::string method;              // "", "fp8", "gptq", "awq", "bitsandbytes", "mxfp4"
    double attention_bits = 0;       // effective bits per attention matrix weight incl. scales
    double ffn_bits = 0;             // effective bits per FFN / expert matrix weight incl. scales
    bool fp8_activations = false;    // GEMMs run in 8 bit (FP8 checkpoints with dynamic activation scales)
    std::string description;         // e.g. "fp8 e4m3, 128x128 block scales: 8.002 bits/weight"
};

struct ModelSpec {
    std::string model_type;           // as in config.json ("llama", ...), or "" if absent
    std::string architecture;         // architectures[0] if present
    std::int64_t hidden_size = 0;
    std::int64_t vocab_size = 0;
    std::int64_t num_layers = 0;
    std::int64_t max_position_embeddings = 0;  // 0 = unknown
    bool tie_word_embeddings = false;
    NormKind norm = NormKind::rms_norm;
    bool norm_bias = false;           // LayerNorm with a bias
    bool scale_embeddings = false;    // Gemma multiplies embeddings by sqrt(hidden)
    double dtype_bits = 16;           // from torch_dtype
    std::string dtype = "bfloat16";
    CheckpointQuantization quantization;
    std::vector<LayerKind> layer_kinds;

    std::vector<std::string> fields_used;     // top-level config keys the parser read
    std::vector<std::string> fields_ignored;  // top-level config keys it did not
    std::vector<std::string> warnings;        // assumptions made while parsing
};

// Parameter counts, split the way users ask for them. Exact integers.
struct ParamCounts {
    std::int64_t embedding = 0;        // token embedding table
    std::int64_t attention = 0;        // q, k, v, o matrices and their biases
    std::int64_t ffn_dense = 0;        // dense FFN matrices and biases
    std::int64_t experts_routed = 0;   // all routed experts
    std::int64_t experts_shared = 0;   // shared experts and their gates
    std::int64_t router = 0;           // MoE routers
    std::int64_t norms = 0;            // layer norms, q/k norms, final norm
    std::int64_t lm_head = 0;          // 0 when tied to the embedding
    std::int64_t total = 0;
    std::int64_t active = 0;           // used per token: total minus the routed experts a token skips

    std::int64_t ffn() const { return ffn_dense + experts_routed + experts_shared + router; }
};

// Count the parameters of a model; throws Error(out_of_range) if a count overflows int64.
ParamCounts count_parameters(const ModelSpec& model);

}  // namespace llmcalc
