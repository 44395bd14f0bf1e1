#include "api/service/local_client.h"

#include <utility>

#include "store/store.h"

namespace gantry::api {
namespace {

static_assert(client::kMaxCommitWrites == store::kMaxTxnOps);

class LocalWatch : public client::WatchStream {
 public:
  explicit LocalWatch(std::unique_ptr<ObjectWatch> watch) : watch_(std::move(watch)) {}

  Poll Next(client::WatchEvent& event, std::chrono::milliseconds timeout) override {
    ObjectEvent e;
    switch (watch_->Next(e, timeout)) {
      case ObjectWatch::Poll::kEvent:
        event.type = e.type == ObjectEvent::Type::kAdded      ? client::WatchEvent::Type::kAdded
                     : e.type == ObjectEvent::Type::kModified ? client::WatchEvent::Type::kModified
                                                              : client::WatchEvent::Type::kDeleted;
        event.object = std::move(e.object);
        return Poll::kEvent;
      case ObjectWatch::Poll::kTimeout:
        return Poll::kTimeout;
      case ObjectWatch::Poll::kClosed:
        break;
    }
    return Poll::kClosed;
  }
  void Cancel() override { watch_->Cancel(); }
  std::string closed_reason() const override { return watch_->closed_reason(); }
  void SetNotify(std::function<void()> notify) override { watch_->SetNotify(std::move(notify)); }

 private:
  std::unique_ptr<ObjectWatch> watch_;
};

client::ApplyOutcome ToClient(ApplyOutcome outcome) {
  switch (outcome) {
    case ApplyOutcome::kCreated:
      return client::ApplyOutcome::kCreated;
    case ApplyOutcome::kConfigured:
      return client::ApplyOutcome::kConfigured;
    case ApplyOutcome::kUnchanged:
      break;
  }
  return client::ApplyOutcome::kUnchanged;
}

}  // namespace

StatusOr<client::Object> LocalClient::Get(const schema::KindInfo& kind, std::string_view name) {
  return objects_.Get(kind, name);
}

StatusOr<client::ListPage> LocalClient::List(const schema::KindInfo& kind,
                                             const client::ListOptions& options) {
  auto selector = LabelSelector::Parse(options.label_selector);
  if (!selector.ok()) return selector.status();
  auto list = objects_.List(kind, *selector, options.limit, options.continue_token);
  if (!list.ok()) return list.status();
  client::ListPage page;
  page.items = std::move(list->items);
  page.revision = list->revision;
  page.continue_token = std::move(list->continue_token);
  return page;
}

StatusOr<std::unique_ptr<client::WatchStream>> LocalClient::Watch(const schema::KindInfo& kind,
                                                                  std::string_view resource_version,
                                                                  std::string_view label_selector) {
  auto selector = LabelSelector::Parse(label_selector);
  if (!selector.ok()) return selector.status();
  auto watch = objects_.Watch(kind, resource_version, *selector);
  if (!watch.ok()) return watch.status();
  return std::unique_ptr<client::WatchStream>(std::make_unique<LocalWatch>(std::move(*watch)));
}

StatusOr<client::Applied> LocalClient::Apply(const google::protobuf::Message& manifest,
                                             const client::ApplyOptions& options) {
  auto applied = objects_.Apply(manifest, {.dry_run = options.dry_run,
                                           .field_manager = options.field_manager,
                                           .server_side = options.server_side,
                                           .applied_fields = options.fields,
                                           .force_conflicts = options.force_conflicts});
  if (!applied.ok()) return applied.status();
  return client::Applied{std::move(applied->object), ToClient(applied->outcome)};
}

StatusOr<client::Object> LocalClient::Create(const google::protobuf::Message& object) {
  return objects_.Create(object);
}

StatusOr<client::Object> LocalClient::Delete(const schema::KindInfo& kind, std::string_view name,
                                             std::string_view resource_version) {
  return objects_.Delete(kind, name, resource_version);
}

StatusOr<client::Object> LocalClient::UpdateStatus(const google::protobuf::Message& object) {
  return objects_.UpdateStatus(object);
}

StatusOr<std::vector<client::Object>> LocalClient::Commit(
    const std::vector<client::Write>& writes) {
  std::vector<ObjectWrite> ops;
  ops.reserve(writes.size());
  for (const auto& w : writes) {
    switch (w.type) {
      case client::Write::Type::kCreate:
        ops.push_back(ObjectWrite::Create(*w.object));
        break;
      case client::Write::Type::kUpdateStatus:
        ops.push_back(ObjectWrite::UpdateStatus(*w.object));
        break;
      case client::Write::Type::kDelete:
        ops.push_back(ObjectWrite::Delete(*w.object));
        break;
    }
  }
  auto committed = objects_.Commit(ops);
  if (!committed.ok()) return committed.status();
  return std::move(committed->objects);
}

StatusOr<v1::LaunchResponse> LocalClient::Launch(const v1::LaunchRequest& request) {
  if (!launch_) return Status(Code::kUnimplemented, "this client has no launcher");
  return launch_(request);
}

}  // namespace gantry::api
