// llmcalc — the JSON entry points shared by the CLI, the WebAssembly module and the tests.
//
// Results become JSON in exactly one place (result_to_json), so every front end
// shows the same numbers.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "llmcalc/analysis.hpp"
#include "llmcalc/error.hpp"
#include "llmcalc/model.hpp"

namespace llmcalc {

// Parse JSON text with limits (size, nesting depth); NaN/Infinity spellings
// outside strings become the strings "NaN"/"Infinity"/"-Infinity" so that a
// field we read reports them clearly and a field we ignore does no harm.
// `what` names the document in error messages ("config", "hardware", ...).
nlohmann::json parse_json_text(std::string_view text, const char* what);

// A preset document {"id", "config": {...}, ...} -> its config; anything else unchanged.
const nlohmann::json& unwrap_preset(const nlohmann::json& document);

// A Hugging Face config.json (object) into a ModelSpec. Throws Error.
ModelSpec parse_model_config(const nlohmann::json& config);

// A hardware description (the presets/hardware/*.json schema). Throws Error.
Hardware parse_hardware(const nlohmann::json& hardware);

// Workload / precision / options documents (see README "Request document").
Workload parse_workload(const nlohmann::json& workload);
Precision parse_precision(const nlohmann::json& precision);
Options parse_options(const nlohmann::json& options);

// A request document parsed once: {"config", "workload", "precision", "options", "hardware"}
// plus, for the planning entry points, their own section (named in extra_keys).
struct Request {
    ModelSpec model;
    Workload workload;
    Precision precision;
    Options options;
    Hardware hardware;
    bool has_hardware = false;
    const Hardware* device() const { return has_hardware ? &hardware : nullptr; }
};
Request parse_request(const nlohmann::json& request, std::initializer_list<const char*> extra_keys = {});

// The result document: params, kv_cache, memory, ops[], totals, warnings[], ...
nlohmann::json result_to_json(const ModelSpec& model, const Analysis& analysis,
                              const Hardware* hardware);

// The model description alone: layer kinds, fields used/ignored, warnings.
nlohmann::json model_to_json(const ModelSpec& model);

// One request document in, one result document out. "config" is a config.json
// object, its JSON text, or a preset document:
// {"config": {...}, "workload": {...}, "precision": {...}, "options": {...}, "hardware": {...}|null}
nlohmann::json analyze_request(const nlohmann::json& request);

// The same analysis repeated over one variable, without a JSON document per point:
// sweep = {"variable": "context" | "batch_size" | "new_tokens" | "weight_bits" |
// "kv_cache_bits" | "activation_bits", "values": [..]}. "context" sets every query's
// cached_tokens, "new_tokens" every query's new tokens, "weight_bits" attention and FFN
// weights. Returns {"values", "time_s", "flops", "bytes", "intensity", "kv_cache_bytes",
// "total_memory_bytes", "weights_bytes"} as parallel arrays.
nlohmann::json sweep_request(const nlohmann::json& request, const nlohmann::json& sweep);

// The operator table as CSV (header + one row per operator), from a result document.
std::string ops_to_csv(const nlohmann::json& result);

}  // namespace llmcalc
