// Benchmark (not a test): prints how long the core takes. Usage: llmcalc_bench [model-id] [hardware-id]
#include <chrono>
#include <cstdio>
#include <string>

#include "llmcalc/api.hpp"
#include "llmcalc/planning.hpp"
#include "llmcalc/presets.hpp"

using Clock = std::chrono::steady_clock;

template <typename F>
double time_per_call_us(F&& f, int iterations) {
    const auto t0 = Clock::now();
    for (int i = 0; i < iterations; ++i) f();
    return std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / iterations;
}

int main(int argc, char** argv) {
    const std::string model_id = argc > 1 ? argv[1] : "llama-3.1-8b";
    const std::string hw_id = argc > 2 ? argv[2] : "h100-sxm";
    const nlohmann::json config = llmcalc::presets::config_of(llmcalc::presets::model(model_id));
    const nlohmann::json hw_doc = llmcalc::presets::hardware(hw_id);
    const llmcalc::ModelSpec model = llmcalc::parse_model_config(config);
    const llmcalc::Hardware hw = llmcalc::parse_hardware(hw_doc);
    llmcalc::Workload decode;
    decode.queries = {{2048, 1}};
    decode.batch_size = 16;
    volatile double sink = 0;

    std::printf("llmcalc benchmark: %s on %s\n", model_id.c_str(), hw_id.c_str());
    const double parse_us = time_per_call_us([&] { sink = sink + static_cast<double>(llmcalc::parse_model_config(config).num_layers); }, 2000);
    std::printf("  parse config.json (already JSON)        %9.2f us\n", parse_us);

    llmcalc::Analysis an;
    const double analyze_us = time_per_call_us([&] {
        llmcalc::analyze_into(an, model, decode, {}, {}, &hw);
        sink = sink + an.totals.time_s;
    }, 20000);
    std::printf("  one analysis (decode step, B=16)        %9.2f us\n", analyze_us);

    const nlohmann::json request = {{"config", config}, {"hardware", hw_doc},
                                    {"workload", {{"input_tokens", 2048}, {"batch_size", 1}}}};
    const double request_us = time_per_call_us([&] { sink = sink + llmcalc::analyze_request(request)["totals"]["flops"].get<double>(); }, 500);
    std::printf("  full request: parse+analyze+result JSON %9.2f us\n", request_us);

    const double sweep_us = time_per_call_us([&] {
        llmcalc::Workload w;
        w.queries = {{0, 1}};
        for (int i = 0; i < 1000; ++i) {
            w.queries[0].cached_tokens = 128 * i;
            llmcalc::analyze_into(an, model, w, {}, {}, &hw);
            sink = sink + an.totals.time_s;
        }
    }, 20);
    std::printf("  1,000-point context sweep (decode)      %9.2f us  (%.3f us per point)\n", sweep_us, sweep_us / 1000);
    llmcalc::GenerationOptions gen;
    gen.prompt_tokens = 2048;
    gen.output_tokens = 256;
    const double gen_us = time_per_call_us([&] { sink = sink + llmcalc::estimate_generation(model, gen, {}, {}, hw).e2e_s; }, 200);
    std::printf("  generation estimate, 2048 + 256 tokens  %9.2f us  (closed-form sum; series of 255 sampled steps)\n", gen_us);
    gen.series_points = 2;
    const double gen_fast_us = time_per_call_us([&] { sink = sink + llmcalc::estimate_generation(model, gen, {}, {}, hw).e2e_s; }, 2000);
    std::printf("    without the per-step series           %9.2f us\n", gen_fast_us);
    const double loop_us = time_per_call_us([&] { sink = sink + llmcalc::decode_time_by_loop(model, gen, {}, {}, hw); }, 200);
    std::printf("    the same decode sum as a step loop    %9.2f us\n", loop_us);
    const nlohmann::json sweep_req = {{"config", config}, {"hardware", hw_doc}, {"workload", {{"input_tokens", 1}}}};
    nlohmann::json values = nlohmann::json::array();
    for (int i = 0; i < 1000; ++i) values.push_back(128 * i);
    const nlohmann::json spec = {{"variable", "context"}, {"values", values}};
    const double sweep_json_us = time_per_call_us([&] { sink = sink + llmcalc::sweep_request(sweep_req, spec)["flops"].size(); }, 50);
    std::printf("  1,000-point sweep request (JSON in/out) %9.2f us\n", sweep_json_us);
    return sink < 0 ? 1 : 0;
}
