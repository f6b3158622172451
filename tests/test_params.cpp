// Exact parameter totals of real models, from the project's presets, against
// the totals their publishers state. The source of each number is named.
#include <catch2/catch.hpp>

#include "helpers.hpp"

using testing::preset_model;

namespace {
struct Published {
    const char* preset;
    std::int64_t total;
    const char* source;
};

// "HF safetensors" = the exact parameter count the Hugging Face Hub shows on the
// model page, read from the checkpoint's safetensors metadata.
const Published kPublished[] = {
    {"llama-2-7b", 6'738'415'616, "meta-llama/Llama-2-7b-hf, HF safetensors"},
    {"llama-2-13b", 13'015'864'320, "meta-llama/Llama-2-13b-hf, HF safetensors"},
    {"llama-2-70b", 68'976'648'192, "meta-llama/Llama-2-70b-hf, HF safetensors"},
    {"meta-llama-3-8b", 8'030'261'248, "meta-llama/Meta-Llama-3-8B, HF safetensors"},
    {"llama-3.1-8b", 8'030'261'248, "meta-llama/Llama-3.1-8B, HF safetensors"},
    {"llama-3.1-70b", 70'553'706'496, "meta-llama/Llama-3.1-70B, HF safetensors"},
    {"llama-3.1-405b", 405'853'388'800, "meta-llama/Llama-3.1-405B, HF safetensors"},
    {"llama-3.2-1b", 1'235'814'400, "meta-llama/Llama-3.2-1B, HF safetensors (tied embeddings)"},
    {"mistral-7b-v0.1", 7'241'732'096, "mistralai/Mistral-7B-v0.1, HF safetensors"},
    {"mistral-7b-instruct-v0.3", 7'248'023'552, "mistralai/Mistral-7B-Instruct-v0.3, HF safetensors"},
    {"mixtral-8x7b", 46'702'792'704, "mistralai/Mixtral-8x7B-v0.1, HF safetensors"},
    {"mixtral-8x22b", 140'620'634'112, "mistralai/Mixtral-8x22B-v0.1, HF safetensors"},
    {"qwen2.5-0.5b", 494'032'768, "Qwen/Qwen2.5-0.5B, HF safetensors (tied embeddings)"},
    {"qwen2.5-7b", 7'615'616'512, "Qwen/Qwen2.5-7B, HF safetensors"},
    {"qwen2.5-32b", 32'763'876'352, "Qwen/Qwen2.5-32B, HF safetensors"},
    {"qwen1.5-7b-chat", 7'721'324'544, "Qwen/Qwen1.5-7B-Chat, HF safetensors"},
    {"qwen1.5-moe-a2.7b", 14'315'784'192, "Qwen/Qwen1.5-MoE-A2.7B, HF safetensors"},
    {"qwen3-8b", 8'190'735'360, "Qwen/Qwen3-8B, HF safetensors"},
    {"qwen3-32b", 32'762'123'264, "Qwen/Qwen3-32B, HF safetensors"},
    {"qwen3-30b-a3b", 30'532'122'624, "Qwen/Qwen3-30B-A3B, HF safetensors"},
    {"qwen3-235b-a22b", 235'093'634'560, "Qwen/Qwen3-235B-A22B, HF safetensors"},
    {"gemma-2b", 2'506'172'416, "google/gemma-2b, HF safetensors (tied embeddings)"},
    {"gemma-7b", 8'537'680'896, "google/gemma-7b, HF safetensors (tied embeddings)"},
    {"phi-3-mini-4k", 3'821'079'552, "microsoft/Phi-3-mini-4k-instruct, HF safetensors"},
    {"phi-3-medium-4k", 13'960'238'080, "microsoft/Phi-3-medium-4k-instruct, HF safetensors"},
};
}  // namespace

TEST_CASE("parameter totals match the published counts", "[params][published]") {
    for (const auto& p : kPublished) {
        INFO(p.preset << " expected from " << p.source);
        CHECK(llmcalc::count_parameters(preset_model(p.preset)).total == p.total);
    }
}

TEST_CASE("Llama-2-7B parameter split by hand", "[params]") {
    // V=32000, h=4096, L=32, I=11008, MHA.
    const auto p = llmcalc::count_parameters(preset_model("llama-2-7b"));
    CHECK(p.embedding == 32000LL * 4096);
    CHECK(p.lm_head == 32000LL * 4096);             // untied
    CHECK(p.attention == 32LL * 4 * 4096 * 4096);   // q, k, v, o
    CHECK(p.ffn_dense == 32LL * 3 * 4096 * 11008);  // gate, up, down
    CHECK(p.norms == 32LL * 2 * 4096 + 4096);       // two RMSNorms per layer + final
    CHECK(p.active == p.total);
}

TEST_CASE("tied embeddings are counted once", "[params]") {
    auto cfg = testing::preset_config("llama-3.2-1b");
    const auto tied = llmcalc::count_parameters(llmcalc::parse_model_config(cfg));
    cfg["tie_word_embeddings"] = false;
    const auto untied = llmcalc::count_parameters(llmcalc::parse_model_config(cfg));
    CHECK(tied.lm_head == 0);
    CHECK(untied.total - tied.total == 128256LL * 2048);
}

TEST_CASE("MoE active parameters", "[params][moe]") {
    SECTION("Mixtral-8x7B: 2 of 8 experts, ~12.9B active (Mistral AI, 'Mixtral of experts', 2023)") {
        const auto p = llmcalc::count_parameters(preset_model("mixtral-8x7b"));
        const std::int64_t expert = 3LL * 4096 * 14336;
        CHECK(p.experts_routed == 32LL * 8 * expert);
        CHECK(p.active == p.total - 32LL * 6 * expert);
        CHECK(static_cast<double>(p.active) == Approx(12.9e9).epsilon(0.005));
    }
    SECTION("Qwen3-30B-A3B: 8 of 128 experts, 3.3B activated (Qwen3 model card)") {
        const auto p = llmcalc::count_parameters(preset_model("qwen3-30b-a3b"));
        CHECK(p.router == 48LL * 2048 * 128);
        CHECK(p.active == p.total - 48LL * 120 * 3 * 2048 * 768);
        CHECK(static_cast<double>(p.active) == Approx(3.3e9).epsilon(0.02));
    }
    SECTION("Qwen1.5-MoE-A2.7B: shared expert with a sigmoid gate, 2.7B activated (model card)") {
        const auto p = llmcalc::count_parameters(preset_model("qwen1.5-moe-a2.7b"));
        CHECK(p.experts_shared == 24LL * (3LL * 2048 * 5632 + 2048));
        CHECK(static_cast<double>(p.active) == Approx(2.7e9).epsilon(0.01));
    }
}

TEST_CASE("biases and q/k norms", "[params]") {
    SECTION("Qwen2 has q, k, v biases only") {
        const auto p = llmcalc::count_parameters(preset_model("qwen2.5-7b"));
        // h=3584, q=3584, kv=4x128=512: matrices + (3584 + 2*512) biases
        const std::int64_t per_layer = 3584LL * (3584 + 2 * 512) + 3584LL * 3584 + (3584 + 2 * 512);
        CHECK(p.attention == 28 * per_layer);
    }
    SECTION("attention_bias adds q, k, v and o biases (Llama)") {
        auto cfg = testing::tiny_config();
        const auto plain = llmcalc::count_parameters(llmcalc::parse_model_config(cfg));
        cfg["attention_bias"] = true;
        const auto biased = llmcalc::count_parameters(llmcalc::parse_model_config(cfg));
        CHECK(biased.attention - plain.attention == 2 * (8 + 2 * 4 + 8));
    }
    SECTION("mlp_bias adds gate, up and down biases (Llama)") {
        auto cfg = testing::tiny_config();
        const auto plain = llmcalc::count_parameters(llmcalc::parse_model_config(cfg));
        cfg["mlp_bias"] = true;
        const auto biased = llmcalc::count_parameters(llmcalc::parse_model_config(cfg));
        CHECK(biased.ffn_dense - plain.ffn_dense == 2 * (16 + 16 + 8));
    }
    SECTION("Qwen3 q_norm and k_norm: head_dim weights each, per layer") {
        const auto p = llmcalc::count_parameters(preset_model("qwen3-8b"));
        CHECK(p.norms == 36LL * (2 * 4096 + 2 * 128) + 4096);
    }
}

TEST_CASE("MoE layer placement: decoder_sparse_step and mlp_only_layers", "[params][moe]") {
    auto cfg = testing::preset_config("qwen3-30b-a3b");
    cfg["mlp_only_layers"] = {0, 47};
    cfg["decoder_sparse_step"] = 2;  // layers 1, 3, 5, ... are MoE, except those listed
    const auto m = llmcalc::parse_model_config(cfg);
    REQUIRE(m.layer_kinds.size() == 2);
    std::int64_t moe = 0, dense = 0;
    for (const auto& k : m.layer_kinds) (k.ffn.kind == llmcalc::FfnKind::moe ? moe : dense) += k.count;
    CHECK(moe == 23);  // odd layers 1..47 are 24, minus layer 47
    CHECK(dense == 25);
}
