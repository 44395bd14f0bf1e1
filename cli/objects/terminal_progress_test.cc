#include "cli/objects/terminal_progress.h"

#include <gtest/gtest.h>

#include <sstream>

namespace gantry::cli {
namespace {

// In a pipe or a file only the real output goes: progress writes nothing at all.
TEST(TerminalProgressTest, NothingButATerminalGetsProgress) {
  std::ostringstream out;
  {
    TerminalProgress progress(out);
    EXPECT_FALSE(progress.live());
    progress.Show("applying 1 of 40...");
    progress.Clear();
    progress.Show("applying 2 of 40...");
  }
  EXPECT_EQ(out.str(), "");
}

}  // namespace
}  // namespace gantry::cli
