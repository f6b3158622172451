// Training (FORMULAS.md §11): every check against numbers worked out by hand
// or published (Kaplan et al. 2020, Narayanan et al. 2021, Korthikanti et al. 2022,
// ZeRO, PEFT's LoRA counts, QLoRA's NF4 layout).
#include <catch2/catch.hpp>

#include <cmath>

#include "helpers.hpp"
#include "llmcalc/training.hpp"

using namespace llmcalc;
using testing::expect_error;
using nlohmann::json;

namespace {

ModelSpec tiny() { return parse_model_config(testing::tiny_config()); }

TrainingOptions run(std::int64_t seq, std::int64_t batch) {
    TrainingOptions t;
    t.sequence_length = seq;
    t.micro_batch = batch;
    return t;
}

const TrainingOp& top(const TrainingResult& r, const std::string& name) {
    for (const auto& o : r.ops) {
        if (name == o.name) return o;
    }
    throw std::runtime_error("no training operator " + name);
}

double memory_state(const TrainingResult& r) {
    return r.memory.weights_bytes + r.memory.gradients_bytes + r.memory.optimizer_bytes;
}


// Llama-2-7B by hand: L = 32, h = 4096, I = 11008, V = 32000, 32 heads of 128.
constexpr double kL = 32, kH = 4096, kI = 11008, kV = 32000;
// Parameters in a matmul per token: 32 layers of (4h² + 3hI + 2h norms) + final norm + LM head (untied).
constexpr double kLlamaN6 = kL * (4 * kH * kH + 3 * kH * kI + 2 * kH) + kH + kV * kH;  // 6,607,343,616
constexpr double kLlamaTotal = 6'738'415'616;                                           // + the embedding table

// Forward attention FLOPs of one causal sequence of s tokens: per layer Q·Kᵀ and P·V, 2·(nh·d)·pairs each.
double llama_attention_forward(double s) { return kL * 2 * (2 * kH * (s * (s + 1) / 2)); }

}  // namespace

TEST_CASE("training FLOPs of the tiny model, by hand", "[training][flops]") {
    // h = 8, I = 16, 2 layers, 2 heads of 4, 1 KV head, V = 10; 2 sequences of 3 tokens: T = 6.
    const ModelSpec m = tiny();
    // Forward per layer: attn_norm 6·8·4 = 192, qkv 2·6·16·8 = 1536, rope 3·12·6 = 216,
    // scores 2 heads · 12 pairs · 2·4 = 192, softmax 2·12·5 = 120, P·V 192, o 2·6·8·8 = 768,
    // residual 48, ffn_norm 192, gate_up 2·6·32·8 = 3072, act_mul 6·16·5 = 480, down 1536, residual 48.
    const double layer_fwd = 192 + 1536 + 216 + 192 + 120 + 192 + 768 + 48 + 192 + 3072 + 480 + 1536 + 48;  // 8592
    // Model: final norm 192, LM head on all 6 tokens 2·6·10·8 = 960, loss 5·6·10 = 300.
    const double fwd = 2 * layer_fwd + 192 + 960 + 300;  // 18,636
    // Backward: weight matmuls 2x (dX, dW), attention matmuls 2x, elementwise 1x, embedding scatter-add T·h = 48.
    const double layer_bwd = 2 * (1536 + 768 + 3072 + 1536) + 2 * (192 + 192) + (192 + 216 + 120 + 48 + 192 + 480 + 48);
    const double bwd = 2 * layer_bwd + 192 + 2 * 960 + 300 + 48;  // 34,236
    const double flash_recompute = 2 * (192 + 120);              // FlashAttention recomputes the scores in backward

    const TrainingResult r = analyze_training(m, run(3, 2), {}, {}, nullptr);
    CHECK(r.tokens_per_step == 6);
    CHECK(r.flops.forward == fwd);
    CHECK(r.flops.backward == bwd);
    CHECK(r.flops.recompute == flash_recompute);
    CHECK(r.flops.model == fwd + bwd);
    CHECK(top(r, "qkv_proj").backward_flops == 2 * 1536.0);
    CHECK(top(r, "act_mul").backward_flops == 480);
    CHECK(top(r, "attn_scores").backward_flops == 384);
    CHECK(top(r, "attn_scores").recompute_flops == 192);
    CHECK(top(r, "embedding").backward_flops == 48);
    CHECK(top(r, "loss").forward_flops == 300);
    // Backward bytes of a trainable matmul: W + dW + 2·(X + Y): 256 + 256 + 2·(96 + 192) for qkv_proj
    CHECK(top(r, "qkv_proj").backward_bytes == 256 + 256 + 2 * (96 + 192.0));
    CHECK(top(r, "qkv_proj").backward_bytes == 2 * top(r, "qkv_proj").forward_bytes);
    // six_n: 6 · (1352 − 80 embedding rows) · 6 tokens
    CHECK(r.params_6n == 1272);
    CHECK(r.flops.six_n == 6.0 * 1272 * 6);

    SECTION("full recomputation adds one forward of the layers") {
        TrainingOptions t = run(3, 2);
        t.recompute = Recompute::full;
        const TrainingResult f = analyze_training(m, t, {}, {}, nullptr);
        CHECK(f.flops.recompute == flash_recompute + 2 * layer_fwd);
        CHECK(f.flops.total - r.flops.total == 2 * layer_fwd);
        CHECK(f.flops.model == r.flops.model);
    }
    SECTION("unfused attention recomputes nothing") {
        TrainingOptions t = run(3, 2);
        t.flash_attention = false;
        CHECK(analyze_training(m, t, {}, {}, nullptr).flops.recompute == 0);
    }
    SECTION("data parallel: the job's FLOPs scale with the devices") {
        TrainingOptions t = run(3, 2);
        t.data_parallel = 4;
        const TrainingResult d = analyze_training(m, t, {}, {}, nullptr);
        CHECK(d.tokens_per_step == 24);
        CHECK(d.flops.model == 4 * (fwd + bwd));
        CHECK(d.flops.model_flops_per_token == r.flops.model_flops_per_token);
    }
}

TEST_CASE("6·N·tokens: llama-2-7b training FLOPs within the attention term", "[training][flops][published]") {
    // Kaplan et al. 2020: training ≈ 6·N per token (2N forward, 4N backward) plus attention, here
    // 3 × the forward attention FLOPs (forward + 2x backward), computed by hand.
    const ModelSpec m = testing::preset_model("llama-2-7b");
    const double s = 4096;
    const TrainingResult r = analyze_training(m, run(4096, 1), {}, {}, nullptr);
    REQUIRE(r.params_6n == static_cast<std::int64_t>(kLlamaN6));
    const double six_n = 6 * kLlamaN6 * s;
    const double attention = 3 * llama_attention_forward(s);
    CHECK(r.flops.six_n == six_n);
    CHECK(r.flops.model == Approx(six_n + attention).epsilon(1e-3));  // the rest: norms, RoPE, SiLU, softmax, loss
    CHECK(r.flops.model / six_n > 1.07);                               // the attention term is 8 % at 4k tokens
    // Per token: 6N = 39.64 GFLOP, + attention 3.22 GFLOP = 42.87; counted 42.89 (elementwise 0.03)
    CHECK(r.flops.model_flops_per_token == Approx(42.89e9).epsilon(1e-3));
    // Exactly, per token: elementwise forward + backward (1x) per layer — 2 RMSNorms 4h each, RoPE 3·2h,
    // 2 residuals h, SiLU·up 5I, softmax 5·nh·(s+1)/2 — final norm 4h, loss 5V, the embedding's
    // scatter-add h; minus 6x the norm weights, which are in N but in no matmul.
    const double layer = 2 * 4 * kH + 3 * 2 * kH + 2 * kH + 5 * kI + 5 * 32 * (s + 1) / 2;
    const double rest = 2 * (kL * layer + 4 * kH + 5 * kV) + kH - 6 * (kL * 2 * kH + kH);  // 27,452,928
    CHECK(rest == 27'452'928);
    CHECK(r.flops.model == Approx(six_n + attention + rest * s).epsilon(1e-14));
}

TEST_CASE("activation recomputation adds exactly one forward", "[training][recompute][published]") {
    const ModelSpec m = testing::preset_model("llama-2-7b");
    TrainingOptions t = run(4096, 1);
    t.flash_attention = false;
    const TrainingResult none = analyze_training(m, t, {}, {}, nullptr);
    t.recompute = Recompute::full;
    const TrainingResult full = analyze_training(m, t, {}, {}, nullptr);
    CHECK(none.flops.recompute == 0);
    // The layers run forward again; the embedding, final norm, LM head and loss do not (checkpoints are per layer).
    const double T = 4096;
    const double outside = 4 * T * kH + 2 * T * kH * kV + 5 * T * kV;  // final norm, LM head, loss
    CHECK(full.flops.recompute == Approx(none.flops.forward - outside).epsilon(1e-12));
    CHECK(full.flops.total - none.flops.total == full.flops.recompute);

    SECTION("Narayanan et al. 2021: 96·B·s·L·h²·(1 + s/6h + V/16Lh) with full recomputation") {
        // GPT-style model (gpt2-xl: L 48, h 1600, V 50257), attention over the full square as they count it.
        const ModelSpec g = testing::preset_model("gpt2-xl");
        Options o;
        o.causal = CausalConvention::square;
        TrainingOptions gt = run(1024, 4);
        gt.flash_attention = false;
        gt.recompute = Recompute::full;
        const TrainingResult r = analyze_training(g, gt, {}, o, nullptr);
        const double B = 4, s = 1024, L = 48, h = 1600, V = 50257;
        const double narayanan = 96 * B * s * L * h * h * (1 + s / (6 * h) + V / (16 * L * h));
        // They leave out biases, norms, GELU and softmax: 0.25 % here.
        CHECK(r.flops.model + r.flops.recompute == Approx(narayanan).epsilon(0.004));
        CHECK(r.flops.model + r.flops.recompute > narayanan);
    }
}

TEST_CASE("bytes per parameter: Adam with an FP32 master copy, SGD", "[training][memory]") {
    const ModelSpec m = testing::preset_model("llama-2-7b");
    TrainingOptions t = run(4096, 1);
    SECTION("Adam: bf16 weights 2 + bf16 gradients 2 + master 4 + m 4 + v 4 = 16") {
        const TrainingResult r = analyze_training(m, t, {}, {}, nullptr);
        CHECK(r.trainable_params == static_cast<std::int64_t>(kLlamaTotal));
        CHECK(r.memory.weights_bytes == 2 * kLlamaTotal);
        CHECK(r.memory.gradients_bytes == 2 * kLlamaTotal);
        CHECK(r.memory.optimizer_bytes == 12 * kLlamaTotal);
        CHECK(memory_state(r) / kLlamaTotal == 16);
        // Optimizer step reads g, master, m, v and writes master, m, v and the bf16 copy: 2 + 12 + 12 + 2 = 28 B
        CHECK(r.optimizer_bytes_per_device == 28 * kLlamaTotal);
        CHECK(r.flops.optimizer == 15 * kLlamaTotal);
    }
    SECTION("FP32 gradients: 2 + 4 + 12 = 18") {
        t.gradient_bits = 32;
        CHECK(memory_state(analyze_training(m, t, {}, {}, nullptr)) / kLlamaTotal == 18);
    }
    SECTION("plain SGD keeps only the FP32 master copy: 2 + 2 + 4 = 8") {
        t.optimizer = Optimizer::sgd;
        const TrainingResult r = analyze_training(m, t, {}, {}, nullptr);
        CHECK(memory_state(r) / kLlamaTotal == 8);
        CHECK(r.optimizer_bytes_per_device == 12 * kLlamaTotal);  // g 2, master 4 in and out, bf16 copy 2
    }
    SECTION("FP32 weights need no master copy: Adam 4 + 4 + 8 = 16, SGD 4 + 4") {
        Precision p;
        p.attention_weight_bits = p.ffn_weight_bits = p.embedding_bits = 32;
        t.gradient_bits = 32;
        CHECK(analyze_training(m, t, p, {}, nullptr).memory.optimizer_bytes == 8 * kLlamaTotal);
        t.optimizer = Optimizer::sgd;
        CHECK(analyze_training(m, t, p, {}, nullptr).memory.optimizer_bytes == 0);
    }
}

TEST_CASE("ZeRO stages divide the states by the data-parallel size", "[training][memory][zero]") {
    const ModelSpec m = testing::preset_model("llama-2-7b");
    TrainingOptions t = run(4096, 1);
    t.data_parallel = 8;
    const double N = kLlamaTotal;
    double activations = 0;
    for (int stage = 0; stage <= 3; ++stage) {
        t.zero_stage = stage;
        const TrainingResult r = analyze_training(m, t, {}, {}, nullptr);
        INFO("ZeRO stage " << stage);
        CHECK(r.memory.optimizer_bytes == (stage >= 1 ? 12 * N / 8 : 12 * N));
        CHECK(r.memory.gradients_bytes == (stage >= 2 ? 2 * N / 8 : 2 * N));
        CHECK(r.memory.weights_bytes == (stage >= 3 ? 2 * N / 8 : 2 * N));
        // ZeRO-1 and above: each device updates only its 1/8 of the parameters
        CHECK(r.optimizer_bytes_per_device == (stage >= 1 ? 28 * N / 8 : 28 * N));
        if (stage == 0) activations = r.memory.activations_bytes;
        CHECK(r.memory.activations_bytes == activations);  // activations are not partitioned
    }
    // Per-device model states at ZeRO-3: 16·N / 8 = 2·N bytes, 13.5 GB for Llama-2-7B (ZeRO paper, Figure 1 style)
    CHECK(memory_state(analyze_training(m, t, {}, {}, nullptr)) == 2 * N);
}

TEST_CASE("activations vs Korthikanti et al. 2022: s·b·h·(34 + 5·a·s/h) per layer", "[training][memory][published]") {
    // GPT-2 XL: a GPT-3-style layer (LayerNorm, biases, 4h GELU MLP), h = 1600, a = 25 heads; s = 1024.
    const ModelSpec m = testing::preset_model("gpt2-xl");
    const double s = 1024, h = 1600, heads = 25, L = 48;
    auto per_layer = [&](double b, bool flash, bool dropout) {
        TrainingOptions t = run(1024, static_cast<std::int64_t>(b));
        t.flash_attention = flash;
        t.dropout = dropout;
        return analyze_training(m, t, {}, {}, nullptr).memory.saved_per_layer_by_kind.at(0);
    };
    for (double b : {1.0, 2.0}) {
        INFO("micro batch " << b);
        const double sbh = s * b * h, as2b = heads * s * s * b;
        // With their dropout masks (1 byte per element): exact. 186,777,600 B at b = 1.
        CHECK(per_layer(b, false, true) == sbh * (34 + 5 * heads * s / h));
        // Without dropout: the two sbh masks and the a·s²·b mask + 2·a·s²·b dropped-out probabilities go.
        CHECK(per_layer(b, false, false) == sbh * 32 + 2 * as2b);
        CHECK(per_layer(b, false, false) == sbh * (34 + 5 * heads * s / h) - 2 * sbh - 3 * as2b);
        // FlashAttention: their selective recomputation (34·sbh) plus the log-sum-exp (4 bytes per row and head).
        CHECK(per_layer(b, true, true) == 34 * sbh + 4 * heads * s * b);
    }
    SECTION("full recomputation keeps each layer's input (their 2·sbh·L) plus one layer") {
        TrainingOptions t = run(1024, 1);
        t.flash_attention = false;
        t.recompute = Recompute::full;
        const TrainingResult r = analyze_training(m, t, {}, {}, nullptr);
        CHECK(r.memory.activations_saved_bytes ==
              2 * s * h * L + r.memory.saved_per_layer_by_kind[0] + r.memory.saved_outside_layers_bytes);
        CHECK(r.memory.activations_saved_bytes < r.memory.activations_no_recompute_bytes / 10);
        CHECK(r.memory.activations_bytes == r.memory.activations_saved_bytes + r.memory.activations_working_bytes);
    }
}

TEST_CASE("saved activations of the tiny model, by hand", "[training][memory]") {
    // T = 6 tokens, 2 bytes each. One layer, full training, FlashAttention:
    // attn_norm in 6·8·2 = 96, qkv in 96, Q 96 + K 48, log-sum-exp 6·2·4 = 48, V 48 + O 96,
    // o_proj in (= O) 0, ffn_norm 96, gate_up in 96, act_mul in 2·6·16·2 = 384, down in 192.
    const ModelSpec m = tiny();
    const double layer = 96 + 96 + 144 + 48 + 144 + 0 + 96 + 96 + 384 + 192;  // 1296
    // Outside: embedding ids 6·4 = 24, final norm in 96, LM head in 96, logits 6·10·2 = 120.
    const TrainingResult r = analyze_training(m, run(3, 2), {}, {}, nullptr);
    CHECK(r.memory.saved_per_layer_by_kind[0] == layer);
    CHECK(r.memory.saved_outside_layers_bytes == 24 + 96 + 96 + 120);
    CHECK(r.memory.activations_no_recompute_bytes == 2 * layer + 336);
    CHECK(r.memory.activations_full_recompute_bytes == 2 * 96 + layer + 336);
    CHECK(top(r, "o_proj").saved_bytes == 0);
    CHECK(top(r, "attn_v").saved_bytes == 48 + 96);
    SECTION("LoRA on q, v, down: frozen linears without an adapter keep no input; x·A (6·2·2 = 24) per adapter") {
        TrainingOptions t = run(3, 2);
        t.lora.enabled = true;
        t.lora.rank = 2;
        t.lora.targets = lora_target::q_proj | lora_target::v_proj | lora_target::down_proj;
        const TrainingResult l = analyze_training(m, t, {}, {}, nullptr);
        CHECK(top(l, "gate_up_proj").saved_bytes == 0);
        CHECK(l.memory.saved_per_layer_by_kind[0] == layer - 96 + 3 * 24);
        CHECK(l.memory.saved_outside_layers_bytes == 96 + 120);  // frozen embedding and LM head keep nothing
        SECTION("QLoRA: bitsandbytes' 4-bit layers keep their input") {
            t.lora.quantized_base = true;
            CHECK(analyze_training(m, t, {}, {}, nullptr).memory.saved_per_layer_by_kind[0] == layer + 3 * 24);
        }
    }
}

TEST_CASE("tensors several operators read are kept once", "[training][memory]") {
    SECTION("parallel block with one norm (Phi-2): the FFN reads the mixer's normalised input") {
        const TrainingResult r = analyze_training(testing::preset_model("phi-2"), run(16, 1), {}, {}, nullptr);
        CHECK(top(r, "qkv_proj").saved_bytes == 16 * 2560 * 2.0);
        CHECK(top(r, "up_proj").saved_bytes == 0);
    }
    SECTION("MoE with a shared expert (Qwen1.5-MoE): router and shared expert read one tensor") {
        const TrainingResult r = analyze_training(testing::preset_model("qwen1.5-moe-a2.7b"), run(16, 1), {}, {}, nullptr);
        CHECK(top(r, "router").saved_bytes == 16 * 2048 * 2.0);
        CHECK(top(r, "shared_gate_up").saved_bytes == 0);
        CHECK(top(r, "experts_gate_up").saved_bytes == 16 * 4 * 2048 * 2.0);  // the 4 routed copies of each token
    }
}

TEST_CASE("LoRA: trainable parameters, memory and FLOPs", "[training][lora]") {
    const ModelSpec m = testing::preset_model("llama-2-7b");
    TrainingOptions t = run(4096, 1);
    t.lora.enabled = true;
    t.lora.rank = 8;
    SECTION("r = 8 on q_proj, v_proj: 32 layers · 2 · 8·(4096 + 4096) = 4,194,304 (PEFT's figure)") {
        const TrainingResult r = analyze_training(m, t, {}, {}, nullptr);
        CHECK(r.lora_params == 4'194'304);
        CHECK(r.trainable_params == 4'194'304);
        CHECK(r.memory.gradients_bytes == 2.0 * 4'194'304);
        CHECK(r.memory.optimizer_bytes == 12.0 * 4'194'304);
        CHECK(r.memory.weights_bytes == 2 * kLlamaTotal + 2.0 * 4'194'304);  // frozen base at 16 bits + adapters
        // Frozen matmuls: dX only (1x); adapters 2x their matmuls + 1x the scale-and-add.
        CHECK(top(r, "qkv_proj").backward_flops == top(r, "qkv_proj").forward_flops);
        CHECK_FALSE(top(r, "qkv_proj").trainable);
        const TrainingOp& q = top(r, "lora_q_proj");
        const double T = 4096, mm = 2 * T * 8 * 4096 + 2 * T * 4096 * 8;
        CHECK(q.forward_flops == mm + 2 * T * 4096);
        CHECK(q.backward_flops == 2 * mm + 2 * T * 4096);
        CHECK(q.count == 32);
        CHECK(top(r, "embedding").backward_flops == 0);
        // Forward = the base forward + the adapters
        const TrainingResult full = analyze_training(m, run(4096, 1), {}, {}, nullptr);
        CHECK(r.flops.forward == Approx(full.flops.forward + 32 * (q.forward_flops + top(r, "lora_v_proj").forward_flops)));
    }
    SECTION("all-linear, r = 8: 32 · 8 · (4·8192 + 3·15104) = 19,988,480 (PEFT's figure)") {
        t.lora.targets = lora_target::all_linear;
        CHECK(analyze_training(m, t, {}, {}, nullptr).lora_params == 19'988'480);
    }
    SECTION("QLoRA: frozen matrices in NF4 with double quantisation, 4 + 8/64 + 32/(64·256) bits") {
        t.lora.quantized_base = true;
        const TrainingResult r = analyze_training(m, t, {}, {}, nullptr);
        CHECK(kNf4DoubleQuantBits == 4.126953125);
        // Attention + FFN matrices 32·(4·4096² + 3·4096·11008) = 6,476,005,376 at 4.127 bits;
        // embedding, LM head and norms (262,410,240) at 16 bits.
        const double base = 6'476'005'376.0 * 4.126953125 / 8 + 262'410'240.0 * 2;
        CHECK(r.forward.memory.weights_bytes == base);                        // 3,865,591,808 B
        CHECK(r.memory.weights_bytes == base + 2.0 * 4'194'304);
        CHECK(r.lora_base_weight_bits == 4.126953125);
        CHECK(top(r, "qkv_proj").compute == ComputeClass::b16);              // dequantised into bf16 GEMMs
        CHECK(r.lora_params == 4'194'304);
    }
    SECTION("MoE: one adapter per routed expert") {
        auto cfg = testing::tiny_config();
        cfg["model_type"] = "mixtral";
        cfg["num_local_experts"] = 8;
        cfg["num_experts_per_tok"] = 2;
        TrainingOptions mt = run(3, 2);
        mt.lora = t.lora;
        mt.lora.targets = lora_target::down_proj;
        // 2 layers · 8 experts · 8·(16 + 8)
        CHECK(analyze_training(parse_model_config(cfg), mt, {}, {}, nullptr).lora_params == 2 * 8 * 8 * (16 + 8));
    }
}

TEST_CASE("MFU for a measured step time", "[training][time]") {
    const ModelSpec m = testing::preset_model("llama-2-7b");
    const Hardware hw = testing::preset_hardware("h100-sxm");
    TrainingOptions t = run(4096, 1);
    t.data_parallel = 8;
    t.measured_step_time_s = 1.0;
    const TrainingResult r = analyze_training(m, t, {}, {}, &hw);
    REQUIRE(r.time.has_mfu);
    CHECK(r.peak_flops_s == 989.4e12);
    // MFU = (forward + backward FLOPs of 8 · 4096 tokens) / (1 s · 989.4 TFLOP/s · 8)
    const double tokens = 8 * 4096;
    CHECK(r.time.mfu == r.flops.model / (1.0 * 989.4e12 * 8));
    CHECK(r.time.mfu == Approx((6 * kLlamaN6 * tokens + 8 * 3 * llama_attention_forward(4096)) / (989.4e12 * 8)).epsilon(1e-3));
    CHECK(r.time.mfu == Approx(0.1776).epsilon(1e-3));
    CHECK(r.time.hfu > r.time.mfu);  // FlashAttention's recomputed scores are hardware FLOPs, not model FLOPs
    CHECK(r.time.tokens_per_day == Approx(tokens / r.time.step_s * 86400));
    SECTION("no measured time, no MFU") {
        t.measured_step_time_s = 0;
        CHECK_FALSE(analyze_training(m, t, {}, {}, &hw).time.has_mfu);
    }
}

TEST_CASE("roofline step time: three passes per operator and a memory-bound optimizer step", "[training][time]") {
    const ModelSpec m = tiny();
    // 1 GFLOP/s at 16 bit, 0.1 GFLOP/s vector, 1 GB/s.
    const Hardware hw = parse_hardware({{"name", "slow"}, {"memory_gb", 1}, {"memory_bandwidth_gbs", 1},
                                        {"peak_tflops", {{"bf16", 0.001}}}, {"vector_tflops", 0.0001}});
    const TrainingResult r = analyze_training(m, run(3, 2), {}, {}, &hw);
    const TrainingOp& qkv = top(r, "qkv_proj");
    // forward max(1536 ns, 544 ns), backward max(3072 ns, 1088 ns)
    CHECK(qkv.time_s == Approx(1536e-9 + 3072e-9));
    const TrainingOp& scores = top(r, "attn_scores");
    // forward max(192, 144) ns; backward + FlashAttention recompute max(384 + 192, 288) ns
    CHECK(scores.time_s == Approx(192e-9 + 576e-9));
    // Optimizer: 1352 params · 28 bytes = 37,856 ns at 1 GB/s vs 1352 · 15 FLOPs = 202,800 ns at 0.1 GFLOP/s
    CHECK(r.time.optimizer_s == Approx(1352 * 15 / 1e8));
    double sum = r.time.optimizer_s;
    for (const auto& o : r.ops) sum += o.count * o.time_s;
    CHECK(r.time.step_s == Approx(sum));
    CHECK(r.time.tokens_per_s == Approx(6 / r.time.step_s));
}

TEST_CASE("training JSON", "[training][json]") {
    const json base = {{"config", testing::tiny_config()},
                       {"training", {{"sequence_length", 3}, {"micro_batch", 2}}}};
    SECTION("no hardware: times null, memory without fits") {
        const json out = training_request(base);
        CHECK(out["flops"]["forward"] == 18636);
        CHECK(out["time"]["step_s"].is_null());
        CHECK(out["time"]["mfu"].is_null());
        CHECK(out["memory"]["fits"].is_null());
        CHECK(out["lora"].is_null());
        CHECK(out["params"]["trainable"] == 1352);
        CHECK(out["ops"][0]["time_s"].is_null());
        CHECK(out["ops"].back()["name"] == "loss");
        for (const char* k : {"forward", "backward", "recompute", "optimizer", "total", "model_flops_per_token", "six_n"}) {
            CHECK(out["flops"].contains(k));
        }
        for (const char* k : {"weights_bytes", "gradients_bytes", "optimizer_bytes", "activations_bytes", "total_bytes"}) {
            CHECK(out["memory"][k].is_number());
        }
    }
    SECTION("hardware and a measured time: MFU") {
        json req = base;
        req["hardware"] = presets::hardware("h100-sxm");
        req["training"]["measured_step_time_s"] = 0.5;
        req["training"]["lora"] = {{"rank", 2}, {"targets", {"q_proj", "v_proj"}}};
        const json out = training_request(req);
        CHECK(out["time"]["step_s"].get<double>() > 0);
        CHECK(out["time"]["mfu"].get<double>() ==
              Approx(out["flops"]["model"].get<double>() / (0.5 * 989.4e12)));
        CHECK(out["memory"]["fits"] == true);
        CHECK(out["lora"]["trainable_params"] == 2 * (2 * (8 + 8) + 2 * (8 + 4)));
        CHECK(out["lora"]["targets"] == json({"q_proj", "v_proj"}));
    }
    SECTION("the workload is ignored, with a warning") {
        json req = base;
        req["workload"] = {{"input_tokens", 100}};
        const json out = training_request(req);
        CHECK(out["training"]["tokens_per_step"] == 6);
        CHECK_THAT(out["warnings"].dump(), Catch::Contains("workload is ignored"));
    }
    SECTION("flash_attention follows options.attention; contradicting it is an error") {
        json req = base;
        req["options"] = {{"attention", "unfused"}};
        CHECK(training_request(req)["training"]["flash_attention"] == false);
        req["training"]["flash_attention"] = true;
        expect_error([&] { training_request(req); }, ErrorCode::inconsistent, {"training.flash_attention", "options.attention"});
    }
}

TEST_CASE("bad training inputs name the field", "[training][errors]") {
    const json cfg = testing::tiny_config();
    auto with = [&](json training) { return json{{"config", cfg}, {"training", std::move(training)}}; };
    const json ok = {{"sequence_length", 16}};
    auto set = [&](const char* key, json v) {
        json t = ok;
        t[key] = std::move(v);
        return with(t);
    };
    auto lora = [&](json l) { return set("lora", std::move(l)); };
    expect_error([&] { training_request(set("zero_stage", 4)); }, ErrorCode::out_of_range, {"training.zero_stage", "4"});
    expect_error([&] { training_request(with({{"sequence_length", 0}})); }, ErrorCode::out_of_range, {"training.sequence_length"});
    expect_error([&] { training_request(with(json::object())); }, ErrorCode::missing_field, {"training.sequence_length"});
    expect_error([&] { training_request(set("micro_batch", 0)); }, ErrorCode::out_of_range, {"training.micro_batch"});
    expect_error([&] { training_request(set("data_parallel", -2)); }, ErrorCode::out_of_range, {"training.data_parallel"});
    expect_error([&] { training_request(set("gradient_bits", 24)); }, ErrorCode::out_of_range, {"training.gradient_bits", "16 or 32"});
    expect_error([&] { training_request(set("optimizer", "adagrad")); }, ErrorCode::unknown_name, {"training.optimizer", "adam"});
    expect_error([&] { training_request(set("recompute", "selective")); }, ErrorCode::unknown_name, {"training.recompute"});
    expect_error([&] { training_request(set("flash_attention", "yes")); }, ErrorCode::wrong_type, {"training.flash_attention"});
    expect_error([&] { training_request(set("measured_step_time_s", 0)); }, ErrorCode::out_of_range, {"training.measured_step_time_s"});
    expect_error([&] { training_request(set("measured_step_time_s", -1)); }, ErrorCode::out_of_range, {"training.measured_step_time_s"});
    expect_error([&] { training_request(set("sequence_lenght", 5)); }, ErrorCode::unknown_name, {"training.sequence_lenght"});
    expect_error([&] { training_request({{"config", cfg}}); }, ErrorCode::missing_field, {"request.training"});
    expect_error([&] { training_request(with(16)); }, ErrorCode::wrong_type, {"training"});
    // LoRA
    expect_error([&] { training_request(lora({{"rank", -8}})); }, ErrorCode::out_of_range, {"training.lora.rank"});
    expect_error([&] { training_request(lora({{"rank", 0}})); }, ErrorCode::out_of_range, {"training.lora.rank"});
    expect_error([&] { training_request(lora({{"targets", {"q_proj"}}})); }, ErrorCode::missing_field, {"training.lora.rank"});
    expect_error([&] { training_request(lora({{"rank", 8}, {"targets", {"q_proj", "w_qkv"}}})); }, ErrorCode::unknown_name,
                 {"training.lora.targets[1]", "w_qkv", "q_proj"});
    expect_error([&] { training_request(lora({{"rank", 8}, {"targets", json::array()}})); }, ErrorCode::out_of_range,
                 {"training.lora.targets"});
    expect_error([&] { training_request(lora({{"rank", 8}, {"targets", {1}}})); }, ErrorCode::wrong_type, {"training.lora.targets[0]"});
    expect_error([&] { training_request(lora({{"rank", 8}, {"targets", {"qkv_proj", "q_proj"}}})); }, ErrorCode::inconsistent,
                 {"training.lora.targets", "qkv_proj"});
    expect_error([&] { training_request(lora({{"rank", 8}, {"alpha", 16}})); }, ErrorCode::unknown_name, {"training.lora.alpha"});
    expect_error([&] { training_request(lora({{"rank", 8}, {"quantized_base", 1}})); }, ErrorCode::wrong_type,
                 {"training.lora.quantized_base"});
    SECTION("a module the model does not have") {
        const json gpt2 = {{"config", testing::preset_config("gpt2-xl")},
                           {"training", {{"sequence_length", 16}, {"lora", {{"rank", 8}, {"targets", {"gate_proj"}}}}}}};
        expect_error([&] { training_request(gpt2); }, ErrorCode::inconsistent, {"training.lora.targets", "gate_proj"});
        expect_error([&] { training_request(lora({{"rank", 8}, {"targets", {"q_proj", "kv_b_proj"}}})); }, ErrorCode::inconsistent,
                     {"training.lora.targets", "kv_b_proj"});
    }
    SECTION("the C++ entry point validates too") {
        TrainingOptions t;
        t.zero_stage = 5;
        expect_error([&] { analyze_training(tiny(), t, {}, {}, nullptr); }, ErrorCode::out_of_range, {"training.zero_stage"});
        t = TrainingOptions{};
        t.lora.enabled = true;
        t.lora.rank = -1;
        expect_error([&] { analyze_training(tiny(), t, {}, {}, nullptr); }, ErrorCode::out_of_range, {"training.lora.rank"});
    }
}
