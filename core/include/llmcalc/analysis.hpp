// llmcalc — workload, hardware, options and the per-operator analysis.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "llmcalc/model.hpp"

namespace llmcalc {

// One sequence in the batch: tokens already in the KV cache, tokens processed now.
// Prefill: cached = 0. Decode: new_tokens = 1. Anything else: chunked prefill / mixed.
struct Query {
    std::int64_t cached_tokens = 0;
    std::int64_t new_tokens = 1;
};

// The batch is `queries`, repeated `batch_size` times.
struct Workload {
    std::vector<Query> queries{Query{}};
    std::int64_t batch_size = 1;
};

// Bits per value for each group. 0 = take the default from the checkpoint.
struct Precision {
    double attention_weight_bits = 0;  // q, k, v, o matrices
    double ffn_weight_bits = 0;        // dense FFN, routed and shared experts
    double embedding_bits = 0;         // embedding table and LM head
    double activation_bits = 0;        // activations between operators
    double kv_cache_bits = 0;          // KV cache entries
};

// Precision with every default resolved against a model.
struct ResolvedPrecision {
    double attention_weight_bits, ffn_weight_bits, embedding_bits, activation_bits, kv_cache_bits;
    double other_weight_bits;        // norms, biases, routers: stay at the checkpoint dtype
    double linear_compute_bits;      // bits the weight GEMMs run at (0 = max(weight, activation) bits)
};

ResolvedPrecision resolve_precision(const ModelSpec& model, const Precision& precision);

enum class FlopConvention { two_mnk, exact };      // 2·m·n·k, or m·n·(2k−1)
enum class CausalConvention { triangle, square };  // prefill attention pairs
enum class LmHeadTokens { last, all };             // logits for the last token of each query, or every token
enum class AttentionImpl { fused, unfused };       // FlashAttention-style (scores stay on chip) or materialised
enum class MlaMode { automatic, absorbed, naive };  // MLA: absorb W_UK/W_UV (decode) or decompress K/V (prefill)

struct Options {
    FlopConvention flops = FlopConvention::two_mnk;
    CausalConvention causal = CausalConvention::triangle;
    LmHeadTokens lm_head = LmHeadTokens::last;
    AttentionImpl attention = AttentionImpl::fused;
    MlaMode mla = MlaMode::automatic;  // automatic: absorbed when every query decodes one token
    double compute_efficiency = 1.0;    // achieved fraction of peak FLOP/s
    double bandwidth_efficiency = 1.0;  // achieved fraction of peak bandwidth
};

// Precision classes a device lists a peak for.
enum class ComputeClass { fp32, b16, b8, b4, vector };

struct Hardware {
    std::string id;
    std::string name;
    std::string category;
    double memory_bytes = 0;          // capacity
    double bandwidth_bytes_s = 0;     // peak memory bandwidth
    // Dense peak FLOP/s by class (0 = the device has no such unit; the next wider class is used).
    double peak_fp32 = 0, peak_16 = 0, peak_8 = 0, peak_4 = 0;
    double peak_vector = 0;           // non-tensor FP32 throughput for elementwise operators
    std::string source;
    // A node of several devices (presets like 8x H100): figures above are PER DEVICE.
    std::int64_t count = 1;           // devices in the node
    std::string interconnect;         // device-to-device link within the node ("NVLink 4", "PCIe 5.0 x16")
    double link_bandwidth_bytes_s = 0;  // per direction, per device
    double link_latency_s = 0;        // per message hop

    // Peak for a class, falling back to the next wider precision the device has.
    double peak(ComputeClass c) const;
};

ComputeClass compute_class_for_bits(double bits);
const char* compute_class_name(ComputeClass c);

enum class OpGroup { model, attention, ffn };

// One operator of one layer kind (or of the model around the layers).
// All quantities are for ONE occurrence; multiply by `count` for the model.
struct OpCost {
    const char* name = "";        // stable identifier: "qkv_proj", "attn_scores", ...
    int layer_kind = -1;          // index into ModelSpec::layer_kinds, -1 = outside the layers
    OpGroup group = OpGroup::model;
    bool is_matmul = false;
    std::int64_t count = 1;       // occurrences in the model (number of layers of the kind)
    ComputeClass compute = ComputeClass::vector;
    double flops = 0;
    double weight_bytes = 0;
    double input_bytes = 0;       // activations read
    double output_bytes = 0;      // activations written
    double kv_read_bytes = 0;
    double kv_write_bytes = 0;
    // Filled in when a device is given:
    double compute_time_s = 0, memory_time_s = 0, time_s = 0;

    double bytes() const { return weight_bytes + input_bytes + output_bytes + kv_read_bytes + kv_write_bytes; }
    double intensity() const { return bytes() > 0 ? flops / bytes() : 0; }
    bool memory_bound() const { return memory_time_s >= compute_time_s; }
};

struct KvCacheStats {
    double bytes_per_token = 0;           // all layers, below every sliding window
    double state_bytes_per_sequence = 0;  // recurrent (SSM) state, independent of context length
    std::vector<double> bytes_per_token_by_kind;  // one entry per layer kind (per layer of that kind)
    double bytes = 0;                     // held after this step for the whole batch
};

struct MemoryStats {
    double weights_bytes = 0;
    double kv_cache_bytes = 0;
    double activation_bytes = 0;          // peak working set of one operator
    double total_bytes = 0;
};

struct Totals {
    double flops = 0, bytes = 0, weight_bytes = 0, kv_bytes = 0;
    double compute_time_s = 0, memory_time_s = 0, time_s = 0;
    double intensity() const { return bytes > 0 ? flops / bytes : 0; }
};

struct WorkloadStats {
    std::int64_t sequences = 0;        // batch_size · queries
    std::int64_t new_tokens = 0;       // tokens processed this step
    std::int64_t context_tokens = 0;   // cached + new, summed over sequences
    std::int64_t logit_tokens = 0;     // rows through the LM head
    std::int64_t max_context = 0;      // longest sequence after the step
};

struct Analysis {
    ParamCounts params;
    ResolvedPrecision precision{};
    WorkloadStats workload;
    std::vector<OpCost> ops;           // execution order
    KvCacheStats kv_cache;
    MemoryStats memory;
    Totals totals;
    bool has_hardware = false;
    double ridge_point = 0;            // FLOP/byte where the main GEMM roof meets the bandwidth roof
    std::vector<std::string> warnings;
};

// Validate a workload (throws Error naming the field).
void validate_workload(const Workload& workload);
void validate_options(const Options& options);
void validate_precision(const Precision& precision);

// The analysis. `hardware` may be null (no times). Throws Error on invalid input.
Analysis analyze(const ModelSpec& model, const Workload& workload, const Precision& precision,
                 const Options& options, const Hardware* hardware);

// Same, reusing `out` (its vectors keep their capacity): for sweeps without allocation.
void analyze_into(Analysis& out, const ModelSpec& model, const Workload& workload,
                  const Precision& precision, const Options& options, const Hardware* hardware);

}  // namespace llmcalc
