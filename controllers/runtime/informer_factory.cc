#include "controllers/runtime/informer_factory.h"

#include <algorithm>
#include <vector>

#include "controllers/runtime/standard_indexes.h"

namespace gantry::controllers::runtime {

InformerFactory::~InformerFactory() { Stop(); }

Informer& InformerFactory::For(const schema::KindInfo& kind) {
  std::lock_guard lock(mu_);
  auto& slot = informers_[kind.kind];
  if (!slot) {
    slot = std::make_unique<Informer>(client_, kind, clock_);
    AddStandardIndexes(*slot);
  }
  return *slot;
}

void InformerFactory::Start() {
  std::lock_guard lock(mu_);
  for (auto& [kind, informer] : informers_) {
    if (started_[kind]) continue;
    informer->Start();
    started_[kind] = true;
  }
}

bool InformerFactory::WaitForCacheSync(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<Informer*> started;
  {
    std::lock_guard lock(mu_);
    for (auto& [kind, informer] : informers_) {
      if (started_[kind]) started.push_back(informer.get());
    }
  }
  for (Informer* informer : started) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!informer->WaitForSync(std::max(left, std::chrono::milliseconds(0)))) return false;
  }
  return true;
}

void InformerFactory::Stop() {
  std::lock_guard lock(mu_);
  for (auto& [kind, informer] : informers_) informer->Stop();
}

}  // namespace gantry::controllers::runtime
