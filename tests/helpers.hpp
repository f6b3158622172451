// Shared helpers for the Catch2 tests.
#pragma once

#include <string>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "llmcalc/analysis.hpp"
#include "llmcalc/api.hpp"
#include "llmcalc/model.hpp"
#include "llmcalc/presets.hpp"

namespace testing {

// Runs f and expects an llmcalc::Error with `code`, a one-line message containing every part.
template <typename F>
void expect_error(F&& f, llmcalc::ErrorCode code, std::initializer_list<const char*> parts) {
    try {
        f();
        FAIL("no error was raised");
    } catch (const llmcalc::Error& e) {
        INFO("message: " << e.what());
        CHECK(e.code() == code);
        for (const char* p : parts) CHECK_THAT(e.what(), Catch::Contains(p));
        CHECK(std::string(e.what()).find('\n') == std::string::npos);
    }
}

inline nlohmann::json preset_config(const std::string& id) {
    return llmcalc::presets::config_of(llmcalc::presets::model(id));
}

inline llmcalc::ModelSpec preset_model(const std::string& id) {
    return llmcalc::parse_model_config(preset_config(id));
}

inline llmcalc::Hardware preset_hardware(const std::string& id) {
    return llmcalc::parse_hardware(llmcalc::presets::hardware(id));
}

inline llmcalc::Workload one_query(std::int64_t cached, std::int64_t fresh, std::int64_t batch = 1) {
    llmcalc::Workload w;
    w.queries = {{cached, fresh}};
    w.batch_size = batch;
    return w;
}

// The single operator called `name` in the given layer kind (-1: outside the layers).
inline const llmcalc::OpCost& op(const llmcalc::Analysis& a, const std::string& name, int kind = 0) {
    for (const auto& o : a.ops) {
        if (name == o.name && (o.layer_kind == kind || o.layer_kind == -1)) return o;
    }
    throw std::runtime_error("no operator " + name);
}

// A small Llama-style config whose every number can be worked out by hand.
inline nlohmann::json tiny_config() {
    return {{"model_type", "llama"},
            {"hidden_size", 8},
            {"intermediate_size", 16},
            {"num_hidden_layers", 2},
            {"num_attention_heads", 2},
            {"num_key_value_heads", 1},
            {"vocab_size", 10},
            {"torch_dtype", "bfloat16"}};
}

}  // namespace testing
