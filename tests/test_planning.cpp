// Generation timeline, capacity and sweeps, checked against explicit loops and
// hand-computed limits.
#include <catch2/catch.hpp>

#include <cmath>

#include "helpers.hpp"
#include "llmcalc/planning.hpp"

using namespace llmcalc;
using testing::preset_hardware;
using testing::preset_model;

TEST_CASE("the summed decode time equals the explicit per-step loop", "[planning][generation]") {
    struct Case {
        const char* model;
        std::int64_t prompt, output;
        const char* why;
    };
    const Case cases[] = {
        {"llama-3.1-8b", 1000, 300, "dense GQA: every op affine in the context"},
        {"gpt-oss-20b", 100, 200, "sliding window of 128 fills up during the run"},
        {"llama-4-scout-17b-16e-instruct", 8100, 200, "chunked attention crosses the 8192 boundary"},
        {"deepseek-v3.2", 1950, 200, "sparse attention's top-2048 fills up"},
        {"jamba-v0.1", 500, 100, "hybrid: Mamba state constant, attention grows"},
        {"gemma-2-9b-it", 4000, 150, "Gemma 2 window of 4096"},
    };
    const Hardware hw = preset_hardware("h100-sxm");
    for (const auto& c : cases) {
        INFO(c.model << ": " << c.why);
        GenerationOptions g;
        g.prompt_tokens = c.prompt;
        g.output_tokens = c.output;
        g.batch_size = 4;
        const ModelSpec m = preset_model(c.model);
        const GenerationResult r = estimate_generation(m, g, {}, {}, hw);
        CHECK(r.decode_s == Approx(decode_time_by_loop(m, g, {}, {}, hw)).epsilon(1e-9));
        CHECK(r.decode_steps == c.output - 1);
    }
}

TEST_CASE("generation timeline definitions", "[planning][generation]") {
    const ModelSpec m = preset_model("llama-2-7b");
    const Hardware hw = preset_hardware("a100-80gb-sxm");
    GenerationOptions g;
    g.prompt_tokens = 2048;
    g.output_tokens = 256;
    g.batch_size = 8;
    const GenerationResult r = estimate_generation(m, g, {}, {}, hw);
    const Analysis prefill = analyze(m, testing::one_query(0, 2048, 8), {}, {}, &hw);
    const Analysis first = analyze(m, testing::one_query(2048, 1, 8), {}, {}, &hw);
    const Analysis last = analyze(m, testing::one_query(2048 + 254, 1, 8), {}, {}, &hw);
    CHECK(r.ttft_s == Approx(prefill.totals.time_s));
    CHECK(r.tpot_first_s == Approx(first.totals.time_s));
    CHECK(r.tpot_last_s == Approx(last.totals.time_s));
    CHECK(r.tpot_last_s > r.tpot_first_s);  // the context grows
    CHECK(r.tpot_mean_s == Approx(r.decode_s / 255));
    CHECK(r.e2e_s == Approx(r.ttft_s + r.decode_s));
    CHECK(r.output_tokens_per_s == Approx(8 * 256 / r.e2e_s));
    CHECK(r.decode_tokens_per_s == Approx(8 * 255 / r.decode_s));
    // not one step multiplied by G: the mean lies strictly between the first and the last step
    CHECK(r.tpot_mean_s > r.tpot_first_s);
    CHECK(r.tpot_mean_s < r.tpot_last_s);
    REQUIRE(r.series.size() == 255);
    CHECK(r.series.front().time_s == Approx(r.tpot_first_s));
    CHECK(r.series.back().time_s == Approx(r.tpot_last_s));
    CHECK(r.series.back().memory_bound_share > 0.9);
}

TEST_CASE("a bandwidth-bound decode step takes bytes / bandwidth", "[planning][roofline]") {
    // Llama-2-7B, batch 1: every GEMM has intensity ~1 FLOP/B, far below the ridge.
    const ModelSpec m = preset_model("llama-2-7b");
    const Hardware hw = preset_hardware("h100-sxm");
    GenerationOptions g;
    g.prompt_tokens = 512;
    g.output_tokens = 2;
    const GenerationResult r = estimate_generation(m, g, {}, {}, hw);
    const Analysis a = analyze(m, testing::one_query(512, 1), {}, {}, &hw);
    // every weight but the embedding table (one row is read) + KV (513 tokens · 512 KiB) + activations
    CHECK(r.tpot_first_s == Approx(a.totals.bytes / 3.35e12).epsilon(0.001));
    const double weights = 6'738'415'616.0 * 2 - 32000.0 * 4096 * 2;
    CHECK(a.totals.bytes == Approx(weights + 513 * 524288.0).epsilon(0.002));
}

TEST_CASE("capacity: the largest batch fits and the next one does not", "[planning][capacity]") {
    const Hardware hw = preset_hardware("h100-sxm");
    auto memory = [&](const ModelSpec& m, std::int64_t batch, std::int64_t context) {
        return analyze(m, testing::one_query(context - 1, 1, batch), {}, {}, &hw).memory.total_bytes;
    };
    SECTION("Llama-3.1-8B at 8k context on one H100 (90% of 80 GB)") {
        const ModelSpec m = preset_model("llama-3.1-8b");
        CapacityOptions c;
        c.context = 8192;
        const CapacityResult r = estimate_capacity(m, c, {}, {}, hw);
        const double budget = 0.9 * 80e9;
        CHECK(r.budget_bytes == Approx(budget));
        REQUIRE(r.max_batch > 1);
        CHECK(memory(m, r.max_batch, 8192) <= budget);
        CHECK(memory(m, r.max_batch + 1, 8192) > budget);
        // roughly (budget − weights) / (8192 tokens · 128 KiB)
        CHECK(static_cast<double>(r.max_batch) == Approx((budget - 16.06e9) / (8192 * 131072.0)).epsilon(0.05));
        c.batch_size = 16;
        const CapacityResult l = estimate_capacity(m, c, {}, {}, hw);
        CHECK(memory(m, 16, l.max_context) <= budget);
        CHECK(memory(m, 16, l.max_context + 1) > budget);
        CHECK(l.kv_token_capacity == Approx((budget - 16.06e9) / 131072.0).epsilon(0.002));
    }
    SECTION("MoE weights count at the total, not the active size") {
        const ModelSpec m = preset_model("mixtral-8x7b");
        const CapacityResult r = estimate_capacity(m, {}, {}, {}, hw);
        CHECK(r.weights_bytes == Approx(46'702'792'704.0 * 2));
        CHECK(r.max_batch == 0);  // 93.4 GB of weights do not fit in 72 GB
        CHECK(r.min_devices == 2);
    }
    SECTION("MLA and sliding-window caches") {
        CapacityOptions eight;
        eight.devices = 8;
        const CapacityResult d = estimate_capacity(preset_model("deepseek-v3"), eight, {}, {}, preset_hardware("h200"));
        CHECK(d.budget_bytes == Approx(8 * 0.9 * 141e9));
        CHECK(d.max_batch > 0);  // ~685 GB of FP8 weights fit in 8 × 141 GB
        CHECK(d.kv_bytes_per_token == 61.0 * 576 * 2);
        const CapacityResult mamba = estimate_capacity(preset_model("mamba-2.8b-hf"), {}, {}, {}, hw);
        CHECK(mamba.max_context == -1);  // the state does not grow: no context limit from memory
        CHECK(mamba.kv_token_capacity == -1);
    }
    SECTION("activation memory: FlashAttention, materialised scores, chunked prefill") {
        CapacityOptions c;
        c.prompt_tokens = 32768;
        c.prefill_chunk = 2048;
        const CapacityResult r = estimate_capacity(preset_model("llama-3.1-8b"), c, {}, {}, hw);
        // materialised: 32 heads · 32768·32769/2 scores · 2 bytes, read and written by softmax
        CHECK(r.prefill_activation_unfused == Approx(2 * 32 * 32768.0 * 32769 / 2 * 2));
        CHECK(r.prefill_activation_fused < r.prefill_activation_unfused / 10);
        CHECK(r.prefill_activation_chunked < r.prefill_activation_fused);
    }
}

TEST_CASE("planning requests: JSON contract and errors", "[planning][json]") {
    const nlohmann::json cfg = testing::preset_config("llama-3.1-8b");
    const nlohmann::json hw = presets::hardware("h100-sxm");
    const auto gen = generation_request({{"config", cfg}, {"hardware", hw},
                                         {"generation", {{"prompt_tokens", 2048}, {"output_tokens", 256}, {"series_points", 32}}}});
    for (const char* k : {"ttft_s", "tpot_first_s", "tpot_last_s", "tpot_mean_s", "e2e_s", "output_tokens_per_s"}) CHECK(gen[k].is_number());
    CHECK(gen["series"]["time_s"].size() == 32);
    const auto cap = capacity_request({{"config", cfg}, {"hardware", hw}, {"capacity", {{"context", 8192}}}});
    CHECK(cap["max_batch"].get<std::int64_t>() > 1);
    auto code = [](auto f) {
        try {
            f();
        } catch (const Error& e) {
            return std::string(e.code_name()) + ": " + e.what();
        }
        return std::string("no error");
    };
    CHECK_THAT(code([&] { generation_request({{"config", cfg}}); }), Catch::Contains("missing_field") && Catch::Contains("hardware"));
    CHECK_THAT(code([&] { generation_request({{"config", cfg}, {"hardware", hw}, {"generation", {{"output_tokens", 0}}}}); }),
               Catch::Contains("generation.output_tokens"));
    CHECK_THAT(code([&] { capacity_request({{"config", cfg}, {"hardware", hw}, {"capacity", {{"memory_fraction", 2}}}}); }),
               Catch::Contains("capacity.memory_fraction"));
    CHECK_THAT(code([&] { capacity_request({{"config", cfg}, {"hardware", hw}, {"capacity", {{"contxt", 2}}}}); }),
               Catch::Contains("capacity.contxt"));
}

TEST_CASE("sweeps over precision and batch equal separate analyses", "[planning][sweep]") {
    const nlohmann::json req = {{"config", testing::preset_config("qwen3-8b")},
                                {"hardware", presets::hardware("l40s")},
                                {"workload", {{"input_tokens", 1}, {"cached_tokens", 4096}}}};
    const auto s = sweep_request(req, {{"variable", "weight_bits"}, {"values", {16, 8, 4.5, 4}}});
    const auto b = sweep_request(req, {{"variable", "batch_size"}, {"values", {1, 8, 64}}});
    for (std::size_t i = 0; i < 4; ++i) {
        auto r = req;
        r["precision"] = {{"weight_bits", s["values"][i]}};
        CHECK(s["time_s"][i].get<double>() == analyze_request(r)["totals"]["time_s"].get<double>());
    }
    for (std::size_t i = 0; i < 3; ++i) {
        auto r = req;
        r["workload"]["batch_size"] = b["values"][i];
        CHECK(b["total_memory_bytes"][i].get<double>() == analyze_request(r)["memory"]["total_bytes"].get<double>());
    }
    CHECK(s["time_s"][3].get<double>() < s["time_s"][0].get<double>());  // fewer weight bytes, faster decode
}
