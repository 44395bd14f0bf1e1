#pragma once

// CreateService and UpdateService answer once the controller of the object written has taken
// it in (status.observedGeneration ≥ metadata.generation), as ECS answers with the new
// deployment listed, so a waiter started right after sees it; at most `wait`.

#include <chrono>
#include <thread>

#include "api/schema/kinds.h"
#include "api/service/object_service.h"

namespace gantry::ecs {

// `written` (a Service or an Environment) as stored once observed, else as written.
template <typename T>
T AwaitObserved(api::ObjectService& objects, const T& written, std::chrono::milliseconds wait) {
  constexpr std::chrono::milliseconds kPoll{10};
  const schema::KindInfo& kind = *schema::FindKind(written.kind());
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < deadline) {
    auto got = objects.Get(kind, written.metadata().name());
    if (!got.ok() || schema::MetaOf(**got).uid() != written.metadata().uid()) break;
    const auto& now = static_cast<const T&>(**got);
    if (now.status().observed_generation() >= now.metadata().generation()) return now;
    std::this_thread::sleep_for(kPoll);
  }
  return written;
}

}  // namespace gantry::ecs
