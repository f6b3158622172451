// libFuzzer target over the public entry points: request text in, result or
// llmcalc::Error out. Anything else (a crash, a sanitizer report, another
// exception type) is a bug. Build: cmake -DLLMCALC_BUILD_FUZZ=ON with clang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "llmcalc/api.hpp"
#include "llmcalc/error.hpp"
#include "llmcalc/parallel.hpp"
#include "llmcalc/planning.hpp"
#include "llmcalc/training.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const nlohmann::json doc = llmcalc::parse_json_text(text, "request");
        // The request's own section picks the entry point, so one corpus exercises them all.
        const bool obj = doc.is_object();
        if (obj && doc.contains("generation")) (void)llmcalc::generation_request(doc);
        else if (obj && doc.contains("capacity")) (void)llmcalc::capacity_request(doc);
        else if (obj && doc.contains("parallel")) (void)llmcalc::parallel_request(doc);
        else if (obj && doc.contains("training")) (void)llmcalc::training_request(doc);
        else {
            if (obj && doc.contains("config")) {
                try {
                    (void)llmcalc::model_to_json(llmcalc::parse_model_config(llmcalc::unwrap_preset(doc["config"])));
                } catch (const llmcalc::Error&) {
                }
            }
            (void)llmcalc::analyze_request(doc).dump();
        }
    } catch (const llmcalc::Error&) {
        // a clear error is the expected answer to bad input
    }
    return 0;
}
