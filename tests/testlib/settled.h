#pragma once

// Waits for an object a controller writes the status of to show the status for its generation:
// a snapshot taken before that would change under the test.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/testlib/eventually.h"

namespace gantry::testlib {

// `get` reads the object as JSON (null when it does not exist). Returns it once its
// status.observedGeneration equals metadata.generation, else the last read (with a failure).
inline nlohmann::json Settled(const std::function<nlohmann::json()>& get) {
  nlohmann::json o;
  EXPECT_TRUE(Eventually(
      [&] {
        o = get();
        return o.is_object() && o.contains("status") &&
               o["status"].value("observedGeneration", nlohmann::json()) ==
                   o["metadata"]["generation"];
      },
      std::chrono::seconds(10)))
      << "never showed a status for its generation: " << o.dump();
  return o;
}

}  // namespace gantry::testlib
