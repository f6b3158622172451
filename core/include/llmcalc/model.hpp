// llmcalc — the normalised model description every config is parsed into.
//
// A model is an embedding, a stack of layers and an LM head. Layers that are
// identical form one LayerKind with a count; costs are computed once per kind
// and multiplied (see core/FORMULAS.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace llmcalc {

enum class NormKind { rms_norm, layer_norm };

// Elementwise activation of the FFN. The FLOP cost per element is in FORMULAS.md.
enum class Activation { silu, gelu, gelu_tanh, relu, relu2 };

// What mixes information across tokens in a layer.
enum class MixerKind {
    attention,  // multi-head attention: MHA / GQA / MQA (standard q, k, v, o projections)
    mla,        // multi-head latent attention (DeepSeek-V2/V3)
    mamba,      // Mamba (selective state space, v1)
    mamba2,     // Mamba-2 (SSD)
    linear,     // a plain h x h linear layer (DeciLM "replace_with_linear")
    none        // no mixer (DeciLM "no_op")
};

enum class PositionKind { rope, alibi, learned, none };

struct AttentionSpec {
    std::int64_t num_heads = 0;      // query heads
    std::int64_t num_kv_heads = 0;   // key/value heads (== num_heads: MHA, 1: MQA)
    std::int64_t head_dim = 0;       // per head, for q and k (and v unless v_head_dim)
    std::int64_t v_head_dim = 0;     // per head for v (MLA); 0 = head_dim
    bool qkv_bias = false;           // bias on the q, k and v projections
    bool o_bias = false;             // bias on the output projection
    std::int64_t qk_norm_params = 0; // weights of q/k norms (Qwen3, Gemma 3: 2·head_dim; OLMo 2: q+kv widths)
    bool qk_norm = false;            // q and k are normalised (with or without weights)
    bool sinks = false;              // a learned sink logit per head (gpt-oss)
    std::int64_t window = 0;         // sliding-window length in tokens, 0 = full attention
    std::int64_t chunk = 0;          // chunked local attention (Llama 4): attend within chunks of this size
    std::int64_t sparse_topk = 0;    // attend to at most this many selected keys (DeepSeek sparse attention)
    PositionKind position = PositionKind::rope;
    double rotary_fraction = 1.0;    // fraction of head_dim RoPE rotates
    // MLA (mixer == mla): q_lora_rank 0 = a direct q projection.
    std::int64_t q_lora_rank = 0, kv_lora_rank = 0, qk_rope_head_dim = 0, qk_nope_head_dim = 0;
    // DeepSeek sparse attention indexer (sparse_topk > 0)
    std::int64_t index_heads = 0, index_head_dim = 0;

    std::int64_t q_dim() const { return num_heads * head_dim; }
    std::int64_t kv_dim() const { return num_kv_heads * head_dim; }
    std::int64_t v_dim() const { return num_kv_heads * (v_head_dim ? v_head_dim : head_dim); }
    std::int64_t o_in() const { return num_heads * (v_head_dim ? v_head_dim : head_dim); }
};

// Selective state-space mixers.
struct SsmSpec {
    std::int64_t d_inner = 0;      // expand · hidden
    std::int64_t d_state = 0;      // state size N
    std::int64_t d_conv = 0;       // causal conv kernel width
    std::int64_t dt_rank = 0;      // Mamba-1 time-step rank
    std::int64_t n_groups = 1;     // Mamba-2 B/C groups
    std::int64_t n_heads = 0;      // Mamba-2 heads (d_inner / head_dim)
    bool conv_bias = true;
    bool proj_bias = false;        // in/out projection biases
    bool inner_norms = false;      // Jamba: RMSNorms on dt, B and C
    bool gated_norm = true;        // Mamba-2: gated RMSNorm over d_inner before out_proj

    std::int64_t conv_dim(bool v2) const { return v2 ? d_inner + 2 * n_groups * d_state : d_inner; }
};

enum class FfnKind { none, dense, moe, linear };

struct FfnSpec {
    FfnKind kind = FfnKind::dense;
    Activation activation = Activation::silu;
    bool gated = true;                         // act(gate(x)) * up(x), else act(up(x))
    bool bias = false;                         // biases on the FFN projections (experts included)
    std::int64_t intermediate = 0;             // dense FFN width
    // Mixture of experts (kind == moe)
    std::int64_t num_experts = 0;              // routed experts E
    std::int64_t experts_per_token = 0;        // top-k
    std::int64_t expert_intermediate = 0;      // width of one routed expert
    std::int64_t shared_intermediate = 0;      // total width of the shared expert(s), 0 = none
    bool shared_expert_gate = false;           // sigmoid gate Linear(h, 1) on the shared expert (Qwen2-MoE)
    bool router_bias = false;                  // router Linear with bias (gpt-oss)
    bool score_correction_bias = false;        // per-expert routing bias (DeepSeek-V3 noaux_tc)
};

struct LayerKind {
    std::string label;        // what users see: "dense", "moe", "sliding", "mamba", ...
    std::int64_t count = 0;   // how many layers are of this kind
    std::vector<std::int64_t> layer_indices;  // which ones (0-based)
    MixerKind mixer = MixerKind::attention;
    AttentionSpec attention;  // mixer == attention / mla
    SsmSpec ssm;              // mixer == mamba / mamba2
    FfnSpec ffn;
    // Block structure
    bool parallel = false;    // attention and FFN read the same normalised input (GPT-J, Falcon, Phi, Cohere)
    int mixer_norms = 1;      // norms around the mixer: 1 pre-norm, 2 pre + post (Gemma 2/3), 0 none
    int ffn_norms = 1;        // norms around the FFN (0 for a parallel block that shares the mixer's norm)
    bool post_norm_only = false;  // norms come after the sublayer only (OLMo 2)
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
    bool final_norm = true;           // a norm before the LM head
    bool embedding_norm = false;      // a norm right after the embedding (BLOOM)
    bool lm_head_bias = false;        // LM head with a bias (Phi)
    std::int64_t position_rows = 0;   // learned absolute position embeddings (rows of width embed_dim)
    std::int64_t embed_dim = 0;       // width of the embedding when projected (OPT word_embed_proj_dim); 0 = hidden
    double dtype_bits = 16;           // from torch_dtype
    std::string dtype = "bfloat16";
    CheckpointQuantization quantization;
    std::vector<LayerKind> layer_kinds;

    // Reported separately, not part of the main model's count:
    std::int64_t mtp_layers = 0;      // multi-token-prediction modules (DeepSeek-V3 num_nextn_predict_layers)
    LayerKind mtp_layer;              // the decoder layer inside each MTP module
    std::int64_t vision_params = 0;   // vision tower + projector, when the config has one
    std::string vision_note;

    std::vector<std::string> fields_used;     // top-level config keys the parser read
    std::vector<std::string> fields_ignored;  // top-level config keys it did not
    std::vector<std::string> warnings;        // assumptions made while parsing

    std::int64_t embedding_width() const { return embed_dim > 0 ? embed_dim : hidden_size; }
};

// Parameter counts, split the way users ask for them. Exact integers.
struct ParamCounts {
    std::int64_t embedding = 0;        // token (and position) embeddings, embedding norm, projections in/out
    std::int64_t attention = 0;        // attention / MLA / linear mixers and their biases
    std::int64_t ssm = 0;              // Mamba mixers
    std::int64_t ffn_dense = 0;        // dense FFN matrices and biases
    std::int64_t experts_routed = 0;   // all routed experts
    std::int64_t experts_shared = 0;   // shared experts and their gates
    std::int64_t router = 0;           // MoE routers
    std::int64_t norms = 0;            // layer norms, q/k norms, final norm
    std::int64_t lm_head = 0;          // 0 when tied to the embedding
    std::int64_t total = 0;
    std::int64_t active = 0;           // used per token: total minus the routed experts a token skips
    std::int64_t mtp = 0;              // multi-token-prediction modules, not in total
    std::int64_t vision = 0;           // vision tower, not in total

    std::int64_t ffn() const { return ffn_dense + experts_routed + experts_shared + router; }
};

// Count the parameters of a model; throws Error(out_of_range) if a count overflows int64.
ParamCounts count_parameters(const ModelSpec& model);

}  // namespace llmcalc
