// Training: backward, recomputation, optimizer, MFU, activation memory, ZeRO, LoRA/QLoRA
// (FORMULAS.md §11). The forward pass is the core's analysis (analysis.cpp).
#include "llmcalc/training.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "formulas.hpp"
#include "json_reader.hpp"

namespace llmcalc {

namespace {

using detail::check_range;
using detail::FieldReader;
using nlohmann::json;

constexpr std::int64_t kMaxSequence = 1'000'000'000;  // as a query's tokens in the core
constexpr std::int64_t kMaxMicroBatch = 1'000'000;    // as the core's batch multiplier
constexpr std::int64_t kMaxDataParallel = 1 << 20;
constexpr std::int64_t kMaxRank = 65'536;
constexpr double kMaxMeasuredSeconds = 1e9;
constexpr double kSecondsPerDay = 86'400;
constexpr double kAdamFlopsPerParam = 15;     // §11.3: AdamW per element
constexpr double kSgdFlopsPerParam = 2;       // §11.3: p -= lr·g
constexpr double kSoftmaxStatBytes = 4;       // §11.4: FP32 log-sum-exp per (token, head)
constexpr double kDropoutMaskBytes = 1;       // §11.4: a byte per element (Korthikanti et al.)
constexpr double kMasterBytes = 4, kMomentBytes = 8;  // §11.3: FP32 master; Adam m and v

bool is(const char* a, const char* b) { return std::strcmp(a, b) == 0; }

double gemm_flops(double m, double n, double k, FlopConvention c) {
    return c == FlopConvention::two_mnk ? 2.0 * m * n * k : m * n * (2.0 * k - 1.0);  // FORMULAS.md §3.1
}

enum class Where { dense, experts, shared };

struct TargetInfo {
    std::uint32_t flag;
    const char* name;
    const char* op;          // the LoRA operator on a dense / attention / SSM matrix
    const char* experts_op;  // on the routed experts
    const char* shared_op;   // on the shared expert
};

namespace lt = lora_target;
constexpr TargetInfo kTargets[] = {
    {lt::q_proj, "q_proj", "lora_q_proj", nullptr, nullptr},
    {lt::k_proj, "k_proj", "lora_k_proj", nullptr, nullptr},
    {lt::v_proj, "v_proj", "lora_v_proj", nullptr, nullptr},
    {lt::o_proj, "o_proj", "lora_o_proj", nullptr, nullptr},
    {lt::qkv_proj, "qkv_proj", "lora_qkv_proj", nullptr, nullptr},
    {lt::gate_proj, "gate_proj", "lora_gate_proj", "lora_experts_gate_proj", "lora_shared_gate_proj"},
    {lt::up_proj, "up_proj", "lora_up_proj", "lora_experts_up_proj", "lora_shared_up_proj"},
    {lt::down_proj, "down_proj", "lora_down_proj", "lora_experts_down_proj", "lora_shared_down_proj"},
    {lt::gate_up_proj, "gate_up_proj", "lora_gate_up_proj", "lora_experts_gate_up_proj", "lora_shared_gate_up_proj"},
    {lt::q_a_proj, "q_a_proj", "lora_q_a_proj", nullptr, nullptr},
    {lt::q_b_proj, "q_b_proj", "lora_q_b_proj", nullptr, nullptr},
    {lt::kv_a_proj_with_mqa, "kv_a_proj_with_mqa", "lora_kv_a_proj_with_mqa", nullptr, nullptr},
    {lt::kv_b_proj, "kv_b_proj", "lora_kv_b_proj", nullptr, nullptr},
    {lt::in_proj, "in_proj", "lora_in_proj", nullptr, nullptr},
    {lt::x_proj, "x_proj", "lora_x_proj", nullptr, nullptr},
    {lt::dt_proj, "dt_proj", "lora_dt_proj", nullptr, nullptr},
    {lt::out_proj, "out_proj", "lora_out_proj", nullptr, nullptr},
};

constexpr std::uint32_t kKnownTargets = lt::all_linear | lt::qkv_proj | lt::gate_up_proj;

const char* lora_op_name(std::uint32_t flag, Where w) {
    for (const TargetInfo& t : kTargets) {
        if (t.flag == flag) return w == Where::experts ? t.experts_op : w == Where::shared ? t.shared_op : t.op;
    }
    return "lora";
}

// One LoRA adapter B·A on a matrix of `in` x `out` (§11.6).
struct Adapter {
    std::uint32_t flag = 0;
    double in = 0, out = 0;
    const char* name = "";
};

// The adapters on the core's operator `op` of layer kind `k`; returns how many (at most 3).
int adapters_on(const char* op, const ModelSpec& m, const LayerKind& k, std::uint32_t targets, Adapter* out) {
    int n = 0;
    auto add = [&](std::uint32_t flag, double in, double o, Where w) {
        if (targets & flag) out[n++] = Adapter{flag, in, o, lora_op_name(flag, w)};
    };
    const double h = static_cast<double>(m.hidden_size);
    const AttentionSpec& at = k.attention;
    if (k.mixer == MixerKind::attention) {
        if (is(op, "qkv_proj")) {
            if (targets & lt::qkv_proj) {
                add(lt::qkv_proj, h, static_cast<double>(at.q_dim() + at.kv_dim() + at.v_dim()), Where::dense);
            } else {
                add(lt::q_proj, h, static_cast<double>(at.q_dim()), Where::dense);
                add(lt::k_proj, h, static_cast<double>(at.kv_dim()), Where::dense);
                add(lt::v_proj, h, static_cast<double>(at.v_dim()), Where::dense);
            }
        } else if (is(op, "o_proj")) {
            add(lt::o_proj, static_cast<double>(at.o_in()), h, Where::dense);
        }
    } else if (k.mixer == MixerKind::mla) {
        const double nh = static_cast<double>(at.num_heads);
        const double qk = static_cast<double>(at.qk_nope_head_dim + at.qk_rope_head_dim);
        const double ql = static_cast<double>(at.q_lora_rank), kvl = static_cast<double>(at.kv_lora_rank);
        const double v = static_cast<double>(at.v_head_dim);
        if (is(op, "q_proj")) add(lt::q_proj, h, nh * qk, Where::dense);
        else if (is(op, "q_a_proj")) add(lt::q_a_proj, h, ql, Where::dense);
        else if (is(op, "q_b_proj")) add(lt::q_b_proj, ql, nh * qk, Where::dense);
        else if (is(op, "kv_a_proj")) add(lt::kv_a_proj_with_mqa, h, kvl + static_cast<double>(at.qk_rope_head_dim), Where::dense);
        else if (is(op, "kv_b_proj")) add(lt::kv_b_proj, kvl, nh * (static_cast<double>(at.qk_nope_head_dim) + v), Where::dense);
        else if (is(op, "o_proj")) add(lt::o_proj, nh * v, h, Where::dense);
    } else if (k.mixer == MixerKind::mamba || k.mixer == MixerKind::mamba2) {
        const SsmSpec& s = k.ssm;
        const bool v2 = k.mixer == MixerKind::mamba2;
        const double di = static_cast<double>(s.d_inner), N = static_cast<double>(s.d_state);
        const double R = static_cast<double>(s.dt_rank);
        const double in_w = v2 ? 2 * di + 2 * static_cast<double>(s.n_groups) * N + static_cast<double>(s.n_heads) : 2 * di;
        if (is(op, "ssm_in_proj")) add(lt::in_proj, h, in_w, Where::dense);
        else if (is(op, "ssm_x_proj")) add(lt::x_proj, di, R + 2 * N, Where::dense);
        else if (is(op, "ssm_dt_proj")) add(lt::dt_proj, R, di, Where::dense);
        else if (is(op, "ssm_out_proj")) add(lt::out_proj, di, h, Where::dense);
    }
    const FfnSpec& f = k.ffn;
    auto ffn = [&](double width, Where w, bool up_side) {
        if (!up_side) {
            add(lt::down_proj, width, h, w);
        } else if (!f.gated) {
            add(lt::up_proj, h, width, w);
        } else if (targets & lt::gate_up_proj) {
            add(lt::gate_up_proj, h, 2 * width, w);
        } else {
            add(lt::gate_proj, h, width, w);
            add(lt::up_proj, h, width, w);
        }
    };
    if (f.kind == FfnKind::dense) {
        const double I = static_cast<double>(f.intermediate);
        if (is(op, "gate_up_proj") || is(op, "up_proj")) ffn(I, Where::dense, true);
        else if (is(op, "down_proj")) ffn(I, Where::dense, false);
    } else if (f.kind == FfnKind::moe) {
        const double Ie = static_cast<double>(f.expert_intermediate), Is = static_cast<double>(f.shared_intermediate);
        if (is(op, "experts_gate_up")) ffn(Ie, Where::experts, true);
        else if (is(op, "experts_down")) ffn(Ie, Where::experts, false);
        else if (is(op, "shared_gate_up") || is(op, "shared_up")) ffn(Is, Where::shared, true);
        else if (is(op, "shared_down")) ffn(Is, Where::shared, false);
    }
    return n;
}

// Bits of the weights an operator reads (for its weight gradient): FORMULAS.md §4.
double weight_bits_of(const OpCost& op, const ResolvedPrecision& p) {
    if (is(op.name, "embedding") || is(op.name, "pos_embedding") || is(op.name, "lm_head") ||
        is(op.name, "project_in") || is(op.name, "project_out")) {
        return p.embedding_bits;
    }
    if (op.is_matmul && op.weight_bytes > 0 && !is(op.name, "router")) {
        return op.group == OpGroup::ffn ? p.ffn_weight_bits : p.attention_weight_bits;
    }
    return p.other_weight_bits;
}

bool is_residual(const char* name) {
    return is(name, "attn_residual") || is(name, "ffn_residual") || is(name, "parallel_residual");
}

// Tensors several operators of one layer read: kept once (§11.4).
struct SharedInputs {
    bool mixer_in = false;  // the normalised input of the mixer (and of a parallel FFN sharing its norm)
    bool ffn_in = false;    // the normalised input of the FFN
    bool layer_in = false;  // the layer input, read by both norms of a two-norm parallel block
    bool attn_out = false;  // the attention output: o_proj's input and what fused attention keeps (O)
};

// Adds `bytes` to `saved` the first time `slot` is used in a layer.
void keep_once(bool& slot, double& saved, double bytes) {
    if (!slot) {
        saved += bytes;
        slot = true;
    }
}

[[noreturn]] void fail_target(std::uint32_t flag, const std::string& why) {
    throw Error(ErrorCode::inconsistent, std::string("training.lora.targets: \"") + lora_target_name(flag) + "\" " + why);
}

}  // namespace

std::uint32_t lora_target_from_name(std::string_view name) {
    if (name == "all-linear") return lora_target::all_linear;
    for (const TargetInfo& t : kTargets) {
        if (name == t.name) return t.flag;
    }
    return 0;
}

const char* lora_target_name(std::uint32_t flag) {
    if (flag == lora_target::all_linear) return "all-linear";
    for (const TargetInfo& t : kTargets) {
        if (t.flag == flag) return t.name;
    }
    return "";
}

std::string lora_target_names() {
    std::string s;
    for (const TargetInfo& t : kTargets) s += std::string(s.empty() ? "" : ", ") + t.name;
    return s + " or \"all-linear\"";
}

void validate_training(const TrainingOptions& t) {
    check_range("training.sequence_length", static_cast<double>(t.sequence_length), 1, static_cast<double>(kMaxSequence));
    check_range("training.micro_batch", static_cast<double>(t.micro_batch), 1, static_cast<double>(kMaxMicroBatch));
    check_range("training.data_parallel", static_cast<double>(t.data_parallel), 1, static_cast<double>(kMaxDataParallel));
    check_range("training.zero_stage", t.zero_stage, 0, 3);
    if (t.gradient_bits != 16 && t.gradient_bits != 32) {
        throw Error(ErrorCode::out_of_range, "training.gradient_bits is " + detail::format_number(t.gradient_bits) +
                                                 "; expected 16 or 32");
    }
    if (t.measured_step_time_s != 0) check_range("training.measured_step_time_s", t.measured_step_time_s, 1e-9, kMaxMeasuredSeconds);
    if (!t.lora.enabled) return;
    check_range("training.lora.rank", static_cast<double>(t.lora.rank), 1, static_cast<double>(kMaxRank));
    const std::uint32_t tg = t.lora.targets;
    if (tg == 0) throw Error(ErrorCode::out_of_range, "training.lora.targets is empty; name at least one module");
    if (tg & ~kKnownTargets) throw Error(ErrorCode::unknown_name, "training.lora.targets has an unknown module flag");
    if ((tg & lt::qkv_proj) && (tg & (lt::q_proj | lt::k_proj | lt::v_proj))) {
        fail_target(lt::qkv_proj, "is the fused q/k/v matrix; target it or q_proj/k_proj/v_proj, not both");
    }
    if ((tg & lt::gate_up_proj) && (tg & (lt::gate_proj | lt::up_proj))) {
        fail_target(lt::gate_up_proj, "is the fused gate/up matrix; target it or gate_proj/up_proj, not both");
    }
}

void analyze_training_into(TrainingResult& out, const ModelSpec& m, const TrainingOptions& t, const Precision& precision,
                           const Options& options, const Hardware* hw) {
    validate_training(t);
    validate_precision(precision);
    validate_options(options);
    out.warnings.clear();
    out.ops.clear();
    const bool lora = t.lora.enabled;
    const bool qlora = lora && t.lora.quantized_base;

    // §11.1: mixed precision by default (16-bit weights and activations), whatever the checkpoint holds.
    Precision tp = precision;
    if (qlora) {
        if (precision.attention_weight_bits > 0 || precision.ffn_weight_bits > 0) {
            out.warnings.push_back("precision weight bits are ignored for the attention and FFN matrices: QLoRA holds them in NF4");
        }
        tp.attention_weight_bits = tp.ffn_weight_bits = kNf4DoubleQuantBits;
    } else {
        if (tp.attention_weight_bits <= 0) tp.attention_weight_bits = 16;
        if (tp.ffn_weight_bits <= 0) tp.ffn_weight_bits = 16;
    }
    if (tp.embedding_bits <= 0) tp.embedding_bits = 16;
    if (tp.activation_bits <= 0) tp.activation_bits = 16;
    if (precision.kv_cache_bits > 0 && precision.kv_cache_bits != tp.activation_bits) {
        out.warnings.push_back("precision.kv_cache_bits is ignored for training: keys and values are activations");
    }
    tp.kv_cache_bits = tp.activation_bits;
    if (!qlora && !m.quantization.method.empty() && precision.attention_weight_bits <= 0) {
        out.warnings.push_back("the checkpoint is quantised (" + m.quantization.method +
                               "); training counts weights at 16 bits unless precision sets them");
    }

    // §11.2: the forward pass is the core's analysis of micro_batch sequences, every token through the LM head.
    Options fo = options;
    fo.lm_head = LmHeadTokens::all;
    fo.attention = t.flash_attention ? AttentionImpl::fused : AttentionImpl::unfused;
    if (fo.mla == MlaMode::automatic) fo.mla = MlaMode::naive;  // training decompresses K and V
    Workload w;
    w.queries.assign(1, Query{0, t.sequence_length});
    w.batch_size = t.micro_batch;
    analyze_into(out.forward, m, w, tp, fo, hw);
    const Analysis& f = out.forward;
    for (const std::string& s : f.warnings) out.warnings.push_back(s);

    out.params = f.params;
    out.precision = f.precision;
    out.has_hardware = hw != nullptr;
    out.tokens_per_device = t.sequence_length * t.micro_batch;
    out.tokens_per_step = out.tokens_per_device * t.data_parallel;
    out.lora_base_weight_bits = lora ? f.precision.ffn_weight_bits : 0;
    // §11.2: parameters in a matmul per token: active, minus the token (untied) and position tables.
    out.params_6n = out.params.active - m.position_rows * m.embedding_width() -
                    (m.tie_word_embeddings ? 0 : m.vocab_size * m.embedding_width());

    const ResolvedPrecision& p = f.precision;
    const double a = p.activation_bits / 8;
    const double g = t.gradient_bits;
    const double T = static_cast<double>(out.tokens_per_device);
    const double B = static_cast<double>(t.micro_batch), S = static_cast<double>(t.sequence_length);
    const double h = static_cast<double>(m.hidden_size);
    const double V = static_cast<double>(m.vocab_size);
    const double ew = static_cast<double>(m.embedding_width());
    const bool fused = fo.attention == AttentionImpl::fused;
    const bool full_recompute = t.recompute == Recompute::full;
    const double adapter_bits = p.activation_bits;  // §11.6: adapters at the activation type (bf16)
    const double rank = static_cast<double>(t.lora.rank);
    const double peak_scale = options.compute_efficiency;
    const double bw = hw ? hw->bandwidth_bytes_s * options.bandwidth_efficiency : 0;

    TrainingMemory& mem = out.memory;
    mem = TrainingMemory{};
    mem.saved_per_layer_by_kind.assign(m.layer_kinds.size(), 0.0);
    std::int64_t lora_params = 0;
    std::uint32_t matched = 0;
    SharedInputs shared;
    int current_kind = -2;
    Adapter adapters[3];

    // Roofline time of one pass (§11.3): max(FLOPs / peak, bytes / bandwidth).
    auto pass_time = [&](double flops, double bytes, ComputeClass c) {
        if (!hw) return 0.0;
        const double peak = hw->peak(c) * peak_scale;
        return std::max(peak > 0 ? flops / peak : 0.0, bytes / bw);
    };
    // Fill in the times of a finished operator; `flash_recompute` runs inside its backward kernel.
    auto finish = [&](TrainingOp& op, double flash_recompute) {
        if (!hw) return;
        const double peak = hw->peak(op.compute) * peak_scale;
        op.compute_time_s = peak > 0 ? op.flops() / peak : 0;
        op.memory_time_s = (op.forward_bytes + op.backward_bytes + op.recompute_bytes) / bw;
        op.time_s = pass_time(op.forward_flops, op.forward_bytes, op.compute) +
                    pass_time(op.backward_flops + flash_recompute, op.backward_bytes, op.compute) +
                    pass_time(op.recompute_flops - flash_recompute, op.recompute_bytes, op.compute);
    };

    for (const OpCost& op : f.ops) {
        if (is(op.name, "kv_cache_write")) continue;  // no cache in training: K and V are qkv_proj's output
        if (op.layer_kind != current_kind) {
            current_kind = op.layer_kind;
            shared = SharedInputs{};
        }
        const LayerKind* kind = op.layer_kind >= 0 ? &m.layer_kinds[static_cast<std::size_t>(op.layer_kind)] : nullptr;
        const bool weight_matmul = op.is_matmul && op.weight_bytes > 0;
        const bool attention_matmul = op.is_matmul && op.weight_bytes == 0;
        int n_adapters = 0;
        if (lora && kind && weight_matmul) n_adapters = adapters_on(op.name, m, *kind, t.lora.targets, adapters);

        TrainingOp& to = out.ops.emplace_back();
        to.name = op.name;
        to.layer_kind = op.layer_kind;
        to.group = op.group;
        to.is_matmul = op.is_matmul;
        to.count = op.count;
        to.compute = op.compute;
        to.trainable = !lora && op.weight_bytes > 0;
        to.forward_flops = op.flops;
        to.forward_bytes = op.bytes();
        const double wbits = weight_bits_of(op, p);
        const double grad_bytes = to.trainable ? op.weight_bytes * g / wbits : 0;  // dW written at gradient bits
        const double act_bytes = op.input_bytes + op.output_bytes + op.kv_read_bytes + op.kv_write_bytes;

        // §11.2 backward FLOPs and §11.3 backward bytes.
        if (weight_matmul) {
            // dX = dY·Wᵀ always; dW = Xᵀ·dY when trainable. Each reads dY and one operand, writes one result.
            to.backward_flops = to.trainable ? 2 * op.flops : op.flops;
            to.backward_bytes = to.trainable ? op.weight_bytes + grad_bytes + 2 * act_bytes
                                             : op.weight_bytes + op.input_bytes + op.output_bytes;
        } else if (attention_matmul) {
            to.backward_flops = 2 * op.flops;  // dQ and dK (scores), dP and dV (P·V)
            to.backward_bytes = 2 * to.forward_bytes;
        } else if (is(op.name, "embedding")) {
            // a scatter-add of dY into the touched rows of the table; nothing when frozen
            to.backward_flops = to.trainable ? op.flops + T * ew : 0;
            to.backward_bytes = to.trainable ? op.output_bytes + 2 * grad_bytes : 0;
        } else if (is_residual(op.name)) {
            to.backward_flops = op.flops;  // the gradient is summed where the branches rejoin
            to.backward_bytes = to.forward_bytes;
        } else {
            // dX = f'(X)·dY: reads dY and the saved inputs, writes dX; norms also read γ and write dγ.
            to.backward_flops = op.flops;
            to.backward_bytes = 2 * op.input_bytes + op.output_bytes + op.weight_bytes + grad_bytes;
        }

        // §11.4 activations kept for the backward.
        double& saved = to.saved_bytes;
        const bool parallel = kind && kind->parallel && kind->mixer != MixerKind::none && kind->ffn.kind != FfnKind::none;
        if (weight_matmul) {
            const bool quantised_base = qlora && kind && !is(op.name, "router");  // bitsandbytes keeps the input
            if (to.trainable || n_adapters > 0 || quantised_base) {
                if (is(op.name, "qkv_proj") || is(op.name, "q_proj") || is(op.name, "q_a_proj") ||
                    is(op.name, "kv_a_proj") || is(op.name, "ssm_in_proj") || is(op.name, "linear_mixer")) {
                    keep_once(shared.mixer_in, saved, T * h * a);
                } else if (is(op.name, "gate_up_proj") || is(op.name, "up_proj") || is(op.name, "router") ||
                           is(op.name, "shared_gate_up") || is(op.name, "shared_up") || is(op.name, "linear_ffn")) {
                    keep_once(parallel && kind->ffn_norms == 0 ? shared.mixer_in : shared.ffn_in, saved, T * h * a);
                } else if (is(op.name, "o_proj")) {
                    keep_once(shared.attn_out, saved, op.input_bytes);
                } else {
                    saved += op.input_bytes;
                }
            }
        } else if (is(op.name, "attn_scores") || is(op.name, "attn_v")) {
            const bool mla = kind && kind->mixer == MixerKind::mla;
            const AttentionSpec& at = kind->attention;
            const double nh = static_cast<double>(at.num_heads);
            if (is(op.name, "attn_scores")) {
                // Q and K (MLA: K decompressed per head, nope + rope parts)
                saved += op.input_bytes +
                         (mla ? B * S * nh * static_cast<double>(at.qk_nope_head_dim + at.qk_rope_head_dim) * a
                              : op.kv_read_bytes);
            } else {
                saved += mla ? B * S * nh * static_cast<double>(at.v_head_dim) * a : op.kv_read_bytes;  // V
                if (fused) keep_once(shared.attn_out, saved, op.output_bytes);  // O, for rowsum(dO∘O)
            }
        } else if (is(op.name, "softmax")) {
            const double nh = static_cast<double>(kind->attention.num_heads);
            if (fused) {
                saved += T * nh * kSoftmaxStatBytes;  // log-sum-exp per row: the score matrix is recomputed
            } else {
                const double P = B * nh * S * S;  // eager attention materialises the whole masked s x s matrix
                saved += P * a + (t.dropout ? P * (kDropoutMaskBytes + a) : 0);  // P (+ mask and dropped-out P)
            }
        } else if (is(op.name, "attn_norm") || is(op.name, "ffn_norm")) {
            if (parallel && kind->ffn_norms > 0) keep_once(shared.layer_in, saved, op.input_bytes);
            else saved += op.input_bytes;
        } else if (is(op.name, "embedding")) {
            saved += to.trainable ? op.input_bytes : 0;  // token ids for the scatter-add
            if (t.dropout) saved += T * ew * kDropoutMaskBytes;
        } else if (is_residual(op.name)) {
            if (t.dropout) saved += (is(op.name, "parallel_residual") ? 2 : 1) * T * h * kDropoutMaskBytes;
        } else if (is(op.name, "rope") || is(op.name, "pos_embedding")) {
            // linear in their input (a rotation, an add): nothing to keep
        } else {
            saved += op.input_bytes;  // norms, activations, SSM kernels, MoE combine
        }

        // §11.4 recomputation: every layer's forward again; FlashAttention recomputes the scores in its backward.
        const double flash_recompute = fused && (is(op.name, "attn_scores") || is(op.name, "softmax")) ? op.flops : 0;
        const bool again = full_recompute && op.layer_kind >= 0;
        to.recompute_flops = (again ? op.flops : 0) + flash_recompute;
        to.recompute_bytes = again ? to.forward_bytes : 0;
        finish(to, flash_recompute);

        // §11.6 LoRA adapters on this matrix: y += (x·A)·B · α/r.
        for (int i = 0; i < n_adapters; ++i) {
            const Adapter& ad = adapters[i];
            matched |= ad.flag;
            const bool experts = std::strncmp(op.name, "experts_", 8) == 0;
            const double E = static_cast<double>(kind->ffn.num_experts), k = static_cast<double>(kind->ffn.experts_per_token);
            const double rows = experts ? T * k : (is(op.name, "kv_b_proj") ? op.input_bytes / (ad.in * a) : T);
            const double copies = experts ? E : 1;
            const double touched = experts ? (k >= E ? E : E * (1 - std::exp(rows / k * std::log1p(-k / E)))) : 1;
            lora_params = detail::add(lora_params, detail::mul(op.count, detail::mul(static_cast<std::int64_t>(copies),
                                      detail::mul(t.lora.rank, static_cast<std::int64_t>(ad.in + ad.out)))));
            TrainingOp& lo = out.ops.emplace_back();
            lo.name = ad.name;
            lo.layer_kind = op.layer_kind;
            lo.group = op.group;
            lo.is_matmul = true;
            lo.trainable = true;
            lo.count = op.count;
            lo.compute = compute_class_for_bits(std::max(adapter_bits, p.activation_bits));
            const double mm = gemm_flops(rows, rank, ad.in, options.flops) + gemm_flops(rows, ad.out, rank, options.flops);
            const double add_scaled = 2 * rows * ad.out;  // × α/r, + the frozen output
            lo.forward_flops = mm + add_scaled;
            lo.backward_flops = 2 * mm + add_scaled;
            const double wb = touched * rank * (ad.in + ad.out) * adapter_bits / 8;
            const double in_b = rows * ad.in * a, mid = rows * rank * a, out_b = rows * ad.out * a;
            lo.forward_bytes = wb + in_b + 2 * mid + 2 * out_b;
            lo.backward_bytes = wb * (1 + g / adapter_bits) + 2 * (in_b + 2 * mid + 2 * out_b);
            lo.saved_bytes = mid;  // x·A for B's gradient (x itself is kept with the frozen matrix)
            lo.recompute_flops = full_recompute ? lo.forward_flops : 0;
            lo.recompute_bytes = full_recompute ? lo.forward_bytes : 0;
            finish(lo, 0);
        }
    }

    // The loss (§11.2): log-softmax over the vocabulary per token, cross-entropy against the labels.
    {
        TrainingOp& lo = out.ops.emplace_back();
        lo.name = "loss";
        lo.group = OpGroup::model;
        lo.forward_flops = T * V * detail::kSoftmaxFlopsPerElement;
        lo.backward_flops = lo.forward_flops;
        lo.forward_bytes = T * V * a + T * 4 + T * 4;  // logits, int32 labels in; FP32 loss per token out
        lo.backward_bytes = T * V * a * 2;              // logits in, dlogits out
        lo.saved_bytes = T * V * a;                     // the logits (or their softmax)
        finish(lo, 0);
    }

    if (lora) {
        const std::uint32_t tg = t.lora.targets;
        if (matched == 0) {
            throw Error(ErrorCode::inconsistent, std::string("training.lora.targets match no matrix of this model; ") +
                                                     "known modules: " + lora_target_names());
        }
        if (tg != lora_target::all_linear) {
            for (const TargetInfo& ti : kTargets) {
                if ((tg & ti.flag) && !(matched & ti.flag)) fail_target(ti.flag, "matches no matrix of this model");
            }
        }
    }
    out.lora_params = lora_params;
    out.trainable_params = lora ? lora_params : out.params.total;

    // Totals per device, then for the job.
    TrainingFlops& fl = out.flops;
    fl = TrainingFlops{};
    TrainingTime& tm = out.time;
    tm = TrainingTime{};
    double working = f.memory.activation_bytes;
    for (const TrainingOp& op : out.ops) {
        const double c = static_cast<double>(op.count);
        fl.forward += c * op.forward_flops;
        fl.backward += c * op.backward_flops;
        fl.recompute += c * op.recompute_flops;
        tm.step_s += c * op.time_s;
        tm.compute_s += c * op.compute_time_s;
        tm.memory_s += c * op.memory_time_s;
        if (op.layer_kind >= 0) mem.saved_per_layer_by_kind[static_cast<std::size_t>(op.layer_kind)] += op.saved_bytes;
        else mem.saved_outside_layers_bytes += op.saved_bytes;
        if (is(op.name, "loss")) working = std::max(working, T * V * a + T * 8);
    }

    // §11.3 optimizer step: memory-bound elementwise pass over this device's share of the trainable parameters.
    const double trainable = static_cast<double>(out.trainable_params);
    const double dp = static_cast<double>(t.data_parallel);
    const double wtrain = lora ? adapter_bits : p.ffn_weight_bits;
    const double master = wtrain < 32 ? kMasterBytes : 0;
    const double states = master + (t.optimizer == Optimizer::adam ? kMomentBytes : 0);
    const double per_device = t.zero_stage >= 1 ? trainable / dp : trainable;
    const double opt_bytes_per_param = g / 8 + 2 * states + wtrain / 8 + (master > 0 ? 0 : wtrain / 8);
    out.optimizer_flops_per_device = per_device * (t.optimizer == Optimizer::adam ? kAdamFlopsPerParam : kSgdFlopsPerParam);
    out.optimizer_bytes_per_device = per_device * opt_bytes_per_param;
    if (hw) {
        const double vpeak = hw->peak(ComputeClass::vector) * peak_scale;
        const double oc = vpeak > 0 ? out.optimizer_flops_per_device / vpeak : 0;
        const double om = out.optimizer_bytes_per_device / bw;
        tm.optimizer_s = std::max(oc, om);
        tm.step_s += tm.optimizer_s;
        tm.compute_s += oc;
        tm.memory_s += om;
    }

    fl.forward *= dp;
    fl.backward *= dp;
    fl.recompute *= dp;
    fl.optimizer = out.optimizer_flops_per_device * dp;
    fl.model = fl.forward + fl.backward;
    fl.total = fl.model + fl.recompute + fl.optimizer;
    const double tokens = static_cast<double>(out.tokens_per_step);
    fl.model_flops_per_token = fl.model / tokens;
    fl.six_n = 6 * static_cast<double>(out.params_6n) * tokens;

    // §11.3 throughput and MFU.
    out.peak_flops_s = hw ? hw->peak(compute_class_for_bits(std::max(p.ffn_weight_bits, p.activation_bits))) : 0;
    if (hw && tm.step_s > 0) {
        tm.tokens_per_s = tokens / tm.step_s;
        tm.tokens_per_day = tm.tokens_per_s * kSecondsPerDay;
        if (out.peak_flops_s > 0) tm.roofline_mfu = fl.model / (tm.step_s * out.peak_flops_s * dp);
    }
    if (hw && t.measured_step_time_s > 0 && out.peak_flops_s > 0) {
        tm.has_mfu = true;
        tm.mfu = fl.model / (t.measured_step_time_s * out.peak_flops_s * dp);
        tm.hfu = (fl.model + fl.recompute) / (t.measured_step_time_s * out.peak_flops_s * dp);
    }

    // §11.4-11.5 memory per device.
    double layer_inputs = 0, largest_layer = 0, largest_layer_weights = 0;
    for (std::size_t i = 0; i < m.layer_kinds.size(); ++i) {
        const double n = static_cast<double>(m.layer_kinds[i].count);
        mem.activations_no_recompute_bytes += n * mem.saved_per_layer_by_kind[i];
        layer_inputs += n * T * h * a;
        largest_layer = std::max(largest_layer, mem.saved_per_layer_by_kind[i]);
    }
    mem.activations_no_recompute_bytes += mem.saved_outside_layers_bytes;
    mem.activations_full_recompute_bytes = layer_inputs + largest_layer + mem.saved_outside_layers_bytes;
    mem.activations_saved_bytes = full_recompute ? mem.activations_full_recompute_bytes : mem.activations_no_recompute_bytes;
    mem.activations_working_bytes = working;
    mem.activations_bytes = mem.activations_saved_bytes + working;

    const double base_weights = f.memory.weights_bytes + static_cast<double>(lora_params) * adapter_bits / 8;
    mem.weights_bytes = t.zero_stage >= 3 ? base_weights / dp : base_weights;
    mem.gradients_bytes = trainable * g / 8 / (t.zero_stage >= 2 ? dp : 1);
    mem.optimizer_bytes = trainable * states / (t.zero_stage >= 1 ? dp : 1);
    mem.total_bytes = mem.weights_bytes + mem.gradients_bytes + mem.optimizer_bytes + mem.activations_bytes;
    if (hw) {
        mem.has_fits = true;
        mem.fits = mem.total_bytes <= hw->memory_bytes;
    }
    if (t.zero_stage >= 3 && t.data_parallel > 1) {
        for (std::size_t i = 0; i < m.layer_kinds.size(); ++i) {
            double wsum = 0;
            for (const OpCost& op : f.ops) {
                if (op.layer_kind == static_cast<int>(i)) wsum += op.weight_bytes;
            }
            largest_layer_weights = std::max(largest_layer_weights, wsum);
        }
        mem.zero3_gather_bytes = largest_layer_weights;
        out.warnings.push_back("ZeRO-3 gathers each layer's full weights before using it (about " +
                               detail::format_number(std::round(largest_layer_weights / 1e6)) +
                               " MB for the largest layer); that buffer is not in the total");
    }

    if (t.zero_stage > 0 && t.data_parallel == 1) {
        out.warnings.push_back("ZeRO stage " + std::to_string(t.zero_stage) + " with data_parallel 1 partitions nothing");
    }
    if (t.data_parallel > 1) {
        out.warnings.push_back("the step time leaves out communication: the gradient all-reduce (or ZeRO's "
                               "reduce-scatter and all-gathers) across the " + std::to_string(t.data_parallel) + " devices");
    }
    if (hw && hw->count > 1 && t.data_parallel != hw->count) {
        out.warnings.push_back(hw->name + " is a node of " + std::to_string(hw->count) + " devices; training.data_parallel is " +
                               std::to_string(t.data_parallel));
    }
}

TrainingResult analyze_training(const ModelSpec& model, const TrainingOptions& training, const Precision& precision,
                                const Options& options, const Hardware* hardware) {
    TrainingResult out;
    out.ops.reserve(96);
    out.forward.ops.reserve(64);
    analyze_training_into(out, model, training, precision, options, hardware);
    return out;
}

// ---------------------------------------------------------------------------------------------
// JSON (§11.8)

namespace {

json time_or_null(bool has, double v) { return has && std::isfinite(v) ? json(v) : json(nullptr); }

const char* group_label(OpGroup g) {
    switch (g) {
        case OpGroup::attention: return "attention";
        case OpGroup::ffn: return "ffn";
        default: return "model";
    }
}

}  // namespace

TrainingOptions parse_training(const json& doc) {
    FieldReader r(doc, "training");
    TrainingOptions t;
    t.sequence_length = r.get_int("sequence_length", 1, kMaxSequence);
    t.micro_batch = r.opt_int("micro_batch", 1, kMaxMicroBatch).value_or(1);
    t.data_parallel = r.opt_int("data_parallel", 1, kMaxDataParallel).value_or(1);
    t.optimizer = r.choice("optimizer", {{"adam", Optimizer::adam}, {"adamw", Optimizer::adam}, {"sgd", Optimizer::sgd}},
                              Optimizer::adam);
    t.zero_stage = static_cast<int>(r.opt_int("zero_stage", 0, 3).value_or(0));
    t.recompute = r.choice("recompute", {{"none", Recompute::none}, {"full", Recompute::full}}, Recompute::none);
    t.flash_attention = r.opt_bool("flash_attention").value_or(true);
    t.dropout = r.opt_bool("dropout").value_or(false);
    if (auto bits = r.opt_number("gradient_bits", 1, 64)) {
        if (*bits != 16 && *bits != 32) {
            r.fail(ErrorCode::out_of_range, "gradient_bits is " + detail::format_number(*bits) + "; expected 16 or 32");
        }
        t.gradient_bits = *bits;
    }
    t.measured_step_time_s = r.opt_number("measured_step_time_s", 1e-9, kMaxMeasuredSeconds).value_or(0);
    if (const json* l = r.raw("lora"); l && !l->is_null()) {
        FieldReader lr(*l, "training.lora");
        t.lora.enabled = true;
        t.lora.rank = lr.get_int("rank", 1, kMaxRank);
        if (const json* tg = lr.raw("targets"); tg && !tg->is_null()) {
            auto one = [&](const json& v, const std::string& key) -> std::uint32_t {
                if (!v.is_string()) {
                    lr.fail(ErrorCode::wrong_type, key + " must be a module name (a string), got " + detail::describe_json(v));
                }
                const std::uint32_t flag = lora_target_from_name(v.get_ref<const std::string&>());
                if (flag == 0) {
                    lr.fail(ErrorCode::unknown_name, key + " is " + detail::describe_json(v) + "; expected one of " +
                                                         lora_target_names());
                }
                return flag;
            };
            if (tg->is_string()) {
                t.lora.targets = one(*tg, "targets");
            } else if (tg->is_array()) {
                if (tg->empty()) lr.fail(ErrorCode::out_of_range, "targets is empty; name at least one module");
                if (tg->size() > 64) lr.fail(ErrorCode::out_of_range, "targets has " + std::to_string(tg->size()) + " entries; at most 64");
                t.lora.targets = 0;
                for (std::size_t i = 0; i < tg->size(); ++i) t.lora.targets |= one((*tg)[i], "targets[" + std::to_string(i) + "]");
            } else {
                lr.fail(ErrorCode::wrong_type, "targets must be an array of module names or \"all-linear\", got " +
                                                   detail::describe_json(*tg));
            }
        }
        t.lora.quantized_base = lr.opt_bool("quantized_base").value_or(false);
        lr.reject_unknown();
    }
    r.reject_unknown();
    validate_training(t);
    return t;
}

json training_to_json(const ModelSpec& m, const TrainingResult& res, const TrainingOptions& t, const Hardware* hw) {
    const bool has = hw != nullptr;
    json ops = json::array();
    ops.get_ref<json::array_t&>().reserve(res.ops.size());
    for (const TrainingOp& op : res.ops) {
        const double c = static_cast<double>(op.count);
        json o(json::value_t::object);
        o["name"] = op.name;
        o["kind"] = op.layer_kind >= 0 ? m.layer_kinds[static_cast<std::size_t>(op.layer_kind)].label : "model";
        o["layer_kind"] = op.layer_kind;
        o["group"] = group_label(op.group);
        o["type"] = op.is_matmul ? "matmul" : "elementwise";
        o["precision"] = compute_class_name(op.compute);
        o["count"] = op.count;
        o["trainable"] = op.trainable;
        o["forward_flops"] = op.forward_flops;
        o["backward_flops"] = op.backward_flops;
        o["recompute_flops"] = op.recompute_flops;
        o["forward_bytes"] = op.forward_bytes;
        o["backward_bytes"] = op.backward_bytes;
        o["recompute_bytes"] = op.recompute_bytes;
        o["saved_bytes"] = op.saved_bytes;
        o["total_flops"] = c * op.flops();
        o["bound"] = has ? json(op.memory_time_s >= op.compute_time_s ? "memory" : "compute") : json(nullptr);
        o["compute_time_s"] = time_or_null(has, op.compute_time_s);
        o["memory_time_s"] = time_or_null(has, op.memory_time_s);
        o["time_s"] = time_or_null(has, op.time_s);
        o["total_time_s"] = time_or_null(has, c * op.time_s);
        ops.push_back(std::move(o));
    }
    const TrainingFlops& fl = res.flops;
    const TrainingTime& tm = res.time;
    const TrainingMemory& mem = res.memory;
    const double measured = t.measured_step_time_s;
    json per_layer = json::array();
    for (std::size_t i = 0; i < m.layer_kinds.size(); ++i) {
        per_layer.push_back({{"kind", m.layer_kinds[i].label},
                             {"count", m.layer_kinds[i].count},
                             {"bytes_per_layer", mem.saved_per_layer_by_kind[i]}});
    }
    json lora = nullptr;
    if (t.lora.enabled) {
        json targets = json::array();
        if (t.lora.targets == lora_target::all_linear) {
            targets.push_back("all-linear");
        } else {
            for (const TargetInfo& ti : kTargets) {
                if (t.lora.targets & ti.flag) targets.push_back(ti.name);
            }
        }
        lora = {{"rank", t.lora.rank},
                {"targets", targets},
                {"quantized_base", t.lora.quantized_base},
                {"trainable_params", res.lora_params},
                {"base_weight_bits", res.lora_base_weight_bits},
                {"adapter_bits", res.precision.activation_bits}};
    }
    json warnings = m.warnings;
    for (const auto& w : res.warnings) warnings.push_back(w);
    const ResolvedPrecision& rp = res.precision;
    return {
        {"training", {{"sequence_length", t.sequence_length},
                      {"micro_batch", t.micro_batch},
                      {"data_parallel", t.data_parallel},
                      {"tokens_per_device", res.tokens_per_device},
                      {"tokens_per_step", res.tokens_per_step},
                      {"optimizer", t.optimizer == Optimizer::adam ? "adam" : "sgd"},
                      {"zero_stage", t.zero_stage},
                      {"recompute", t.recompute == Recompute::full ? "full" : "none"},
                      {"flash_attention", t.flash_attention},
                      {"dropout", t.dropout},
                      {"gradient_bits", t.gradient_bits},
                      {"measured_step_time_s", measured > 0 ? json(measured) : json(nullptr)}}},
        {"precision", {{"attention_weight_bits", rp.attention_weight_bits},
                       {"ffn_weight_bits", rp.ffn_weight_bits},
                       {"embedding_bits", rp.embedding_bits},
                       {"activation_bits", rp.activation_bits},
                       {"other_weight_bits", rp.other_weight_bits}}},
        {"params", {{"total", res.params.total},
                    {"active", res.params.active},
                    {"trainable", res.trainable_params},
                    {"params_6n", res.params_6n}}},
        {"flops", {{"forward", fl.forward},
                   {"backward", fl.backward},
                   {"recompute", fl.recompute},
                   {"optimizer", fl.optimizer},
                   {"total", fl.total},
                   {"model", fl.model},
                   {"model_flops_per_token", fl.model_flops_per_token},
                   {"six_n", fl.six_n}}},
        {"ops", ops},
        {"time", {{"step_s", time_or_null(has, tm.step_s)},
                  {"compute_s", time_or_null(has, tm.compute_s)},
                  {"memory_s", time_or_null(has, tm.memory_s)},
                  {"optimizer_s", time_or_null(has, tm.optimizer_s)},
                  {"tokens_per_s", time_or_null(has && tm.step_s > 0, tm.tokens_per_s)},
                  {"tokens_per_day", time_or_null(has && tm.step_s > 0, tm.tokens_per_day)},
                  {"roofline_mfu", time_or_null(has && tm.step_s > 0, tm.roofline_mfu)},
                  {"peak_flops_s", time_or_null(has, res.peak_flops_s)},
                  {"mfu", time_or_null(tm.has_mfu, tm.mfu)},
                  {"hfu", time_or_null(tm.has_mfu, tm.hfu)},
                  {"measured_tokens_per_day",
                   time_or_null(measured > 0, static_cast<double>(res.tokens_per_step) / measured * kSecondsPerDay)}}},
        {"memory", {{"weights_bytes", mem.weights_bytes},
                    {"gradients_bytes", mem.gradients_bytes},
                    {"optimizer_bytes", mem.optimizer_bytes},
                    {"activations_bytes", mem.activations_bytes},
                    {"total_bytes", mem.total_bytes},
                    {"fits", mem.has_fits ? json(mem.fits) : json(nullptr)},
                    {"device_memory_bytes", has ? json(hw->memory_bytes) : json(nullptr)},
                    {"zero3_gather_bytes", mem.zero3_gather_bytes},
                    {"activations", {{"saved_bytes", mem.activations_saved_bytes},
                                     {"working_bytes", mem.activations_working_bytes},
                                     {"no_recompute_bytes", mem.activations_no_recompute_bytes},
                                     {"full_recompute_bytes", mem.activations_full_recompute_bytes},
                                     {"outside_layers_bytes", mem.saved_outside_layers_bytes},
                                     {"per_layer", per_layer}}}}},
        {"lora", lora},
        {"warnings", warnings}};
}

json training_request(const json& request) {
    const Request p = parse_request(request, {"training"});
    const auto it = request.find("training");
    if (it == request.end() || it->is_null()) {
        throw Error(ErrorCode::missing_field,
                    "request.training is required (an object such as {\"sequence_length\": 4096, \"micro_batch\": 1})");
    }
    TrainingOptions t = parse_training(*it);
    // flash_attention follows options.attention unless given; both given and different is an error.
    const bool flash_given = it->contains("flash_attention") && !(*it)["flash_attention"].is_null();
    const auto opts = request.find("options");
    const bool attention_given = opts != request.end() && opts->is_object() && opts->contains("attention") &&
                                 !(*opts)["attention"].is_null();
    const bool options_fused = p.options.attention == AttentionImpl::fused;
    if (!flash_given) {
        t.flash_attention = options_fused;
    } else if (attention_given && t.flash_attention != options_fused) {
        throw Error(ErrorCode::inconsistent, std::string("training.flash_attention is ") +
                                                 (t.flash_attention ? "true" : "false") + " but options.attention is \"" +
                                                 (options_fused ? "fused" : "unfused") + "\"; give one of them");
    }
    TrainingResult res = analyze_training(p.model, t, p.precision, p.options, p.device());
    const auto wl = request.find("workload");
    if (wl != request.end() && !wl->is_null()) {
        res.warnings.push_back("workload is ignored for training: training.sequence_length, micro_batch and "
                               "data_parallel define the tokens of a step");
    }
    return training_to_json(p.model, res, t, p.device());
}

}  // namespace llmcalc
