#pragma once

// `gantryctl completion bash|zsh`: a completion script for the verbs (AllVerbHelp), the kinds
// (schema::Kinds, with their short names) and the flags each verb's usage names.

#include <ostream>
#include <string>
#include <vector>

namespace gantry::cli {

int RunCompletion(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace gantry::cli
