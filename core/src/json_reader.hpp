// Typed, range-checked access to the fields of a JSON object, recording which
// keys were read. Internal to the core.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "llmcalc/error.hpp"

namespace llmcalc::detail {

using nlohmann::json;

// "a string", "an array", "null", ... for messages.
std::string describe_json(const json& value);
std::string format_number(double value);

class FieldReader {
public:
    // `where` prefixes every message: "config", "hardware", "workload", "config.text_config".
    FieldReader(const json& object, std::string where);

    bool has(const char* key) const;              // present and not null
    bool present(const char* key) const;          // present, possibly null
    const json* raw(const char* key);             // marks used; null if absent

    std::int64_t get_int(const char* key, std::int64_t lo, std::int64_t hi);
    std::optional<std::int64_t> opt_int(const char* key, std::int64_t lo, std::int64_t hi);
    double get_number(const char* key, double lo, double hi);
    std::optional<double> opt_number(const char* key, double lo, double hi);
    std::optional<bool> opt_bool(const char* key);
    std::optional<std::string> opt_string(const char* key);
    std::string get_string(const char* key);
    // An integer given under the first present alias.
    std::optional<std::int64_t> opt_int_alias(std::initializer_list<const char*> keys,
                                              std::int64_t lo, std::int64_t hi);
    std::optional<std::vector<std::int64_t>> opt_int_list(const char* key, std::int64_t lo,
                                                          std::int64_t hi, std::size_t max_len);

    // One of a fixed set of strings ("2mnk" | "exact"), or `def` when absent; an unknown value is an
    // Error(unknown_name) listing the choices.
    template <typename E>
    E choice(const char* key, std::initializer_list<std::pair<const char*, E>> choices, E def) {
        auto s = opt_string(key);
        if (!s) return def;
        std::string allowed;
        for (const auto& c : choices) {
            if (*s == c.first) return c.second;
            allowed += (allowed.empty() ? "\"" : ", \"") + std::string(c.first) + "\"";
        }
        fail(ErrorCode::unknown_name, std::string(key) + " is \"" + s->substr(0, 60) + "\"; expected one of " + allowed);
    }

    // Every key of the object has been read; otherwise Error(unknown_name) naming the first that was not.
    void reject_unknown() const;

    [[noreturn]] void fail(ErrorCode code, const std::string& field_message) const;
    std::string field(const char* key) const { return where_ + "." + key; }

    void mark_used(const char* key) { used_.insert(key); }
    std::vector<std::string> used() const;
    std::vector<std::string> ignored() const;

private:
    std::int64_t to_int(const char* key, const json& v, std::int64_t lo, std::int64_t hi) const;
    double to_number(const char* key, const json& v, double lo, double hi) const;

    const json& obj_;
    std::string where_;
    std::set<std::string> used_;
};

// Check an already-read value against a range (for derived quantities).
void check_range(const std::string& field, double value, double lo, double hi);

}  // namespace llmcalc::detail
