#pragma once

// The one way a controller reads and writes the cluster. Controllers see only this interface,
// api/schema, api/status, the protos and placement (scripts/check-deps.sh), so a controller can
// run inside gantryd (api/service/local_client: straight calls into the service layer) or, later,
// in a process of its own over gRPC, and a test hands it a LocalClient on a memory store.
//
// Semantics are the service layer's (api/service/object_service.h): Apply replaces spec, labels
// and annotations, or merges by field ownership when server-side (ApplyOptions); a stale
// metadata.resourceVersion is kAborted (409); a watch from a compacted revision is kOutOfRange (410
// Gone: list again and watch from the list's revision). Tasks are placed only through Launch, which
// reaches gantryd's one placement committer.

#include <google/protobuf/message.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/client/apply_options.h"
#include "api/schema/kinds.h"
#include "api/status/status.h"
#include "gantry/v1/launch.pb.h"

namespace gantry::client {

using Object = std::unique_ptr<google::protobuf::Message>;

enum class ApplyOutcome { kCreated, kConfigured, kUnchanged };

struct Applied {
  Object object;
  ApplyOutcome outcome = ApplyOutcome::kUnchanged;
};

struct ListOptions {
  std::string label_selector;  // Kubernetes syntax: "app=web,tier in (a,b)"; empty: everything
  size_t limit = 0;            // at most this many per page; 0: all
  std::string continue_token;  // from the previous page
};

struct ListPage {
  std::vector<Object> items;
  int64_t revision = 0;        // the revision this page is consistent with: watch from here
  std::string continue_token;  // non-empty when more may follow
};

// One write of Client::Commit; `object` must outlive the call.
struct Write {
  enum class Type { kCreate, kUpdateStatus, kDelete };
  Type type = Type::kUpdateStatus;
  const google::protobuf::Message* object = nullptr;
};

struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted };
  Type type = Type::kAdded;
  Object object;  // for kDeleted: the object as it was
};

// A stream of one kind's changes, in revision order.
class WatchStream {
 public:
  enum class Poll { kEvent, kTimeout, kClosed };
  virtual ~WatchStream() = default;
  // Waits up to `timeout` (0: returns at once) for the next change.
  virtual Poll Next(WatchEvent& event, std::chrono::milliseconds timeout) = 0;
  virtual void Cancel() = 0;
  // Why Next() returned kClosed (cancelled, server shutting down, fell too far behind).
  virtual std::string closed_reason() const = 0;
  // Called whenever Next() may have something new, so one thread can serve many watches; it
  // must be cheap and may run on any thread. nullptr removes it.
  virtual void SetNotify(std::function<void()> notify) = 0;
};

class Client {
 public:
  virtual ~Client() = default;

  virtual api::StatusOr<Object> Get(const schema::KindInfo& kind, std::string_view name) = 0;
  virtual api::StatusOr<ListPage> List(const schema::KindInfo& kind,
                                       const ListOptions& options) = 0;
  // Changes after `resource_version` (a list's revision, or "" for from now on).
  virtual api::StatusOr<std::unique_ptr<WatchStream>> Watch(const schema::KindInfo& kind,
                                                            std::string_view resource_version,
                                                            std::string_view label_selector) = 0;
  virtual api::StatusOr<Applied> Apply(const google::protobuf::Message& manifest,
                                       const ApplyOptions& options = {}) = 0;
  // kAlreadyExists when the object exists.
  virtual api::StatusOr<Object> Create(const google::protobuf::Message& object) = 0;
  // Returns the object as it was; a non-empty `resource_version` must match.
  virtual api::StatusOr<Object> Delete(const schema::KindInfo& kind, std::string_view name,
                                       std::string_view resource_version) = 0;
  // Replaces the status only (the status subresource); the object's resourceVersion, when set,
  // must match.
  virtual api::StatusOr<Object> UpdateStatus(const google::protobuf::Message& object) = 0;
  // Several creates, status updates and deletes as one store transaction: all or none, at one
  // revision. Each object's resourceVersion, when set, must match (kAborted otherwise). Returns
  // the objects as written (deleted ones as they were), in the order given. At most
  // kMaxCommitWrites writes.
  virtual api::StatusOr<std::vector<Object>> Commit(const std::vector<Write>& writes) = 0;
  // Places and commits tasks through gantryd's one placement committer, never a second cache
  // that could over-commit an instance: `count` tasks, or one on each of
  // request.container_instances. Tasks that found no instance come back as failures with ECS's
  // reasons; a bad request is kInvalidArgument naming its field. kUnimplemented from a client
  // built without a launcher.
  virtual api::StatusOr<v1::LaunchResponse> Launch(const v1::LaunchRequest& request) = 0;
};

// The most writes one Commit takes (the store's transaction limit).
inline constexpr size_t kMaxCommitWrites = 1000;

}  // namespace gantry::client
