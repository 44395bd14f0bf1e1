#pragma once

// gantryctl's command dispatch: `gantryctl VERB [ARGS]`. Each verb lives in its own folder.

namespace gantry::cli {

int GantryctlMain(int argc, char** argv);

}  // namespace gantry::cli
