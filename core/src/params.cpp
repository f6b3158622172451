// Parameter counts (FORMULAS.md §2).
#include "formulas.hpp"
#include "llmcalc/model.hpp"

namespace llmcalc {

using detail::add;
using detail::mul;

ParamCounts count_parameters(const ModelSpec& m) {
    ParamCounts p;
    p.embedding = mul(m.vocab_size, m.hidden_size);
    p.lm_head = m.tie_word_embeddings ? 0 : mul(m.vocab_size, m.hidden_size);
    p.norms = detail::norm_params(m);  // final norm
    std::int64_t skipped_experts = 0;  // routed-expert parameters a token does not use
    for (const LayerKind& k : m.layer_kinds) {
        const detail::LayerParams lp = detail::layer_params(m, k);
        const std::int64_t n = k.count;
        p.attention = add(p.attention, mul(n, add(lp.attn_matrix, lp.attn_bias)));
        p.norms = add(p.norms, mul(n, add(lp.norms, lp.qk_norm)));
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
    for (std::int64_t part : {p.attention, p.ffn_dense, p.experts_routed, p.experts_shared, p.router, p.norms, p.lm_head}) {
        p.total = add(p.total, part);
    }
    p.active = p.total - skipped_experts;
    return p;
}

}  // namespace llmcalc
