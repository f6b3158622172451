#include "json_reader.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "llmcalc/api.hpp"

namespace llmcalc {

const char* error_code_name(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::invalid_json: return "invalid_json";
        case ErrorCode::missing_field: return "missing_field";
        case ErrorCode::wrong_type: return "wrong_type";
        case ErrorCode::out_of_range: return "out_of_range";
        case ErrorCode::inconsistent: return "inconsistent";
        case ErrorCode::unsupported: return "unsupported";
        case ErrorCode::unknown_name: return "unknown_name";
        case ErrorCode::internal: return "internal";
    }
    return "internal";
}

namespace {
constexpr std::size_t kMaxJsonBytes = 16u * 1024u * 1024u;  // 16 MiB: configs are a few kB
constexpr int kMaxJsonDepth = 64;                           // configs nest 3-4 deep
}  // namespace

nlohmann::json parse_json_text(std::string_view text, const char* what) {
    if (text.size() > kMaxJsonBytes) {
        throw Error(ErrorCode::invalid_json,
                    std::string(what) + ": document is " + std::to_string(text.size()) +
                        " bytes; the limit is " + std::to_string(kMaxJsonBytes) + " bytes");
    }
    // One pass: check nesting depth (nlohmann's parser recurses) and rewrite the
    // NaN / Infinity / -Infinity spellings Python's json module writes.
    std::string rewritten;
    bool rewrite = false;
    int depth = 0;
    bool in_string = false, escaped = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
            continue;
        }
        if (c == '"') { in_string = true; continue; }
        if (c == '[' || c == '{') {
            if (++depth > kMaxJsonDepth) {
                throw Error(ErrorCode::invalid_json,
                            std::string(what) + ": nesting deeper than " +
                                std::to_string(kMaxJsonDepth) + " levels at byte " +
                                std::to_string(i));
            }
        } else if (c == ']' || c == '}') {
            --depth;
        } else if (c == 'N' || c == 'I' || (c == '-' && i + 1 < text.size() && text[i + 1] == 'I')) {
            rewrite = true;
        }
    }
    if (rewrite) {
        rewritten.reserve(text.size() + 16);
        in_string = false;
        escaped = false;
        for (std::size_t i = 0; i < text.size(); ++i) {
            const char c = text[i];
            if (in_string) {
                rewritten += c;
                if (escaped) escaped = false;
                else if (c == '\\') escaped = true;
                else if (c == '"') in_string = false;
                continue;
            }
            if (c == '"') { in_string = true; rewritten += c; continue; }
            bool replaced = false;
            for (const char* word : {"-Infinity", "Infinity", "NaN"}) {
                const std::string_view w(word);
                if (text.substr(i, w.size()) == w) {
                    rewritten += '"';
                    rewritten += w;
                    rewritten += '"';
                    i += w.size() - 1;
                    replaced = true;
                    break;
                }
            }
            if (!replaced) rewritten += c;
        }
        text = rewritten;
    }
    // Duplicate keys: JSON leaves them undefined and parsers disagree (nlohmann keeps the
    // last), so a document with one is refused with the key named.
    std::vector<std::vector<std::string>> keys;  // keys seen, per open object
    std::string duplicate;
    const auto on_event = [&](int /*depth*/, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        switch (event) {
            case nlohmann::json::parse_event_t::object_start: keys.emplace_back(); break;
            case nlohmann::json::parse_event_t::object_end: if (!keys.empty()) keys.pop_back(); break;
            case nlohmann::json::parse_event_t::key: {
                const auto& k = parsed.get_ref<const std::string&>();
                auto& seen = keys.back();
                if (duplicate.empty() && std::find(seen.begin(), seen.end(), k) != seen.end()) duplicate = k;
                seen.push_back(k);
                break;
            }
            default: break;
        }
        return true;
    };
    try {
        nlohmann::json doc = nlohmann::json::parse(text, on_event);
        if (!duplicate.empty()) {
            throw Error(ErrorCode::invalid_json, std::string(what) + ": the key \"" + duplicate.substr(0, 60) +
                                                     "\" appears twice in one object");
        }
        return doc;
    } catch (const nlohmann::json::exception& e) {
        std::string msg = e.what();
        const auto pos = msg.find("parse error");
        if (pos != std::string::npos) msg = msg.substr(pos);
        throw Error(ErrorCode::invalid_json, std::string(what) + ": not valid JSON (" + msg + ")");
    }
}

namespace detail {

std::string format_number(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
    char buf[64];
    if (value == std::floor(value) && std::fabs(value) < 1e15) {
        std::snprintf(buf, sizeof buf, "%.0f", value);
    } else {
        std::snprintf(buf, sizeof buf, "%.6g", value);
    }
    return buf;
}

std::string describe_json(const json& v) {
    switch (v.type()) {
        case json::value_t::null: return "null";
        case json::value_t::boolean: return v.get<bool>() ? "true" : "false";
        case json::value_t::string: {
            const auto& s = v.get_ref<const std::string&>();
            if (s == "NaN" || s == "Infinity" || s == "-Infinity") return "the non-finite number " + s;
            std::string shown = s.size() > 40 ? s.substr(0, 40) + "..." : s;
            return "the string \"" + shown + "\"";
        }
        case json::value_t::array: return "an array";
        case json::value_t::object: return "an object";
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
        case json::value_t::number_float: return format_number(v.get<double>());
        default: return "an unsupported value";
    }
}

void check_range(const std::string& field, double value, double lo, double hi) {
    if (!(value >= lo && value <= hi)) {
        throw Error(ErrorCode::out_of_range, field + " is " + format_number(value) +
                                                 "; expected a value from " + format_number(lo) +
                                                 " to " + format_number(hi));
    }
}

FieldReader::FieldReader(const json& object, std::string where) : obj_(object), where_(std::move(where)) {
    if (!obj_.is_object()) {
        throw Error(ErrorCode::wrong_type, where_ + " must be a JSON object, got " + describe_json(obj_));
    }
}

bool FieldReader::present(const char* key) const { return obj_.contains(key); }

bool FieldReader::has(const char* key) const {
    auto it = obj_.find(key);
    return it != obj_.end() && !it->is_null();
}

const json* FieldReader::raw(const char* key) {
    auto it = obj_.find(key);
    if (it == obj_.end()) return nullptr;
    used_.insert(key);
    return &*it;
}

void FieldReader::fail(ErrorCode code, const std::string& message) const {
    throw Error(code, where_ + "." + message);
}

std::int64_t FieldReader::to_int(const char* key, const json& v, std::int64_t lo, std::int64_t hi) const {
    if (!v.is_number()) {
        fail(ErrorCode::wrong_type, std::string(key) + " must be an integer, got " + describe_json(v));
    }
    const double d = v.get<double>();
    if (v.is_number_float() && d != std::floor(d)) {
        fail(ErrorCode::wrong_type, std::string(key) + " must be an integer, got " + format_number(d));
    }
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(hi)) {
        fail(ErrorCode::out_of_range, std::string(key) + " is " + std::to_string(v.get<std::uint64_t>()) +
                                          "; expected an integer from " + std::to_string(lo) + " to " +
                                          std::to_string(hi));
    }
    if (!(d >= static_cast<double>(lo) && d <= static_cast<double>(hi))) {
        fail(ErrorCode::out_of_range, std::string(key) + " is " + format_number(d) +
                                          "; expected an integer from " + std::to_string(lo) + " to " +
                                          std::to_string(hi));
    }
    return v.is_number_float() ? static_cast<std::int64_t>(d) : v.get<std::int64_t>();
}

double FieldReader::to_number(const char* key, const json& v, double lo, double hi) const {
    if (!v.is_number()) {
        fail(ErrorCode::wrong_type, std::string(key) + " must be a number, got " + describe_json(v));
    }
    const double d = v.get<double>();
    if (!(d >= lo && d <= hi)) {
        fail(ErrorCode::out_of_range, std::string(key) + " is " + format_number(d) +
                                          "; expected a number from " + format_number(lo) + " to " +
                                          format_number(hi));
    }
    return d;
}

std::int64_t FieldReader::get_int(const char* key, std::int64_t lo, std::int64_t hi) {
    const json* v = raw(key);
    if (!v || v->is_null()) fail(ErrorCode::missing_field, std::string(key) + " is required (an integer from " +
                                                               std::to_string(lo) + " to " + std::to_string(hi) + ")");
    return to_int(key, *v, lo, hi);
}

std::optional<std::int64_t> FieldReader::opt_int(const char* key, std::int64_t lo, std::int64_t hi) {
    const json* v = raw(key);
    if (!v || v->is_null()) return std::nullopt;
    return to_int(key, *v, lo, hi);
}

double FieldReader::get_number(const char* key, double lo, double hi) {
    const json* v = raw(key);
    if (!v || v->is_null()) fail(ErrorCode::missing_field, std::string(key) + " is required (a number from " +
                                                               format_number(lo) + " to " + format_number(hi) + ")");
    return to_number(key, *v, lo, hi);
}

std::optional<double> FieldReader::opt_number(const char* key, double lo, double hi) {
    const json* v = raw(key);
    if (!v || v->is_null()) return std::nullopt;
    return to_number(key, *v, lo, hi);
}

std::optional<bool> FieldReader::opt_bool(const char* key) {
    const json* v = raw(key);
    if (!v || v->is_null()) return std::nullopt;
    if (!v->is_boolean()) fail(ErrorCode::wrong_type, std::string(key) + " must be true or false, got " + describe_json(*v));
    return v->get<bool>();
}

std::optional<std::string> FieldReader::opt_string(const char* key) {
    const json* v = raw(key);
    if (!v || v->is_null()) return std::nullopt;
    if (!v->is_string()) fail(ErrorCode::wrong_type, std::string(key) + " must be a string, got " + describe_json(*v));
    return v->get<std::string>();
}

std::string FieldReader::get_string(const char* key) {
    auto s = opt_string(key);
    if (!s) fail(ErrorCode::missing_field, std::string(key) + " is required (a string)");
    return *s;
}

std::optional<std::int64_t> FieldReader::opt_int_alias(std::initializer_list<const char*> keys,
                                                       std::int64_t lo, std::int64_t hi) {
    for (const char* k : keys) {
        if (has(k)) return opt_int(k, lo, hi);
    }
    return std::nullopt;
}

std::optional<std::vector<std::int64_t>> FieldReader::opt_int_list(const char* key, std::int64_t lo,
                                                                   std::int64_t hi, std::size_t max_len) {
    const json* v = raw(key);
    if (!v || v->is_null()) return std::nullopt;
    if (!v->is_array()) fail(ErrorCode::wrong_type, std::string(key) + " must be an array of integers, got " + describe_json(*v));
    if (v->size() > max_len) {
        fail(ErrorCode::out_of_range, std::string(key) + " has " + std::to_string(v->size()) +
                                          " entries; at most " + std::to_string(max_len) + " are allowed");
    }
    std::vector<std::int64_t> out;
    out.reserve(v->size());
    for (std::size_t i = 0; i < v->size(); ++i) {
        const std::string k = std::string(key) + "[" + std::to_string(i) + "]";
        out.push_back(to_int(k.c_str(), (*v)[i], lo, hi));
    }
    return out;
}

void FieldReader::reject_unknown() const {
    const auto extra = ignored();
    if (!extra.empty()) throw Error(ErrorCode::unknown_name, where_ + "." + extra[0].substr(0, 60) + " is not a known field");
}

std::vector<std::string> FieldReader::used() const { return {used_.begin(), used_.end()}; }

std::vector<std::string> FieldReader::ignored() const {
    std::vector<std::string> out;
    for (auto it = obj_.begin(); it != obj_.end(); ++it) {
        if (!used_.count(it.key())) out.push_back(it.key());
    }
    return out;
}

}  // namespace detail
}  // namespace llmcalc
