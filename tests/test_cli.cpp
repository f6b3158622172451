// The command-line tool: JSON contract, formats, exit status and error lines.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/wait.h>

#include "helpers.hpp"

namespace {

struct Run {
    int status;
    std::string out, err;
};

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

Run run(const std::string& args) {
    static int n = 0;
    const std::string base = "llmcalc_cli_test_" + std::to_string(++n);
    const std::string cmd = std::string("\"") + LLMCALC_CLI + "\" " + args + " >" + base + ".out 2>" + base + ".err";
    const int raw = std::system(cmd.c_str());
    Run r{WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(base + ".out"), slurp(base + ".err")};
    std::remove((base + ".out").c_str());
    std::remove((base + ".err").c_str());
    return r;
}

std::string write_temp(const std::string& name, const std::string& text) {
    std::ofstream(name) << text;
    return name;
}

int lines(const std::string& s) {
    int n = 0;
    for (char c : s) n += c == '\n';
    return n;
}

}  // namespace

TEST_CASE("analyze --format json holds the documented keys", "[cli]") {
    const Run r = run("analyze llama-2-7b --input-tokens 128 --hardware h100-sxm --format json");
    REQUIRE(r.status == 0);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["params"]["total"] == 6738415616LL);
    CHECK(j["params"]["active"] == 6738415616LL);
    CHECK(j["kv_cache"]["bytes_per_token"] == 524288);
    for (const char* k : {"weights_bytes", "kv_cache_bytes", "total_bytes"}) CHECK(j["memory"][k].is_number());
    for (const char* k : {"flops", "bytes", "intensity", "time_s"}) CHECK(j["totals"][k].is_number());
    CHECK(j["warnings"].is_array());
    REQUIRE(j["ops"].size() > 10);
    for (const auto& op : j["ops"]) {
        for (const char* k : {"name", "count", "flops", "weight_bytes", "input_bytes", "output_bytes", "bound", "time_s"}) {
            INFO(op["name"] << " " << k);
            CHECK_FALSE(op[k].is_null());
        }
        CHECK(op.contains("intensity"));
    }
    // Same numbers as the library: the CLI adds nothing of its own.
    const auto lib = llmcalc::analyze_request({{"config", testing::preset_config("llama-2-7b")},
                                               {"workload", {{"input_tokens", 128}}},
                                               {"hardware", llmcalc::presets::hardware("h100-sxm")}});
    CHECK(j["totals"]["time_s"].get<double>() == lib["totals"]["time_s"].get<double>());
}

TEST_CASE("decode and mixed batches from the command line", "[cli]") {
    const Run r = run("analyze mixtral-8x7b --input-tokens 1 512 --cached-tokens 4000 0 --batch-size 4 --kv-bits 8 "
                      "--weight-bits 4.5 --flops-convention exact --format json");
    REQUIRE(r.status == 0);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["workload"]["new_tokens"] == 4 * 513);
    CHECK(j["workload"]["sequences"] == 8);
    CHECK(j["precision"]["kv_cache_bits"] == 8);
    CHECK(j["precision"]["ffn_weight_bits"] == 4.5);
    CHECK(j["options"]["flops"] == "exact");
    CHECK(j["totals"]["time_s"].is_null());  // no hardware given
}

TEST_CASE("table and csv formats", "[cli]") {
    const Run t = run("analyze qwen3-30b-a3b --input-tokens 64 --hardware a100-80gb-sxm");
    REQUIRE(t.status == 0);
    CHECK_THAT(t.out, Catch::Contains("experts_gate_up") && Catch::Contains("GiB") && Catch::Contains("GB") &&
                          Catch::Contains("30,532,122,624"));
    const Run c = run("analyze qwen3-30b-a3b --input-tokens 64 --format csv");
    REQUIRE(c.status == 0);
    CHECK(c.out.rfind("name,kind,count,", 0) == 0);
    const auto j = llmcalc::analyze_request({{"config", testing::preset_config("qwen3-30b-a3b")},
                                             {"workload", {{"input_tokens", 64}}}});
    CHECK(lines(c.out) == 1 + static_cast<int>(j["ops"].size()));
}

TEST_CASE("a config file and a custom hardware file", "[cli]") {
    const auto cfg = write_temp("llmcalc_cli_cfg.json", testing::tiny_config().dump());
    const auto hw = write_temp("llmcalc_cli_hw.json",
                               R"({"name":"my card","memory_gb":8,"memory_bandwidth_gbs":500,"peak_tflops":{"fp16":50}})");
    const Run r = run("analyze " + cfg + " --hardware " + hw + " --format json");
    REQUIRE(r.status == 0);
    CHECK(nlohmann::json::parse(r.out)["hardware"]["name"] == "my card");
    std::remove(cfg.c_str());
    std::remove(hw.c_str());
}

TEST_CASE("bad input exits 2 with one line on stderr", "[cli][errors]") {
    const auto bad_json = write_temp("llmcalc_cli_bad.json", "{\"model_type\": \"llama\", ");
    const auto no_layers = write_temp("llmcalc_cli_nolayers.json",
                                      R"({"model_type":"llama","hidden_size":64,"num_attention_heads":4,"vocab_size":10,"intermediate_size":8})");
    const std::pair<std::string, const char*> cases[] = {
        {"analyze " + bad_json, "not valid JSON"},
        {"analyze " + no_layers, "num_hidden_layers"},
        {"analyze does-not-exist.json", "cannot read"},
        {"analyze llama-9000", "unknown model preset"},
        {"analyze llama-2-7b --hardware h900", "unknown hardware preset"},
        {"analyze llama-2-7b --input-tokens 0", "input_tokens"},
        {"analyze llama-2-7b --input-tokens -5", "negative"},
        {"analyze llama-2-7b --input-tokens 12abc", "expects a number"},
        {"analyze llama-2-7b --batch-size 0", "batch_size"},
        {"analyze llama-2-7b --input-tokens 1 2 --cached-tokens 1 2 3", "cached_tokens"},
        {"analyze llama-2-7b --weight-bits 0", "weight_bits"},
        {"analyze llama-2-7b --kv-bits abc", "--kv-bits"},
        {"analyze llama-2-7b --flops-convention 3mnk", "flops"},
        {"analyze llama-2-7b --format xml", "--format"},
        {"analyze llama-2-7b --frobnicate", "unknown option"},
        {"analyze", "needs a CONFIG"},
        {"explode", "unknown command"},
    };
    for (const auto& [args, expected] : cases) {
        INFO(args);
        const Run r = run(args);
        CHECK(r.status == 2);
        CHECK(r.out.empty());
        CHECK(lines(r.err) == 1);
        CHECK_THAT(r.err, Catch::StartsWith("llmcalc: error: ") && Catch::Contains(expected));
    }
    std::remove(bad_json.c_str());
    std::remove(no_layers.c_str());
}

TEST_CASE("presets and help", "[cli]") {
    const Run p = run("presets --format json");
    REQUIRE(p.status == 0);
    CHECK(nlohmann::json::parse(p.out)["models"].size() == llmcalc::presets::models().size());
    const Run h = run("--help");
    CHECK(h.status == 0);
    for (const char* opt : {"--input-tokens", "--cached-tokens", "--batch-size", "--hardware", "--weight-bits",
                            "--kv-bits", "--act-bits", "--flops-convention", "--format"}) {
        CHECK_THAT(h.out, Catch::Contains(opt));
    }
}

TEST_CASE("planning subcommands: generate, capacity, parallel, train", "[cli][planning]") {
    SECTION("generate") {
        const Run r = run("generate llama-3.1-8b --hardware h100-sxm --prompt-tokens 1024 --output-tokens 64 --batch-size 4 --format json");
        REQUIRE(r.status == 0);
        const auto j = nlohmann::json::parse(r.out);
        CHECK(j["decode_steps"] == 63);
        CHECK(j["e2e_s"].get<double>() == Approx(j["ttft_s"].get<double>() + j["decode_s"].get<double>()));
        const Run t = run("generate llama-3.1-8b --hardware h100-sxm --prompt-tokens 1024 --output-tokens 64");
        CHECK_THAT(t.out, Catch::Contains("TTFT") && Catch::Contains("TPOT") && Catch::Contains("tokens/s"));
        const Run c = run("generate llama-3.1-8b --hardware h100-sxm --output-tokens 10 --series-points 5 --format csv");
        CHECK(lines(c.out) == 6);  // header + 5 sampled steps
    }
    SECTION("capacity") {
        const Run r = run("capacity llama-3.1-70b --hardware 8x-h100-sxm --context 32768 --batch-size 16 --format json");
        REQUIRE(r.status == 0);
        const auto j = nlohmann::json::parse(r.out);
        CHECK(j["capacity"]["devices"] == 8);
        CHECK(j["max_batch"].get<std::int64_t>() > 16);
        CHECK_THAT(run("capacity llama-3.1-70b --hardware 8x-h100-sxm").out, Catch::Contains("Max batch"));
    }
    SECTION("parallel") {
        const Run r = run("parallel llama-3.1-70b --hardware 8x-h100-sxm --cached-tokens 4096 --input-tokens 1 --batch-size 32 --format json");
        REQUIRE(r.status == 0);
        const auto j = nlohmann::json::parse(r.out);
        REQUIRE(j["layouts"].size() > 3);
        CHECK(j["best"].get<int>() >= 0);
        const Run c = run("parallel llama-3.1-70b --hardware 8x-h100-sxm --format csv");
        CHECK(lines(c.out) == 1 + static_cast<int>(j["layouts"].size()));
    }
    SECTION("train") {
        const Run r = run("train llama-2-7b --hardware h100-sxm --seq-len 4096 --micro-batch 1 --dp 8 --zero 3 --format json");
        REQUIRE(r.status == 0);
        const auto j = nlohmann::json::parse(r.out);
        CHECK(j["memory"]["total_bytes"].get<double>() > 0);
        const Run l = run("train llama-2-7b --seq-len 2048 --lora-rank 8 --lora-targets q_proj v_proj --format json");
        REQUIRE(l.status == 0);
        CHECK(nlohmann::json::parse(l.out)["params"]["trainable"] == 4194304);
    }
    SECTION("bad input exits 2 with one line") {
        const std::pair<const char*, const char*> cases[] = {
            {"generate llama-3.1-8b --output-tokens 5", "hardware is required"},
            {"generate llama-3.1-8b --hardware h100-sxm --output-tokens 0", "generation.output_tokens"},
            {"capacity llama-3.1-8b --hardware h100-sxm --memory-fraction 3", "capacity.memory_fraction"},
            {"parallel llama-3.1-8b --hardware 8x-h100-sxm --tp 3", "parallel.tp"},
            {"train llama-2-7b --seq-len 2048 --zero 4", "zero_stage"},
            {"train llama-2-7b --seq-len 2048 --lora-rank 8 --lora-targets nonsense_proj", "nonsense_proj"},
            {"generate llama-3.1-8b --hardware h100-sxm --frobnicate 1", "unknown option"},
        };
        for (const auto& [args, expected] : cases) {
            INFO(args);
            const Run r = run(args);
            CHECK(r.status == 2);
            CHECK(lines(r.err) == 1);
            CHECK_THAT(r.err, Catch::Contains(expected));
        }
    }
}
