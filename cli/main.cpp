// llmcalc command-line tool: files and printing around the core.
// Exit status: 0 ok, 2 bad input (one line on stderr), 3 internal error.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "format.hpp"
#include "llmcalc/api.hpp"
#include "llmcalc/error.hpp"
#include "llmcalc/parallel.hpp"
#include "llmcalc/planning.hpp"
#include "llmcalc/presets.hpp"
#include "llmcalc/training.hpp"

namespace {

using llmcalc::Error;
using llmcalc::ErrorCode;
using nlohmann::json;

const char* kUsage = R"(llmcalc — LLM inference calculator: parameters, memory, FLOPs and bytes per
operator, roofline time. Same core as the web calculator.

Usage:
  llmcalc analyze CONFIG [options]    one step of a workload: per-operator FLOPs, bytes, time
  llmcalc generate CONFIG [options]   a request's timeline: time to first token, per-token time
  llmcalc capacity CONFIG [options]   what fits: largest batch, longest context, devices needed
  llmcalc parallel CONFIG [options]   tensor/pipeline/expert/data-parallel layouts, ranked
  llmcalc train CONFIG [options]      training FLOPs, step time, MFU and memory per device
  llmcalc presets [--format table|json]   list model and hardware presets
  llmcalc --help | --version

CONFIG is a Hugging Face config.json, a preset file, or a model preset id
(see `llmcalc presets`).

Workload (one step: prefill, decode or mixed):
  --input-tokens N...     new tokens per query (default 1). One value, or one per query.
  --cached-tokens N...    tokens already in the KV cache per query (default 0).
                          Prefill: --cached-tokens 0; decode: --input-tokens 1.
  --batch-size B          the query list is repeated B times (default 1)

Hardware:
  --hardware NAME|FILE    a hardware preset id or a hardware JSON file (times, roofline)
  --compute-efficiency F  achieved fraction of peak FLOP/s, 0 < F <= 1 (default 1)
  --bandwidth-efficiency F  achieved fraction of peak bandwidth (default 1)

Precision (bits per value; any width from 1 to 64, e.g. 4.5 for group-quantised):
  --weight-bits b         attention and FFN weights (default: torch_dtype / quantization_config)
  --attn-bits b           attention weights only
  --ffn-bits b            FFN / expert weights only
  --embed-bits b          embedding and LM head (default: torch_dtype)
  --act-bits b            activations (default 16)
  --kv-bits b             KV cache (default 16)

Conventions:
  --flops-convention 2mnk|exact   GEMM FLOPs as 2·m·n·k (default) or m·n·(2k−1)
  --causal triangle|square        prefill attention over the causal triangle (default) or full square
  --lm-head last|all              logits for the last token of each query (default) or every token
  --attention fused|unfused       scores stay on chip (FlashAttention, default) or are materialised
  --mla auto|absorbed|naive       MLA attention: absorb W_UK/W_UV or decompress K/V (auto: absorbed
                                  when every query decodes one token)

generate:  --prompt-tokens P  --output-tokens G  --batch-size B  [--cached-tokens C] [--series-points N]
           (needs --hardware; decode time is summed over every step as the context grows)
capacity:  --context L (for the largest batch)  --batch-size B (for the longest context)
           --memory-fraction F (default 0.9)  --devices N  --prompt-tokens P  --prefill-chunk C
parallel:  --devices N  [--tp T --pp P --ep E --dp D]  --rank-by latency|throughput
           --memory-fraction F  --interconnect ID  --inter-node ID   (workload as for analyze)
train:     --seq-len S  --micro-batch M  --dp D  --optimizer adam|sgd  --zero 0..3
           --recompute none|full  --no-flash  --gradient-bits 16|32  --measured-step-time SECONDS
           --lora-rank R  --lora-targets q_proj v_proj ...|all-linear  --qlora

Output:
  --format table|json|csv         table (default), the full JSON document, or CSV (analyze: one row
                                  per operator; generate: the per-step series; parallel: one row per
                                  layout; train: one row per operator; capacity: name,value rows)

Exit status: 0 on success, 2 on bad input (one line on stderr), 3 on an internal error.
)";

[[noreturn]] void fail(const std::string& message) { throw Error(ErrorCode::unknown_name, message); }

double parse_number(const std::string& flag, const std::string& text) {
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(v)) {
        throw Error(ErrorCode::wrong_type, flag + " expects a number, got \"" + text + "\"");
    }
    return v;
}

json parse_integer(const std::string& flag, const std::string& text) {
    const double v = parse_number(flag, text);
    if (v != std::floor(v)) throw Error(ErrorCode::wrong_type, flag + " expects an integer, got \"" + text + "\"");
    if (v < 0) throw Error(ErrorCode::out_of_range, flag + " must not be negative, got " + text);
    if (v > 9e15) throw Error(ErrorCode::out_of_range, flag + " is too large: " + text);
    return json(static_cast<std::int64_t>(v));
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorCode::unknown_name, "cannot read " + path + ": " + std::strerror(errno));
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool file_exists(const std::string& path) {
    std::ifstream in(path);
    return static_cast<bool>(in);
}

bool looks_like_path(const std::string& s) {
    return s.find('/') != std::string::npos || (s.size() > 5 && s.compare(s.size() - 5, 5, ".json") == 0);
}

json load_model(const std::string& arg) {
    if (file_exists(arg) || looks_like_path(arg)) {
        const json doc = llmcalc::parse_json_text(read_file(arg), "config");
        return llmcalc::presets::config_of(doc);
    }
    return llmcalc::presets::config_of(llmcalc::presets::model(arg));
}

json load_hardware(const std::string& arg) {
    if (file_exists(arg) || looks_like_path(arg)) return llmcalc::parse_json_text(read_file(arg), "hardware");
    return llmcalc::presets::hardware(arg);
}

int cmd_presets(const std::vector<std::string>& args) {
    std::string format = "table";
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--format" && i + 1 < args.size()) format = args[++i];
        else fail("presets: unknown argument \"" + args[i] + "\"");
    }
    const json list = llmcalc::presets::list();
    if (format == "json") {
        std::cout << list.dump(2) << "\n";
    } else if (format == "table") {
        std::cout << llmcalc::cli::presets_table(list);
    } else {
        fail("--format must be table or json for presets, got \"" + format + "\"");
    }
    return 0;
}

// Flags of a planning subcommand, written into its section of the request.
enum class Kind { integer, number, text, flag, list };
struct SectionFlag {
    const char* flag;
    const char* key;
    Kind kind;
};

struct Command {
    const char* name;
    const char* section;  // request key of the subcommand's own options, or nullptr
    std::vector<SectionFlag> flags;
};

const std::vector<Command>& commands() {
    static const std::vector<Command> list = {
        {"analyze", nullptr, {}},
        {"generate", "generation",
         {{"--prompt-tokens", "prompt_tokens", Kind::integer}, {"--output-tokens", "output_tokens", Kind::integer},
          {"--batch-size", "batch_size", Kind::integer}, {"--cached-tokens", "cached_tokens", Kind::integer},
          {"--series-points", "series_points", Kind::integer}}},
        {"capacity", "capacity",
         {{"--context", "context", Kind::integer}, {"--batch-size", "batch_size", Kind::integer},
          {"--memory-fraction", "memory_fraction", Kind::number}, {"--devices", "devices", Kind::integer},
          {"--prompt-tokens", "prompt_tokens", Kind::integer}, {"--prefill-chunk", "prefill_chunk", Kind::integer}}},
        {"parallel", "parallel",
         {{"--devices", "devices", Kind::integer}, {"--tp", "tp", Kind::integer}, {"--pp", "pp", Kind::integer},
          {"--ep", "ep", Kind::integer}, {"--dp", "dp", Kind::integer}, {"--rank-by", "rank_by", Kind::text},
          {"--memory-fraction", "memory_fraction", Kind::number}, {"--interconnect", "interconnect", Kind::text},
          {"--inter-node", "inter_node", Kind::text}}},
        {"train", "training",
         {{"--seq-len", "sequence_length", Kind::integer}, {"--micro-batch", "micro_batch", Kind::integer},
          {"--dp", "data_parallel", Kind::integer}, {"--optimizer", "optimizer", Kind::text},
          {"--zero", "zero_stage", Kind::integer}, {"--recompute", "recompute", Kind::text},
          {"--no-flash", "flash_attention", Kind::flag}, {"--gradient-bits", "gradient_bits", Kind::number},
          {"--measured-step-time", "measured_step_time_s", Kind::number}, {"--lora-rank", "lora.rank", Kind::integer},
          {"--lora-targets", "lora.targets", Kind::list}, {"--qlora", "lora.quantized_base", Kind::flag}}},
    };
    return list;
}

json run_command(const Command& cmd, const json& request) {
    const std::string name = cmd.name;
    if (name == "generate") return llmcalc::generation_request(request);
    if (name == "capacity") return llmcalc::capacity_request(request);
    if (name == "parallel") return llmcalc::parallel_request(request);
    if (name == "train") return llmcalc::training_request(request);
    return llmcalc::analyze_request(request);
}

int cmd_run(const Command& cmd, const std::vector<std::string>& args) {
    std::string config_arg, hardware_arg, format = "table";
    json workload = json::object(), precision = json::object(), options = json::object(), section = json::object();
    auto value = [&](std::size_t& i) -> const std::string& {
        if (i + 1 >= args.size() || (args[i + 1].rfind("--", 0) == 0)) fail(args[i] + " needs a value");
        return args[++i];
    };
    auto values = [&](std::size_t& i) {
        json list = json::array();
        const std::string flag = args[i];
        while (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0) list.push_back(parse_integer(flag, args[++i]));
        if (list.empty()) fail(flag + " needs at least one value");
        return list;
    };
    struct Bits { const char* flag; const char* key; };
    const Bits bits[] = {{"--weight-bits", "weight_bits"}, {"--attn-bits", "attention_weight_bits"},
                         {"--ffn-bits", "ffn_weight_bits"}, {"--embed-bits", "embedding_bits"},
                         {"--act-bits", "activation_bits"}, {"--kv-bits", "kv_cache_bits"}};
    struct Choice { const char* flag; const char* key; };
    const Choice choices[] = {{"--flops-convention", "flops"}, {"--causal", "causal"},
                              {"--lm-head", "lm_head"}, {"--attention", "attention"}, {"--mla", "mla"}};
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        bool handled = false;
        for (const auto& f : cmd.flags) {
            if (a != f.flag) continue;
            json v;
            switch (f.kind) {
                case Kind::integer: v = parse_integer(a, value(i)); break;
                case Kind::number: v = parse_number(a, value(i)); break;
                case Kind::text: v = value(i); break;
                case Kind::flag: v = std::string(f.key) == "flash_attention" ? false : true; break;
                case Kind::list: {
                    v = json::array();
                    while (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0) v.push_back(args[++i]);
                    if (v.empty()) fail(a + " needs at least one value");
                    break;
                }
            }
            const std::string key = f.key;
            const auto dot = key.find('.');
            if (dot == std::string::npos) section[key] = v;
            else section[key.substr(0, dot)][key.substr(dot + 1)] = v;
            handled = true;
        }
        if (handled) continue;
        for (const auto& b : bits) {
            if (a == b.flag) { precision[b.key] = parse_number(a, value(i)); handled = true; }
        }
        for (const auto& c : choices) {
            if (a == c.flag) { options[c.key] = value(i); handled = true; }
        }
        if (handled) continue;
        if (a == "--input-tokens") workload["input_tokens"] = values(i);
        else if (a == "--cached-tokens") workload["cached_tokens"] = values(i);
        else if (a == "--batch-size") workload["batch_size"] = parse_integer(a, value(i));
        else if (a == "--hardware") hardware_arg = value(i);
        else if (a == "--compute-efficiency") options["compute_efficiency"] = parse_number(a, value(i));
        else if (a == "--bandwidth-efficiency") options["bandwidth_efficiency"] = parse_number(a, value(i));
        else if (a == "--format") format = value(i);
        else if (a.rfind("--", 0) == 0) fail("unknown option " + a + " for " + cmd.name + " (see llmcalc --help)");
        else if (config_arg.empty()) config_arg = a;
        else fail("unexpected argument \"" + a + "\"");
    }
    if (config_arg.empty()) fail(std::string(cmd.name) + " needs a CONFIG (a config.json path or a preset id)");
    if (format != "table" && format != "json" && format != "csv") {
        fail("--format must be table, json or csv, got \"" + format + "\"");
    }
    json request = {{"config", load_model(config_arg)},
                    {"workload", workload},
                    {"precision", precision},
                    {"options", options},
                    {"hardware", hardware_arg.empty() ? json(nullptr) : load_hardware(hardware_arg)}};
    if (cmd.section) request[cmd.section] = section;
    const json result = run_command(cmd, request);
    const std::string name = cmd.name;
    if (format == "json") std::cout << result.dump(2) << "\n";
    else if (name == "analyze") std::cout << (format == "csv" ? llmcalc::ops_to_csv(result) : llmcalc::cli::analysis_table(result));
    else std::cout << (format == "csv" ? llmcalc::cli::planning_csv(name, result) : llmcalc::cli::planning_table(name, result));
    if (result.contains("warnings")) {
        for (const auto& w : result["warnings"]) std::cerr << "llmcalc: warning: " << w.get<std::string>() << "\n";
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    try {
        if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
            std::cout << kUsage;
            return args.empty() ? 2 : 0;
        }
        if (args[0] == "--version") {
            std::cout << "llmcalc 0.1.0\n";
            return 0;
        }
        const std::string cmd = args[0];
        args.erase(args.begin());
        for (const auto& a : args) {
            if (a == "--help" || a == "-h") {
                std::cout << kUsage;
                return 0;
            }
        }
        if (cmd == "presets") return cmd_presets(args);
        for (const Command& c : commands()) {
            if (cmd == c.name) return cmd_run(c, args);
        }
        fail("unknown command \"" + cmd + "\" (expected analyze, generate, capacity, parallel, train or presets; see llmcalc --help)");
    } catch (const Error& e) {
        std::cerr << "llmcalc: error: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "llmcalc: internal error: " << e.what() << "\n";
        return 3;
    }
}
