// embind bindings: plain JSON strings across the boundary, nothing the page must free.
//
// Every function returns an envelope, {"ok": true, "result": ...} or
// {"ok": false, "error": {"code": ..., "message": ...}}, so C++ exceptions are
// caught here and the stack unwinds normally (no leaked allocations, no abort).
// The ES-module loader (site/js/llmcalc.js) turns an error envelope into a JS
// Error with `code` — the module stays usable after any error.
#include <emscripten/bind.h>

#include <new>
#include <string>

#include "llmcalc/api.hpp"
#include "llmcalc/error.hpp"
#include "llmcalc/parallel.hpp"
#include "llmcalc/planning.hpp"
#include "llmcalc/presets.hpp"
#include "llmcalc/training.hpp"

namespace {

using nlohmann::json;

template <typename F>
std::string envelope(F&& f) {
    try {
        json out = {{"ok", true}, {"result", f()}};
        return out.dump(-1, ' ', false, json::error_handler_t::replace);
    } catch (const llmcalc::Error& e) {
        return json({{"ok", false}, {"error", {{"code", e.code_name()}, {"message", e.what()}}}})
            .dump(-1, ' ', false, json::error_handler_t::replace);
    } catch (const std::bad_alloc&) {
        return R"({"ok":false,"error":{"code":"out_of_memory","message":"out of memory"}})";
    } catch (const std::exception& e) {
        return json({{"ok", false}, {"error", {{"code", "internal"}, {"message", e.what()}}}})
            .dump(-1, ' ', false, json::error_handler_t::replace);
    } catch (...) {
        return R"({"ok":false,"error":{"code":"internal","message":"unknown error"}})";
    }
}

std::string analyze(const std::string& request) {
    return envelope([&] { return llmcalc::analyze_request(llmcalc::parse_json_text(request, "request")); });
}

std::string sweep(const std::string& request, const std::string& sweep_spec) {
    return envelope([&] {
        return llmcalc::sweep_request(llmcalc::parse_json_text(request, "request"),
                                      llmcalc::parse_json_text(sweep_spec, "sweep"));
    });
}

// The planning entry points: the analysis request plus their own section.
template <typename F>
std::string planning(const std::string& request, F&& run) {
    return envelope([&] { return run(llmcalc::parse_json_text(request, "request")); });
}
std::string generation(const std::string& r) { return planning(r, llmcalc::generation_request); }
std::string capacity(const std::string& r) { return planning(r, llmcalc::capacity_request); }
std::string parallel(const std::string& r) { return planning(r, llmcalc::parallel_request); }
std::string training(const std::string& r) { return planning(r, llmcalc::training_request); }

std::string parse_config(const std::string& config) {
    return envelope([&] {
        const json doc = llmcalc::parse_json_text(config, "config");
        return llmcalc::model_to_json(llmcalc::parse_model_config(llmcalc::presets::config_of(doc)));
    });
}

std::string list_presets() {
    return envelope([] { return llmcalc::presets::list(); });
}

std::string model_preset(const std::string& id) {
    return envelope([&] { return llmcalc::presets::model(id); });
}

std::string hardware_preset(const std::string& id) {
    return envelope([&] { return llmcalc::presets::hardware(id); });
}

std::string ops_csv(const std::string& result) {
    return envelope([&] { return json(llmcalc::ops_to_csv(llmcalc::parse_json_text(result, "result"))); });
}

std::string version() { return "0.1.0"; }

}  // namespace

EMSCRIPTEN_BINDINGS(llmcalc) {
    emscripten::function("analyze", &analyze);
    emscripten::function("sweep", &sweep);
    emscripten::function("generation", &generation);
    emscripten::function("capacity", &capacity);
    emscripten::function("parallel", &parallel);
    emscripten::function("training", &training);
    emscripten::function("parseConfig", &parse_config);
    emscripten::function("listPresets", &list_presets);
    emscripten::function("modelPreset", &model_preset);
    emscripten::function("hardwarePreset", &hardware_preset);
    emscripten::function("opsCsv", &ops_csv);
    emscripten::function("version", &version);
}
