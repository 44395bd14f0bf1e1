#pragma once

// The order of an Environment's Deployments (<environment>-<n>): by creation, then by the number
// in the name (two made in one second), so that Blox's newest-first lists and the controller's
// one-at-a-time moves agree.

#include "gantry/v1/objects.pb.h"

namespace gantry::schema {

inline bool OlderDeployment(const v1::Deployment& a, const v1::Deployment& b) {
  const auto& x = a.metadata();
  const auto& y = b.metadata();
  if (x.creation_timestamp() != y.creation_timestamp())
    return x.creation_timestamp() < y.creation_timestamp();
  if (x.name().size() != y.name().size()) return x.name().size() < y.name().size();
  return x.name() < y.name();
}

}  // namespace gantry::schema
