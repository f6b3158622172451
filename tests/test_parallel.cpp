#include <catch2/catch.hpp>

#include "llmcalc/parallel.hpp"
