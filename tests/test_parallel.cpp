// Parallel layouts against numbers worked out by hand (FORMULAS.md §12).
#include <catch2/catch.hpp>

#include <cmath>

#include "helpers.hpp"
#include "llmcalc/parallel.hpp"

using namespace llmcalc;
using testing::expect_error;
using nlohmann::json;
using testing::one_query;

namespace {

// A link with round figures: 1 GB/s per direction, `latency_us` per hop.
Link slow_link(double latency_us = 1) {
    Link l;
    l.name = "test link";
    l.bandwidth_bytes_s = 1e9;
    l.latency_s = latency_us * 1e-6;
    return l;
}

ParallelConfig config(std::int64_t devices, Link intra, std::int64_t per_node = 1) {
    ParallelConfig c;
    c.devices = devices;
    c.devices_per_node = per_node;
    c.intra = std::move(intra);
    return c;
}

LayoutResult run(const ModelSpec& m, const Workload& w, const Hardware& hw, const ParallelConfig& c, Layout l) {
    return evaluate_layout(m, w, {}, {}, hw, c, l);
}


json request(const std::string& model, const std::string& hardware, json workload, json parallel) {
    return {{"config", testing::preset_config(model)},
            {"hardware", presets::hardware(hardware)},
            {"workload", std::move(workload)},
            {"parallel", std::move(parallel)}};
}

const json kDecode = {{"cached_tokens", 1024}, {"input_tokens", 1}, {"batch_size", 1}};

}  // namespace

TEST_CASE("one device, one layout: the plain analysis", "[parallel]") {
    const Hardware hw = testing::preset_hardware("h100-sxm");
    for (const char* id : {"llama-3.1-8b", "mixtral-8x7b", "deepseek-v3", "jamba-v0.1", "gemma-2-9b-it", "gpt-oss-20b"}) {
        INFO(id);
        const ModelSpec m = testing::preset_model(id);
        for (const Workload& w : {one_query(0, 512), one_query(4095, 1, 16)}) {
            const Analysis a = analyze(m, w, {}, {}, &hw);
            const LayoutResult r = run(m, w, hw, config(1, hardware_link(hw)), {});
            CHECK(r.compute_s == Approx(a.totals.time_s).epsilon(1e-12));
            CHECK(r.communication_s == 0);
            CHECK(r.step_s == r.compute_s);
            CHECK(r.weights_bytes == Approx(a.memory.weights_bytes).epsilon(1e-12));
            CHECK(r.kv_cache_bytes == Approx(a.kv_cache.bytes).epsilon(1e-12));
            CHECK(r.activation_bytes == Approx(a.memory.activation_bytes).epsilon(1e-12));
            CHECK(r.tokens_per_s == Approx(static_cast<double>(a.workload.new_tokens) / a.totals.time_s));
        }
    }
}

TEST_CASE("tensor parallel weights, by hand", "[parallel][memory]") {
    const Hardware hw = testing::preset_hardware("h100-sxm");
    SECTION("tiny model: TP 2 halves the matrices, replicates the one KV head and the norms") {
        const ModelSpec tiny = parse_model_config(testing::tiny_config());
        // TP 1: 80 + 80 + 2·(192 + 384 + 16) + 8 = 1352 parameters at 2 bytes.
        CHECK(run(tiny, one_query(0, 3), hw, config(1, slow_link()), {}).weights_bytes == 2704);
        // TP 2: per layer q 32 + k 32 + v 32 (1 KV head: replicated) + o 32 + FFN 192 + norms 16 = 336;
        // embedding 40 + LM head 40 + final norm 8.
        const LayoutResult r = run(tiny, one_query(0, 3), hw, config(2, slow_link()), {2, 1, 1, 1});
        CHECK(r.weights_bytes == 2.0 * (2 * 336 + 88));
    }
    SECTION("Llama-2-7B (32 KV heads): TP 2 halves everything but the norms") {
        const ModelSpec m = testing::preset_model("llama-2-7b");
        const ParamCounts p = count_parameters(m);
        const LayoutResult r = run(m, one_query(0, 16), hw, config(2, hardware_link(hw)), {2, 1, 1, 1});
        const double norms = static_cast<double>(p.norms), total = static_cast<double>(p.total);
        CHECK(r.weights_bytes == Approx(2 * ((total - norms) / 2 + norms)).epsilon(1e-12));
        const LayoutResult r4 = run(m, one_query(0, 16), hw, config(4, hardware_link(hw)), {4, 1, 1, 1});
        CHECK(r4.weights_bytes == Approx(2 * ((total - norms) / 4 + norms)).epsilon(1e-12));
    }
    SECTION("Mixtral: EP 8 keeps 1 of 8 experts per device and everything else whole") {
        const ModelSpec m = testing::preset_model("mixtral-8x7b");
        const ParamCounts p = count_parameters(m);
        const double total = 2.0 * static_cast<double>(p.total), experts = 2.0 * static_cast<double>(p.experts_routed);
        const LayoutResult ep = run(m, one_query(1024, 1, 8), hw, config(8, hardware_link(hw)), {1, 1, 8, 8});
        CHECK(ep.weights_bytes == Approx(total - experts + experts / 8).epsilon(1e-12));
        // EP 1, TP 8: experts split like dense layers; norms and the router on every device.
        const double replicated = 2.0 * static_cast<double>(p.norms + p.router);
        const LayoutResult tp = run(m, one_query(1024, 1, 8), hw, config(8, hardware_link(hw)), {8, 1, 1, 1});
        CHECK(tp.weights_bytes == Approx((total - replicated) / 8 + replicated).epsilon(1e-12));
    }
    SECTION("pipeline stages split the layers; the last stage holds the LM head") {
        const ModelSpec m = testing::preset_model("llama-2-7b");  // 32 layers, untied head
        const ParamCounts p = count_parameters(m);
        const LayoutResult r = run(m, one_query(0, 16), hw, config(2, hardware_link(hw)), {1, 2, 1, 1});
        // Stage 0: 16 layers + embedding; stage 1: 16 layers + final norm + LM head (same size as the embedding).
        const double layer = static_cast<double>(p.total - p.embedding - p.lm_head - 4096) / 32;
        CHECK(r.weights_bytes == Approx(2 * (16 * layer + static_cast<double>(p.lm_head) + 4096)).epsilon(1e-12));
    }
}

TEST_CASE("KV cache per device", "[parallel][memory]") {
    const Hardware hw = testing::preset_hardware("8x-h100-sxm");
    SECTION("Llama-3.1-70B, 8 KV heads: split by TP until TP reaches 8, then replicated") {
        const ModelSpec m = testing::preset_model("llama-3.1-70b");
        const Workload w = one_query(1024, 1);
        // 80 layers · (K + V) 2 · 8 heads · 128 · 2 bytes = 327,680 bytes per token; 1025 tokens.
        const double whole = 327680.0 * 1025;
        const double tp4 = run(m, w, hw, config(4, hardware_link(hw), 8), {4, 1, 1, 1}).kv_cache_bytes;
        const double tp8 = run(m, w, hw, config(8, hardware_link(hw), 8), {8, 1, 1, 1}).kv_cache_bytes;
        const LayoutResult r16 = run(m, w, hw, config(16, hardware_link(hw), 8), {16, 1, 1, 1});
        CHECK(tp4 == whole / 4);
        CHECK(tp8 == whole / 8);
        CHECK(r16.kv_cache_bytes == whole / 8);  // stops shrinking
        CHECK_FALSE(r16.warnings.empty());
        // ... while the weights keep shrinking (the q and o projections and the FFN are still split).
        CHECK(r16.weights_bytes < run(m, w, hw, config(8, hardware_link(hw), 8), {8, 1, 1, 1}).weights_bytes);
        // Pipeline stages split it further; data parallelism splits the batch.
        CHECK(run(m, w, hw, config(16, hardware_link(hw), 8), {8, 2, 1, 1}).kv_cache_bytes == whole / 16);
        const Workload b8 = one_query(1024, 1, 8);
        CHECK(run(m, b8, hw, config(16, hardware_link(hw), 8), {8, 1, 1, 2}).kv_cache_bytes == 4 * whole / 8);
    }
    SECTION("MLA (DeepSeek-V3): the latent cache is replicated on every TP rank") {
        const ModelSpec m = testing::preset_model("deepseek-v3");
        const Workload w = one_query(4096, 1, 4);
        const double whole = analyze(m, w, {}, {}, nullptr).kv_cache.bytes;
        // 61 layers · (512 + 64) · 2 bytes per token; 4 sequences of 4097 tokens.
        CHECK(whole == 61.0 * 576 * 2 * 4097 * 4);
        for (std::int64_t tp : {1, 2, 4, 8}) {
            INFO("tp " << tp);
            CHECK(run(m, w, hw, config(tp, hardware_link(hw), 8), {tp, 1, 1, 1}).kv_cache_bytes == whole);
        }
        CHECK(run(m, w, hw, config(8, hardware_link(hw), 8), {2, 1, 1, 4}).kv_cache_bytes == whole / 4);  // DP splits it
    }
    SECTION("Mamba states split by TP") {
        const ModelSpec m = testing::preset_model("mamba-2.8b-hf");
        const Workload w = one_query(100, 1, 2);
        const double whole = analyze(m, w, {}, {}, nullptr).kv_cache.bytes;
        CHECK(run(m, w, hw, config(2, hardware_link(hw), 8), {2, 1, 1, 1}).kv_cache_bytes == Approx(whole / 2));
    }
}

TEST_CASE("ring all-reduce, by hand", "[parallel][communication]") {
    // 2(p−1)/p · bytes / bandwidth + 2(p−1) · latency
    CHECK(ring_allreduce_time(1e6, 4, 1e9, 1e-6) == Approx(1.5e-3 + 6e-6));
    CHECK(ring_allreduce_time(1e6, 1, 1e9, 1e-6) == 0);
    CHECK(ring_allgather_time(1e6, 4, 1e9, 1e-6) == Approx(0.75e-3 + 3e-6));
    SECTION("the tiny model at TP 2 on a 1 GB/s, 1 µs link") {
        const ModelSpec tiny = parse_model_config(testing::tiny_config());
        const LayoutResult r = run(tiny, one_query(0, 3), testing::preset_hardware("h100-sxm"), config(2, slow_link()), {2, 1, 1, 1});
        // 3 tokens · h 8 · 2 bytes = 48 bytes per all-reduce; 2 per layer · 2 layers + 1 for the embedding:
        // 5 · (2·(1/2)·48 / 1e9 + 2·1·1e-6); logits all-gather of 1 row · 10 · 2 bytes: (1/2)·20 / 1e9 + 1e-6.
        CHECK(r.tp_allreduce_s == Approx(5 * (48e-9 + 2e-6) + 10e-9 + 1e-6));
        CHECK(r.tp_allreduce_bytes == 5 * 48.0 + 10);
        CHECK(r.ep_alltoall_s == 0);
        CHECK(r.pp_p2p_s == 0);
        CHECK(r.communication_s == r.tp_allreduce_s);
        CHECK(r.step_s == Approx(r.compute_s + r.tp_allreduce_s));
    }
    SECTION("across nodes: reduce inside each node, then the shards across nodes") {
        const ModelSpec tiny = parse_model_config(testing::tiny_config());
        ParallelConfig c = config(2, slow_link(1));
        c.inter = slow_link(10);
        c.inter.bandwidth_bytes_s = 0.5e9;
        const LayoutResult r = run(tiny, one_query(0, 3), testing::preset_hardware("h100-sxm"), c, {2, 1, 1, 1});
        // One device per node: the ring runs on the inter-node link.
        CHECK(r.tp_allreduce_s == Approx(5 * (48 / 0.5e9 + 2 * 10e-6) + 10 / 0.5e9 + 10e-6));
    }
}

TEST_CASE("expert-parallel all-to-all, by hand", "[parallel][communication]") {
    const ModelSpec m = testing::preset_model("mixtral-8x7b");  // 32 MoE layers, h 4096, top-2 of 8
    const Hardware hw = testing::preset_hardware("8x-h100-sxm");
    const Workload w = one_query(1024, 1, 8);  // 8 sequences decoding
    // DP 8: one token per device; it goes to 2 experts, 7/8 of them on other devices, 2 bytes per value.
    const double bytes = 1 * 2 * 4096 * 2 * 7.0 / 8;  // 14,336 each way
    const LayoutResult r = run(m, w, hw, config(8, slow_link(), 8), {1, 1, 8, 8});
    CHECK(r.ep_alltoall_bytes == 32 * 2 * bytes);
    CHECK(r.ep_alltoall_s == Approx(32 * 2 * (bytes / 1e9 + 1e-6)));
    CHECK(r.tp_allreduce_s == 0);
    // TP 2 · DP 4: two tokens per replica, each device dispatches its half.
    const LayoutResult r2 = run(m, w, hw, config(8, slow_link(), 8), {2, 1, 8, 4});
    CHECK(r2.ep_alltoall_bytes == 32 * 2 * bytes);
    CHECK(r2.tp_allreduce_s > 0);
    // EP 1: no all-to-all at all.
    CHECK(run(m, w, hw, config(8, slow_link(), 8), {8, 1, 1, 1}).ep_alltoall_s == 0);
}

TEST_CASE("pipeline parallel: (PP−1) sends per step", "[parallel][communication]") {
    const ModelSpec tiny = parse_model_config(testing::tiny_config());
    const Hardware hw = testing::preset_hardware("h100-sxm");
    const Workload w = one_query(5, 1);  // one sequence decoding: one micro-batch
    const LayoutResult fast = run(tiny, w, hw, config(2, slow_link(0)), {1, 2, 1, 1});
    const LayoutResult slow = run(tiny, w, hw, config(2, slow_link(5)), {1, 2, 1, 1});
    CHECK(slow.micro_batches == 1);
    // One send of 1 token · h 8 · 2 bytes.
    CHECK(slow.pp_p2p_s == Approx(16e-9 + 5e-6));
    CHECK(slow.pp_p2p_bytes == 16);
    CHECK(slow.latency_per_token_s - fast.latency_per_token_s == Approx(5e-6));
    CHECK(slow.compute_s == Approx(fast.compute_s));
    SECTION("four stages of Llama-3.1-8B: three hops") {
        const ModelSpec m = testing::preset_model("llama-3.1-8b");
        const LayoutResult a = run(m, w, hw, config(4, slow_link(0)), {1, 4, 1, 1});
        const LayoutResult b = run(m, w, hw, config(4, slow_link(20)), {1, 4, 1, 1});
        CHECK(b.pp_p2p_s == Approx(3 * (4096 * 2 / 1e9 + 20e-6)));
        CHECK(b.step_s - a.step_s == Approx(3 * 20e-6));
        // One sequence cannot fill the pipeline: the whole model is read once per step, as on one device.
        const LayoutResult one = run(m, w, hw, config(1, slow_link(0)), {});
        CHECK(a.compute_s == Approx(one.compute_s));
    }
    SECTION("micro-batches keep the stages busy: compute-bound prefill nearly PP times the throughput") {
        const ModelSpec m = testing::preset_model("llama-3.1-8b");
        const Workload prefill = one_query(0, 2048, 4);
        const LayoutResult one = run(m, prefill, hw, config(1, slow_link(0)), {});
        const LayoutResult pp4 = run(m, prefill, hw, config(4, hardware_link(hw)), {1, 4, 1, 1});
        CHECK(pp4.micro_batches == 4);
        CHECK(pp4.tokens_per_s > 3.5 * one.tokens_per_s);
        CHECK(pp4.tokens_per_s < 4 * one.tokens_per_s);
    }
}

TEST_CASE("ranking", "[parallel][ranking]") {
    SECTION("by latency, cheap NVLink: the highest TP first") {
        const json r = parallel_request(request("llama-3.1-70b", "8x-h100-sxm", kDecode, {{"rank_by", "latency"}}));
        REQUIRE(r["best"] == 0);
        const json& best = r["layouts"][0];
        CHECK(best["tp"] == 8);
        CHECK(best["pp"] == 1);
        for (std::size_t i = 1; i < r["layouts"].size(); ++i) {
            const json& l = r["layouts"][i];
            if (!l["fits"].get<bool>()) continue;
            CHECK(l["time"]["latency_per_token_s"].get<double>() >= best["time"]["latency_per_token_s"].get<double>());
        }
    }
    SECTION("by latency, an expensive link: no tensor parallelism") {
        json par = {{"rank_by", "latency"}, {"interconnect", {{"bandwidth_gbs", 1}, {"latency_us", 100}}}};
        const json r = parallel_request(request("llama-3.1-70b", "8x-h100-sxm", kDecode, par));
        CHECK(r["layouts"][0]["tp"] == 1);
        CHECK(r["links"]["intra_node"]["bandwidth_gbs"] == 1.0);
    }
    SECTION("by throughput, a model that fits on one device: data parallelism") {
        const json w = {{"input_tokens", 1024}, {"batch_size", 8}};
        const json r = parallel_request(request("llama-3.1-8b", "8x-h100-sxm", w, {{"rank_by", "throughput"}}));
        const json& best = r["layouts"][r["best"].get<std::size_t>()];
        CHECK(best["dp"] == 8);
        CHECK(best["tp"] == 1);
        CHECK(r["layouts"][1]["time"]["tokens_per_s"].get<double>() <= best["time"]["tokens_per_s"].get<double>());
    }
    SECTION("layouts that do not fit are marked and ranked last") {
        const json r = parallel_request(request("llama-3.1-70b", "8x-h100-sxm", kDecode, json::object()));
        bool seen_misfit = false, found_dp8 = false;
        for (const json& l : r["layouts"]) {
            if (!l["fits"].get<bool>()) seen_misfit = true;
            else CHECK_FALSE(seen_misfit);  // no fitting layout after a misfit
            if (l["dp"] == 8) {
                found_dp8 = true;
                CHECK_FALSE(l["fits"].get<bool>());  // 141 GB of weights on an 80 GB device
                CHECK(l["per_device"]["total_bytes"].get<double>() > 0.9 * 80e9);
            }
        }
        CHECK(found_dp8);
        CHECK(seen_misfit);
    }
    SECTION("nothing fits: best is -1 and a warning says so") {
        const json r = parallel_request(request("llama-3.1-405b", "8x-a100-80gb-sxm", kDecode, json::object()));
        CHECK(r["best"] == -1);
        CHECK_THAT(r["warnings"].back().get<std::string>(), Catch::Contains("no layout fits"));
    }
    SECTION("given degrees narrow the ranking") {
        const json r = parallel_request(request("mixtral-8x7b", "8x-h100-sxm", kDecode, {{"tp", 2}}));
        CHECK(r["layouts"].size() > 1);
        for (const json& l : r["layouts"]) CHECK(l["tp"] == 2);
    }
}

TEST_CASE("valid layouts", "[parallel][ranking]") {
    const ModelSpec llama = testing::preset_model("llama-3.1-8b");  // 32 heads, 8 KV heads, 32 layers
    const auto all = valid_layouts(llama, 8);
    // TP 1, 2, 4, 8 with PP dividing the rest: 4 + 3 + 2 + 1 layouts, EP 1 only.
    CHECK(all.size() == 10);
    for (const Layout& l : all) {
        CHECK(l.devices() == 8);
        CHECK(l.ep == 1);
    }
    const ModelSpec mixtral = testing::preset_model("mixtral-8x7b");
    for (const Layout& l : valid_layouts(mixtral, 8)) {
        CHECK((l.tp * l.dp) % l.ep == 0);
        CHECK(8 % l.ep == 0);
    }
    CHECK_NOTHROW(validate_layout(mixtral, {2, 1, 4, 4}, 8));
    CHECK_THROWS_AS(validate_layout(mixtral, {2, 4, 4, 1}, 8), Error);  // ep 4 does not divide tp·dp = 2
}

TEST_CASE("presets: nodes and interconnects", "[parallel][presets]") {
    int nodes = 0;
    for (const auto& e : presets::hardware()) {
        const json doc = presets::hardware(e.id);
        const Hardware hw = parse_hardware(doc);
        INFO(e.id);
        if (hw.link_bandwidth_bytes_s > 0) {
            CHECK(hw.link_latency_s > 0);
            CHECK(doc["interconnect"]["source"].get<std::string>().size() > 10);
        }
        if (hw.category != "node") continue;
        ++nodes;
        CHECK(std::string(e.id).rfind("8x-", 0) == 0);
        CHECK(hw.count == 8);
        CHECK(hw.link_bandwidth_bytes_s > 0);
        // Per-device figures: those of the device preset it names.
        const Hardware dev = testing::preset_hardware(doc["device"].get<std::string>());
        CHECK(hw.memory_bytes == dev.memory_bytes);
        CHECK(hw.bandwidth_bytes_s == dev.bandwidth_bytes_s);
        CHECK(hw.peak_16 == dev.peak_16);
        CHECK(hw.link_bandwidth_bytes_s == dev.link_bandwidth_bytes_s);
        // Every node analyses and ranks its 8 devices.
        const json r = parallel_request(request("llama-3.1-8b", e.id, kDecode, json::object()));
        CHECK(r["devices"] == 8);
        CHECK(r["best"] == 0);
    }
    CHECK(nodes == 5);
    SECTION("datasheet link figures, per direction") {
        CHECK(testing::preset_hardware("a100-80gb-sxm").link_bandwidth_bytes_s == 300e9);
        CHECK(testing::preset_hardware("8x-h100-sxm").link_bandwidth_bytes_s == 450e9);
        CHECK(testing::preset_hardware("h200").link_bandwidth_bytes_s == 450e9);
        CHECK(testing::preset_hardware("8x-b200").link_bandwidth_bytes_s == 900e9);
        CHECK(testing::preset_hardware("8x-mi300x").link_bandwidth_bytes_s == 448e9);
        CHECK(testing::preset_hardware("h100-pcie").link_bandwidth_bytes_s == 64e9);
        CHECK(testing::preset_hardware("rtx-4090").link_bandwidth_bytes_s == 32e9);
        CHECK(interconnect_preset("ib-hdr").bandwidth_bytes_s == 25e9);
        CHECK(interconnect_preset("ib-ndr").bandwidth_bytes_s == 50e9);
        CHECK(interconnect_preset("ib-ndr-8x400g").bandwidth_bytes_s == 400e9);
        CHECK(interconnect_preset("ib-ndr-8x400g").per_node);
        CHECK(interconnect_preset("roce-100g").bandwidth_bytes_s == 12.5e9);
        for (const Link& l : interconnect_presets()) {
            INFO(l.id);
            CHECK(l.latency_s > 0);
            CHECK(l.source.size() > 10);
        }
    }
    SECTION("a node-scoped inter-node link is shared by the devices of a node") {
        const ModelSpec tiny = parse_model_config(testing::tiny_config());
        const Hardware hw = testing::preset_hardware("8x-h100-sxm");
        ParallelConfig shared = config(16, hardware_link(hw), 8), own = shared;
        shared.inter = interconnect_preset("ib-ndr-8x400g");  // 400 GB/s for 8 devices
        own.inter = interconnect_preset("ib-ndr");             // 50 GB/s each
        const Workload w = one_query(0, 64);
        CHECK(run(tiny, w, hw, shared, {1, 2, 1, 8}).pp_p2p_s == Approx(run(tiny, w, hw, own, {1, 2, 1, 8}).pp_p2p_s));
        // Two stages of 8 devices: the send crosses the node boundary at 50 GB/s.
        CHECK(run(tiny, w, hw, own, {1, 2, 1, 8}).pp_p2p_s == Approx(64 * 8 * 2 / 50e9 + 2.7e-6));
    }
}

TEST_CASE("the JSON entry point", "[parallel][json]") {
    const json r = parallel_request(request("llama-3.1-70b", "8x-h100-sxm", kDecode,
                                            {{"tp", 4}, {"pp", 2}, {"ep", 1}, {"dp", 1}}));
    REQUIRE(r["layouts"].size() == 1);
    const json& l = r["layouts"][0];
    for (const char* k : {"tp", "pp", "ep", "dp", "fits", "per_device", "time", "communication"}) CHECK(l.contains(k));
    for (const char* k : {"weights_bytes", "kv_cache_bytes", "activation_bytes", "total_bytes"}) CHECK(l["per_device"].contains(k));
    for (const char* k : {"compute_s", "communication_s", "step_s", "tokens_per_s", "latency_per_token_s"}) CHECK(l["time"].contains(k));
    for (const char* k : {"tp_allreduce_s", "ep_alltoall_s", "pp_p2p_s"}) CHECK(l["communication"].contains(k));
    CHECK(l["time"]["step_s"].get<double>() ==
          Approx(l["time"]["compute_s"].get<double>() + l["time"]["communication_s"].get<double>()));
    CHECK(r["best"] == 0);
    CHECK(r["interconnects"].size() == interconnect_presets().size());
    CHECK(r["interconnects"][0].contains("bandwidth_gbs"));
    CHECK(r["links"]["intra_node"]["bandwidth_gbs"] == 450.0);
    CHECK(r["links"]["intra_node"]["latency_us"] == 0.6);
    CHECK(r["links"]["inter_node"].is_null());
    SECTION("devices default to the node's count; a preset id overrides the link") {
        const json q = parallel_request(request("llama-3.1-8b", "8x-a100-80gb-sxm", kDecode, {{"interconnect", "pcie4-x16"}}));
        CHECK(q["devices"] == 8);
        CHECK(q["links"]["intra_node"]["id"] == "pcie4-x16");
    }
    SECTION("more devices than a node: the inter-node link carries the traffic between nodes") {
        const json q = parallel_request(request("llama-3.1-70b", "8x-h100-sxm", kDecode,
                                                {{"devices", 16}, {"inter_node", "ib-ndr-8x400g"}}));
        CHECK(q["nodes"] == 2);
        CHECK(q["links"]["inter_node"]["scope"] == "node");
    }
}

TEST_CASE("bad parallel requests name the field", "[parallel][errors]") {
    auto req = [](json par) { return request("llama-3.1-8b", "8x-h100-sxm", kDecode, std::move(par)); };
    expect_error([&] { parallel_request(req({{"tp", 3}})); }, ErrorCode::inconsistent, {"parallel.tp", "32"});
    expect_error([&] { parallel_request(req({{"devices", 0}})); }, ErrorCode::out_of_range, {"parallel.devices"});
    expect_error([&] { parallel_request(req({{"rank_by", "fastest"}})); }, ErrorCode::unknown_name,
                 {"parallel.rank_by", "latency", "throughput"});
    expect_error([&] { parallel_request(req({{"tp", 2}, {"pp", 2}, {"dp", 1}})); }, ErrorCode::inconsistent,
                 {"parallel.dp", "parallel.devices"});
    expect_error([&] { parallel_request(req({{"tp", 2}, {"pp", 2}, {"ep", 1}, {"dp", 1}, {"devices", 8}})); },
                 ErrorCode::inconsistent, {"parallel.tp", "parallel.devices"});
    expect_error([&] { parallel_request(req({{"ep", 2}})); }, ErrorCode::inconsistent, {"parallel.ep", "experts"});
    expect_error([&] { parallel_request(req({{"pp", 64}, {"devices", 64}})); }, ErrorCode::out_of_range, {"parallel.pp", "32"});
    expect_error([&] { parallel_request(req({{"dp", 3}})); }, ErrorCode::inconsistent, {"parallel.dp"});
    expect_error([&] { parallel_request(req({{"tp", 8}, {"pp", 2}})); }, ErrorCode::inconsistent,
                 {"parallel.tp 8", "parallel.pp 2"});
    expect_error([&] { parallel_request(req({{"tp", "2"}})); }, ErrorCode::wrong_type, {"parallel.tp"});
    expect_error([&] { parallel_request(req({{"memory_fraction", 0}})); }, ErrorCode::out_of_range, {"parallel.memory_fraction"});
    expect_error([&] { parallel_request(req({{"interconnect", "nvlink9"}})); }, ErrorCode::unknown_name,
                 {"parallel.interconnect", "nvlink4"});
    expect_error([&] { parallel_request(req({{"inter_node", json::object()}})); }, ErrorCode::missing_field,
                 {"parallel.inter_node.bandwidth_gbs"});
    expect_error([&] { parallel_request(req({{"inter_node", {{"bandwidth_gbs", 50}, {"latency", 2}}}})); },
                 ErrorCode::unknown_name, {"parallel.inter_node.latency"});
    expect_error([&] { parallel_request(req({{"tpp", 2}})); }, ErrorCode::unknown_name, {"parallel.tpp"});
    expect_error([&] { parallel_request(req(json::array())); }, ErrorCode::wrong_type, {"parallel"});
    SECTION("experts that do not divide") {
        auto moe = [](json par) { return request("mixtral-8x7b", "8x-h100-sxm", kDecode, std::move(par)); };
        expect_error([&] { parallel_request(moe({{"ep", 3}})); }, ErrorCode::inconsistent, {"parallel.ep", "8"});
        expect_error([&] { parallel_request(moe({{"tp", 2}, {"pp", 4}, {"ep", 4}, {"dp", 1}})); }, ErrorCode::inconsistent,
                     {"parallel.ep", "tp·dp"});
    }
    SECTION("hardware: required, and with a link when there is more than one device") {
        json r = req(json::object());
        r.erase("hardware");
        expect_error([&] { parallel_request(r); }, ErrorCode::missing_field, {"request.hardware"});
        const json apple = request("llama-3.1-8b", "apple-m2-ultra", kDecode, {{"devices", 2}});
        expect_error([&] { parallel_request(apple); }, ErrorCode::missing_field, {"parallel.interconnect"});
        json fixed = apple;
        fixed["parallel"]["interconnect"] = {{"bandwidth_gbs", 10}, {"latency_us", 5}};
        CHECK(parallel_request(fixed)["layouts"].size() > 0);
    }
    SECTION("the C++ API checks too") {
        const ModelSpec m = testing::preset_model("llama-3.1-8b");
        const Hardware hw = testing::preset_hardware("8x-h100-sxm");
        expect_error([&] { run(m, one_query(0, 1), hw, config(8, hardware_link(hw), 8), {3, 1, 1, 1}); }, ErrorCode::inconsistent,
                     {"parallel.tp"});
        expect_error([&] { run(m, one_query(0, 1), hw, config(8, hardware_link(hw), 8), {2, 2, 1, 1}); }, ErrorCode::inconsistent,
                     {"parallel.devices"});
        expect_error([] { interconnect_preset("infiniband"); }, ErrorCode::unknown_name, {"ib-ndr"});
    }
}
