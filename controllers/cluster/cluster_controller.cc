#include "controllers/cluster/cluster_controller.h"

#include <chrono>

#include "api/schema/kinds.h"
#include "controllers/cluster/cluster_status_plan.h"
#include "controllers/runtime/standard_indexes.h"

namespace gantry::controllers::cluster {
namespace {

template <typename T>
std::string ClusterOf(const google::protobuf::Message& object) {
  return ClusterNameOf(static_cast<const T&>(object).spec().cluster());
}

template <typename T>
std::vector<const T*> Typed(const std::vector<runtime::ObjectRef>& objects) {
  std::vector<const T*> out;
  out.reserve(objects.size());
  for (const auto& o : objects) out.push_back(static_cast<const T*>(o.get()));
  return out;
}

}  // namespace

ClusterController::ClusterController(client::Client& client, clock::Clock& clock,
                                     runtime::InformerFactory& informers,
                                     runtime::ControllerOptions options)
    : client_(client),
      clock_(clock),
      expectations_(clock),
      clusters_(informers.For(*schema::FindKind("Cluster"))),
      instances_(informers.For(*schema::FindKind("ContainerInstance"))),
      tasks_(informers.For(*schema::FindKind("Task"))),
      services_(informers.For(*schema::FindKind("Service"))) {
  if (options.name.empty()) options.name = kName;
  controller_ = std::make_unique<runtime::Controller>(
      clock, [this](const std::string& key) { return Reconcile(key); }, std::move(options));
  runtime::WorkQueue& queue = controller_->queue();

  clusters_.AddEventHandlers({
      [&queue](const runtime::ObjectRef& added) { queue.Add(schema::MetaOf(*added).name()); },
      [&queue](const runtime::ObjectRef&, const runtime::ObjectRef& now) {
        queue.Add(schema::MetaOf(*now).name());
      },
      nullptr,
  });
  // A change of an object that refers to a cluster recounts that cluster (both, when it moved).
  // The informers index them by cluster already (runtime/standard_indexes.h).
  auto watch_referrers = [&queue](runtime::Informer& informer, auto cluster_of) {
    auto enqueue = [&queue, cluster_of](const runtime::ObjectRef& o) { queue.Add(cluster_of(*o)); };
    informer.AddEventHandlers({
        enqueue,
        [&queue, cluster_of](const runtime::ObjectRef& before, const runtime::ObjectRef& now) {
          const std::string was = cluster_of(*before), is = cluster_of(*now);
          queue.Add(is);
          if (was != is) queue.Add(was);
        },
        enqueue,
    });
  };
  watch_referrers(instances_, ClusterOf<v1::ContainerInstance>);
  watch_referrers(tasks_, ClusterOf<v1::Task>);
  watch_referrers(services_, ClusterOf<v1::Service>);
}

api::StatusOr<runtime::ReconcileOutcome> ClusterController::Reconcile(const std::string& name) {
  runtime::ObjectRef cluster = clusters_.Get(name);
  if (!cluster) {  // deleted, or not created yet
    std::lock_guard lock(mu_);
    last_write_.erase(name);
    expectations_.Forget(name);
    return runtime::ReconcileOutcome{};
  }
  // Its own last write not yet in the cache: the update event for it brings the key back.
  if (auto wait = expectations_.Pending(name, runtime::RevisionOf(*cluster))) {
    return runtime::ReconcileOutcome{.requeue_after = *wait};
  }
  std::optional<clock::Clock::TimePoint> last_write;
  {
    std::lock_guard lock(mu_);
    if (auto it = last_write_.find(name); it != last_write_.end()) last_write = it->second;
  }
  // Before counting: a cluster busy with task changes is requeued here, not recounted per change.
  const auto now = clock_.Now();
  if (auto wait = RecountWait(last_write, now); wait > clock::Clock::Duration::zero()) {
    return runtime::ReconcileOutcome{.requeue_after = wait};
  }
  const auto counts =
      CountCluster(Typed<v1::ContainerInstance>(instances_.ByIndex(runtime::kByCluster, name)),
                   Typed<v1::Task>(tasks_.ByIndex(runtime::kByCluster, name)),
                   Typed<v1::Service>(services_.ByIndex(runtime::kByCluster, name)));
  auto next = PlanClusterStatus(static_cast<const v1::Cluster&>(*cluster), counts);
  if (!next) return runtime::ReconcileOutcome{};
  auto written = client_.UpdateStatus(*next);
  if (!written.ok()) {
    // Gone meanwhile: its delete event ends it. Anything else (a stale resourceVersion, a
    // store error) is retried with backoff.
    if (written.status().code() == api::Code::kNotFound) return runtime::ReconcileOutcome{};
    return written.status();
  }
  {
    std::lock_guard lock(mu_);
    last_write_[name] = now;
  }
  expectations_.Expect(name, runtime::RevisionOf(**written));
  return runtime::ReconcileOutcome{};
}

}  // namespace gantry::controllers::cluster
