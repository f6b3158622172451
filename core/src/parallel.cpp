#include "llmcalc/parallel.hpp"
