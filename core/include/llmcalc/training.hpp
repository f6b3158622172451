// llmcalc — training: FLOPs, step time, MFU and memory of one optimizer step
// (full training, LoRA and QLoRA fine-tuning). Every formula is derived in
// core/FORMULAS.md (§11); section numbers are cited in training.cpp.
//
// The forward pass is the core's analysis (analysis.hpp) of one step of
// `micro_batch` sequences of `sequence_length` tokens on one device, with every
// token through the LM head; backward, recomputation, the optimizer step,
// activation memory and ZeRO partitioning are derived from its operators.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "llmcalc/analysis.hpp"
#include "llmcalc/api.hpp"
#include "llmcalc/model.hpp"

namespace llmcalc {

enum class Optimizer { adam, sgd };       // Adam(W) with an FP32 master copy; plain SGD (no momentum)
enum class Recompute { none, full };      // activation recomputation: none, or every layer (§11.4)

// LoRA target modules, as bit flags. Names are the Hugging Face module names of
// Llama-style models (q_proj, ..., down_proj), DeepSeek MLA and Mamba (§11.6).
namespace lora_target {
constexpr std::uint32_t q_proj = 1u << 0;
constexpr std::uint32_t k_proj = 1u << 1;
constexpr std::uint32_t v_proj = 1u << 2;
constexpr std::uint32_t o_proj = 1u << 3;
constexpr std::uint32_t qkv_proj = 1u << 4;      // one fused q/k/v matrix (Phi-3): one adapter on the concatenation
constexpr std::uint32_t gate_proj = 1u << 5;
constexpr std::uint32_t up_proj = 1u << 6;
constexpr std::uint32_t down_proj = 1u << 7;
constexpr std::uint32_t gate_up_proj = 1u << 8;  // fused gate/up (Phi-3)
constexpr std::uint32_t q_a_proj = 1u << 9;      // MLA
constexpr std::uint32_t q_b_proj = 1u << 10;
constexpr std::uint32_t kv_a_proj_with_mqa = 1u << 11;
constexpr std::uint32_t kv_b_proj = 1u << 12;
constexpr std::uint32_t in_proj = 1u << 13;      // Mamba
constexpr std::uint32_t x_proj = 1u << 14;
constexpr std::uint32_t dt_proj = 1u << 15;
constexpr std::uint32_t out_proj = 1u << 16;
// PEFT's "all-linear": every linear layer of the decoder layers, unfused (not the LM head, not routers).
constexpr std::uint32_t all_linear = q_proj | k_proj | v_proj | o_proj | gate_proj | up_proj | down_proj | q_a_proj |
                                     q_b_proj | kv_a_proj_with_mqa | kv_b_proj | in_proj | x_proj | dt_proj | out_proj;
}  // namespace lora_target

// The flag of a module name ("q_proj", ..., or "all-linear"); 0 if unknown.
std::uint32_t lora_target_from_name(std::string_view name);
// The name of a single flag ("" if not exactly one known flag).
const char* lora_target_name(std::uint32_t flag);
// "q_proj, k_proj, ..., all-linear": for messages.
std::string lora_target_names();

// NF4 with double quantisation (QLoRA): 4 bits + an 8-bit absmax per 64 + an FP32 scale per 256 absmaxes.
constexpr double kNf4DoubleQuantBits = 4.0 + 8.0 / 64 + 32.0 / (64 * 256);

struct LoraOptions {
    bool enabled = false;
    std::int64_t rank = 8;
    std::uint32_t targets = lora_target::q_proj | lora_target::v_proj;  // PEFT's default for Llama
    bool quantized_base = false;  // QLoRA: frozen attention/FFN matrices in NF4 with double quantisation
};

struct TrainingOptions {
    std::int64_t sequence_length = 2048;
    std::int64_t micro_batch = 1;     // sequences per device per step
    std::int64_t data_parallel = 1;   // devices, each with its own micro-batch
    Optimizer optimizer = Optimizer::adam;
    int zero_stage = 0;               // 0-3 (§11.5)
    Recompute recompute = Recompute::none;
    bool flash_attention = true;      // fused attention: the score matrix is never stored
    bool dropout = false;             // dropout layers that keep masks (GPT-2/3 style); off for modern LLMs
    double gradient_bits = 16;        // 16 or 32
    double measured_step_time_s = 0;  // 0 = not measured; otherwise for MFU
    LoraOptions lora;
};

// Throws Error naming the field ("training.zero_stage", "training.lora.rank", ...).
void validate_training(const TrainingOptions& options);

// One operator of one layer kind (or of the model around the layers) in a training step
// on ONE device. Quantities are for ONE occurrence; multiply by `count` for the model.
struct TrainingOp {
    const char* name = "";            // the core's operator name, "loss", or "lora_<module>"
    int layer_kind = -1;              // index into ModelSpec::layer_kinds, -1 = outside the layers
    OpGroup group = OpGroup::model;
    bool is_matmul = false;
    bool trainable = false;           // computes weight gradients
    std::int64_t count = 1;
    ComputeClass compute = ComputeClass::vector;
    double forward_flops = 0, backward_flops = 0;
    double recompute_flops = 0;       // activation recomputation + FlashAttention's in-backward recompute
    double forward_bytes = 0, backward_bytes = 0, recompute_bytes = 0;
    double saved_bytes = 0;           // activations kept for the backward without recomputation (§11.4)
    // Filled in when a device is given (one occurrence, all three passes):
    double compute_time_s = 0, memory_time_s = 0, time_s = 0;

    double flops() const { return forward_flops + backward_flops + recompute_flops; }
};

// FLOPs of one optimizer step of the whole job (all data-parallel devices).
struct TrainingFlops {
    double forward = 0, backward = 0, recompute = 0, optimizer = 0, total = 0;
    double model = 0;                 // forward + backward: the "model FLOPs" of MFU
    double model_flops_per_token = 0;
    double six_n = 0;                 // 6 · N · tokens (Kaplan et al. 2020), N = params_6n
};

struct TrainingTime {                 // per step; filled in when a device is given
    double step_s = 0, compute_s = 0, memory_s = 0, optimizer_s = 0;
    double tokens_per_s = 0, tokens_per_day = 0;
    double roofline_mfu = 0;          // model FLOPs / (step_s · peak · devices)
    bool has_mfu = false;             // a measured step time and a device were given
    double mfu = 0, hfu = 0;          // measured: model FLOPs (hardware FLOPs incl. recompute) / (t · peak · devices)
};

// Bytes on ONE device.
struct TrainingMemory {
    double weights_bytes = 0, gradients_bytes = 0, optimizer_bytes = 0, activations_bytes = 0, total_bytes = 0;
    double activations_saved_bytes = 0;    // kept for the backward (with the recomputation setting)
    double activations_working_bytes = 0;  // the largest operator's inputs + outputs
    double activations_no_recompute_bytes = 0, activations_full_recompute_bytes = 0;  // saved, both settings
    std::vector<double> saved_per_layer_by_kind;  // one layer of each kind, no recomputation
    double saved_outside_layers_bytes = 0;        // embedding ids, final norm, LM head input, logits
    double zero3_gather_bytes = 0;                // ZeRO-3: one layer's gathered weights (not in the total)
    bool has_fits = false, fits = false;
};

struct TrainingResult {
    ParamCounts params;
    std::int64_t trainable_params = 0;
    std::int64_t lora_params = 0;           // 0 without LoRA
    std::int64_t params_6n = 0;             // parameters in a matmul per token: active minus input embeddings
    ResolvedPrecision precision{};          // as used for training (§11.1)
    double lora_base_weight_bits = 0;       // bits of the frozen attention/FFN matrices (LoRA 16, QLoRA NF4)
    std::int64_t tokens_per_device = 0;     // sequence_length · micro_batch
    std::int64_t tokens_per_step = 0;       // · data_parallel
    std::vector<TrainingOp> ops;            // execution order of the forward pass
    TrainingFlops flops;
    TrainingTime time;
    TrainingMemory memory;
    double optimizer_flops_per_device = 0, optimizer_bytes_per_device = 0;
    bool has_hardware = false;
    double peak_flops_s = 0;                // the main GEMM class peak of one device (MFU denominator)
    std::vector<std::string> warnings;
    Analysis forward;                       // the core's analysis of the forward pass (buffers reused)
};

// The analysis. `hardware` may be null (no times). Throws Error on invalid input.
TrainingResult analyze_training(const ModelSpec& model, const TrainingOptions& training, const Precision& precision,
                                const Options& options, const Hardware* hardware);
// Same, reusing `out` (its vectors keep their capacity).
void analyze_training_into(TrainingResult& out, const ModelSpec& model, const TrainingOptions& training,
                           const Precision& precision, const Options& options, const Hardware* hardware);

// The "training" section of a request (see FORMULAS.md §11.8). Throws Error naming the field.
TrainingOptions parse_training(const nlohmann::json& training);

// The result document: {"flops", "ops", "time", "memory", "params", "lora", "training", "warnings"}.
nlohmann::json training_to_json(const ModelSpec& model, const TrainingResult& result, const TrainingOptions& training,
                                const Hardware* hardware);

// {"config", "workload" (ignored), "precision", "options", "hardware", "training": {...}} -> the result document.
nlohmann::json training_request(const nlohmann::json& request);

}  // namespace llmcalc
