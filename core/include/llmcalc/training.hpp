// llmcalc — training (see core/FORMULAS.md).
#pragma once

#include <nlohmann/json.hpp>

#include "llmcalc/api.hpp"

namespace llmcalc {}  // namespace llmcalc
