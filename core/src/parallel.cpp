// Tensor, pipeline, expert and data parallelism for inference (FORMULAS.md §12).
#include "llmcalc/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <string_view>
#include <utility>

#include "formulas.hpp"
#include "json_reader.hpp"

namespace llmcalc {

using detail::FieldReader;
using nlohmann::json;

namespace {

constexpr std::int64_t kMaxDevices = 65536;
constexpr double kMaxLinkGbs = 1e9;
constexpr double kMaxLinkLatencyUs = 1e6;

// §12.5: per-hop latencies are NCCL's own cost model (src/graph/tuning.cc, hwLat, ring / LL
// protocol: NVLink 0.6 µs, PCIe 1.0 µs, network 2.7 µs) and RCCL's for xGMI (0.8 µs).
const char* const kNcclLatency =
    "latency: per-hop figure of NCCL's tuning model (NVIDIA/nccl src/graph/tuning.cc, hwLat, ring/LL)";

std::vector<Link> make_presets() {
    auto gbs = [](double v) { return v * 1e9; };
    auto us = [](double v) { return v * 1e-6; };
    const std::string nccl = kNcclLatency;
    return {
        {"nvlink3", "NVLink 3 (A100, 12 links)", gbs(300), us(0.6), false,
         "NVIDIA A100 datasheet: NVLink 600 GB/s bidirectional per GPU (12 links x 50 GB/s) -> 300 GB/s per "
         "direction; " + nccl + ": NVLink 0.6 us"},
        {"nvlink4", "NVLink 4 (H100/H200, 18 links)", gbs(450), us(0.6), false,
         "NVIDIA H100 / H200 datasheets: NVLink 900 GB/s bidirectional per GPU (18 links x 50 GB/s) -> 450 GB/s "
         "per direction; " + nccl + ": NVLink 0.6 us"},
        {"nvlink5", "NVLink 5 (B200, 18 links)", gbs(900), us(0.6), false,
         "NVIDIA HGX B200 specifications: NVLink 1.8 TB/s bidirectional per GPU (18 links x 100 GB/s) -> 900 GB/s "
         "per direction; " + nccl + ": NVLink 0.6 us (NVLink 4 figure; none published for NVLink 5)"},
        {"infinity-fabric-mi300x", "AMD Infinity Fabric (MI300X/MI325X, 7 links)", gbs(448), us(0.8), false,
         "AMD Instinct MI300X data sheet: 7 Infinity Fabric links of 128 GB/s bidirectional (x16 at 32 GT/s) = "
         "896 GB/s -> 448 GB/s per direction to the 7 peers of an 8-GPU platform; latency: RCCL's tuning model "
         "(ROCm/rccl src/graph/tuning.cc, xGMI ring/LL 0.8 us)"},
        {"pcie4-x16", "PCIe 4.0 x16", gbs(32), us(1.0), false,
         "PCI-SIG PCIe 4.0: 16 GT/s per lane x 16 lanes = 64 GB/s bidirectional as vendors quote it (31.5 GB/s "
         "per direction after 128b/130b encoding) -> 32 GB/s per direction; " + nccl + ": PCIe 1.0 us"},
        {"pcie5-x16", "PCIe 5.0 x16", gbs(64), us(1.0), false,
         "PCI-SIG PCIe 5.0: 32 GT/s per lane x 16 lanes = 128 GB/s bidirectional as vendors quote it (H100 PCIe "
         "datasheet) -> 64 GB/s per direction; " + nccl + ": PCIe 1.0 us"},
        {"ib-hdr", "InfiniBand HDR 200 Gb/s (one port per device)", gbs(25), us(2.7), false,
         "InfiniBand Trade Association HDR: 200 Gb/s per 4x port = 25 GB/s per direction (NVIDIA ConnectX-6; "
         "DGX A100: 8 single-port HDR adapters for compute, one per GPU); " + nccl + ": network 2.7 us"},
        {"ib-ndr", "InfiniBand NDR 400 Gb/s (one port per device)", gbs(50), us(2.7), false,
         "InfiniBand Trade Association NDR: 400 Gb/s per 4x port = 50 GB/s per direction (NVIDIA ConnectX-7); "
         + nccl + ": network 2.7 us"},
        {"ib-ndr-8x400g", "InfiniBand NDR 8 x 400 Gb/s per node", gbs(400), us(2.7), true,
         "NVIDIA DGX H100 / DGX H200 / DGX B200 datasheets: 8 x ConnectX-7 400 Gb/s for the compute fabric = "
         "400 GB/s per direction per node, shared by its devices (50 GB/s each on an 8-GPU node); " + nccl +
             ": network 2.7 us"},
        {"roce-100g", "RoCE v2, 100 GbE (one port per device)", gbs(12.5), us(2.7), false,
         "IEEE 802.3 100 Gigabit Ethernet: 12.5 GB/s per direction, RDMA over Converged Ethernet v2; latency: "
         "assumed equal to NCCL's network figure (its tuning model does not tell InfiniBand from RoCE), 2.7 us"},
        {"roce-200g", "RoCE v2, 200 GbE (one port per device)", gbs(25), us(2.7), false,
         "IEEE 802.3 200 Gigabit Ethernet: 25 GB/s per direction, RDMA over Converged Ethernet v2; latency: "
         "assumed equal to NCCL's network figure, 2.7 us"},
        {"roce-400g", "RoCE v2, 400 GbE (one port per device)", gbs(50), us(2.7), false,
         "IEEE 802.3 400 Gigabit Ethernet: 50 GB/s per direction, RDMA over Converged Ethernet v2 (ConnectX-7, "
         "BlueField-3); latency: assumed equal to NCCL's network figure, 2.7 us"},
    };
}

std::int64_t sequences_of(const Workload& w) { return w.batch_size * static_cast<std::int64_t>(w.queries.size()); }

// §12.2: the busiest of k equal parts of a batch (DP replicas, pipeline micro-batches).
struct Part {
    Workload workload;
    std::int64_t active = 1;  // parts that receive at least one sequence
};

Part split(const Workload& w, std::int64_t k) {
    Part p;
    const std::int64_t q = static_cast<std::int64_t>(w.queries.size());
    const std::int64_t b = w.batch_size;
    const std::int64_t total = b * q;
    if (k <= 1) {
        p.workload = w;
        return p;
    }
    p.active = std::min(k, total);
    if (b >= k || q == 1) {
        p.workload.queries = w.queries;
        p.workload.batch_size = (b + k - 1) / k;  // the busiest part: ceil(B / k) copies of the queries
    } else {
        // Fewer copies than parts: deal the sequences out in turn; part 0 gets the most.
        p.workload.queries.clear();
        for (std::int64_t i = 0; i < total; i += k) p.workload.queries.push_back(w.queries[static_cast<std::size_t>(i % q)]);
        p.workload.batch_size = 1;
    }
    return p;
}

// Tokens of one layer kind's cache after the step (FORMULAS.md §3.3 "tokens kept").
double stored_tokens(const Workload& w, const AttentionSpec& at) {
    double stored = 0;
    for (const Query& q : w.queries) {
        const double ctx = static_cast<double>(q.cached_tokens + q.new_tokens);
        if (at.window > 0) {
            stored += std::min(ctx, static_cast<double>(at.window));
        } else if (at.chunk > 0) {
            const double c = static_cast<double>(at.chunk);
            stored += ctx - std::floor((ctx - 1) / c) * c;
        } else {
            stored += ctx;
        }
    }
    return stored * static_cast<double>(w.batch_size);
}

double touched_experts(double E, double k, double tokens) {
    // FORMULAS.md §3.5: expected distinct experts hit by `tokens` tokens choosing k of E uniformly.
    if (k >= E) return E;
    return E * (1 - std::exp(tokens * std::log1p(-k / E)));
}

std::int64_t total_layers(const ModelSpec& m) {
    std::int64_t n = 0;
    for (const LayerKind& k : m.layer_kinds) n += k.count;
    return n;
}

bool has_moe(const ModelSpec& m) {
    for (const LayerKind& k : m.layer_kinds) {
        if (k.ffn.kind == FfnKind::moe) return true;
    }
    return false;
}

// §12.1: why a TP degree cannot split the model ("" if it can).
std::string tp_problem(const ModelSpec& m, std::int64_t tp) {
    if (tp <= 1) return "";
    for (const LayerKind& k : m.layer_kinds) {
        const AttentionSpec& a = k.attention;
        if (k.mixer == MixerKind::attention || k.mixer == MixerKind::mla) {
            if (a.num_heads % tp != 0) {
                return "it must divide the number of attention heads (" + std::to_string(a.num_heads) + ") so each device holds whole heads";
            }
            if (k.mixer == MixerKind::attention && a.num_kv_heads % tp != 0 && tp % a.num_kv_heads != 0) {
                return "it must divide the number of key/value heads (" + std::to_string(a.num_kv_heads) +
                       ") or be a multiple of it (then KV heads are replicated)";
            }
        }
        if (k.mixer == MixerKind::mamba || k.mixer == MixerKind::mamba2) {
            if (k.ssm.d_inner % tp != 0) return "it must divide the SSM inner width (" + std::to_string(k.ssm.d_inner) + ")";
            if (k.mixer == MixerKind::mamba2 && k.ssm.n_heads % tp != 0) {
                return "it must divide the number of SSM heads (" + std::to_string(k.ssm.n_heads) + ")";
            }
        }
        if (k.ffn.kind == FfnKind::dense && k.ffn.intermediate % tp != 0) {
            return "it must divide the FFN width (" + std::to_string(k.ffn.intermediate) + ")";
        }
        if (k.ffn.kind == FfnKind::moe && k.ffn.shared_intermediate % tp != 0) {
            return "it must divide the shared-expert width (" + std::to_string(k.ffn.shared_intermediate) + ")";
        }
    }
    return "";
}

// §12.1: why an EP degree cannot split the experts of a layout ("" if it can).
std::string ep_problem(const ModelSpec& m, const Layout& l) {
    if (l.ep == 1) {
        for (const LayerKind& k : m.layer_kinds) {
            if (k.ffn.kind == FfnKind::moe && k.ffn.expert_intermediate % l.tp != 0) {
                return "ep 1 splits every expert by tp, which must then divide the expert width (" +
                       std::to_string(k.ffn.expert_intermediate) + ")";
            }
        }
        return "";
    }
    if (!has_moe(m)) return "the model has no routed experts; only ep 1 applies";
    for (const LayerKind& k : m.layer_kinds) {
        if (k.ffn.kind == FfnKind::moe && k.ffn.num_experts % l.ep != 0) {
            return "it must divide the number of routed experts (" + std::to_string(k.ffn.num_experts) + ")";
        }
    }
    if ((l.tp * l.dp) % l.ep != 0) {
        return "it must divide tp·dp = " + std::to_string(l.tp * l.dp) + " (the devices of a pipeline stage)";
    }
    return "";
}

// Multipliers (≤ 1) applied to one operator's quantities on one device (§12.3).
struct Share {
    double flops = 1, weight = 1, in = 1, out = 1, kv_read = 1, kv_write = 1;
};
Share all_of(double f) { return {f, f, f, f, f, f}; }
Share column(double f) { return {f, f, 1, f, 1, 1}; }  // output features split, input replicated
Share row(double f) { return {f, f, f, 1, 1, 1}; }     // input features split, output partial sums (all-reduced)

bool is_one_of(std::string_view name, std::initializer_list<std::string_view> names) {
    for (std::string_view n : names) {
        if (name == n) return true;
    }
    return false;
}

// Collective times on a link pair: inside a node (intra) and between nodes (inter).
struct Net {
    double b_intra = 0, a_intra = 0;  // bandwidth per direction per device, latency per hop
    double b_inter = 0, a_inter = 0;
    std::int64_t node = 1;            // devices per node
};

// A group of g consecutive devices (aligned at multiples of g) lies inside one node.
bool inside_node(std::int64_t g, std::int64_t node) { return g <= node && node % g == 0; }

// Ring collective: factor 2 = all-reduce, 1 = all-gather (§12.5).
double ring(double factor, double bytes, std::int64_t p, double b, double a) {
    if (p <= 1) return 0;
    const double pm1 = static_cast<double>(p - 1);
    return factor * pm1 / static_cast<double>(p) * bytes / b + factor * pm1 * a;
}

double collective(const Net& n, double factor, double bytes, std::int64_t g, bool& irregular) {
    if (g <= 1) return 0;
    if (inside_node(g, n.node)) return ring(factor, bytes, g, n.b_intra, n.a_intra);
    if (g % n.node == 0) {
        // Hierarchical: reduce-scatter / all-gather inside each node, the 1/m shards across nodes.
        const std::int64_t m = n.node, nodes = g / n.node;
        return ring(factor, bytes, m, n.b_intra, n.a_intra) +
               ring(factor, bytes / static_cast<double>(m), nodes, n.b_inter, n.a_inter);
    }
    irregular = true;  // groups straddle nodes unevenly: the whole ring at the slower link
    return ring(factor, bytes, g, std::min(n.b_intra, n.b_inter), std::max(n.a_intra, n.a_inter));
}

// All-to-all of `bytes` sent by each device of a group of g (§12.5).
double all_to_all(const Net& n, double bytes, std::int64_t g, bool& irregular) {
    if (g <= 1) return 0;
    if (inside_node(g, n.node)) return bytes / n.b_intra + n.a_intra;
    std::int64_t m = 1;  // group members in the same node as a device
    if (g % n.node == 0) m = n.node;
    else irregular = true;
    const double peers = static_cast<double>(g - 1);
    const double near = bytes * static_cast<double>(m - 1) / peers, far = bytes * static_cast<double>(g - m) / peers;
    return std::max(near / n.b_intra, far / n.b_inter) + n.a_inter;  // NVLink and NIC traffic overlap
}

// One evaluation context: a model, a workload and a device, for many layouts.
class Evaluator {
public:
    Evaluator(const ModelSpec& m, const Workload& w, const Precision& p, const Options& o, const Hardware& hw,
              const ParallelConfig& cfg)
        : m_(m), w_(w), p_(p), o_(o), hw_(hw), cfg_(cfg) {
        validate_workload(w);
        validate_precision(p);
        validate_options(o);
        if (m.layer_kinds.empty()) throw Error(ErrorCode::internal, "model has no layers");
        layers_ = total_layers(m);
        // Which kind each layer is (from the parsed indices; in kind order if a description lacks them).
        kind_of_.assign(static_cast<std::size_t>(layers_), 0);
        bool indices_ok = true;
        for (std::size_t ki = 0; ki < m.layer_kinds.size(); ++ki) {
            const LayerKind& k = m.layer_kinds[ki];
            if (static_cast<std::int64_t>(k.layer_indices.size()) != k.count) indices_ok = false;
            for (std::int64_t i : k.layer_indices) {
                if (i < 0 || i >= layers_) indices_ok = false;
            }
        }
        std::size_t next = 0;
        for (std::size_t ki = 0; ki < m.layer_kinds.size(); ++ki) {
            const LayerKind& k = m.layer_kinds[ki];
            for (std::int64_t j = 0; j < k.count; ++j) {
                const std::size_t at = indices_ok ? static_cast<std::size_t>(k.layer_indices[static_cast<std::size_t>(j)]) : next;
                kind_of_[at] = static_cast<int>(ki);
                ++next;
            }
        }
        global_tokens_ = 0;
        for (const Query& q : w.queries) global_tokens_ += static_cast<double>(q.new_tokens);
        global_tokens_ *= static_cast<double>(w.batch_size);
    }

    LayoutResult evaluate(const Layout& l) {
        validate_layout(m_, l, cfg_.devices);
        LayoutResult r;
        r.layout = l;
        const double t = static_cast<double>(l.tp);
        const std::int64_t node = std::max<std::int64_t>(1, cfg_.devices_per_node);
        r.nodes = (cfg_.devices + node - 1) / node;

        // §12.2: the batch of the busiest replica, and of its busiest micro-batch.
        const Part replica = split(w_, l.dp);
        if (replica.active < l.dp) {
            r.warnings.push_back("dp " + std::to_string(l.dp) + " exceeds the " + std::to_string(sequences_of(w_)) +
                                 " sequences of the batch: " + std::to_string(l.dp - replica.active) + " replicas are idle");
        }
        r.micro_batches = std::min(l.pp, sequences_of(replica.workload));
        const Analysis& an = analysis(l.dp, r.micro_batches, replica.workload);
        const ResolvedPrecision& rp = an.precision;
        const double a = rp.activation_bits / 8;
        const double h = static_cast<double>(m_.hidden_size);
        const double T = static_cast<double>(an.workload.new_tokens);
        const double R = static_cast<double>(an.workload.logit_tokens);

        // Stages: layers [floor(s·L/pp), floor((s+1)·L/pp)).
        const std::size_t P = static_cast<std::size_t>(l.pp), K = m_.layer_kinds.size();
        std::vector<std::vector<double>> n(P, std::vector<double>(K, 0.0));
        for (std::size_t s = 0; s < P; ++s) {
            const std::int64_t from = static_cast<std::int64_t>(s) * layers_ / l.pp;
            const std::int64_t to = static_cast<std::int64_t>(s + 1) * layers_ / l.pp;
            for (std::int64_t i = from; i < to; ++i) n[s][static_cast<std::size_t>(kind_of_[static_cast<std::size_t>(i)])] += 1;
        }

        // Operators (§12.3): each op's FLOPs and bytes on one device, timed on the roofline.
        std::vector<double> compute(P, 0.0);
        double activation = 0;
        bool seen_layer = false;
        const double peak_eff = o_.compute_efficiency, bw = hw_.bandwidth_bytes_s * o_.bandwidth_efficiency;
        for (const OpCost& op : an.ops) {
            const Share sh = share(op, l, T);
            const double flops = op.flops * sh.flops;
            const double bytes = op.weight_bytes * sh.weight + op.input_bytes * sh.in + op.output_bytes * sh.out +
                                 op.kv_read_bytes * sh.kv_read + op.kv_write_bytes * sh.kv_write;
            activation = std::max(activation, op.input_bytes * sh.in + op.output_bytes * sh.out);
            const double peak = hw_.peak(op.compute) * peak_eff;
            const double time = std::max(peak > 0 ? flops / peak : 0.0, bytes / bw);
            if (op.layer_kind >= 0) {
                seen_layer = true;
                for (std::size_t s = 0; s < P; ++s) compute[s] += n[s][static_cast<std::size_t>(op.layer_kind)] * time;
            } else {
                compute[seen_layer ? P - 1 : 0] += time;  // embedding on the first stage, head on the last
            }
        }

        // Communication (§12.5).
        Net net;
        net.b_intra = cfg_.intra.bandwidth_bytes_s;
        net.a_intra = cfg_.intra.latency_s;
        if (cfg_.inter.bandwidth_bytes_s > 0) {
            net.node = std::min(node, cfg_.devices);  // a deployment inside one node never leaves it
            net.b_inter = cfg_.inter.per_node ? cfg_.inter.bandwidth_bytes_s / static_cast<double>(node)
                                              : cfg_.inter.bandwidth_bytes_s;
            net.a_inter = cfg_.inter.latency_s;
        } else {
            net.node = cfg_.devices;  // one domain: every device on the intra link
            net.b_inter = net.b_intra;
            net.a_inter = net.a_intra;
        }
        if (net.b_intra <= 0) {  // only inter-node traffic is possible (a device without a link of its own)
            net.b_intra = net.b_inter;
            net.a_intra = net.a_inter;
        }
        bool irregular = false;
        const double S = T * h * a;  // the activation of the micro-batch
        std::vector<double> tp_s(P, 0.0), ep_s(P, 0.0);
        if (l.tp > 1) {
            const double per_allreduce = collective(net, 2, S, l.tp, irregular);
            for (std::size_t s = 0; s < P; ++s) {
                for (std::size_t ki = 0; ki < K; ++ki) {
                    const double count = n[s][ki] * allreduces_per_layer(m_.layer_kinds[ki]);
                    tp_s[s] += count * per_allreduce;
                    r.tp_allreduce_bytes += count * 2 * (t - 1) / t * S;
                }
            }
            const double emb = T * static_cast<double>(m_.embedding_width()) * a;      // vocab-parallel embedding
            const double logits = R * static_cast<double>(m_.vocab_size) * a;          // vocab-parallel LM head
            tp_s[0] += collective(net, 2, emb, l.tp, irregular);
            tp_s[P - 1] += collective(net, 1, logits, l.tp, irregular);
            r.tp_allreduce_bytes += 2 * (t - 1) / t * emb + (t - 1) / t * logits;
        }
        if (l.ep > 1) {
            const double e = static_cast<double>(l.ep);
            for (std::size_t ki = 0; ki < K; ++ki) {
                const LayerKind& k = m_.layer_kinds[ki];
                if (k.ffn.kind != FfnKind::moe) continue;
                // Each device dispatches its 1/tp share of the tokens to k experts; (ep−1)/ep leave it.
                const double bytes = T / t * static_cast<double>(k.ffn.experts_per_token) * h * a * (e - 1) / e;
                const double one = all_to_all(net, bytes, l.ep, irregular);
                for (std::size_t s = 0; s < P; ++s) {
                    ep_s[s] += n[s][ki] * 2 * one;  // dispatch and combine
                    r.ep_alltoall_bytes += n[s][ki] * 2 * bytes;
                }
            }
        }
        double hops = 0;
        if (l.pp > 1) {
            const std::int64_t per_stage = l.tp * l.dp;
            for (std::int64_t s = 0; s + 1 < l.pp; ++s) {
                // Stages s and s+1 occupy devices [s·S, (s+2)·S); the send crosses nodes unless one node holds both.
                const bool crosses = (s * per_stage) / net.node != ((s + 2) * per_stage - 1) / net.node;
                hops += S / (crosses ? net.b_inter : net.b_intra) + (crosses ? net.a_inter : net.a_intra);
            }
            r.pp_p2p_bytes = static_cast<double>(l.pp - 1) * S;
        }
        if (irregular) {
            r.warnings.push_back("some groups straddle nodes unevenly; their collectives are timed at the slower link");
        }

        double busiest = 0;
        for (std::size_t s = 0; s < P; ++s) {
            r.compute_s += compute[s];
            r.tp_allreduce_s += tp_s[s];
            r.ep_alltoall_s += ep_s[s];
            busiest = std::max(busiest, compute[s] + tp_s[s] + ep_s[s]);
        }
        r.pp_p2p_s = hops;
        r.communication_s = r.tp_allreduce_s + r.ep_alltoall_s + r.pp_p2p_s;
        r.pass_s = r.compute_s + r.communication_s;
        r.step_s = std::max(r.pass_s, static_cast<double>(r.micro_batches) * busiest);
        r.latency_per_token_s = r.step_s;
        r.tokens_per_s = r.step_s > 0 ? global_tokens_ / r.step_s : 0;

        // Memory (§12.4): the most loaded stage.
        const double seqs = static_cast<double>(sequences_of(replica.workload));
        std::vector<double> kind_weights(K), kind_kv(K);
        for (std::size_t ki = 0; ki < K; ++ki) {
            kind_weights[ki] = layer_weight_bytes(m_.layer_kinds[ki], rp, l);
            kind_kv[ki] = layer_kv_bytes(m_.layer_kinds[ki], rp, l, replica.workload, seqs);
        }
        const ParamCounts& pc = an.params;
        const double eb = rp.embedding_bits / 8, ob = rp.other_weight_bits / 8;
        const double V = static_cast<double>(m_.vocab_size);
        const double embedding = static_cast<double>(pc.embedding) * eb / t;
        double head = static_cast<double>(pc.lm_head) * eb;
        if (m_.tie_word_embeddings && l.pp > 1) head += V * static_cast<double>(m_.embedding_width()) * eb;  // the last stage's copy
        if (m_.lm_head_bias) head += V * (ob - eb);  // the bias at the checkpoint dtype
        head = head / t + (m_.final_norm ? static_cast<double>(detail::norm_params(m_)) * ob : 0);
        double worst = -1;
        for (std::size_t s = 0; s < P; ++s) {
            double weights = 0, kv = 0;
            for (std::size_t ki = 0; ki < K; ++ki) {
                weights += n[s][ki] * kind_weights[ki];
                kv += n[s][ki] * kind_kv[ki];
            }
            if (s == 0) weights += embedding;
            if (s == P - 1) weights += head;
            if (weights + kv > worst) {
                worst = weights + kv;
                r.weights_bytes = weights;
                r.kv_cache_bytes = kv;
            }
        }
        r.activation_bytes = activation;
        r.total_bytes = r.weights_bytes + r.kv_cache_bytes + r.activation_bytes;
        r.memory_fraction = r.total_bytes / hw_.memory_bytes;
        r.fits = r.total_bytes <= cfg_.memory_fraction * hw_.memory_bytes;
        for (const LayerKind& k : m_.layer_kinds) {
            if (k.mixer == MixerKind::attention && l.tp > k.attention.num_kv_heads) {
                r.warnings.push_back("tp " + std::to_string(l.tp) + " exceeds the " + std::to_string(k.attention.num_kv_heads) +
                                     " key/value heads: each is replicated on " + std::to_string(l.tp / k.attention.num_kv_heads) +
                                     " devices");
                break;
            }
        }
        return r;
    }

private:
    const Analysis& analysis(std::int64_t dp, std::int64_t micro, const Workload& replica) {
        const auto key = std::make_pair(dp, micro);
        auto it = cache_.find(key);
        if (it != cache_.end()) return it->second;
        Analysis& an = cache_[key];
        an.ops.reserve(64);
        analyze_into(an, m_, split(replica, micro).workload, p_, o_, &hw_);
        return an;
    }

    // §12.5: all-reduces per layer: one after the mixer, one after the FFN (one for a parallel block).
    static double allreduces_per_layer(const LayerKind& k) {
        const bool mixer = k.mixer != MixerKind::none, ffn = k.ffn.kind != FfnKind::none;
        if (k.parallel && mixer && ffn) return 1;
        return (mixer ? 1 : 0) + (ffn ? 1 : 0);
    }

    // §12.3: the share of an operator one device computes and moves.
    Share share(const OpCost& op, const Layout& l, double T) const {
        const std::string_view name = op.name;
        const double it = 1.0 / static_cast<double>(l.tp);
        if (op.layer_kind < 0) {
            if (name == "embedding") return {1, it, 1, 1, 1, 1};  // vocab-parallel table: 1/tp of the rows
            if (name == "lm_head") return column(it);
            return {};  // norms, positions, projections: every device
        }
        const LayerKind& k = m_.layer_kinds[static_cast<std::size_t>(op.layer_kind)];
        if (op.group == OpGroup::attention) {
            if (k.mixer == MixerKind::attention) {
                const AttentionSpec& at = k.attention;
                const double kvs = static_cast<double>(std::min(l.tp, at.num_kv_heads));
                const double q = static_cast<double>(at.q_dim()), kv = static_cast<double>(at.kv_dim()),
                             v = static_cast<double>(at.v_dim());
                if (name == "qkv_proj") return column((q * it + (kv + v) / kvs) / (q + kv + v));
                if (name == "qk_norm" || name == "rope") {
                    const double f = (q * it + kv / kvs) / (q + kv);
                    return {f, 1, f, f, 1, 1};
                }
                if (name == "kv_cache_write") return {1, 1, 1 / kvs, 1, 1, 1 / kvs};
                if (name == "attn_scores" || name == "attn_v") return {it, 1, it, it, 1 / kvs, 1};
                if (name == "softmax") return all_of(it);
                if (name == "o_proj") return row(it);
                return {};
            }
            if (k.mixer == MixerKind::mla) {
                if (is_one_of(name, {"q_b_proj", "q_proj", "kv_b_proj"})) return column(it);
                if (is_one_of(name, {"q_absorb", "v_absorb", "rope", "softmax"})) return all_of(it);
                if (name == "attn_scores" || name == "attn_v") return {it, 1, it, it, 1, 1};  // the latent is replicated
                if (name == "o_proj") return row(it);
                return {};  // q_a/kv_a projections and norms, the latent cache write, the indexer: every device
            }
            if (k.mixer == MixerKind::mamba || k.mixer == MixerKind::mamba2) {
                if (name == "ssm_in_proj") return column(it);
                if (name == "ssm_out_proj") return row(it);
                if (name == "attn_norm" || name == "post_attn_norm" || name == "attn_residual") return {};
                return all_of(it);  // conv, scan, gates and their states: channels split by tp
            }
            if (name == "linear_mixer") return row(it);
            return {};
        }
        // FFN group
        if (is_one_of(name, {"gate_up_proj", "up_proj", "shared_gate_up", "shared_up"})) return column(it);
        if (is_one_of(name, {"act_mul", "shared_act_mul"})) return all_of(it);
        if (is_one_of(name, {"down_proj", "shared_down", "linear_ffn"})) return row(it);
        if (is_one_of(name, {"experts_gate_up", "experts_act_mul", "experts_down"})) {
            if (l.ep == 1) {
                if (name == "experts_gate_up") return column(it);
                if (name == "experts_down") return row(it);
                return all_of(it);
            }
            // Expert parallel: 1/tp of the routed rows per device; weights of its E/ep experts the tokens reach.
            const double E = static_cast<double>(k.ffn.num_experts), kk = static_cast<double>(k.ffn.experts_per_token);
            const double whole = touched_experts(E, kk, T);
            const double group_tokens = T * static_cast<double>(l.ep) * it;  // tokens through one copy of the experts
            const double mine = touched_experts(E, kk, group_tokens) / static_cast<double>(l.ep);
            return {it, whole > 0 ? mine / whole : 0, it, it, 1, 1};
        }
        return {};  // norms, residuals, router, combine: every device
    }

    // §12.4: weights of one layer of a kind on one device.
    double layer_weight_bytes(const LayerKind& k, const ResolvedPrecision& rp, const Layout& l) const {
        const detail::LayerParams lp = detail::layer_params(m_, k);
        const double t = static_cast<double>(l.tp), h = static_cast<double>(m_.hidden_size);
        const double aw = rp.attention_weight_bits / 8, fw = rp.ffn_weight_bits / 8, ob = rp.other_weight_bits / 8;
        const AttentionSpec& at = k.attention;
        double mixer = 0;
        switch (k.mixer) {
            case MixerKind::attention: {
                const double kvs = static_cast<double>(std::min(l.tp, at.num_kv_heads));
                mixer = h * static_cast<double>(at.q_dim()) / t + h * static_cast<double>(at.kv_dim() + at.v_dim()) / kvs +
                        static_cast<double>(at.o_in()) * h / t;
                break;
            }
            case MixerKind::mla: {
                // q_a, kv_a (and the sparse-attention indexer) are replicated; q_b / q, kv_b and o are split by heads.
                double replicated = h * static_cast<double>(at.kv_lora_rank + at.qk_rope_head_dim);
                if (at.q_lora_rank > 0) replicated += h * static_cast<double>(at.q_lora_rank);
                if (at.sparse_topk > 0) {
                    const double qin = static_cast<double>(at.q_lora_rank > 0 ? at.q_lora_rank : m_.hidden_size);
                    const double ni = static_cast<double>(at.index_heads), di = static_cast<double>(at.index_head_dim);
                    replicated += qin * ni * di + h * di + h * ni;
                }
                mixer = replicated + (static_cast<double>(lp.attn_matrix) - replicated) / t;
                break;
            }
            default: mixer = static_cast<double>(lp.attn_matrix) / t; break;
        }
        const double E = static_cast<double>(k.ffn.num_experts);
        double bytes = (mixer + static_cast<double>(lp.ssm_matrix) / t) * aw;
        bytes += static_cast<double>(lp.attn_bias + lp.norms + lp.ffn_bias + lp.router + lp.shared_gate) * ob;  // every device
        bytes += static_cast<double>(lp.attn_other + lp.ssm_other) / t * ob;  // per head / per channel
        bytes += static_cast<double>(lp.ffn_matrix + lp.shared_matrix) / t * fw;
        if (l.ep > 1) {
            bytes += E / static_cast<double>(l.ep) *
                     (static_cast<double>(lp.expert_matrix) * fw + static_cast<double>(lp.expert_bias) * ob);
        } else {
            bytes += E * (static_cast<double>(lp.expert_matrix) / t * fw + static_cast<double>(lp.expert_bias) * ob);
        }
        return bytes;
    }

    // §12.4: KV cache / SSM state of one layer of a kind on one device, for the replica's batch.
    double layer_kv_bytes(const LayerKind& k, const ResolvedPrecision& rp, const Layout& l, const Workload& replica,
                          double seqs) const {
        const double kvb = rp.kv_cache_bits / 8;
        const AttentionSpec& at = k.attention;
        switch (k.mixer) {
            case MixerKind::attention: {
                const double kvs = static_cast<double>(std::min(l.tp, at.num_kv_heads));
                return static_cast<double>(at.kv_dim() + at.v_dim()) * kvb * stored_tokens(replica, at) / kvs;
            }
            case MixerKind::mla:
                return static_cast<double>(at.kv_lora_rank + at.qk_rope_head_dim + at.index_head_dim) * kvb *
                       stored_tokens(replica, at);
            case MixerKind::mamba:
            case MixerKind::mamba2: {
                const bool v2 = k.mixer == MixerKind::mamba2;
                const double state = static_cast<double>(k.ssm.d_inner * k.ssm.d_state) +
                                     static_cast<double>(k.ssm.conv_dim(v2) * (k.ssm.d_conv - 1));
                return state * kvb * seqs / static_cast<double>(l.tp);
            }
            default: return 0;
        }
    }

    const ModelSpec& m_;
    const Workload& w_;
    const Precision& p_;
    const Options& o_;
    const Hardware& hw_;
    const ParallelConfig& cfg_;
    std::int64_t layers_ = 0;
    std::vector<int> kind_of_;
    double global_tokens_ = 0;
    std::map<std::pair<std::int64_t, std::int64_t>, Analysis> cache_;
};

void check_config(const ParallelConfig& c) {
    detail::check_range("parallel.devices", static_cast<double>(c.devices), 1, kMaxDevices);
    detail::check_range("parallel.memory_fraction", c.memory_fraction, 0.01, 1);
    if (c.devices > 1 && c.intra.bandwidth_bytes_s <= 0 && c.inter.bandwidth_bytes_s <= 0) {
        throw Error(ErrorCode::missing_field,
                    "parallel.interconnect is required: the hardware lists no interconnect; give a preset id "
                    "(\"nvlink4\", \"pcie5-x16\", ...) or {\"bandwidth_gbs\", \"latency_us\"}");
    }
    if (c.devices > 1 && c.devices_per_node > 1 && c.intra.bandwidth_bytes_s <= 0) {
        throw Error(ErrorCode::missing_field,
                    "parallel.interconnect is required: the hardware lists no link between the devices of a node");
    }
}

bool better(const LayoutResult& a, const LayoutResult& b, RankBy by) {
    if (a.fits != b.fits) return a.fits;
    if (by == RankBy::latency) {
        if (a.latency_per_token_s != b.latency_per_token_s) return a.latency_per_token_s < b.latency_per_token_s;
        return a.tokens_per_s > b.tokens_per_s;
    }
    if (a.tokens_per_s != b.tokens_per_s) return a.tokens_per_s > b.tokens_per_s;
    return a.latency_per_token_s < b.latency_per_token_s;
}

// Figures read back in the units they were given in (0.6e-6 s -> 0.6 µs, not 0.6000000000000001).
double tidy(double v) { return std::round(v * 1e9) / 1e9; }

json link_to_json(const Link& l) {
    if (l.bandwidth_bytes_s <= 0) return nullptr;
    return {{"id", l.id.empty() ? json(nullptr) : json(l.id)},
            {"name", l.name},
            {"bandwidth_gbs", tidy(l.bandwidth_bytes_s / 1e9)},
            {"latency_us", tidy(l.latency_s * 1e6)},
            {"scope", l.per_node ? "node" : "device"},
            {"source", l.source}};
}

json result_to_json(const LayoutResult& r) {
    return {{"tp", r.layout.tp},
            {"pp", r.layout.pp},
            {"ep", r.layout.ep},
            {"dp", r.layout.dp},
            {"fits", r.fits},
            {"nodes", r.nodes},
            {"micro_batches", r.micro_batches},
            {"per_device", {{"weights_bytes", r.weights_bytes},
                            {"kv_cache_bytes", r.kv_cache_bytes},
                            {"activation_bytes", r.activation_bytes},
                            {"total_bytes", r.total_bytes},
                            {"memory_fraction", r.memory_fraction}}},
            {"time", {{"compute_s", r.compute_s},
                      {"communication_s", r.communication_s},
                      {"pass_s", r.pass_s},
                      {"step_s", r.step_s},
                      {"tokens_per_s", r.tokens_per_s},
                      {"latency_per_token_s", r.latency_per_token_s}}},
            {"communication", {{"tp_allreduce_s", r.tp_allreduce_s},
                               {"ep_alltoall_s", r.ep_alltoall_s},
                               {"pp_p2p_s", r.pp_p2p_s},
                               {"tp_allreduce_bytes", r.tp_allreduce_bytes},
                               {"ep_alltoall_bytes", r.ep_alltoall_bytes},
                               {"pp_p2p_bytes", r.pp_p2p_bytes}}},
            {"warnings", r.warnings}};
}

// A link given in a request: a preset id or {"bandwidth_gbs", "latency_us", "name", "scope"}.
Link parse_link(FieldReader& r, const char* key) {
    const json* v = r.raw(key);
    if (!v || v->is_null()) return {};
    const std::string field = r.field(key);
    if (v->is_string()) {
        const std::string& id = v->get_ref<const std::string&>();
        for (const Link& l : interconnect_presets()) {
            if (l.id == id) return l;
        }
        std::string ids;
        for (const Link& l : interconnect_presets()) ids += (ids.empty() ? "" : ", ") + l.id;
        throw Error(ErrorCode::unknown_name, field + " is \"" + id.substr(0, 80) + "\", not an interconnect preset; known: " + ids);
    }
    if (!v->is_object()) {
        r.fail(ErrorCode::wrong_type, std::string(key) + " must be an interconnect preset id or {\"bandwidth_gbs\", \"latency_us\"}, got " +
                                          detail::describe_json(*v));
    }
    FieldReader lr(*v, field);
    Link l;
    l.name = lr.opt_string("name").value_or("custom link");
    l.bandwidth_bytes_s = lr.get_number("bandwidth_gbs", 1e-6, kMaxLinkGbs) * 1e9;
    l.latency_s = lr.opt_number("latency_us", 0, kMaxLinkLatencyUs).value_or(0) * 1e-6;
    if (auto scope = lr.opt_string("scope")) {
        if (*scope == "node") l.per_node = true;
        else if (*scope != "device") lr.fail(ErrorCode::unknown_name, "scope is \"" + scope->substr(0, 40) + "\"; expected \"device\" or \"node\"");
    }
    (void)lr.opt_string("source");
    lr.reject_unknown();
    return l;
}

}  // namespace

const std::vector<Link>& interconnect_presets() {
    static const std::vector<Link> presets = make_presets();
    return presets;
}

const Link& interconnect_preset(std::string_view id) {
    for (const Link& l : interconnect_presets()) {
        if (l.id == id) return l;
    }
    std::string ids;
    for (const Link& l : interconnect_presets()) ids += (ids.empty() ? "" : ", ") + l.id;
    throw Error(ErrorCode::unknown_name, "unknown interconnect preset \"" + std::string(id.substr(0, 80)) + "\"; known: " + ids);
}

Link hardware_link(const Hardware& hw) {
    Link l;
    l.name = hw.interconnect;
    l.bandwidth_bytes_s = hw.link_bandwidth_bytes_s;
    l.latency_s = hw.link_latency_s;
    l.source = "hardware " + hw.id;
    return l;
}

double ring_allreduce_time(double bytes, std::int64_t p, double bandwidth, double latency) {
    return ring(2, bytes, p, bandwidth, latency);
}

double ring_allgather_time(double bytes, std::int64_t p, double bandwidth, double latency) {
    return ring(1, bytes, p, bandwidth, latency);
}

void validate_layout(const ModelSpec& m, const Layout& l, std::int64_t devices) {
    detail::check_range("parallel.devices", static_cast<double>(devices), 1, kMaxDevices);
    detail::check_range("parallel.tp", static_cast<double>(l.tp), 1, kMaxDevices);
    detail::check_range("parallel.pp", static_cast<double>(l.pp), 1, kMaxDevices);
    detail::check_range("parallel.ep", static_cast<double>(l.ep), 1, kMaxDevices);
    detail::check_range("parallel.dp", static_cast<double>(l.dp), 1, kMaxDevices);
    if (const std::string why = tp_problem(m, l.tp); !why.empty()) {
        throw Error(ErrorCode::inconsistent, "parallel.tp is " + std::to_string(l.tp) + "; " + why);
    }
    const std::int64_t layers = total_layers(m);
    if (l.pp > layers) {
        throw Error(ErrorCode::out_of_range, "parallel.pp is " + std::to_string(l.pp) + "; a pipeline stage needs a layer, and the model has " +
                                                 std::to_string(layers));
    }
    if (l.tp * l.pp * l.dp != devices) {
        throw Error(ErrorCode::inconsistent, "parallel.tp · parallel.pp · parallel.dp = " + std::to_string(l.tp) + " · " +
                                                 std::to_string(l.pp) + " · " + std::to_string(l.dp) + " = " +
                                                 std::to_string(l.tp * l.pp * l.dp) + ", but parallel.devices is " +
                                                 std::to_string(devices));
    }
    if (const std::string why = ep_problem(m, l); !why.empty()) {
        throw Error(ErrorCode::inconsistent, "parallel.ep is " + std::to_string(l.ep) + "; " + why);
    }
}

std::vector<Layout> valid_layouts(const ModelSpec& m, std::int64_t devices) {
    detail::check_range("parallel.devices", static_cast<double>(devices), 1, kMaxDevices);
    std::vector<Layout> out;
    const std::int64_t layers = total_layers(m);
    for (std::int64_t tp = 1; tp <= devices; ++tp) {
        if (devices % tp != 0 || !tp_problem(m, tp).empty()) continue;
        for (std::int64_t pp = 1; pp <= devices / tp && pp <= layers; ++pp) {
            if ((devices / tp) % pp != 0) continue;
            const std::int64_t dp = devices / tp / pp;
            for (std::int64_t ep = 1; ep <= tp * dp; ++ep) {
                const Layout l{tp, pp, ep, dp};
                if ((tp * dp) % ep != 0 || !ep_problem(m, l).empty()) continue;
                out.push_back(l);
            }
        }
    }
    return out;
}

LayoutResult evaluate_layout(const ModelSpec& model, const Workload& workload, const Precision& precision,
                             const Options& options, const Hardware& hardware, const ParallelConfig& config,
                             const Layout& layout) {
    check_config(config);
    Evaluator ev(model, workload, precision, options, hardware, config);
    return ev.evaluate(layout);
}

std::vector<LayoutResult> rank_layouts(const ModelSpec& model, const Workload& workload, const Precision& precision,
                                       const Options& options, const Hardware& hardware, const ParallelConfig& config,
                                       const std::vector<Layout>& candidates) {
    check_config(config);
    const std::vector<Layout> layouts = candidates.empty() ? valid_layouts(model, config.devices) : candidates;
    Evaluator ev(model, workload, precision, options, hardware, config);
    std::vector<LayoutResult> out;
    out.reserve(layouts.size());
    for (const Layout& l : layouts) out.push_back(ev.evaluate(l));
    std::stable_sort(out.begin(), out.end(),
                     [&](const LayoutResult& a, const LayoutResult& b) { return better(a, b, config.rank_by); });
    return out;
}

json interconnects_to_json() {
    json out = json::array();
    for (const Link& l : interconnect_presets()) out.push_back(link_to_json(l));
    return out;
}

json parallel_request(const json& request) {
    const Request req = parse_request(request, {"parallel"});
    if (!req.has_hardware) {
        throw Error(ErrorCode::missing_field, "request.hardware is required for parallel layouts (a device or node preset)");
    }
    const Hardware& hw = req.hardware;
    const json empty = json::object();
    const json* section = request.contains("parallel") && !request["parallel"].is_null() ? &request["parallel"] : &empty;
    FieldReader r(*section, "parallel");
    ParallelConfig cfg;
    cfg.devices = r.opt_int("devices", 1, kMaxDevices).value_or(hw.count);
    detail::check_range("parallel.devices", static_cast<double>(cfg.devices), 1, kMaxDevices);
    cfg.devices_per_node = hw.count;
    auto tp = r.opt_int("tp", 1, kMaxDevices), pp = r.opt_int("pp", 1, kMaxDevices);
    auto ep = r.opt_int("ep", 1, kMaxDevices), dp = r.opt_int("dp", 1, kMaxDevices);
    if (auto by = r.opt_string("rank_by")) {
        if (*by == "latency") cfg.rank_by = RankBy::latency;
        else if (*by == "throughput") cfg.rank_by = RankBy::throughput;
        else r.fail(ErrorCode::unknown_name, "rank_by is \"" + by->substr(0, 40) + "\"; expected \"latency\" or \"throughput\"");
    }
    cfg.memory_fraction = r.opt_number("memory_fraction", 0.01, 1).value_or(0.9);
    const Link device_link = hardware_link(hw);
    const Link override_link = parse_link(r, "interconnect");
    cfg.intra = override_link.bandwidth_bytes_s > 0 ? override_link : device_link;
    cfg.inter = parse_link(r, "inter_node");
    r.reject_unknown();
    check_config(cfg);

    // Given degrees narrow the layouts; each is checked on its own so the error names it.
    const ModelSpec& m = req.model;
    const std::int64_t N = cfg.devices;
    auto divides = [&](const char* key, std::int64_t v) {
        if (N % v != 0) {
            throw Error(ErrorCode::inconsistent, std::string("parallel.") + key + " is " + std::to_string(v) +
                                                     "; it must divide parallel.devices (" + std::to_string(N) + ")");
        }
    };
    if (tp) {
        if (const std::string why = tp_problem(m, *tp); !why.empty()) {
            throw Error(ErrorCode::inconsistent, "parallel.tp is " + std::to_string(*tp) + "; " + why);
        }
        divides("tp", *tp);
    }
    if (pp) {
        if (*pp > total_layers(m)) {
            throw Error(ErrorCode::out_of_range, "parallel.pp is " + std::to_string(*pp) + "; the model has " +
                                                     std::to_string(total_layers(m)) + " layers");
        }
        divides("pp", *pp);
    }
    if (dp) divides("dp", *dp);
    if (tp && pp && dp && *tp * *pp * *dp != N) {
        throw Error(ErrorCode::inconsistent, "parallel.tp · parallel.pp · parallel.dp = " + std::to_string(*tp * *pp * *dp) +
                                                 ", but parallel.devices is " + std::to_string(N));
    }
    if (ep && *ep > 1) {
        Layout probe{1, 1, *ep, *ep};  // the expert checks that do not depend on tp and dp
        if (const std::string why = ep_problem(m, probe); !why.empty()) {
            throw Error(ErrorCode::inconsistent, "parallel.ep is " + std::to_string(*ep) + "; " + why);
        }
    }
    std::vector<Layout> candidates;
    if (tp && pp && dp && ep) {
        const Layout l{*tp, *pp, *ep, *dp};
        validate_layout(m, l, N);
        candidates.push_back(l);
    } else {
        for (const Layout& l : valid_layouts(m, N)) {
            if ((tp && l.tp != *tp) || (pp && l.pp != *pp) || (ep && l.ep != *ep) || (dp && l.dp != *dp)) continue;
            candidates.push_back(l);
        }
        if (candidates.empty()) {
            std::string given;
            for (const auto& [key, v] : {std::pair{"tp", tp}, std::pair{"pp", pp}, std::pair{"ep", ep}, std::pair{"dp", dp}}) {
                if (v) given += std::string(given.empty() ? "" : ", ") + "parallel." + key + " " + std::to_string(*v);
            }
            throw Error(ErrorCode::inconsistent, "parallel: no valid layout of " + std::to_string(N) + " devices has " + given);
        }
    }

    const std::vector<LayoutResult> ranked =
        rank_layouts(m, req.workload, req.precision, req.options, hw, cfg, candidates);

    json warnings = m.warnings;
    for (const auto& w : analyze(m, req.workload, req.precision, req.options, &hw).warnings) warnings.push_back(w);
    const std::int64_t node = std::max<std::int64_t>(1, hw.count);
    if (N > node && cfg.inter.bandwidth_bytes_s <= 0) {
        warnings.push_back(hw.count > 1
                               ? "the layouts span " + std::to_string((N + node - 1) / node) +
                                     " nodes but no parallel.inter_node link is given: traffic between nodes is timed at " +
                                     cfg.intra.name + " figures"
                               : "the hardware is one device: all " + std::to_string(N) + " devices are assumed joined by " +
                                     cfg.intra.name + " (give parallel.inter_node for separate machines)");
    }
    json layouts = json::array();
    std::int64_t best = -1;
    for (std::size_t i = 0; i < ranked.size(); ++i) {
        layouts.push_back(result_to_json(ranked[i]));
        if (best < 0 && ranked[i].fits) best = static_cast<std::int64_t>(i);
    }
    if (best < 0) {
        warnings.push_back("no layout fits in " + detail::format_number(cfg.memory_fraction * 100) + " % of the " +
                           detail::format_number(hw.memory_bytes / 1e9) + " GB of each device");
    }
    const json no_link = nullptr;
    return {{"devices", N},
            {"devices_per_node", hw.count},
            {"nodes", (N + node - 1) / node},
            {"rank_by", cfg.rank_by == RankBy::latency ? "latency" : "throughput"},
            {"memory_fraction", cfg.memory_fraction},
            {"device", {{"id", hw.id}, {"name", hw.name}, {"memory_bytes", hw.memory_bytes}}},
            {"links", {{"intra_node", link_to_json(cfg.intra)}, {"inter_node", link_to_json(cfg.inter)}}},
            {"layouts", layouts},
            {"best", best},
            {"interconnects", interconnects_to_json()},
            {"warnings", warnings}};
}

}  // namespace llmcalc
