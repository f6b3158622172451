// The bad-input corpus (tests/bad_inputs.json: each case with the error it must
// produce) and generated cases: every field every supported family reads, missing
// and wrong-typed. Every case must end in an llmcalc::Error or a result — never a
// crash or another exception.
#include <catch2/catch.hpp>

#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "helpers.hpp"
#include "llmcalc/parallel.hpp"
#include "llmcalc/planning.hpp"
#include "llmcalc/training.hpp"

using namespace llmcalc;
using nlohmann::json;

namespace {

json run_entry(const std::string& entry, const json& doc) {
    if (entry == "generation") return generation_request(doc);
    if (entry == "capacity") return capacity_request(doc);
    if (entry == "parallel") return parallel_request(doc);
    if (entry == "training") return training_request(doc);
    return analyze_request(doc);
}

}  // namespace

TEST_CASE("the bad-input corpus: each case gives its error", "[errors][corpus]") {
    std::ifstream in(std::string(LLMCALC_SOURCE_DIR) + "/tests/bad_inputs.json");
    REQUIRE(in.good());
    std::stringstream ss;
    ss << in.rdbuf();
    const json cases = json::parse(ss.str());
    REQUIRE(cases.size() >= 60);
    int tried = 0;
    for (const auto& c : cases) {
        const std::string name = c["name"];
        const std::string text = c.contains("text") ? c["text"].get<std::string>() : c["request"].dump();
        INFO("case: " << name);
        ++tried;
        try {
            (void)run_entry(c["entry"], parse_json_text(text, "request"));
            FAIL_CHECK("no error for " << name);
        } catch (const Error& e) {
            INFO("message: " << e.what());
            CHECK(std::string(e.code_name()) == c["code"].get<std::string>());
            CHECK_THAT(e.what(), Catch::Contains(c["contains"].get<std::string>()));
            CHECK(std::string(e.what()).find('\n') == std::string::npos);
        }
    }
    std::cout << "bad-input corpus: " << tried << " cases tried, none crashed\n";
}

TEST_CASE("every field of every supported family, missing or wrong-typed", "[errors][generated]") {
    // Fields whose value may legitimately be an object.
    const std::set<std::string> objects = {"quantization_config", "text_config", "vision_config", "attn_config", "rope_scaling"};
    int tried = 0, errors = 0;
    std::set<std::string> families;
    for (const auto& e : presets::models()) {
        const json config = testing::preset_config(e.id);
        const ModelSpec m = parse_model_config(config);
        families.insert(m.model_type);
        for (const std::string& field : m.fields_used) {
            if (field.find('.') != std::string::npos || objects.count(field)) continue;  // nested: covered by its own family
            INFO(e.id << ": " << field);
            // missing: either still a model (the field is optional) or an Error
            json without = config;
            without.erase(field);
            ++tried;
            try {
                (void)parse_model_config(without);
            } catch (const Error&) {
                ++errors;
            }
            // wrong type: an object where a number, string, bool or list belongs
            json wrong = config;
            wrong[field] = {{"not", "a value"}};
            ++tried;
            try {
                (void)parse_model_config(wrong);
                FAIL_CHECK("an object in " << field << " was accepted");
            } catch (const Error& err) {
                ++errors;
                CHECK_THAT(err.what(), Catch::Contains(field));
            }
        }
    }
    CHECK(families.size() >= 20);
    std::cout << "generated field cases: " << tried << " tried over " << families.size() << " model types, " << errors
              << " errors, none crashed\n";
}

TEST_CASE("fuzzer regressions stay fixed", "[errors][fuzz]") {
    // Every input the fuzzer ever crashed on is listed in fuzz/regressions/INDEX; each must now give a
    // result or an llmcalc::Error through the same entry point the fuzzer drives.
    const std::string dir = std::string(LLMCALC_SOURCE_DIR) + "/fuzz/regressions/";
    std::ifstream list(dir + "INDEX");
    REQUIRE(list.good());
    std::string name;
    int n = 0;
    while (std::getline(list, name)) {
        if (name.empty() || name[0] == '#') continue;
        std::ifstream f(dir + name, std::ios::binary);
        REQUIRE(f.good());
        std::stringstream ss;
        ss << f.rdbuf();
        INFO(name);
        CHECK_NOTHROW([&] {
            try {
                const json doc = parse_json_text(ss.str(), "request");
                if (doc.is_object() && doc.contains("training")) (void)training_request(doc);
                else if (doc.is_object() && doc.contains("parallel")) (void)parallel_request(doc);
                else if (doc.is_object() && doc.contains("generation")) (void)generation_request(doc);
                else if (doc.is_object() && doc.contains("capacity")) (void)capacity_request(doc);
                else (void)analyze_request(doc);
            } catch (const Error&) {
            }
        }());
        ++n;
    }
    std::cout << "fuzz regressions replayed: " << n << "\n";
}
