// llmcalc — errors raised by the core.
//
// Every problem with user input becomes an llmcalc::Error with a stable code
// (for programs: the CLI's exit status, the JS Error's `code`) and a message
// that names the field, the value and what was expected (for people).
#pragma once

#include <stdexcept>
#include <string>

namespace llmcalc {

enum class ErrorCode {
    invalid_json,      // the text is not a JSON document we accept
    missing_field,     // a required field is absent
    wrong_type,        // a field has the wrong JSON type
    out_of_range,      // a value is outside its documented range
    inconsistent,      // values that are fine alone but not together (heads that do not divide, ...)
    unsupported,       // a construct llmcalc cannot model
    unknown_name,      // an unknown preset / option value
    internal           // a bug: never expected, reported instead of crashing
};

const char* error_code_name(ErrorCode code) noexcept;

class Error : public std::runtime_error {
public:
    Error(ErrorCode code, const std::string& message)
        : std::runtime_error(message), code_(code) {}
    ErrorCode code() const noexcept { return code_; }
    const char* code_name() const noexcept { return error_code_name(code_); }

private:
    ErrorCode code_;
};

}  // namespace llmcalc
