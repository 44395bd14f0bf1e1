#pragma once

// The AWS CLI's shorthand for a list of structures whose members are strings, as
// `aws ecs run-task --placement-constraints/--placement-strategy` take it, or the same list as
// JSON:
//
//   --placement-constraints type="memberOf",expression="attribute:ecs.instance-type == t2.small"
//                           type="distinctInstance"
//   --placement-strategy '[{"type":"spread","field":"instanceId"}]'
//
// Each argument after the flag is one structure `key=value[,key=value]...`. Values are written
// "double quoted" or 'single quoted' (\" \' \\ escape inside), or bare: a bare value runs to the
// next ',' (a ',' inside [...] or (...), or written \, belongs to the value, so
// `attribute:ecs.instance-type in [t2.small, t2.medium]` needs no quotes) and may contain
// spaces, which is what is left when the shell has already stripped the quotes:
// `type=memberOf,expression=attribute:ecs.instance-type == t2.small` arrives as one argument.
// Beyond the AWS CLI, one argument may also hold several structures separated by spaces
// (`type=spread,field=instanceId type=binpack,field=memory`): a space followed by `key=` starts
// the next one (the query language's `==` and `=~` never do).
//
// An argument that does not start with key= continues the argument before it (joined with a
// space): what the shell leaves of a completely unquoted
// `type=memberOf,expression=attribute:ecs.instance-type == t2.small` (three arguments).
//
// An argument that starts with '[' or '{' is JSON: an array of objects, or one object.
//
// Errors name the flag, the column (1-based, in characters) and the argument:
//   --placement-constraints: expected '=' after "type" at column 6 of "type memberOf"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/status/status.h"

namespace gantry::cli {

// One structure: its members in the order written.
using ShorthandStruct = std::vector<std::pair<std::string, std::string>>;

// Parses the arguments given after `flag` (used in messages) into structures whose member names
// are among `members` (an unknown or repeated member is an error).
api::StatusOr<std::vector<ShorthandStruct>> ParseStructureList(
    std::string_view flag, const std::vector<std::string>& args,
    const std::vector<std::string>& members);

// If args[i] is `flag` (`--flag V...` or `--flag=V...`), appends its values to `values`: every
// following argument up to the next one that starts with '-'. Leaves i on the last argument it
// took (as FlagValue does) and returns true; sets `error` when no value follows. Returns false
// when args[i] is another argument.
bool TakeListFlag(const std::vector<std::string>& args, size_t& i, std::string_view flag,
                  std::vector<std::string>& values, std::string& error);

}  // namespace gantry::cli
