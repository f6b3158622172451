// Parameter counts (FORMULAS.md §2).
#include "formulas.hpp"
#include "llmcalc/model.hpp"

namespace llmcalc {

using detail::add;
using detail::mul;

ParamCounts count_parameters(const ModelSpec& m) {
    ParamCounts p;
    const std::int64_t h = m.hidden_size;
    const std::int64_t ew = m.embedding_width();
    p.embedding = mul(m.vocab_size, ew);
    p.embedding = add(p.embedding, mul(m.position_rows, ew));
    if (ew != h) p.embedding = add(p.embedding, mul(2, mul(ew, h)));  // project_in, project_out (OPT)
    if (m.embedding_norm) p.embedding = add(p.embedding, detail::norm_params(m, ew));
    p.lm_head = m.tie_word_embeddings ? 0 : mul(m.vocab_size, ew);
    if (m.lm_head_bias) p.lm_head = add(p.lm_head, m.vocab_size);
    p.norms = m.final_norm ? detail::norm_params(m) : 0;
    std::int64_t skipped_experts = 0;  // routed-expert parameters a token does not use
    for (const LayerKind& k : m.layer_kinds) {
        const detail::LayerParams lp = detail::layer_params(m, k);
        const std::int64_t n = k.count;
        p.attention = add(p.attention, mul(n, add(lp.attn_matrix, add(lp.attn_bias, lp.attn_other))));
        p.ssm = add(p.ssm, mul(n, add(lp.ssm_matrix, lp.ssm_other)));
        p.norms = add(p.norms, mul(n, lp.norms));
        p.ffn_dense = add(p.ffn_dense, mul(n, add(lp.ffn_matrix, lp.ffn_bias)));
        p.router = add(p.router, mul(n, lp.router));
        const std::int64_t one_expert = add(lp.expert_matrix, lp.expert_bias);
        p.experts_routed = add(p.experts_routed, mul(n, mul(k.ffn.num_experts, one_expert)));
        p.experts_shared = add(p.experts_shared, mul(n, add(lp.shared_matrix, lp.shared_gate)));
        if (k.ffn.kind == FfnKind::moe) {
            skipped_experts = add(skipped_experts,
                                  mul(n, mul(k.ffn.num_experts - k.ffn.experts_per_token, one_expert)));
        }
    }
    p.total = p.embedding;
    for (std::int64_t part : {p.attention, p.ssm, p.ffn_dense, p.experts_routed, p.experts_shared, p.router, p.norms, p.lm_head}) {
        p.total = add(p.total, part);
    }
    p.active = p.total - skipped_experts;
    if (m.mtp_layers > 0) {
        // Each MTP module: two input norms, a (2h x h) projection, a decoder layer, an output norm.
        const detail::LayerParams lp = detail::layer_params(m, m.mtp_layer);
        const std::int64_t one = add(add(mul(3, detail::norm_params(m)), mul(mul(2, h), h)),
                                     detail::layer_total(lp, m.mtp_layer.ffn.num_experts));
        p.mtp = mul(m.mtp_layers, one);
    }
    p.vision = m.vision_params;
    return p;
}

}  // namespace llmcalc
