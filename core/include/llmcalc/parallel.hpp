// llmcalc — tensor, pipeline, expert and data parallelism for inference
// (core/FORMULAS.md, §12).
//
// A layout (TP, PP, EP, DP) places a model on N = TP·PP·DP devices. For a layout
// the core computes what each device holds (weights, KV cache, activations) and the
// time of one step: the roofline time of every operator with its FLOPs and bytes
// divided the way the layout divides them, plus the collectives the layout needs.
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

// A device-to-device link (§12.5). Bandwidth is per direction; `per_node` links
// (several NICs of a node quoted together) are shared by the devices of a node.
struct Link {
    std::string id;                  // preset id; "" for a link given as figures or taken from the hardware
    std::string name;
    double bandwidth_bytes_s = 0;    // per direction: per device, or per node when per_node
    double latency_s = 0;            // per message hop (the α of the ring formula)
    bool per_node = false;
    std::string source;
};

// Links users pick for traffic inside or between nodes (NVLink, Infinity Fabric,
// PCIe, InfiniBand, RoCE), each with its source.
const std::vector<Link>& interconnect_presets();
// One of them; throws Error(unknown_name) listing the ids.
const Link& interconnect_preset(std::string_view id);
// The link a hardware description carries (Hardware::interconnect); bandwidth 0 if none.
Link hardware_link(const Hardware& hardware);

enum class RankBy { latency, throughput };

struct Layout {
    std::int64_t tp = 1;  // tensor parallel: heads, FFN width and vocabulary split over tp devices
    std::int64_t pp = 1;  // pipeline parallel: contiguous layer ranges on pp stages
    std::int64_t ep = 1;  // expert parallel: routed experts split over ep devices (1 = split like dense layers by tp)
    std::int64_t dp = 1;  // data parallel: dp replicas, each with 1/dp of the batch
    std::int64_t devices() const { return tp * pp * dp; }
};

struct ParallelConfig {
    std::int64_t devices = 1;           // N
    std::int64_t devices_per_node = 1;  // devices joined by `intra` (Hardware::count)
    Link intra;                         // link inside a node
    Link inter;                         // link between nodes (bandwidth 0 = use `intra`)
    double memory_fraction = 0.9;       // share of device memory a layout may use
    RankBy rank_by = RankBy::latency;
};

struct LayoutResult {
    Layout layout;
    bool fits = false;                 // total_bytes <= memory_fraction · device memory
    std::int64_t nodes = 1;            // nodes the layout occupies
    std::int64_t micro_batches = 1;    // the replica's batch split into this many pipeline micro-batches
    // Per device, for the most loaded pipeline stage:
    double weights_bytes = 0, kv_cache_bytes = 0, activation_bytes = 0, total_bytes = 0;
    double memory_fraction = 0;        // total_bytes / device memory
    // One step of the workload (every sequence advances by its new tokens):
    double compute_s = 0;              // operator roofline time, summed over the stages (one micro-batch)
    double communication_s = 0;        // collectives and pipeline sends, summed over the stages
    double pass_s = 0;                 // one micro-batch through every stage: compute_s + communication_s
    double step_s = 0;                 // max(pass_s, micro_batches · busiest stage)
    double tokens_per_s = 0;           // the workload's new tokens / step_s
    double latency_per_token_s = 0;    // time between two steps of one sequence (= step_s)
    double tp_allreduce_s = 0, ep_alltoall_s = 0, pp_p2p_s = 0;             // per pass
    double tp_allreduce_bytes = 0, ep_alltoall_bytes = 0, pp_p2p_bytes = 0;  // sent per device per pass
    std::vector<std::string> warnings;
};

// Ring collectives over p devices on one link (§12.5): all-reduce
// 2(p−1)/p · bytes / bandwidth + 2(p−1)·latency; all-gather half of both terms.
double ring_allreduce_time(double bytes, std::int64_t p, double bandwidth_bytes_s, double latency_s);
double ring_allgather_time(double bytes, std::int64_t p, double bandwidth_bytes_s, double latency_s);

// Whether a layout can run the model on `devices` devices (§12.1); throws Error naming
// the field ("parallel.tp", "parallel.ep", ...) if not.
void validate_layout(const ModelSpec& model, const Layout& layout, std::int64_t devices);
// Every valid layout for `devices` devices, TP, then PP, then EP ascending.
std::vector<Layout> valid_layouts(const ModelSpec& model, std::int64_t devices);

// One layout. The workload is the whole batch of all replicas. Throws Error.
LayoutResult evaluate_layout(const ModelSpec& model, const Workload& workload, const Precision& precision,
                             const Options& options, const Hardware& hardware, const ParallelConfig& config,
                             const Layout& layout);

// The candidates (every valid layout when empty), ranked by config.rank_by; layouts that
// do not fit come after every layout that does.
std::vector<LayoutResult> rank_layouts(const ModelSpec& model, const Workload& workload, const Precision& precision,
                                       const Options& options, const Hardware& hardware, const ParallelConfig& config,
                                       const std::vector<Layout>& candidates = {});

// {"config", "workload", "precision", "options", "hardware", "parallel": {"devices", "tp", "pp",
// "ep", "dp", "rank_by", "memory_fraction", "interconnect", "inter_node"}} ->
// {"layouts": [...], "best", "interconnects", "links", "warnings", ...} (FORMULAS.md §12.8).
nlohmann::json parallel_request(const nlohmann::json& request);

// The interconnect presets as JSON: [{"id", "name", "bandwidth_gbs", "latency_us", "scope", "source"}].
nlohmann::json interconnects_to_json();

}  // namespace llmcalc
