// Human-readable rendering of result documents for the terminal.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace llmcalc::cli {

std::string si(double value, const char* unit);   // 1.23 GFLOP, 3.35 TB/s (3 significant digits)
std::string iec_bytes(double bytes);               // 12.6 GiB
std::string seconds(double s);                     // 12.3 µs / 4.56 ms / 1.23 s
std::string analysis_table(const nlohmann::json& result);
std::string presets_table(const nlohmann::json& list);
// generate / capacity / parallel / train results
std::string planning_table(const std::string& command, const nlohmann::json& result);
std::string planning_csv(const std::string& command, const nlohmann::json& result);

}  // namespace llmcalc::cli
