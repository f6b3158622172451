#include "llmcalc/training.hpp"
