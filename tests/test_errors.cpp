// Every class of bad input gives an llmcalc::Error with a code and a message that
// names the field; never a crash, never a silent number.
#include <catch2/catch.hpp>

#include "helpers.hpp"

using namespace llmcalc;
using testing::expect_error;
using nlohmann::json;

namespace {


json request_with(json config) {
    return {{"config", std::move(config)}, {"workload", {{"input_tokens", 16}}}};
}

}  // namespace

TEST_CASE("malformed JSON text", "[errors][json]") {
    expect_error([] { parse_json_text("{\"hidden_size\": 4096,", "config"); }, ErrorCode::invalid_json, {"config", "not valid JSON"});
    expect_error([] { parse_json_text("", "config"); }, ErrorCode::invalid_json, {"config"});
    expect_error([] { parse_json_text("{'a': 1}", "config"); }, ErrorCode::invalid_json, {"config"});
    SECTION("nesting thousands deep is refused before parsing") {
        const std::string deep = std::string(5000, '[') + std::string(5000, ']');
        expect_error([&] { parse_json_text(deep, "config"); }, ErrorCode::invalid_json, {"nesting"});
    }
    SECTION("NaN / Infinity spellings: accepted where ignored, an error where read") {
        const json doc = parse_json_text(R"({"a": [0.0, Infinity], "b": NaN, "s": "NaN inside a string"})", "config");
        CHECK(doc["a"][1] == "Infinity");
        CHECK(doc["s"] == "NaN inside a string");
        auto cfg = testing::tiny_config();
        cfg["time_step_limit"] = {0.0, "Infinity"};  // ignored field: fine
        CHECK_NOTHROW(parse_model_config(cfg));
        cfg["hidden_size"] = "Infinity";
        expect_error([&] { parse_model_config(cfg); }, ErrorCode::wrong_type, {"config.hidden_size", "non-finite"});
    }
    SECTION("invalid UTF-8 in a string") {
        expect_error([] { parse_json_text("{\"model_type\": \"\xff\xfe\"}", "config"); }, ErrorCode::invalid_json, {"config", "not valid JSON"});
    }
    SECTION("a duplicate key, named") {
        expect_error([] { parse_json_text(R"({"a": {"hidden_size": 1, "hidden_size": 2}})", "config"); }, ErrorCode::invalid_json,
                     {"\"hidden_size\" appears twice"});
    }
    SECTION("a 50 MB document is refused before parsing") {
        const std::string big = "[" + std::string(50u << 20, ' ') + "]";
        expect_error([&] { parse_json_text(big, "config"); }, ErrorCode::invalid_json, {"the limit is"});
    }
    SECTION("a number too large for a double") {
        expect_error([] { parse_model_config(parse_json_text(R"({"model_type":"llama","hidden_size":1e400})", "config")); },
                     ErrorCode::invalid_json, {"config"});
    }
}

TEST_CASE("top level that is not an object", "[errors]") {
    expect_error([] { parse_model_config(json::array({1, 2})); }, ErrorCode::wrong_type, {"config", "object", "array"});
    expect_error([] { parse_model_config(json("llama")); }, ErrorCode::wrong_type, {"config"});
}

TEST_CASE("missing fields", "[errors][config]") {
    for (const char* field : {"hidden_size", "num_hidden_layers", "num_attention_heads", "vocab_size", "intermediate_size"}) {
        auto cfg = testing::tiny_config();
        cfg.erase(field);
        INFO(field);
        expect_error([&] { parse_model_config(cfg); }, ErrorCode::missing_field, {field});
    }
    SECTION("Mixtral without num_local_experts") {
        auto cfg = testing::preset_config("mixtral-8x7b");
        cfg.erase("num_local_experts");
        expect_error([&] { parse_model_config(cfg); }, ErrorCode::missing_field, {"num_local_experts"});
    }
    SECTION("unknown model_type without the standard fields names them") {
        expect_error([] { parse_model_config({{"model_type", "whisper"}, {"d_model", 512}}); }, ErrorCode::unsupported,
                     {"whisper", "hidden_size", "vocab_size", "num_hidden_layers"});
    }
}

TEST_CASE("wrong types", "[errors][config]") {
    const std::pair<const char*, json> cases[] = {
        {"hidden_size", "4096"}, {"hidden_size", 4096.5}, {"num_hidden_layers", true},
        {"num_attention_heads", json::array()}, {"vocab_size", json::object()}, {"tie_word_embeddings", "yes"},
        {"torch_dtype", 16}, {"head_dim", "128"}, {"num_key_value_heads", nullptr /* null = absent: fine */},
    };
    for (const auto& [field, value] : cases) {
        auto cfg = testing::tiny_config();
        cfg[field] = value;
        INFO(field << " = " << value.dump());
        if (value.is_null()) {
            CHECK_NOTHROW(parse_model_config(cfg));
        } else {
            expect_error([&] { parse_model_config(cfg); }, ErrorCode::wrong_type, {field});
        }
    }
}

TEST_CASE("zero, negative and absurd values", "[errors][config]") {
    const std::pair<const char*, json> cases[] = {
        {"hidden_size", 0}, {"hidden_size", -4096}, {"hidden_size", 1e12}, {"num_hidden_layers", 0},
        {"num_hidden_layers", 1000000}, {"num_attention_heads", -1}, {"vocab_size", 0}, {"vocab_size", 1LL << 40},
        {"intermediate_size", 0}, {"head_dim", 0}, {"max_position_embeddings", -1},
    };
    for (const auto& [field, value] : cases) {
        auto cfg = testing::tiny_config();
        cfg[field] = value;
        INFO(field << " = " << value.dump());
        expect_error([&] { parse_model_config(cfg); }, ErrorCode::out_of_range, {field, "expected"});
    }
    SECTION("negative zero is zero") {
        auto cfg = testing::tiny_config();
        cfg["hidden_size"] = -0.0;
        expect_error([&] { parse_model_config(cfg); }, ErrorCode::out_of_range, {"hidden_size"});
    }
    SECTION("experts per token above the number of experts") {
        auto cfg = testing::preset_config("mixtral-8x7b");
        cfg["num_experts_per_tok"] = 9;
        expect_error([&] { parse_model_config(cfg); }, ErrorCode::out_of_range, {"num_experts_per_tok"});
    }
}

TEST_CASE("heads that do not divide", "[errors][config]") {
    auto cfg = testing::tiny_config();
    cfg["num_key_value_heads"] = 3;  // 2 query heads
    expect_error([&] { parse_model_config(cfg); }, ErrorCode::inconsistent, {"num_key_value_heads", "divide"});
    cfg = testing::tiny_config();
    cfg["num_attention_heads"] = 3;  // hidden 8
    cfg["num_key_value_heads"] = 1;
    expect_error([&] { parse_model_config(cfg); }, ErrorCode::inconsistent, {"hidden_size", "num_attention_heads"});
    cfg["head_dim"] = 4;  // explicit head_dim: fine
    CHECK_NOTHROW(parse_model_config(cfg));
}

TEST_CASE("a model too large for exact counts is refused, not wrapped", "[errors][overflow]") {
    auto cfg = testing::preset_config("mixtral-8x7b");
    cfg["hidden_size"] = 1 << 20;
    cfg["intermediate_size"] = 1 << 24;
    cfg["num_local_experts"] = 65536;
    cfg["num_hidden_layers"] = 10000;
    expect_error([&] { parse_model_config(cfg); }, ErrorCode::out_of_range, {"too large"});
}

TEST_CASE("bad workloads", "[errors][workload]") {
    const json cfg = testing::tiny_config();
    auto run = [&](json workload) { analyze_request({{"config", cfg}, {"workload", std::move(workload)}}); };
    expect_error([&] { run({{"input_tokens", 0}}); }, ErrorCode::out_of_range, {"input_tokens"});
    expect_error([&] { run({{"input_tokens", -3}}); }, ErrorCode::out_of_range, {"input_tokens"});
    expect_error([&] { run({{"cached_tokens", 2e9}}); }, ErrorCode::out_of_range, {"cached_tokens"});
    expect_error([&] { run({{"batch_size", 0}}); }, ErrorCode::out_of_range, {"batch_size"});
    expect_error([&] { run({{"batch_size", "8"}}); }, ErrorCode::wrong_type, {"batch_size"});
    expect_error([&] { run({{"input_tokens", {1, 2}}, {"cached_tokens", {0, 0, 0}}}); }, ErrorCode::inconsistent,
                 {"cached_tokens", "input_tokens"});
    expect_error([&] { run({{"queries", json::array()}}); }, ErrorCode::out_of_range, {"queries"});
    expect_error([&] { run({{"queries", {{{"cached_tokens", 1}}}}}); }, ErrorCode::missing_field, {"queries[0].new_tokens"});
    expect_error([&] { run({{"input_token", 5}}); }, ErrorCode::unknown_name, {"workload.input_token"});
}

TEST_CASE("bad precision, options and hardware", "[errors]") {
    const json cfg = testing::tiny_config();
    expect_error([&] { analyze_request({{"config", cfg}, {"precision", {{"weight_bits", 0}}}}); }, ErrorCode::out_of_range, {"weight_bits"});
    expect_error([&] { analyze_request({{"config", cfg}, {"precision", {{"kv_cache_bits", 128}}}}); }, ErrorCode::out_of_range, {"kv_cache_bits"});
    expect_error([&] { analyze_request({{"config", cfg}, {"options", {{"flops", "3mnk"}}}}); }, ErrorCode::unknown_name, {"options.flops", "2mnk"});
    expect_error([&] { analyze_request({{"config", cfg}, {"options", {{"compute_efficiency", 1.5}}}}); }, ErrorCode::out_of_range, {"compute_efficiency"});
    expect_error([&] { analyze_request({{"config", cfg}, {"hardware", {{"memory_gb", 80}}}}); }, ErrorCode::missing_field, {"hardware.memory_bandwidth_gbs"});
    expect_error([&] { parse_hardware({{"memory_gb", 80}, {"memory_bandwidth_gbs", 0}, {"peak_tflops", {{"bf16", 1}}}}); },
                 ErrorCode::out_of_range, {"memory_bandwidth_gbs"});
    expect_error([&] { parse_hardware({{"memory_gb", 80}, {"memory_bandwidth_gbs", 1}, {"peak_tflops", {{"bf17", 1}}}}); },
                 ErrorCode::unknown_name, {"bf17"});
    expect_error([&] { parse_hardware({{"memory_gb", 80}, {"memory_bandwidth_gbs", 1}, {"peak_tflops", {{"bf16", 0}}}}); },
                 ErrorCode::out_of_range, {"peak_tflops"});
    expect_error([] { presets::hardware("h900"); }, ErrorCode::unknown_name, {"h900", "h100-sxm"});
    expect_error([] { presets::model("llama-9"); }, ErrorCode::unknown_name, {"llama-9"});
    expect_error([&] { analyze_request({{"config", cfg}, {"extra", 1}}); }, ErrorCode::unknown_name, {"request.extra"});
    expect_error([&] { analyze_request({{"workload", {}}}); }, ErrorCode::missing_field, {"request.config"});
}

TEST_CASE("the core keeps working after errors", "[errors]") {
    const json good = request_with(testing::tiny_config());
    const double flops = analyze_request(good)["totals"]["flops"].get<double>();
    for (int i = 0; i < 100; ++i) {
        CHECK_THROWS_AS(analyze_request(request_with({{"model_type", "llama"}})), Error);
    }
    CHECK(analyze_request(good)["totals"]["flops"].get<double>() == flops);
}
