#include "llmcalc/presets.hpp"

#include "llmcalc/api.hpp"
#include "llmcalc/error.hpp"

namespace llmcalc::presets {

const std::vector<Entry>& models() { return detail::models_data(); }
const std::vector<Entry>& hardware() { return detail::hardware_data(); }

namespace {

nlohmann::json find(const std::vector<Entry>& entries, std::string_view id, const char* what) {
    for (const Entry& e : entries) {
        if (id == e.id) return parse_json_text(e.json, what);
    }
    std::string ids;
    for (const Entry& e : entries) ids += (ids.empty() ? "" : ", ") + std::string(e.id);
    const std::string shown(id.substr(0, 80));
    throw Error(ErrorCode::unknown_name, std::string("unknown ") + what + " \"" + shown + "\"; known: " + ids);
}

}  // namespace

nlohmann::json model(std::string_view id) { return find(models(), id, "model preset"); }
nlohmann::json hardware(std::string_view id) { return find(detail::hardware_data(), id, "hardware preset"); }

const nlohmann::json& config_of(const nlohmann::json& document) { return unwrap_preset(document); }

nlohmann::json list() {
    nlohmann::json out = {{"models", nlohmann::json::array()}, {"hardware", nlohmann::json::array()}};
    for (const Entry& e : models()) {
        const auto doc = parse_json_text(e.json, "model preset");
        out["models"].push_back({{"id", e.id},
                                 {"name", doc.value("name", e.id)},
                                 {"hf_id", doc.value("hf_id", "")},
                                 {"family", doc.value("family", "")},
                                 {"model_type", config_of(doc).value("model_type", "")}});
    }
    for (const Entry& e : detail::hardware_data()) {
        auto doc = parse_json_text(e.json, "hardware preset");
        doc["id"] = e.id;
        out["hardware"].push_back(doc);
    }
    return out;
}

}  // namespace llmcalc::presets
