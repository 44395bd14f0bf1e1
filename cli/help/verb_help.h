#pragma once

// What `gantryctl VERB --help` (or -h, or `gantryctl help VERB`) prints: one entry per verb with
// its usage, what it does, its flags and an example, and the list shell completion offers.

#include <string>
#include <string_view>
#include <vector>

namespace gantry::cli {

struct VerbHelp {
  const char* verb;
  const char* usage;     // after "usage: gantryctl "
  const char* summary;   // one line
  const char* details;   // flags and behaviour, lines indented by two spaces; may be empty
  const char* examples;  // one or more commands with a comment each
};

// Every verb gantryctl has, in the order `gantryctl help` lists them.
const std::vector<VerbHelp>& AllVerbHelp();
const VerbHelp* FindVerbHelp(std::string_view verb);
// The whole text for one verb.
std::string HelpText(const VerbHelp& help);

// True when `args` (what follows the verb) ask for help: -h or --help anywhere.
bool AsksForHelp(const std::vector<std::string>& args);

}  // namespace gantry::cli
