#include "cli/help/completion.h"

#include <cctype>
#include <set>
#include <sstream>

#include "api/schema/kinds.h"
#include "cli/help/verb_help.h"

namespace gantry::cli {
namespace {

std::string Join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::vector<std::string> VerbNames() {
  std::vector<std::string> out;
  for (const auto& v : AllVerbHelp()) out.emplace_back(v.verb);
  return out;
}

std::vector<std::string> KindNames() {
  std::vector<std::string> out;
  for (const auto& k : schema::Kinds()) {
    out.push_back(k.plural);
    out.push_back(k.singular);
    for (const auto& s : k.short_names) out.push_back(s);
  }
  return out;
}

// The flags a verb's usage line names (--name or -x), in order, once each.
std::vector<std::string> FlagsOf(const VerbHelp& v) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  const std::string usage = v.usage;
  for (size_t at = usage.find('-'); at != std::string::npos; at = usage.find('-', at + 1)) {
    if (at > 0 && usage[at - 1] != ' ' && usage[at - 1] != '[' && usage[at - 1] != '|') continue;
    size_t end = at + 1;
    while (end < usage.size() &&
           (std::isalnum(static_cast<unsigned char>(usage[end])) || usage[end] == '-'))
      ++end;
    std::string flag = usage.substr(at, end - at);
    if (flag.size() < 2 || flag == "--" || flag == "-") continue;
    if (seen.insert(flag).second) out.push_back(flag);
    at = end - 1;
  }
  out.push_back("--help");
  return out;
}

void Bash(std::ostream& out) {
  out << "# gantryctl completion for bash: source <(gantryctl completion bash)\n"
      << "_gantryctl() {\n"
      << "  local cur=${COMP_WORDS[COMP_CWORD]} verb=${COMP_WORDS[1]}\n"
      << "  if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
      << "    COMPREPLY=($(compgen -W \"" << Join(VerbNames()) << "\" -- \"$cur\"))\n"
      << "    return\n"
      << "  fi\n"
      << "  case \"$cur\" in\n"
      << "    -*)\n"
      << "      case \"$verb\" in\n";
  for (const auto& v : AllVerbHelp())
    out << "        " << v.verb << ") COMPREPLY=($(compgen -W \"" << Join(FlagsOf(v))
        << "\" -- \"$cur\")) ;;\n";
  out << "      esac\n"
      << "      return ;;\n"
      << "  esac\n"
      << "  case \"$verb\" in\n"
      << "    get|describe|delete|wait)\n"
      << "      if [ \"$COMP_CWORD\" -eq 2 ]; then\n"
      << "        COMPREPLY=($(compgen -W \"" << Join(KindNames()) << "\" -- \"$cur\"))\n"
      << "      else\n"
      << "        COMPREPLY=($(compgen -W \"$(gantryctl get \"${COMP_WORDS[2]}\" -o name "
         "2>/dev/null | sed 's|.*/||')\" -- \"$cur\"))\n"
      << "      fi ;;\n"
      << "    rollout)\n"
      << "      case \"$COMP_CWORD\" in\n"
      << "        2) COMPREPLY=($(compgen -W \"status history undo\" -- \"$cur\")) ;;\n"
      << "        3) COMPREPLY=($(compgen -W \"service environment\" -- \"$cur\")) ;;\n"
      << "      esac ;;\n"
      << "    scale) [ \"$COMP_CWORD\" -eq 2 ] && COMPREPLY=($(compgen -W \"service\" -- "
         "\"$cur\")) ;;\n"
      << "    completion) COMPREPLY=($(compgen -W \"bash zsh\" -- \"$cur\")) ;;\n"
      << "    help) COMPREPLY=($(compgen -W \"" << Join(VerbNames()) << "\" -- \"$cur\")) ;;\n"
      << "    *) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
      << "  esac\n"
      << "}\n"
      << "complete -F _gantryctl gantryctl\n";
}

void Zsh(std::ostream& out) {
  out << "#compdef gantryctl\n"
      << "# gantryctl completion for zsh: gantryctl completion zsh > \"${fpath[1]}/_gantryctl\"\n"
      << "_gantryctl() {\n"
      << "  local -a verbs kinds\n"
      << "  verbs=(\n";
  for (const auto& v : AllVerbHelp()) {
    std::string summary = v.summary;
    std::string escaped;
    for (char c : summary) {
      if (c == '\'') {
        escaped += "'\\''";
      } else if (c == ':') {
        escaped += "\\:";
      } else {
        escaped += c;
      }
    }
    out << "    '" << v.verb << ":" << escaped << "'\n";
  }
  out << "  )\n"
      << "  kinds=(" << Join(KindNames()) << ")\n"
      << "  if (( CURRENT == 2 )); then\n"
      << "    _describe 'gantryctl verb' verbs\n"
      << "    return\n"
      << "  fi\n"
      << "  case ${words[2]} in\n";
  for (const auto& v : AllVerbHelp()) {
    out << "    " << v.verb << ")\n"
        << "      if [[ ${words[CURRENT]} == -* ]]; then\n"
        << "        compadd -- " << Join(FlagsOf(v)) << "\n";
    const std::string verb = v.verb;
    if (verb == "get" || verb == "describe" || verb == "delete" || verb == "wait") {
      out << "      elif (( CURRENT == 3 )); then\n"
          << "        compadd -- $kinds\n"
          << "      else\n"
          << "        compadd -- ${(f)\"$(gantryctl get ${words[3]} -o name 2>/dev/null | "
             "sed 's|.*/||')\"}\n";
    } else if (verb == "rollout") {
      out << "      elif (( CURRENT == 3 )); then\n"
          << "        compadd -- status history undo\n"
          << "      elif (( CURRENT == 4 )); then\n"
          << "        compadd -- service environment\n";
    } else if (verb == "completion") {
      out << "      else\n"
          << "        compadd -- bash zsh\n";
    } else if (verb == "help") {
      out << "      else\n"
          << "        _describe 'gantryctl verb' verbs\n";
    } else {
      out << "      else\n"
          << "        _files\n";
    }
    out << "      fi ;;\n";
  }
  out << "  esac\n"
      << "}\n"
      << "# Autoloaded from $fpath the file is the function; sourced, it registers it.\n"
      << "if [ \"${funcstack[1]}\" = \"_gantryctl\" ]; then\n"
      << "  _gantryctl \"$@\"\n"
      << "else\n"
      << "  compdef _gantryctl gantryctl\n"
      << "fi\n";
}

}  // namespace

int RunCompletion(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.size() != 1 || (args[0] != "bash" && args[0] != "zsh")) {
    err << "error: usage: gantryctl completion bash|zsh\n";
    return 2;
  }
  if (args[0] == "bash") {
    Bash(out);
  } else {
    Zsh(out);
  }
  return 0;
}

}  // namespace gantry::cli
