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

namespace llmcalc::cli {

namespace {

double num_or(const json& j, const char* key, double def = NAN) {
    const auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<double>() : def;
}

std::string fmt_time(const json& j, const char* key) {
    const double v = num_or(j, key);
    return std::isfinite(v) ? seconds(v) : "-";
}

std::string row(const std::vector<std::string>& cells) {
    std::string s;
    for (std::size_t i = 0; i < cells.size(); ++i) s += (i ? "  " : "") + pad(cells[i], i == 0 ? 10 : 12, i > 0);
    return s + "\n";
}

std::string generation_table(const json& r) {
    const json& g = r["generation"];
    std::string out;
    out += "Request      " + std::to_string(g["batch_size"].get<std::int64_t>()) + " × (" +
           with_commas(g["prompt_tokens"].get<double>()) + " prompt tokens → " +
           with_commas(g["output_tokens"].get<double>()) + " output tokens)\n";
    out += "TTFT         " + fmt_time(r, "ttft_s") + "   (prefill: " + si(num_or(r, "prefill_tokens_per_s"), "tokens/s") + ")\n";
    out += "TPOT         first " + fmt_time(r, "tpot_first_s") + " · mean " + fmt_time(r, "tpot_mean_s") + " · last " +
           fmt_time(r, "tpot_last_s") + "\n";
    out += "End to end   " + fmt_time(r, "e2e_s") + "   (decode " + fmt_time(r, "decode_s") + " over " +
           with_commas(num_or(r, "decode_steps", 0)) + " steps)\n";
    out += "Throughput   " + si(num_or(r, "output_tokens_per_s"), "tokens/s") + " output (batch) · " +
           si(num_or(r, "request_tokens_per_s"), "tokens/s") + " per request\n";
    out += "Memory       peak " + iec_bytes(num_or(r, "peak_memory_bytes")) + " (" + si(num_or(r, "peak_memory_bytes"), "B") +
           ")" + (r.value("fits", true) ? "" : " — does NOT fit on one device") + "\n";
    return out;
}

std::string capacity_table(const json& r) {
    const json& c = r["capacity"];
    std::string out;
    out += "Budget       " + si(num_or(r, "budget_bytes"), "B") + " (" + fmt3(100 * num_or(c, "memory_fraction")) + " % of " +
           std::to_string(c["devices"].get<std::int64_t>()) + " device(s))\n";
    out += "Weights      " + iec_bytes(num_or(r, "weights_bytes")) + " (" + si(num_or(r, "weights_bytes"), "B") + "), all experts\n";
    out += "KV cache     " + iec_bytes(num_or(r, "kv_bytes_per_token", 0)) + " per token";
    if (num_or(r, "state_bytes_per_sequence", 0) > 0) out += " + " + iec_bytes(num_or(r, "state_bytes_per_sequence")) + " state per sequence";
    out += "\n";
    const double tokens = num_or(r, "kv_token_capacity");
    out += "KV capacity  " + (std::isfinite(tokens) ? with_commas(tokens) + " tokens" : std::string("unlimited (no per-token cache)")) + "\n";
    out += "Max batch    " + with_commas(num_or(r, "max_batch", 0)) + " sequences at " + with_commas(num_or(c, "context")) + " tokens\n";
    out += "Max context  " + (r.value("max_context_unbounded", false) ? std::string("unbounded by memory")
                                                                      : with_commas(num_or(r, "max_context", 0)) + " tokens") +
           " at batch " + with_commas(num_or(c, "batch_size")) + "\n";
    out += "Devices      " + with_commas(num_or(r, "min_devices", 0)) + " needed for batch " + with_commas(num_or(c, "batch_size")) +
           " at " + with_commas(num_or(c, "context")) + " tokens\n";
    const json& act = r["prefill_activation_bytes"];
    out += "Activations  prefill of " + with_commas(num_or(c, "prompt_tokens")) + ": " + iec_bytes(num_or(act, "fused")) +
           " (FlashAttention) · " + iec_bytes(num_or(act, "unfused")) + " (materialised scores) · " +
           iec_bytes(num_or(act, "chunked")) + " (chunked)\n";
    return out;
}

std::string parallel_table(const json& r) {
    std::string out = row({"layout", "fits", "weights/dev", "KV/dev", "total/dev", "step", "comm", "tokens/s"});
    const auto& layouts = r.value("layouts", json::array());
    const std::int64_t best = r.value("best", std::int64_t{-1});
    std::int64_t i = 0;
    for (const auto& l : layouts) {
        const json& d = l.value("per_device", json::object());
        const json& t = l.value("time", json::object());
        const std::string name = "TP" + std::to_string(l.value("tp", 0)) + " PP" + std::to_string(l.value("pp", 0)) + " EP" +
                                 std::to_string(l.value("ep", 0)) + " DP" + std::to_string(l.value("dp", 0));
        out += row({(i == best ? "* " : "  ") + name, l.value("fits", false) ? "yes" : "NO", iec_bytes(num_or(d, "weights_bytes")),
                    iec_bytes(num_or(d, "kv_cache_bytes")), iec_bytes(num_or(d, "total_bytes")), fmt_time(t, "step_s"),
                    fmt_time(t, "communication_s"), si(num_or(t, "tokens_per_s"), "")});
        ++i;
    }
    return out;
}

std::string training_table(const json& r) {
    std::string out;
    const json& f = r.value("flops", json::object());
    const json& t = r.value("time", json::object());
    const json& m = r.value("memory", json::object());
    const json& p = r.value("params", json::object());
    out += "Parameters   " + with_commas(num_or(p, "total", 0)) + " total · " + with_commas(num_or(p, "trainable", 0)) + " trainable\n";
    out += "FLOPs/step   forward " + si(num_or(f, "forward"), "FLOP") + " · backward " + si(num_or(f, "backward"), "FLOP") +
           " · recompute " + si(num_or(f, "recompute", 0), "FLOP") + " · total " + si(num_or(f, "total"), "FLOP") + "\n";
    out += "             per token: model " + si(num_or(f, "model_flops_per_token"), "FLOP") + " (6·N·tokens for the step: " +
           si(num_or(f, "six_n"), "FLOP") + ")\n";
    out += "Step time    " + fmt_time(t, "step_s") + " · " + si(num_or(t, "tokens_per_s"), "tokens/s") + " · " +
           si(num_or(t, "tokens_per_day"), "tokens/day");
    if (std::isfinite(num_or(t, "mfu"))) out += " · MFU " + fmt3(100 * num_or(t, "mfu")) + " %";
    out += "\n";
    out += "Memory/dev   weights " + iec_bytes(num_or(m, "weights_bytes")) + " · gradients " + iec_bytes(num_or(m, "gradients_bytes")) +
           " · optimizer " + iec_bytes(num_or(m, "optimizer_bytes")) + " · activations " + iec_bytes(num_or(m, "activations_bytes")) +
           " · total " + iec_bytes(num_or(m, "total_bytes")) + " (" + si(num_or(m, "total_bytes"), "B") + ")\n";
    return out;
}

std::string csv_cell(const json& v) {
    if (v.is_null()) return "";
    if (v.is_string()) {
        const auto& s = v.get_ref<const std::string&>();
        if (s.find_first_of(",\"\n") == std::string::npos) return s;
        std::string q = "\"";
        for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
        return q + "\"";
    }
    if (v.is_number_float()) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", v.get<double>());
        return buf;
    }
    return v.dump();
}

// Flatten one level of nested objects: {"time": {"step_s": 1}} -> time.step_s
void flatten(const json& j, const std::string& prefix, std::vector<std::pair<std::string, json>>& out) {
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
        if (it->is_object()) flatten(*it, key, out);
        else if (!it->is_array()) out.emplace_back(key, *it);
    }
}

std::string rows_csv(const json& rows) {
    std::string out;
    bool header = false;
    for (const auto& r : rows) {
        std::vector<std::pair<std::string, json>> cells;
        flatten(r, "", cells);
        if (!header) {
            for (std::size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + cells[i].first;
            out += "\n";
            header = true;
        }
        for (std::size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + csv_cell(cells[i].second);
        out += "\n";
    }
    return out;
}

}  // namespace

std::string planning_table(const std::string& command, const json& r) {
    if (command == "generate") return generation_table(r);
    if (command == "capacity") return capacity_table(r);
    if (command == "parallel") return parallel_table(r);
    return training_table(r);
}

std::string planning_csv(const std::string& command, const json& r) {
    if (command == "generate") {
        const json& s = r["series"];
        std::string out = "step,context,time_s,memory_bound_share,kv_cache_bytes\n";
        for (std::size_t i = 0; i < s["step"].size(); ++i) {
            out += csv_cell(s["step"][i]) + "," + csv_cell(s["context"][i]) + "," + csv_cell(s["time_s"][i]) + "," +
                   csv_cell(s["memory_bound_share"][i]) + "," + csv_cell(s["kv_cache_bytes"][i]) + "\n";
        }
        return out;
    }
    if (command == "parallel") return rows_csv(r.value("layouts", json::array()));
    if (command == "train") return rows_csv(r.value("ops", json::array()));
    std::vector<std::pair<std::string, json>> cells;
    flatten(r, "", cells);
    std::string out = "name,value\n";
    for (const auto& [k, v] : cells) out += k + "," + csv_cell(v) + "\n";
    return out;
}

}  // namespace llmcalc::cli
