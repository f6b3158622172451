// Each formula against numbers worked out by hand (FORMULAS.md gives the derivations).
#include <catch2/catch.hpp>

#include <cmath>

#include "helpers.hpp"

using namespace llmcalc;
using testing::one_query;
using testing::op;

namespace {
// Tiny model: h=8, I=16, 2 layers, 2 heads of 4, 1 KV head, vocab 10, bf16.
ModelSpec tiny() { return parse_model_config(testing::tiny_config()); }

Hardware slow_device() {
    // 1 GFLOP/s at 16 bit, 0.1 GFLOP/s vector, 1 GB/s: times are easy to read.
    return parse_hardware({{"name", "slow"}, {"memory_gb", 1}, {"memory_bandwidth_gbs", 1},
                           {"peak_tflops", {{"bf16", 0.001}}}, {"vector_tflops", 0.0001}});
}
}  // namespace

TEST_CASE("prefill of 3 tokens on the tiny model, by hand", "[formulas]") {
    const ModelSpec m = tiny();
    const Analysis a = analyze(m, one_query(0, 3), {}, {}, nullptr);
    // qkv: m=3 tokens, k=8, n = q(8) + 2 kv(4) = 16
    CHECK(op(a, "qkv_proj").flops == 2.0 * 3 * 16 * 8);
    CHECK(op(a, "qkv_proj").weight_bytes == 8.0 * 16 * 2);
    CHECK(op(a, "qkv_proj").input_bytes == 3.0 * 8 * 2);
    CHECK(op(a, "qkv_proj").output_bytes == 3.0 * 16 * 2);
    CHECK(op(a, "qkv_proj").count == 2);
    // RoPE on q and k: 3 FLOPs per element
    CHECK(op(a, "rope").flops == 3.0 * (8 + 4) * 3);
    // causal pairs 1 + 2 + 3 = 6, per head 2·d FLOPs
    CHECK(op(a, "attn_scores").flops == 2 * 6 * 2.0 * 4);
    CHECK(op(a, "attn_scores").kv_read_bytes == 3.0 * 4 * 2);
    CHECK(op(a, "attn_scores").output_bytes == 0);  // fused: scores stay on chip
    CHECK(op(a, "softmax").flops == 2 * 6 * 5.0);
    CHECK(op(a, "attn_v").flops == 2 * 6 * 2.0 * 4);
    CHECK(op(a, "kv_cache_write").kv_write_bytes == 3.0 * 2 * 4 * 2);
    CHECK(op(a, "o_proj").flops == 2.0 * 3 * 8 * 8);
    CHECK(op(a, "attn_norm").flops == 3.0 * 8 * 4);
    CHECK(op(a, "attn_residual").flops == 3.0 * 8);
    CHECK(op(a, "gate_up_proj").flops == 2.0 * 3 * 32 * 8);
    CHECK(op(a, "gate_up_proj").weight_bytes == 8.0 * 32 * 2);
    CHECK(op(a, "act_mul").flops == 3.0 * 16 * (4 + 1));  // SiLU 4 + gating multiply 1
    CHECK(op(a, "down_proj").flops == 2.0 * 3 * 8 * 16);
    CHECK(op(a, "embedding").weight_bytes == 3.0 * 8 * 2);
    CHECK(op(a, "lm_head").flops == 2.0 * 1 * 10 * 8);  // last token only
    CHECK(op(a, "lm_head").weight_bytes == 10.0 * 8 * 2);
    // KV: 2 layers · (k + v) · 4 · 2 bytes = 32 bytes per token; 3 tokens held
    CHECK(a.kv_cache.bytes_per_token == 32);
    CHECK(a.kv_cache.bytes == 96);
    // Weights: (80 + 80 + 2·(192 + 384 + 16) + 8) params · 2 bytes
    CHECK(a.memory.weights_bytes == 2.0 * (80 + 80 + 2 * (192 + 384 + 16) + 8));
    double sum = 0;
    for (const auto& o : a.ops) sum += o.count * o.flops;
    CHECK(a.totals.flops == Approx(sum));
}

TEST_CASE("conventions", "[formulas][options]") {
    const ModelSpec m = tiny();
    SECTION("exact GEMM FLOPs m·n·(2k−1)") {
        Options o;
        o.flops = FlopConvention::exact;
        const Analysis a = analyze(m, one_query(0, 3), {}, o, nullptr);
        CHECK(op(a, "qkv_proj").flops == 3.0 * 16 * 15);
        CHECK(op(a, "attn_scores").flops == 2 * 6 * 7.0);      // per pair 2d−1
        CHECK(op(a, "attn_v").flops == 2 * 4 * (2 * 6.0 - 3));  // per row 2r−1
    }
    SECTION("full square instead of the causal triangle") {
        Options o;
        o.causal = CausalConvention::square;
        const Analysis a = analyze(m, one_query(5, 3), {}, o, nullptr);
        CHECK(op(a, "attn_scores").flops == 2 * (3 * 8) * 8.0);
    }
    SECTION("causal triangle with a cache: n·c + n(n+1)/2 pairs") {
        const Analysis a = analyze(m, one_query(5, 3), {}, {}, nullptr);
        CHECK(op(a, "attn_scores").flops == 2 * (15 + 6) * 8.0);
        CHECK(op(a, "attn_scores").kv_read_bytes == 8.0 * 4 * 2);
    }
    SECTION("LM head on every token") {
        Options o;
        o.lm_head = LmHeadTokens::all;
        const Analysis a = analyze(m, one_query(0, 3), {}, o, nullptr);
        CHECK(op(a, "lm_head").flops == 2.0 * 3 * 10 * 8);
    }
    SECTION("unfused attention writes and reads the score matrix") {
        Options o;
        o.attention = AttentionImpl::unfused;
        const Analysis a = analyze(m, one_query(0, 3), {}, o, nullptr);
        CHECK(op(a, "attn_scores").output_bytes == 2 * 6 * 2.0);
        CHECK(op(a, "softmax").input_bytes == 2 * 6 * 2.0);
        CHECK(op(a, "attn_v").input_bytes == 2 * 6 * 2.0);
    }
}

TEST_CASE("batches: queries times the batch multiplier", "[formulas][workload]") {
    const ModelSpec m = tiny();
    Workload w;
    w.queries = {{0, 3}, {5, 1}};  // a prefill and a decode in one step
    w.batch_size = 2;
    const Analysis a = analyze(m, w, {}, {}, nullptr);
    CHECK(a.workload.new_tokens == 8);
    CHECK(a.workload.sequences == 4);
    CHECK(a.workload.context_tokens == 2 * (3 + 6));
    CHECK(op(a, "qkv_proj").flops == 2.0 * 8 * 16 * 8);
    CHECK(op(a, "attn_scores").flops == 2 * (2 * (6 + 6)) * 8.0);  // pairs: 6 (prefill) + 6 (decode at 6)
    CHECK(op(a, "lm_head").flops == 2.0 * 4 * 10 * 8);             // one row per sequence
    CHECK(a.kv_cache.bytes == 32.0 * 18);
}

TEST_CASE("sliding window: KV and attention stop growing at the window", "[formulas][window]") {
    auto cfg = testing::tiny_config();
    cfg["model_type"] = "mistral";
    cfg["sliding_window"] = 2;
    const ModelSpec m = parse_model_config(cfg);
    SECTION("prefill of 3: pairs 1 + 2 + 2") {
        const Analysis a = analyze(m, one_query(0, 3), {}, {}, nullptr);
        CHECK(op(a, "attn_scores").flops == 2 * 5 * 8.0);
        CHECK(a.kv_cache.bytes == 32.0 * 2);
    }
    SECTION("decode deep in the context reads only the window") {
        const Analysis a = analyze(m, one_query(100, 1), {}, {}, nullptr);
        CHECK(op(a, "attn_scores").flops == 2 * 2 * 8.0);
        CHECK(op(a, "attn_scores").kv_read_bytes == 2.0 * 4 * 2);
        CHECK(a.kv_cache.bytes == 32.0 * 2);
        CHECK(a.kv_cache.bytes_per_token == 32.0);
    }
    SECTION("Qwen2: only with use_sliding_window, from max_window_layers on") {
        auto q = testing::tiny_config();
        q["model_type"] = "qwen2";
        q["sliding_window"] = 2;
        q["max_window_layers"] = 1;
        CHECK(parse_model_config(q).layer_kinds.size() == 1);
        q["use_sliding_window"] = true;
        const ModelSpec qm = parse_model_config(q);
        REQUIRE(qm.layer_kinds.size() == 2);
        CHECK(qm.layer_kinds[0].attention.window == 0);
        CHECK(qm.layer_kinds[1].attention.window == 2);
        CHECK(qm.layer_kinds[1].label == "sliding");
    }
}

TEST_CASE("MoE: top-k FLOPs and the experts a batch touches", "[formulas][moe]") {
    auto cfg = testing::tiny_config();
    cfg["model_type"] = "mixtral";
    cfg["num_local_experts"] = 8;
    cfg["num_experts_per_tok"] = 2;
    const ModelSpec m = parse_model_config(cfg);
    const double one_expert_up = 8.0 * 32 * 2;  // h x 2I at 2 bytes
    SECTION("one token touches exactly k experts: 8·(1 − (6/8)^1) = 2") {
        const Analysis a = analyze(m, one_query(0, 1), {}, {}, nullptr);
        CHECK(op(a, "experts_gate_up").weight_bytes == Approx(2 * one_expert_up));
        CHECK(op(a, "experts_gate_up").flops == 2.0 * (1 * 2) * 32 * 8);
        CHECK(op(a, "router").flops == 2.0 * 1 * 8 * 8 + 1 * 8 * 5.0);
    }
    SECTION("two tokens: 8·(1 − (6/8)^2) = 3.5 expected experts") {
        const Analysis a = analyze(m, one_query(0, 2), {}, {}, nullptr);
        CHECK(op(a, "experts_gate_up").weight_bytes == Approx(3.5 * one_expert_up));
    }
    SECTION("a large batch touches all experts") {
        const Analysis a = analyze(m, one_query(0, 4096), {}, {}, nullptr);
        CHECK(op(a, "experts_gate_up").weight_bytes == Approx(8 * one_expert_up));
    }
}

TEST_CASE("roofline time: max(FLOPs / peak, bytes / bandwidth)", "[formulas][roofline]") {
    const ModelSpec m = tiny();
    const Hardware hw = slow_device();
    const Analysis a = analyze(m, one_query(0, 3), {}, {}, &hw);
    const OpCost& qkv = op(a, "qkv_proj");  // 768 FLOP, 400 bytes
    CHECK(qkv.compute_time_s == Approx(768e-9));
    CHECK(qkv.memory_time_s == Approx(400e-9));
    CHECK(qkv.time_s == Approx(768e-9));
    CHECK_FALSE(qkv.memory_bound());
    const OpCost& norm = op(a, "attn_norm");  // elementwise: vector peak 1e8
    CHECK(norm.compute_time_s == Approx(96 / 1e8));
    CHECK(a.ridge_point == Approx(1.0));
    SECTION("efficiency factors scale each roof") {
        Options o;
        o.compute_efficiency = 0.5;
        o.bandwidth_efficiency = 0.25;
        const Analysis b = analyze(m, one_query(0, 3), {}, o, &hw);
        CHECK(op(b, "qkv_proj").compute_time_s == Approx(2 * 768e-9));
        CHECK(op(b, "qkv_proj").memory_time_s == Approx(4 * 400e-9));
        CHECK(op(b, "qkv_proj").memory_bound());
    }
    double total = 0;
    for (const auto& o : a.ops) total += o.count * o.time_s;
    CHECK(a.totals.time_s == Approx(total));
}

TEST_CASE("decode is bandwidth-bound: time = bytes / bandwidth", "[formulas][roofline]") {
    const ModelSpec m = testing::preset_model("llama-2-7b");
    const Hardware hw = testing::preset_hardware("h100-sxm");
    const Analysis a = analyze(m, one_query(1023, 1), {}, {}, &hw);
    for (const auto& o : a.ops) {
        if (o.is_matmul) CHECK(o.memory_bound());
    }
    // weights (~13.5 GB) + KV (1024 tokens · 512 KiB) dominate: time ≈ bytes / 3.35 TB/s
    CHECK(a.totals.memory_time_s == Approx(a.totals.bytes / 3.35e12));
}

TEST_CASE("prefill and decode totals against 2·(matmul params)·tokens + attention", "[formulas][crosscheck]") {
    // Independent sum from Llama-2-7B's published shape, not from the code's parameter counts.
    const double L = 32, h = 4096, I = 11008, V = 32000, heads = 32, d = 128;
    const double matmul_params_per_layer = 4 * h * h + 3 * h * I;
    const ModelSpec m = testing::preset_model("llama-2-7b");
    auto sums = [](const Analysis& a, double& linear, double& attention) {
        linear = attention = 0;
        for (const auto& o : a.ops) {
            const std::string n = o.name;
            if (n == "attn_scores" || n == "attn_v") attention += o.count * o.flops;
            else if (o.is_matmul) linear += o.count * o.flops;
        }
    };
    SECTION("prefill of 512 tokens") {
        const double T = 512, pairs = T * (T + 1) / 2;
        const Analysis a = analyze(m, one_query(0, 512), {}, {}, nullptr);
        double linear, attention;
        sums(a, linear, attention);
        CHECK(linear == Approx(2 * matmul_params_per_layer * L * T + 2 * V * h));
        CHECK(attention == Approx(L * 2 * (2 * heads * d * pairs)));
        CHECK(a.totals.flops == Approx(linear + attention).epsilon(0.005));  // elementwise < 0.5%
    }
    SECTION("decode at 1,000 cached tokens") {
        const Analysis a = analyze(m, one_query(1000, 1), {}, {}, nullptr);
        double linear, attention;
        sums(a, linear, attention);
        CHECK(linear == Approx(2 * (matmul_params_per_layer * L + V * h)));
        CHECK(attention == Approx(L * 2 * (2 * heads * d * 1001)));
    }
}

TEST_CASE("KV cache bytes per token", "[formulas][kv]") {
    // Llama-2-7B at 16 bits: 32 layers · 2 · 4096 · 2 bytes
    const Analysis a = analyze(testing::preset_model("llama-2-7b"), one_query(0, 1), {}, {}, nullptr);
    CHECK(a.kv_cache.bytes_per_token == 524288);
    // GQA: Llama-3.1-8B has 8 KV heads of 128: 32 · 2 · 1024 · 2
    const Analysis g = analyze(testing::preset_model("llama-3.1-8b"), one_query(0, 1), {}, {}, nullptr);
    CHECK(g.kv_cache.bytes_per_token == 131072);
    Precision p;
    p.kv_cache_bits = 8;
    const Analysis q = analyze(testing::preset_model("llama-3.1-8b"), one_query(0, 1), p, {}, nullptr);
    CHECK(q.kv_cache.bytes_per_token == 65536);
}

TEST_CASE("precision groups", "[formulas][precision]") {
    const ModelSpec m = testing::preset_model("llama-2-7b");
    const ParamCounts pc = count_parameters(m);
    SECTION("4-bit attention and FFN weights, 16-bit embeddings and norms") {
        Precision p;
        p.attention_weight_bits = 4;
        p.ffn_weight_bits = 4;
        const Analysis a = analyze(m, one_query(0, 1), p, {}, nullptr);
        const double expected = (pc.attention + pc.ffn_dense) * 0.5 + (pc.embedding + pc.lm_head + pc.norms) * 2.0;
        CHECK(a.memory.weights_bytes == Approx(expected));
        CHECK(op(a, "qkv_proj").compute == ComputeClass::b16);  // W4A16 runs at 16 bit
    }
    SECTION("4.5-bit group-quantised weights and 8-bit activations") {
        Precision p;
        p.ffn_weight_bits = 4.5;
        p.activation_bits = 8;
        const Analysis a = analyze(m, one_query(0, 1), p, {}, nullptr);
        CHECK(op(a, "gate_up_proj").weight_bytes == Approx(4096.0 * 2 * 11008 * 4.5 / 8));
        CHECK(op(a, "gate_up_proj").compute == ComputeClass::b8);
        CHECK(op(a, "gate_up_proj").input_bytes == 4096.0);
    }
    SECTION("device peaks fall back to the next wider unit") {
        const Hardware a100 = testing::preset_hardware("a100-80gb-sxm");
        CHECK(a100.peak(ComputeClass::b8) == Approx(624e12));  // INT8 tensor cores, no FP8
        CHECK(a100.peak(ComputeClass::b4) == a100.peak(ComputeClass::b4));
        const Hardware only16 = parse_hardware({{"memory_gb", 1}, {"memory_bandwidth_gbs", 1}, {"peak_tflops", {{"fp16", 10}}}});
        CHECK(only16.peak(ComputeClass::b4) == Approx(10e12));
        CHECK(only16.peak(ComputeClass::fp32) == Approx(10e12));  // nothing wider: widest narrower
        CHECK(only16.peak(ComputeClass::vector) == Approx(10e12));
    }
}

TEST_CASE("quantization_config sets weight bits including scales", "[formulas][quant]") {
    auto with = [](nlohmann::json q) {
        auto cfg = testing::tiny_config();
        cfg["quantization_config"] = std::move(q);
        return parse_model_config(cfg);
    };
    SECTION("GPTQ 4-bit, group 128: 4 + (16 + 4)/128") {
        const auto m = with({{"quant_method", "gptq"}, {"bits", 4}, {"group_size", 128}});
        CHECK(m.quantization.ffn_bits == Approx(4.15625));
        CHECK(resolve_precision(m, {}).attention_weight_bits == Approx(4.15625));
        CHECK(resolve_precision(m, {}).embedding_bits == 16);
    }
    SECTION("AWQ without zero point: 4 + 16/64") {
        const auto m = with({{"quant_method", "awq"}, {"w_bit", 4}, {"q_group_size", 64}, {"zero_point", false}});
        CHECK(m.quantization.ffn_bits == Approx(4.25));
    }
    SECTION("FP8 with 128x128 block scales, FP8 GEMMs") {
        const auto m = with({{"quant_method", "fp8"}, {"weight_block_size", {128, 128}}, {"activation_scheme", "dynamic"}});
        CHECK(m.quantization.ffn_bits == Approx(8 + 32.0 / 16384));
        CHECK(resolve_precision(m, {}).linear_compute_bits == 8);
    }
    SECTION("MXFP4 experts only: 4 + 8/32, attention left in bf16") {
        const auto m = with({{"quant_method", "mxfp4"},
                             {"modules_to_not_convert", {"model.layers.*.self_attn", "model.layers.*.mlp.router", "lm_head"}}});
        CHECK(m.quantization.ffn_bits == Approx(4.25));
        CHECK(resolve_precision(m, {}).attention_weight_bits == 16);
    }
    SECTION("bitsandbytes NF4 with double quantisation") {
        const auto m = with({{"quant_method", "bitsandbytes"}, {"load_in_4bit", true}, {"bnb_4bit_use_double_quant", true}});
        CHECK(m.quantization.ffn_bits == Approx(4 + 8.0 / 64 + 32.0 / (64 * 256)));
    }
    SECTION("unknown method: a warning, weights at torch_dtype") {
        const auto m = with({{"quant_method", "hqq-2099"}});
        CHECK(m.quantization.ffn_bits == 0);
        REQUIRE(m.warnings.size() == 1);
        CHECK_THAT(m.warnings[0], Catch::Contains("hqq-2099"));
    }
}

TEST_CASE("config fields used and ignored", "[parser]") {
    const ModelSpec m = testing::preset_model("llama-2-7b");
    auto has = [](const std::vector<std::string>& v, const char* s) { return std::find(v.begin(), v.end(), s) != v.end(); };
    CHECK(has(m.fields_used, "hidden_size"));
    CHECK(has(m.fields_used, "num_key_value_heads"));
    CHECK(has(m.fields_ignored, "rms_norm_eps"));
    CHECK_FALSE(has(m.fields_ignored, "hidden_size"));
    CHECK(m.warnings.empty());
}

TEST_CASE("unknown model_type with standard fields: a generic decoder and a warning", "[parser]") {
    auto cfg = testing::tiny_config();
    cfg["model_type"] = "my_new_llm";
    const ModelSpec m = parse_model_config(cfg);
    REQUIRE(m.warnings.size() == 1);
    CHECK_THAT(m.warnings[0], Catch::Contains("my_new_llm") && Catch::Contains("generic"));
    CHECK(count_parameters(m).total == count_parameters(tiny()).total);
}

TEST_CASE("head_dim, GQA and MQA", "[parser]") {
    SECTION("explicit head_dim (Gemma: 8 heads of 256 at hidden 2048)") {
        const ModelSpec m = testing::preset_model("gemma-2b");
        CHECK(m.layer_kinds[0].attention.head_dim == 256);
        CHECK(m.layer_kinds[0].attention.num_kv_heads == 1);  // MQA
        CHECK(m.tie_word_embeddings);
    }
    SECTION("missing num_key_value_heads means MHA") {
        auto cfg = testing::tiny_config();
        cfg.erase("num_key_value_heads");
        CHECK(parse_model_config(cfg).layer_kinds[0].attention.num_kv_heads == 2);
    }
}
