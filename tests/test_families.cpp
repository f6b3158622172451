// Architectures beyond the Llama family: MLA, sliding windows, chunked and sparse
// attention, classic GPT-style blocks, state-space and hybrid models, quantised
// checkpoints. Published totals name their source; decode FLOPs are checked
// against sums written out here from each model's published shape.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <sstream>

#include "helpers.hpp"

using namespace llmcalc;
using testing::one_query;
using testing::preset_model;

namespace {

double matmul_flops(const Analysis& a) {
    double f = 0;
    for (const auto& op : a.ops) {
        if (op.is_matmul) f += op.count * op.flops;
    }
    return f;
}

double ops_flops(const Analysis& a, std::initializer_list<const char*> names) {
    double f = 0;
    for (const auto& op : a.ops) {
        for (const char* n : names) {
            if (std::string(op.name) == n) f += op.count * op.flops;
        }
    }
    return f;
}

}  // namespace

TEST_CASE("published totals of other families", "[families][published]") {
    struct Exact {
        const char* preset;
        std::int64_t total;
        const char* source;
    };
    // Exact totals (see tests/published_totals.md for where each was found).
    const Exact exact[] = {
        {"deepseek-v3", 671'026'419'200, "DeepSeek-V3 README: 671B main model (+14B MTP); exact recount of the Hub checkpoint"},
        {"deepseek-r1", 671'026'419'200, "same shapes as DeepSeek-V3"},
        {"gpt-oss-120b", 116'829'156'672, "OpenAI gpt-oss model card: 116.83B; exact recount"},
        {"gpt2-xl", 1'557'611'200, "openai-community/gpt2-xl, model.parameters() (paper rounds to 1542M)"},
        {"phi-2", 2'779'683'840, "microsoft/phi-2, count on the Hub"},
        {"mamba-2.8b-hf", 2'768'345'600, "state-spaces/mamba-2.8b-hf, count on the Hub"},
        {"gemma-2-9b-it", 9'241'705'984, "google/gemma-2-9b-it, Hub safetensors (vocab 256,000)"},
        {"gemma-3-1b-it", 999'885'952, "google/gemma-3-1b-it, Hub safetensors"},
    };
    for (const auto& e : exact) {
        INFO(e.preset << ": " << e.source);
        CHECK(count_parameters(preset_model(e.preset)).total == e.total);
    }
    struct Rounded {
        const char* preset;
        double total, active, rel;
        const char* source;
    };
    const Rounded rounded[] = {
        {"kimi-k2-instruct", 1.04e12, 32e9, 0.03, "Moonshot Kimi K2 model card: 1T total (1.04T), 32B activated"},
        {"gpt-oss-20b", 20.91e9, 0, 0.001, "OpenAI gpt-oss model card: 20.91B total"},
        {"jamba-v0.1", 52e9, 12e9, 0.02, "AI21 Jamba model card: 52B total, 12B active"},
        {"nemotron-h-56b-base-8k", 56e9, 0, 0.01, "NVIDIA Nemotron-H model card: 56B"},
        {"llama-3.3-nemotron-super-49b-v1", 49.9e9, 0, 0.01, "NVIDIA model card: 49B (49.9B)"},
        {"opt-6.7b", 6.7e9, 0, 0.01, "Zhang et al. 2022, OPT paper Table 1: 6.7B"},
        {"starcoder2-7b", 7.17e9, 0, 0.01, "bigcode/starcoder2-7b: 7.17B on the Hub"},
        {"deepseek-v3", 671e9, 37e9, 0.02, "DeepSeek-V3 technical report: 671B total, 37B activated"},
    };
    for (const auto& r : rounded) {
        INFO(r.preset << ": " << r.source);
        const auto p = count_parameters(preset_model(r.preset));
        CHECK(static_cast<double>(p.total) == Approx(r.total).epsilon(r.rel));
        if (r.active > 0) CHECK(static_cast<double>(p.active) == Approx(r.active).epsilon(0.03));
    }
    SECTION("gpt-oss active parameters as OpenAI counts them (without the input embedding)") {
        // OpenAI model card: 5.13B (120b) and 3.61B (20b) active parameters per token.
        for (const auto& [id, active] : {std::pair<const char*, double>{"gpt-oss-120b", 5.13e9}, {"gpt-oss-20b", 3.61e9}}) {
            const auto p = count_parameters(preset_model(id));
            CHECK(static_cast<double>(p.active - p.embedding) == Approx(active).epsilon(0.002));
        }
    }
    SECTION("MTP modules are reported apart from the main model") {
        const auto p = count_parameters(preset_model("deepseek-v3"));
        CHECK(p.mtp > 10e9);  // one MoE layer + projections (the README's 14B also counts shared embedding/head copies)
        CHECK(p.total == 671'026'419'200);
    }
}

TEST_CASE("MLA: the cache holds the latent plus the RoPE key", "[families][mla][kv]") {
    const ModelSpec m = preset_model("deepseek-v3");
    REQUIRE(m.layer_kinds[0].mixer == MixerKind::mla);
    const Analysis a = analyze(m, one_query(1000, 1), {}, {}, nullptr);
    // 61 layers · (kv_lora_rank 512 + qk_rope_head_dim 64) · 2 bytes — not 2 · 128 heads · 192
    CHECK(a.kv_cache.bytes_per_token == 61.0 * (512 + 64) * 2);
    CHECK(a.kv_cache.bytes == 61.0 * (512 + 64) * 2 * 1001);
    SECTION("absorbed decode attends over the latent; naive decompresses every cached key") {
        Options absorbed;
        absorbed.mla = MlaMode::absorbed;
        Options naive;
        naive.mla = MlaMode::naive;
        const Analysis x = analyze(m, one_query(1000, 1), {}, absorbed, nullptr);
        const Analysis y = analyze(m, one_query(1000, 1), {}, naive, nullptr);
        const double nh = 128, pairs = 1001;
        CHECK(testing::op(x, "attn_scores", 1).flops == nh * pairs * 2 * (512 + 64));
        CHECK(testing::op(x, "attn_v", 1).flops == nh * pairs * 2 * 512);
        CHECK(testing::op(y, "attn_scores", 1).flops == nh * pairs * 2 * (128 + 64));
        CHECK(testing::op(y, "kv_b_proj", 1).flops == 2.0 * 1001 * 512 * nh * (128 + 128));
        // the default picks absorption for a pure decode step
        CHECK(testing::op(a, "attn_scores", 1).flops == nh * pairs * 2 * (512 + 64));
    }
}

TEST_CASE("sliding windows: KV stops growing at the window", "[families][window][kv]") {
    SECTION("gpt-oss-20b: 12 sliding (128) and 12 full layers, 8 KV heads of 64") {
        const ModelSpec m = preset_model("gpt-oss-20b");
        REQUIRE(m.layer_kinds.size() == 2);
        const double per_layer = 2.0 * 8 * 64 * 2;
        const Analysis a = analyze(m, one_query(99'999, 1), {}, {}, nullptr);
        CHECK(a.kv_cache.bytes_per_token == 24 * per_layer);
        CHECK(a.kv_cache.bytes == 12 * per_layer * 100'000 + 12 * per_layer * 128);
    }
    SECTION("Gemma 2: even layers slide over 4096 tokens") {
        const ModelSpec m = preset_model("gemma-2-9b-it");
        const Analysis a = analyze(m, one_query(8191, 1), {}, {}, nullptr);
        const double per_layer = 2.0 * 8 * 256 * 2;
        CHECK(a.kv_cache.bytes == 21 * per_layer * 8192 + 21 * per_layer * 4096);
        CHECK(m.layer_kinds[0].mixer_norms == 2);  // pre and post norms
    }
    SECTION("Gemma 3: five sliding layers for every global one") {
        const ModelSpec m = preset_model("gemma-3-1b-it");
        std::int64_t sliding = 0;
        for (const auto& k : m.layer_kinds) sliding += k.attention.window > 0 ? k.count : 0;
        CHECK(sliding == 22);
    }
}

TEST_CASE("chunked attention (Llama 4) and sparse attention (DeepSeek-V3.2)", "[families][attention]") {
    auto cfg = testing::tiny_config();
    cfg["model_type"] = "llama4_text";
    cfg["num_local_experts"] = 4;
    cfg["num_experts_per_tok"] = 1;
    cfg["intermediate_size_mlp"] = 32;
    cfg["interleave_moe_layer_step"] = 2;
    cfg["attention_chunk_size"] = 4;
    cfg["no_rope_layers"] = {1, 0};
    const ModelSpec m = parse_model_config(cfg);
    REQUIRE(m.layer_kinds.size() == 2);
    CHECK(m.layer_kinds[0].attention.chunk == 4);                        // RoPE layer: chunked
    CHECK(m.layer_kinds[1].attention.position == PositionKind::none);    // NoPE layer: global
    CHECK(m.layer_kinds[1].ffn.kind == FfnKind::moe);                    // every second layer is MoE
    CHECK(m.layer_kinds[1].ffn.shared_intermediate == 16);
    // prefill of 10 tokens: chunked pairs 1+2+3+4 + 1+2+3+4 + 1+2 = 23; global 55
    const Analysis a = analyze(m, one_query(0, 10), {}, {}, nullptr);
    CHECK(testing::op(a, "attn_scores", 0).flops == 2 * 23 * 8.0);
    CHECK(testing::op(a, "attn_scores", 1).flops == 2 * 55 * 8.0);
    // the chunked layer keeps only the current chunk (2 tokens)
    CHECK(a.kv_cache.bytes == (2.0 + 10.0) * 2 * 4 * 2);

    SECTION("DeepSeek-V3.2 attends to at most index_topk keys") {
        const ModelSpec v32 = preset_model("deepseek-v3.2");
        REQUIRE(v32.layer_kinds[0].attention.sparse_topk == 2048);
        const Analysis d = analyze(v32, one_query(99'999, 1), {}, {}, nullptr);
        CHECK(testing::op(d, "attn_scores", 0).flops == 128.0 * 2048 * 2 * (512 + 64));
        CHECK(testing::op(d, "indexer_scores", 0).flops == 64.0 * 100'000 * 2 * 128 + 100'000.0 * 64 * 2);
    }
}

TEST_CASE("state-space and hybrid models", "[families][ssm]") {
    SECTION("Mamba: a fixed state per sequence, nothing per token") {
        const ModelSpec m = preset_model("mamba-2.8b-hf");
        const Analysis a = analyze(m, one_query(1000, 1), {}, {}, nullptr);
        const Analysis b = analyze(m, one_query(100'000, 1), {}, {}, nullptr);
        CHECK(a.kv_cache.bytes_per_token == 0);
        // 64 layers · (d_inner 5120 · state 16 + conv state 5120 · 3) · 4 bytes
        REQUIRE(m.dtype_bits == 32);  // the checkpoint is float32, so states are too
        CHECK(a.kv_cache.state_bytes_per_sequence == 64.0 * (5120 * 16 + 5120 * 3) * 4);
        CHECK(a.kv_cache.bytes == b.kv_cache.bytes);
    }
    SECTION("Jamba: attention on 1 layer in 8, MoE on every other layer") {
        const ModelSpec m = preset_model("jamba-v0.1");
        std::int64_t attention = 0, moe = 0;
        for (const auto& k : m.layer_kinds) {
            attention += k.mixer == MixerKind::attention ? k.count : 0;
            moe += k.ffn.kind == FfnKind::moe ? k.count : 0;
        }
        CHECK(attention == 4);
        CHECK(moe == 16);
        const Analysis a = analyze(m, one_query(0, 1), {}, {}, nullptr);
        CHECK(a.kv_cache.bytes_per_token == 4 * 2.0 * 8 * 128 * 2);
        CHECK(a.kv_cache.state_bytes_per_sequence == 28 * (8192.0 * 16 + 8192.0 * 3) * 2);
    }
    SECTION("Nemotron-H: the hybrid pattern, 10 attention layers") {
        const ModelSpec m = preset_model("nemotron-h-56b-base-8k");
        const Analysis a = analyze(m, one_query(0, 1), {}, {}, nullptr);
        CHECK(a.kv_cache.bytes_per_token == 10 * 2.0 * 8 * 128 * 2);
        // Mamba-2 state: 54 layers · (256 heads · 64 · state 256 + conv (16384 + 2·8·256) · 3) · 2 bytes
        CHECK(a.kv_cache.state_bytes_per_sequence == 54 * (16384.0 * 256 + (16384.0 + 2 * 8 * 256) * 3) * 2);
    }
}

TEST_CASE("one decode step's FLOPs against an independent sum, per family", "[families][crosscheck]") {
    const double c = 1000;  // cached tokens; the new token sees c + 1 keys
    SECTION("GPT-2 XL: fused qkv with biases, plain MLP, tied head") {
        const double h = 1600, L = 48, V = 50257, heads = 25, d = 64;
        const double linear = L * (2 * 12 * h * h + (3 * h + h + 4 * h + h)) + 2 * V * h;
        const double attention = L * 2 * (2 * heads * d * (c + 1));
        CHECK(matmul_flops(analyze(preset_model("gpt2-xl"), one_query(1000, 1), {}, {}, nullptr)) == Approx(linear + attention));
    }
    SECTION("Mixtral-8x7B: top-2 of 8 experts") {
        const double h = 4096, L = 32, V = 32000, I = 14336, E = 8, k = 2;
        const double linear = L * (2 * (h * (h + 2 * 1024) + h * h) + 2 * h * E + k * 2 * 3 * h * I) + 2 * V * h;
        const double attention = L * 2 * (2 * 32 * 128 * (c + 1));
        CHECK(matmul_flops(analyze(preset_model("mixtral-8x7b"), one_query(1000, 1), {}, {}, nullptr)) == Approx(linear + attention));
    }
    SECTION("DeepSeek-V3: MLA (absorbed), 3 dense + 58 MoE layers, shared expert") {
        const double h = 7168, V = 129280, nh = 128, ql = 1536, kvl = 512, rope = 64, nope = 128, v = 128;
        const double mla = 2 * (h * ql + ql * nh * (nope + rope) + h * (kvl + rope) + nh * nope * kvl + nh * kvl * v + nh * v * h) +
                           2 * nh * (c + 1) * ((kvl + rope) + kvl);
        const double dense = 2 * 3 * h * 18432;
        const double moe = 2 * h * 256 + 8 * 2 * 3 * h * 2048 + 2 * 3 * h * 2048;  // router, 8 experts, 1 shared
        const double expected = 61 * mla + 3 * dense + 58 * moe + 2 * V * h;
        CHECK(matmul_flops(analyze(preset_model("deepseek-v3"), one_query(1000, 1), {}, {}, nullptr)) == Approx(expected));
    }
    SECTION("gpt-oss-20b: sliding and full layers, biases, 4 of 32 experts") {
        const double h = 2880, q = 64 * 64, kv = 8 * 64, E = 32, k = 4, I = 2880, V = 201088;
        const double per_layer = 2 * h * (q + 2 * kv) + (q + 2 * kv) + 2 * q * h + h + 2 * h * E + E +
                                 k * (2 * 3 * h * I + 2 * I + h);
        const double attention = 12 * 2 * (2 * 64 * 64 * 128) + 12 * 2 * (2 * 64 * 64 * (c + 1));
        CHECK(matmul_flops(analyze(preset_model("gpt-oss-20b"), one_query(1000, 1), {}, {}, nullptr)) ==
              Approx(24 * per_layer + attention + 2 * V * h));
    }
    SECTION("Mamba-2.8B: projections only, no attention") {
        const double h = 2560, di = 5120, r = 160, N = 16, V = 50280;
        const double per_layer = 2 * h * 2 * di + 2 * di * (r + 2 * N) + 2 * r * di + di + 2 * di * h;
        const Analysis a = analyze(preset_model("mamba-2.8b-hf"), one_query(1000, 1), {}, {}, nullptr);
        CHECK(matmul_flops(a) == Approx(64 * per_layer + 2 * V * h));
        CHECK(ops_flops(a, {"ssm_scan"}) == Approx(64 * (8 * di * N + 2 * di)));
    }
    SECTION("Jamba: 4 attention layers (GQA), 28 Mamba layers, 16 MoE layers of 2 experts") {
        const double h = 4096, di = 8192, r = 256, N = 16, I = 14336, V = 65536;
        const double mamba = 2 * h * 2 * di + 2 * di * (r + 2 * N) + 2 * r * di + di + 2 * di * h;
        const double attn = 2 * h * (h + 2 * 1024) + 2 * h * h + 2 * (2 * 32 * 128 * (c + 1));
        const double dense = 2 * 3 * h * I, moe = 2 * h * 16 + 2 * 2 * 3 * h * I;
        CHECK(matmul_flops(analyze(preset_model("jamba-v0.1"), one_query(1000, 1), {}, {}, nullptr)) ==
              Approx(28 * mamba + 4 * attn + 16 * dense + 16 * moe + 2 * V * h));
    }
    SECTION("Phi-2: parallel block, biases everywhere, LM head bias") {
        const double h = 2560, I = 10240, V = 51200, L = 32;
        const double per_layer = 2 * (4 * h * h + 2 * h * I) + (3 * h + h + I + h);
        const double attention = 2 * (2 * 32 * 80 * (c + 1));
        CHECK(matmul_flops(analyze(preset_model("phi-2"), one_query(1000, 1), {}, {}, nullptr)) ==
              Approx(L * (per_layer + attention) + 2 * V * h + V));
    }
}

TEST_CASE("classic families: positions, norms and blocks", "[families][classic]") {
    SECTION("OPT: learned positions with an offset of 2, tied head") {
        const auto p = count_parameters(preset_model("opt-6.7b"));
        CHECK(p.embedding == 50272LL * 4096 + 2050LL * 4096);
        CHECK(p.lm_head == 0);
    }
    SECTION("GPT-2 uses learned positions, no RoPE op") {
        const Analysis a = analyze(preset_model("gpt2-xl"), one_query(0, 16), {}, {}, nullptr);
        for (const auto& op : a.ops) CHECK(std::string(op.name) != "rope");
        CHECK(testing::op(a, "pos_embedding").flops == 16.0 * 1600);
    }
    SECTION("BLOOM: ALiBi adds one FLOP per score, an embedding LayerNorm") {
        const ModelSpec m = parse_model_config({{"model_type", "bloom"}, {"hidden_size", 64}, {"n_layer", 2}, {"n_head", 4}, {"vocab_size", 100}});
        CHECK(m.embedding_norm);
        const Analysis a = analyze(m, one_query(0, 3), {}, {}, nullptr);
        CHECK(testing::op(a, "attn_scores").flops == 4 * 6 * (2.0 * 16 + 1));
        // 2·V·h? no: tied. embedding + emb norm + per layer (4h²+4h + 8h² + 5h + 4h) + final norm
        const double h = 64;
        CHECK(count_parameters(m).total == static_cast<std::int64_t>(100 * h + 2 * h + 2 * (12 * h * h + 13 * h) + 2 * h));
    }
    SECTION("Falcon (old architecture): multi-query, one norm for the parallel block") {
        const ModelSpec m = parse_model_config({{"model_type", "falcon"}, {"hidden_size", 64}, {"num_hidden_layers", 2},
                                                {"num_attention_heads", 4}, {"vocab_size", 100}, {"multi_query", true},
                                                {"parallel_attn", true}, {"bias", false}});
        CHECK(m.layer_kinds[0].attention.num_kv_heads == 1);
        CHECK(m.layer_kinds[0].ffn_norms == 0);
        const double h = 64;
        // embedding (tied) + per layer (qkv h·(h+2·16) + o h² + MLP 8h² + one LayerNorm 2h) + final norm
        CHECK(count_parameters(m).total == static_cast<std::int64_t>(100 * h + 2 * (h * (h + 32) + h * h + 8 * h * h + 2 * h) + 2 * h));
    }
}

TEST_CASE("quantised checkpoints: weights including scales", "[families][quant]") {
    SECTION("DeepSeek-V3 FP8 with 128x128 block scales; embeddings and norms in BF16") {
        const ModelSpec m = preset_model("deepseek-v3");
        const auto p = count_parameters(m);
        const Analysis a = analyze(m, one_query(0, 1), {}, {}, nullptr);
        REQUIRE(m.quantization.method == "fp8");
        const double fp8 = 8 + 32.0 / (128 * 128);
        // every matrix except the embedding / head at fp8; norms, routers (weights + correction bias) at 16 bits
        const double matrices = static_cast<double>(p.attention + p.ffn_dense + p.experts_routed + p.experts_shared);
        const double expected = matrices * fp8 / 8 + static_cast<double>(p.embedding + p.lm_head + p.norms + p.router) * 2;
        CHECK(a.memory.weights_bytes == Approx(expected));
        CHECK(a.memory.weights_bytes / 1e9 == Approx(685).epsilon(0.03));  // ≈ the 685 GB FP8 checkpoint incl. MTP
        CHECK(testing::op(a, "experts_gate_up", 1).compute == ComputeClass::b8);  // FP8 GEMMs
    }
    SECTION("gpt-oss MXFP4 experts at 4.25 bits, attention in BF16") {
        const ModelSpec m = preset_model("gpt-oss-120b");
        const auto p = count_parameters(m);
        const Analysis a = analyze(m, one_query(0, 1), {}, {}, nullptr);
        CHECK(a.precision.ffn_weight_bits == Approx(4.25));
        CHECK(a.precision.attention_weight_bits == 16);
        CHECK(a.memory.weights_bytes < 80e9);  // fits one 80 GB GPU, as OpenAI states
        const double experts_matrix = 36.0 * 128 * 3 * 2880 * 2880;
        CHECK(a.memory.weights_bytes > experts_matrix * 4.25 / 8 + static_cast<double>(p.attention) * 2);
    }
}

TEST_CASE("every shared config parses and analyses", "[families][shared]") {
    const char* env = std::getenv("LLMCALC_SHARED_CONFIGS");
    const std::string dir = env ? env : std::string(LLMCALC_SOURCE_DIR) + "/../shared/configs";
    DIR* d = opendir(dir.c_str());
    if (!d) {
        WARN("no shared configs at " << dir << "; skipped (the presets hold the same models)");
        return;
    }
    int n = 0;
    while (dirent* e = readdir(d)) {
        const std::string name = e->d_name;
        if (name.size() < 5 || name.substr(name.size() - 5) != ".json") continue;
        std::ifstream in(dir + "/" + name);
        std::stringstream ss;
        ss << in.rdbuf();
        INFO(name);
        CHECK_NOTHROW([&] {
            const ModelSpec m = parse_model_config(parse_json_text(ss.str(), "config"));
            for (const auto& w : m.warnings) CHECK(w.find("generic") == std::string::npos);
            const Analysis a = analyze(m, one_query(4096, 1, 8), {}, {}, nullptr);
            CHECK(a.totals.flops > 0);
        }());
        ++n;
    }
    closedir(d);
    CHECK(n > 20);
}

TEST_CASE("Llama 4 Scout: nested text_config, MoE with a shared expert, chunked and NoPE layers, vision apart",
          "[families][llama4]") {
    const ModelSpec m = preset_model("llama-4-scout-17b-16e-instruct");
    std::int64_t nope = 0, chunked = 0;
    for (const auto& k : m.layer_kinds) {
        if (k.attention.position == PositionKind::none) nope += k.count;
        if (k.attention.chunk == 8192) chunked += k.count;
        CHECK(k.ffn.kind == FfnKind::moe);
        CHECK(k.ffn.shared_intermediate == 8192);
    }
    CHECK(nope == 12);     // every fourth layer
    CHECK(chunked == 36);
    const auto p = count_parameters(m);
    // Meta's model card: 17B active, 109B total (the total includes the vision tower).
    CHECK(static_cast<double>(p.active) == Approx(17e9).epsilon(0.02));
    CHECK(static_cast<double>(p.total + p.vision) == Approx(109e9).epsilon(0.01));
    CHECK(p.vision > 0);
    // text model by hand: 2·V·h + 48·(attention + router + 16 experts + shared + 2 norms) + h
    const std::int64_t h = 5120, V = 202048;
    const std::int64_t layer = h * (5120 + 2 * 1024) + 5120 * h + h * 16 + 17LL * 3 * h * 8192 + 2 * h;
    CHECK(p.total == 2 * V * h + 48 * layer + h);
    // KV cache at a long context: the 36 chunked layers keep at most one chunk
    const Analysis a = analyze(m, one_query(99'999, 1), {}, {}, nullptr);
    const double per_layer = 2.0 * 8 * 128 * 2;
    CHECK(a.kv_cache.bytes == 12 * per_layer * 100'000 + 36 * per_layer * (100'000 - 12 * 8192));
}
