#include "controllers/sync/sync_controller.h"

#include <google/protobuf/util/message_differencer.h>

#include <set>

#include "api/clock/format_time.h"
#include "api/codec/object_codec.h"
#include "api/schema/kinds.h"
#include "controllers/sync/client_apply_set_target.h"

namespace gantry::controllers::sync {
namespace {

using api::Code;
using api::Status;

// What a repository may declare: the objects users write. Tasks and container instances are
// the launcher's and the agents' (a task placed from Git would bypass placement), Events the
// controllers', Inventories and Syncs gantryd's own bookkeeping.
// Flux's keys for a GitRepository's Secret.
GitCredentials CredentialsOf(const v1::Secret& secret) {
  const auto& data = secret.spec().data();
  auto value = [&](const char* key) {
    auto it = data.find(key);
    return it == data.end() ? std::string() : it->second;
  };
  return {value("username"), value("password"), value("identity"), value("known_hosts"),
          value("ca.crt")};
}

const std::set<std::string>& SyncableKinds() {
  static const std::set<std::string> kinds = {"Cluster", "TaskDefinition", "Service", "Environment",
                                              "Deployment"};
  return kinds;
}

std::string RequestOf(const v1::Sync& sync) {
  auto it = sync.metadata().annotations().find(kRequestedAtAnnotation);
  return it == sync.metadata().annotations().end() ? "" : it->second;
}

// A spec change or a request for a pass now; not the controller's own status writes.
bool Asked(const v1::Sync& before, const v1::Sync& now) {
  return before.metadata().generation() != now.metadata().generation() ||
         RequestOf(before) != RequestOf(now);
}

}  // namespace

SyncController::SyncController(client::Client& client, clock::Clock& clock,
                               runtime::InformerFactory& informers, GitSource& source,
                               runtime::ControllerOptions options)
    : client_(client),
      clock_(clock),
      syncs_(informers.For(*schema::FindKind("Sync"))),
      source_(source),
      recorder_(client, clock, kName) {
  if (options.name.empty()) options.name = kName;
  controller_ = std::make_unique<runtime::Controller>(
      clock, [this](const std::string& key) { return Reconcile(key); }, std::move(options));
  runtime::WorkQueue& queue = controller_->queue();
  syncs_.AddEventHandlers({
      [&queue](const runtime::ObjectRef& o) { queue.Add(schema::MetaOf(*o).name()); },
      [&queue](const runtime::ObjectRef& before, const runtime::ObjectRef& now) {
        if (Asked(static_cast<const v1::Sync&>(*before), static_cast<const v1::Sync&>(*now)))
          queue.Add(schema::MetaOf(*now).name());
      },
      nullptr,  // a deleted Sync leaves its objects as they are
  });
}

SyncPass SyncController::Pass(const v1::Sync& sync) {
  SyncPass pass;
  const auto& git = sync.spec().git();
  GitSourceSpec source{git.url(), git.ref().empty() ? kDefaultRef : git.ref(), git.path(), {}};
  if (const std::string& name = git.secret_ref().name(); !name.empty()) {
    auto secret = client_.Get(*schema::FindKind("Secret"), name);
    if (!secret.ok()) {
      // Read on every pass: a Secret made or fixed later is used at the next one.
      pass.error = secret.status().code() == Code::kNotFound
                       ? api::Status(Code::kNotFound,
                                     "secret \"" + name + "\" (spec.git.secretRef) does not exist",
                                     "spec.git.secretRef.name")
                       : secret.status();
      pass.reason = "SecretNotFound";
      return pass;
    }
    source.credentials = CredentialsOf(static_cast<const v1::Secret&>(**secret));
  }
  auto fetched = source_.Fetch(source);
  if (!fetched.ok()) {
    pass.error = fetched.status();
    pass.reason = "GitFetchFailed";
    // Unreachable is passing; a ref, a path or a repository too big is the Sync's to fix.
    pass.own_error = fetched.status().code() != Code::kUnavailable;
    return pass;
  }
  pass.revision = fetched->commit;

  std::vector<codec::Manifest> manifests;
  for (const auto& file : fetched->files) {
    auto decoded = codec::DecodeManifests(file.text, file.path);
    if (!decoded.ok()) {
      pass.error = decoded.status();
      pass.reason = "InvalidManifest";
      pass.own_error = true;
      return pass;
    }
    for (auto& m : *decoded) {
      if (!SyncableKinds().count(m.kind->kind)) {
        pass.error = api::InvalidArgument(
            "kind", codec::PlaceOf(m) + ": a " + m.kind->kind +
                        " is not synced from Git (Clusters, TaskDefinitions, Services, "
                        "Environments and Deployments are)");
        pass.reason = "InvalidManifest";
        pass.own_error = true;
        return pass;
      }
      manifests.push_back(std::move(m));
    }
  }
  const auto objects = client::ApplySetObjectsOf(manifests);
  ClientApplySetTarget target(client_);
  client::ApplySetOptions options;
  options.inventory = sync.metadata().name();
  options.prune = sync.spec().prune();
  // As Flux's kustomize-controller: a server-side apply that takes back the fields Git sets from
  // whoever changed them (that is the drift it corrects), and leaves the others alone.
  options.field_manager = kSyncFieldManager;
  options.force_conflicts = true;
  const auto result = client::RunApplySet(target, objects, options);
  for (const auto& line : result.lines) {
    if (!line.error.ok()) {
      if (pass.error.ok()) pass.error = line.error;
      continue;
    }
    if (line.outcome == "created" || line.outcome == "configured")
      pass.changed.push_back(client::Describe(line.key));
    if (line.outcome == "pruned") pass.pruned.push_back(client::Describe(line.key));
  }
  if (pass.error.ok() && !result.error.ok()) pass.error = result.error;
  if (!pass.error.ok()) {
    // A manifest the server refuses or an object another inventory owns is the commit's to fix;
    // a store that failed a write is tried again.
    const Code code = pass.error.code();
    pass.own_error = code == Code::kInvalidArgument || code == Code::kFailedPrecondition ||
                     code == Code::kAlreadyExists || code == Code::kPermissionDenied;
    pass.reason = pass.own_error ? "ApplyRefused" : "ApplyFailed";
    return pass;
  }
  pass.members = static_cast<int>(result.members.size());
  return pass;
}

api::StatusOr<runtime::ReconcileOutcome> SyncController::Reconcile(const std::string& name) {
  runtime::ObjectRef object = syncs_.Get(name);
  if (!object) return runtime::ReconcileOutcome{};
  const auto& sync = static_cast<const v1::Sync&>(*object);
  const std::string now = clock::FormatTime(clock_.Now());

  v1::SyncStatus status;
  runtime::ReconcileOutcome outcome;
  SyncPass pass;
  if (sync.spec().suspend()) {
    status = SuspendedStatus(sync, now);
  } else {
    pass = Pass(sync);
    status = StatusAfter(sync, pass, now, RequestOf(sync));
    outcome.requeue_after = IntervalOf(sync.spec());
  }
  if (!google::protobuf::util::MessageDifferencer::Equals(status, sync.status())) {
    v1::Sync updated = sync;
    *updated.mutable_status() = status;
    auto written = client_.UpdateStatus(updated);
    // Changed meanwhile (a spec change brings its own pass): the status waits for that pass.
    if (!written.ok() && written.status().code() != Code::kAborted) return written.status();
  }
  if (sync.spec().suspend()) return outcome;
  if (!pass.error.ok()) {
    (void)recorder_.Record(sync, runtime::EventType::kWarning, pass.reason, pass.error.ToString());
  } else if (!pass.changed.empty() || !pass.pruned.empty()) {
    std::string message = "revision " + pass.revision.substr(0, 12) + ":";
    for (const auto& c : pass.changed) message += " " + c + " applied;";
    for (const auto& p : pass.pruned) message += " " + p + " pruned;";
    message.pop_back();
    (void)recorder_.Record(sync, runtime::EventType::kNormal, "Applied", message);
  }
  return outcome;
}

}  // namespace gantry::controllers::sync
