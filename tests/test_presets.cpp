// Every preset parses, analyses, and carries what the site and the CLI show.
#include <catch2/catch.hpp>

#include <cmath>

#include "helpers.hpp"

using namespace llmcalc;

TEST_CASE("every model preset analyses on every hardware preset", "[presets]") {
    REQUIRE(presets::models().size() >= 12);
    REQUIRE(presets::hardware().size() >= 15);
    std::vector<Hardware> devices;
    for (const auto& h : presets::hardware()) devices.push_back(parse_hardware(presets::hardware(h.id)));
    for (const auto& e : presets::models()) {
        INFO(e.id);
        const auto doc = presets::model(e.id);
        CHECK(doc.at("id") == e.id);
        CHECK_FALSE(doc.at("source").get<std::string>().empty());
        const ModelSpec m = parse_model_config(presets::config_of(doc));
        for (const auto& w : m.warnings) CHECK(w.find("generic") == std::string::npos);  // every preset's type is supported
        for (const Hardware& hw : devices) {
            for (const Workload& w : {testing::one_query(0, 2048), testing::one_query(2047, 1, 32)}) {
                const Analysis a = analyze(m, w, {}, {}, &hw);
                CHECK(std::isfinite(a.totals.time_s));
                CHECK(a.totals.time_s > 0);
                CHECK(a.memory.total_bytes > a.memory.weights_bytes);
            }
        }
    }
}

TEST_CASE("hardware presets: dense peaks, capacity, bandwidth and a source", "[presets][hardware]") {
    for (const auto& e : presets::hardware()) {
        INFO(e.id);
        const auto doc = presets::hardware(e.id);
        CHECK(doc.at("id") == e.id);
        CHECK(doc.at("source").get<std::string>().size() > 10);
        const Hardware hw = parse_hardware(doc);
        CHECK(hw.memory_bytes > 0);
        CHECK(hw.bandwidth_bytes_s > 0);
        CHECK(hw.peak(ComputeClass::b16) > 0);
    }
    SECTION("a few datasheet figures (dense)") {
        const Hardware h100 = testing::preset_hardware("h100-sxm");
        CHECK(h100.peak_16 == Approx(989.4e12));
        CHECK(h100.bandwidth_bytes_s == Approx(3.35e12));
        const Hardware a100 = testing::preset_hardware("a100-40gb-sxm");
        CHECK(a100.peak_16 == Approx(312e12));
        CHECK(a100.memory_bytes == Approx(40e9));
    }
    for (const char* required : {"a100-40gb-sxm", "a100-80gb-sxm", "h100-sxm", "h100-pcie", "h200", "b200", "mi300x",
                                 "l40s", "rtx-4090", "snapdragon-8-gen-2", "dram-pim", "nand-pim",
                                 "xeon-platinum-8480", "apple-m2-ultra", "mi250x"}) {
        CHECK_NOTHROW(presets::hardware(required));
    }
}

TEST_CASE("preset list for front ends", "[presets]") {
    const auto list = presets::list();
    CHECK(list["models"].size() == presets::models().size());
    CHECK(list["hardware"].size() == presets::hardware().size());
    for (const auto& m : list["models"]) CHECK_FALSE(m["model_type"].get<std::string>().empty());
}
