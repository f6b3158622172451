#include "format.hpp"

#include <cmath>
#include <cstdio>
#include <vector>

namespace llmcalc::cli {

using nlohmann::json;

namespace {

std::string fmt3(double v) {
    char buf[32];
    const double a = std::fabs(v);
    if (a >= 100 || a == 0) std::snprintf(buf, sizeof buf, "%.0f", v);
    else if (a >= 10) std::snprintf(buf, sizeof buf, "%.1f", v);
    else std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

std::string with_commas(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    std::string s = buf, out;
    const std::size_t start = (s[0] == '-') ? 1 : 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        out += s[i];
        const std::size_t left = s.size() - i - 1;
        if (i >= start && left > 0 && left % 3 == 0) out += ',';
    }
    return out;
}

std::string num(const json& v) { return v.is_number() ? fmt3(v.get<double>()) : "-"; }

std::string pad(const std::string& s, std::size_t w, bool right) {
    // Count UTF-8 code points, not bytes, so "µs" and "·" align.
    std::size_t len = 0;
    for (unsigned char c : s) len += (c & 0xC0) != 0x80;
    if (len >= w) return s;
    return right ? std::string(w - len, ' ') + s : s + std::string(w - len, ' ');
}

}  // namespace

std::string si(double value, const char* unit) {
    static const char* prefixes[] = {"", "k", "M", "G", "T", "P", "E", "Z"};
    int i = 0;
    double v = value;
    while (std::fabs(v) >= 999.5 && i < 7) {
        v /= 1000;
        ++i;
    }
    return fmt3(v) + " " + prefixes[i] + unit;
}

std::string iec_bytes(double bytes) {
    static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    int i = 0;
    double v = bytes;
    while (std::fabs(v) >= 1023.5 && i < 6) {
        v /= 1024;
        ++i;
    }
    return fmt3(v) + " " + units[i];
}

std::string seconds(double s) {
    if (s == 0) return "0 s";
    if (s < 1e-6) return fmt3(s * 1e9) + " ns";
    if (s < 1e-3) return fmt3(s * 1e6) + " µs";
    if (s < 1) return fmt3(s * 1e3) + " ms";
    return fmt3(s) + " s";
}

std::string analysis_table(const json& r) {
    const bool hw = !r["hardware"].is_null();
    std::string out;
    struct Col { const char* head; bool right; };
    std::vector<Col> cols = {{"#", true}, {"operator", false}, {"layers", false}, {"×", true}, {"FLOPs", true},
                             {"weights", true}, {"act in", true}, {"act out", true}, {"KV r+w", true},
                             {"FLOP/B", true}};
    if (hw) {
        cols.push_back({"bound", false});
        cols.push_back({"time", true});
        cols.push_back({"× count", true});
    }
    std::vector<std::vector<std::string>> rows;
    int idx = 0;
    for (const auto& op : r["ops"]) {
        std::vector<std::string> row = {
            std::to_string(++idx), op["name"].get<std::string>(), op["kind"].get<std::string>(),
            std::to_string(op["count"].get<std::int64_t>()), si(op["flops"].get<double>(), "FLOP"),
            iec_bytes(op["weight_bytes"].get<double>()), iec_bytes(op["input_bytes"].get<double>()),
            iec_bytes(op["output_bytes"].get<double>()),
            iec_bytes(op["kv_read_bytes"].get<double>() + op["kv_write_bytes"].get<double>()),
            num(op["intensity"])};
        if (hw) {
            row.push_back(op["bound"].get<std::string>());
            row.push_back(seconds(op["time_s"].get<double>()));
            row.push_back(seconds(op["total_time_s"].get<double>()));
        }
        rows.push_back(row);
    }
    std::vector<std::size_t> width(cols.size());
    for (std::size_t c = 0; c < cols.size(); ++c) {
        width[c] = pad(cols[c].head, 0, false).size();
        for (const auto& row : rows) {
            std::size_t len = 0;
            for (unsigned char ch : row[c]) len += (ch & 0xC0) != 0x80;
            width[c] = std::max(width[c], len);
        }
    }
    auto line = [&](const std::vector<std::string>& cells) {
        std::string s;
        for (std::size_t c = 0; c < cols.size(); ++c) s += (c ? "  " : "") + pad(cells[c], width[c], cols[c].right);
        while (!s.empty() && s.back() == ' ') s.pop_back();
        return s + "\n";
    };
    std::vector<std::string> head;
    for (const auto& c : cols) head.push_back(c.head);
    out += line(head);
    for (const auto& row : rows) out += line(row);
    out += "\n";

    const json& m = r["model"];
    const json& p = r["params"];
    const json& mem = r["memory"];
    const json& t = r["totals"];
    const json& w = r["workload"];
    const json& pr = r["precision"];
    auto gib_gb = [](double b) { return iec_bytes(b) + " (" + si(b, "B") + ")"; };
    out += "Model       " + m["model_type"].get<std::string>() + " · " + std::to_string(m["num_layers"].get<int>()) +
           " layers · hidden " + std::to_string(m["hidden_size"].get<int>()) + " · vocab " +
           std::to_string(m["vocab_size"].get<int>()) + "\n";
    out += "Parameters  " + with_commas(p["total"].get<double>()) + " total (" + si(p["total"].get<double>(), "") +
           ") · " + with_commas(p["active"].get<double>()) + " active\n";
    out += "            embedding " + si(p["embedding"].get<double>(), "") + " · attention " +
           si(p["attention"].get<double>(), "") + " · FFN/experts " + si(p["ffn"].get<double>(), "") + " · norms " +
           si(p["norms"].get<double>(), "") + " · LM head " + si(p["lm_head"].get<double>(), "") + "\n";
    out += "Workload    " + std::to_string(w["sequences"].get<std::int64_t>()) + " sequences · " +
           with_commas(w["new_tokens"].get<double>()) + " new tokens · " +
           with_commas(w["context_tokens"].get<double>()) + " context tokens · weights " +
           fmt3(pr["attention_weight_bits"].get<double>()) + "/" + fmt3(pr["ffn_weight_bits"].get<double>()) +
           " bit (attn/FFN), activations " + fmt3(pr["activation_bits"].get<double>()) + " bit, KV " +
           fmt3(pr["kv_cache_bits"].get<double>()) + " bit\n";
    out += "KV cache    " + iec_bytes(r["kv_cache"]["bytes_per_token"].get<double>()) + " per token · " +
           gib_gb(r["kv_cache"]["bytes"].get<double>()) + " for this batch\n";
    out += "Memory      weights " + gib_gb(mem["weights_bytes"].get<double>()) + " · KV cache " +
           gib_gb(mem["kv_cache_bytes"].get<double>()) + " · activations " +
           gib_gb(mem["activation_bytes"].get<double>()) + " · total " + gib_gb(mem["total_bytes"].get<double>()) + "\n";
    out += "Work        " + si(t["flops"].get<double>(), "FLOP") + " · " + si(t["bytes"].get<double>(), "B") +
           " moved · intensity " + num(t["intensity"]) + " FLOP/B\n";
    if (hw) {
        const json& h = r["hardware"];
        out += "Hardware    " + h["name"].get<std::string>() + " · " + si(h["bandwidth_bytes_s"].get<double>(), "B/s") +
               " · ridge point " + num(h["ridge_point"]) + " FLOP/B\n";
        out += "Time        " + seconds(t["time_s"].get<double>()) + " for this step (compute " +
               seconds(t["compute_time_s"].get<double>()) + ", memory " + seconds(t["memory_time_s"].get<double>()) +
               ") · " + (t["tokens_per_s"].is_number() ? si(t["tokens_per_s"].get<double>(), "tokens/s") : "-") + "\n";
        out += std::string("Fits        ") + (h["fits"].get<bool>() ? "yes" : "NO") + ": " +
               si(mem["total_bytes"].get<double>(), "B") + " of " + si(h["memory_bytes"].get<double>(), "B") + " (" +
               fmt3(100 * h["memory_fraction"].get<double>()) + " %)\n";
    }
    return out;
}

std::string presets_table(const json& list) {
    std::string out = "Model presets (llmcalc analyze ID):\n";
    for (const auto& m : list["models"]) {
        out += "  " + pad(m["id"].get<std::string>(), 26, false) + pad(m["model_type"].get<std::string>(), 11, false) +
               m["name"].get<std::string>() + "\n";
    }
    out += "\nHardware presets (--hardware ID):\n";
    for (const auto& h : list["hardware"]) {
        out += "  " + pad(h["id"].get<std::string>(), 22, false) + pad(h.value("name", ""), 34, false) +
               fmt3(h["memory_gb"].get<double>()) + " GB, " + fmt3(h["memory_bandwidth_gbs"].get<double>()) +
               " GB/s\n";
    }
    return out;
}

}  // namespace llmcalc::cli
