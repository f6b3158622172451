#include "llmcalc/planning.hpp"
