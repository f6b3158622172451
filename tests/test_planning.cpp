#include <catch2/catch.hpp>

#include "llmcalc/planning.hpp"
