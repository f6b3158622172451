#include <catch2/catch.hpp>

#include "llmcalc/training.hpp"
