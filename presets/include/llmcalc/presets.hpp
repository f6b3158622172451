// llmcalc — the model and hardware presets (presets/*/*.json, embedded at build time).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace llmcalc::presets {

struct Entry {
    const char* id;    // file stem
    const char* json;  // file contents
};

const std::vector<Entry>& models();
const std::vector<Entry>& hardware();

// The preset document {"id", "name", "config", ...}; throws Error(unknown_name) listing the ids.
nlohmann::json model(std::string_view id);
// The hardware document; throws Error(unknown_name) listing the ids.
nlohmann::json hardware(std::string_view id);

// {"models": [{id, name, hf_id, family, model_type}], "hardware": [{id, name, category, memory_gb, ...}]}
nlohmann::json list();

// The config.json inside a model document: a preset wrapper {"config": {...}} or a bare config.
const nlohmann::json& config_of(const nlohmann::json& document);

namespace detail {
const std::vector<Entry>& models_data();
const std::vector<Entry>& hardware_data();
}  // namespace detail

}  // namespace llmcalc::presets
