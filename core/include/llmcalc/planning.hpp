// llmcalc — answers people plan with: the generation timeline of a request and
// the capacity of a device (FORMULAS.md §9 and §10). Both are built from the
// per-operator analysis; nothing here has formulas of its own beyond sums.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "llmcalc/analysis.hpp"
#include "llmcalc/api.hpp"
#include "llmcalc/model.hpp"

namespace llmcalc {

// ---------------------------------------------------------------- generation

struct GenerationOptions {
    std::int64_t prompt_tokens = 1024;
    std::int64_t output_tokens = 256;  // G: the first comes from the prefill, G − 1 from decode steps
    std::int64_t batch_size = 1;       // identical requests processed together
    std::int64_t cached_tokens = 0;    // prefix already in the cache before the prompt
    std::int64_t series_points = 256;  // samples of the per-step series (for plots)
};

struct StepPoint {
    std::int64_t step = 0;          // 1 = the first decode step (second output token)
    std::int64_t context = 0;       // tokens in the cache when the step starts
    double time_s = 0;
    double memory_bound_share = 0;  // fraction of the step's time spent in memory-bound operators
    double kv_cache_bytes = 0;      // held after the step, whole batch
};

struct GenerationResult {
    double ttft_s = 0;              // the prefill, which also yields the first output token
    double tpot_first_s = 0;        // the first decode step
    double tpot_last_s = 0;         // the last decode step
    double tpot_mean_s = 0;         // (e2e − ttft) / (G − 1)
    double decode_s = 0;            // all decode steps, summed over the growing context
    double e2e_s = 0;               // ttft + decode
    double request_tokens_per_s = 0;   // G / e2e for one request
    double output_tokens_per_s = 0;    // B·G / e2e for the batch
    double decode_tokens_per_s = 0;    // B·(G − 1) / decode
    double prefill_tokens_per_s = 0;   // B·P / ttft
    std::int64_t decode_steps = 0;
    double peak_memory_bytes = 0;      // weights + KV at the last step + the largest activation set
    std::vector<StepPoint> series;
};

// Exact: the decode time is summed over every step in closed form per segment
// where each operator's cost is affine in the context (FORMULAS.md §9).
GenerationResult estimate_generation(const ModelSpec& model, const GenerationOptions& gen, const Precision& precision,
                                     const Options& options, const Hardware& hardware);

// The same sum as an explicit loop over the steps (for tests and checks).
double decode_time_by_loop(const ModelSpec& model, const GenerationOptions& gen, const Precision& precision,
                           const Options& options, const Hardware& hardware);

// ---------------------------------------------------------------- capacity

struct CapacityOptions {
    double memory_fraction = 0.9;      // of each device's memory a serving engine may use
    std::int64_t devices = 1;          // weights, KV and activations spread evenly over them
    std::int64_t context = 4096;       // for the largest batch
    std::int64_t batch_size = 1;       // for the longest context
    std::int64_t prompt_tokens = 4096; // for activation memory
    std::int64_t prefill_chunk = 0;    // chunked prefill size (0 = the whole prompt at once)
};

struct CapacityResult {
    double budget_bytes = 0;            // memory_fraction · capacity · devices
    double weights_bytes = 0;           // total (not active) parameters for MoE
    double kv_bytes_per_token = 0;
    double state_bytes_per_sequence = 0;
    double kv_token_capacity = 0;       // tokens of full-attention context the budget holds after weights
    std::int64_t max_batch = 0;         // at `context`; 0 = not even one sequence fits
    std::int64_t max_context = 0;       // at `batch_size`; -1 = unbounded (memory stops growing)
    std::int64_t min_devices = 0;       // for batch_size sequences at `context`
    double decode_memory_bytes = 0;     // batch_size sequences at `context`
    double prefill_activation_fused = 0;     // activation peak of the prefill, FlashAttention-style
    double prefill_activation_unfused = 0;   // with the score matrix materialised
    double prefill_activation_chunked = 0;   // with chunked prefill (fused)
};

CapacityResult estimate_capacity(const ModelSpec& model, const CapacityOptions& cap, const Precision& precision,
                                 const Options& options, const Hardware& hardware);

// ---------------------------------------------------------------- JSON entry points

// request + "generation": {"prompt_tokens", "output_tokens", "batch_size", "cached_tokens", "series_points"}
nlohmann::json generation_request(const nlohmann::json& request);
// request + "capacity": {"memory_fraction", "devices", "context", "batch_size", "prompt_tokens", "prefill_chunk"}
nlohmann::json capacity_request(const nlohmann::json& request);

}  // namespace llmcalc
