#include "controllers/runtime/event_recorder.h"

#include <gtest/gtest.h>

#include "api/clock/fake_clock.h"
#include "api/service/local_client.h"
#include "gantry/v1/objects.pb.h"
#include "store/memory/memory_store.h"

namespace gantry::controllers::runtime {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

v1::Service ServiceNamed(const std::string& name) {
  v1::Service s;
  s.set_kind("Service");
  s.mutable_metadata()->set_name(name);
  s.mutable_metadata()->set_uid("uid-" + name);
  return s;
}

class EventRecorderTest : public ::testing::Test {
 protected:
  std::vector<v1::Event> Events() {
    auto list = client_.List(*schema::FindKind("Event"), {});
    EXPECT_TRUE(list.ok());
    std::vector<v1::Event> out;
    if (!list.ok()) return out;
    for (auto& item : list->items) out.push_back(static_cast<const v1::Event&>(*item));
    return out;
  }

  clock::FakeClock clock_;
  store::MemoryStore store_;
  api::ObjectService objects_{store_, clock_};
  api::LocalClient client_{objects_};
};

TEST_F(EventRecorderTest, RepeatsRaiseTheCountOfOneEvent) {
  EventRecorder recorder(client_, clock_, "service-controller");
  const v1::Service web = ServiceNamed("web");
  ASSERT_TRUE(recorder.Record(web, EventType::kWarning, "FailedPlacement", "no room").ok());
  auto events = Events();
  ASSERT_EQ(events.size(), 1u);
  const v1::Event first = events[0];
  EXPECT_EQ(first.spec().type(), "Warning");
  EXPECT_EQ(first.spec().reason(), "FailedPlacement");
  EXPECT_EQ(first.spec().message(), "no room");
  EXPECT_EQ(first.spec().involved_object().kind(), "Service");
  EXPECT_EQ(first.spec().involved_object().name(), "web");
  EXPECT_EQ(first.spec().involved_object().uid(), "uid-web");
  EXPECT_EQ(first.spec().count(), 1);
  EXPECT_EQ(first.spec().first_timestamp(), "2026-01-01T00:00:00Z");
  EXPECT_EQ(first.spec().last_timestamp(), first.spec().first_timestamp());
  EXPECT_EQ(first.metadata().labels().at("gantry.dev/component"), "service-controller");
  EXPECT_EQ(first.metadata().name().rfind("web.", 0), 0u) << first.metadata().name();

  clock_.Advance(seconds(30));
  ASSERT_TRUE(recorder.Record(web, EventType::kWarning, "FailedPlacement", "no room").ok());
  events = Events();
  ASSERT_EQ(events.size(), 1u) << "a repeat is the same Event";
  EXPECT_EQ(events[0].metadata().name(), first.metadata().name());
  EXPECT_EQ(events[0].spec().count(), 2);
  EXPECT_EQ(events[0].spec().first_timestamp(), "2026-01-01T00:00:00Z");
  EXPECT_EQ(events[0].spec().last_timestamp(), "2026-01-01T00:00:30Z");

  // Another message, type or object is another Event.
  ASSERT_TRUE(recorder.Record(web, EventType::kWarning, "FailedPlacement", "still no room").ok());
  ASSERT_TRUE(recorder.Record(web, EventType::kNormal, "FailedPlacement", "no room").ok());
  ASSERT_TRUE(
      recorder.Record(ServiceNamed("api"), EventType::kWarning, "FailedPlacement", "no room").ok());
  EXPECT_EQ(Events().size(), 4u);
}

TEST_F(EventRecorderTest, EachObjectsEventsAreRateLimited) {
  RecorderOptions options;
  options.burst = 3;
  EventRecorder recorder(client_, clock_, "test", options);
  const v1::Service web = ServiceNamed("web");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(recorder.Record(web, EventType::kNormal, "Scaled", std::to_string(i)).ok());
  }
  auto refused = recorder.Record(web, EventType::kNormal, "Scaled", "3");
  EXPECT_EQ(refused.code(), api::Code::kResourceExhausted);
  EXPECT_EQ(recorder.dropped(), 1);
  EXPECT_EQ(Events().size(), 3u) << "a rate-limited event writes nothing";
  // Another object has its own bucket; the first refills one event per 5 minutes.
  EXPECT_TRUE(recorder.Record(ServiceNamed("api"), EventType::kNormal, "Scaled", "0").ok());
  clock_.Advance(minutes(5));
  EXPECT_TRUE(recorder.Record(web, EventType::kNormal, "Scaled", "4").ok());
  EXPECT_EQ(recorder.Record(web, EventType::kNormal, "Scaled", "5").code(),
            api::Code::kResourceExhausted);
}

TEST_F(EventRecorderTest, ForgottenEventsStartAgainAndWriteFailuresAreReported) {
  RecorderOptions options;
  options.remembered = 1;
  EventRecorder recorder(client_, clock_, "test", options);
  const v1::Service web = ServiceNamed("web");
  ASSERT_TRUE(recorder.Record(web, EventType::kNormal, "A", "a").ok());
  clock_.Advance(seconds(1));
  ASSERT_TRUE(recorder.Record(web, EventType::kNormal, "B", "b").ok());
  clock_.Advance(seconds(1));
  ASSERT_TRUE(recorder.Record(web, EventType::kNormal, "A", "a").ok());
  EXPECT_EQ(Events().size(), 3u) << "only the latest event's count is remembered";

  // A write that fails is returned and counted; nothing else breaks.
  class FailingClient : public api::LocalClient {
   public:
    using api::LocalClient::LocalClient;
    api::StatusOr<client::Applied> Apply(const google::protobuf::Message&,
                                         const client::ApplyOptions&) override {
      return api::Status(api::Code::kUnavailable, "store is closing");
    }
  } failing(objects_);
  EventRecorder broken(failing, clock_, "test");
  EXPECT_EQ(broken.Record(web, EventType::kWarning, "X", "y").code(), api::Code::kUnavailable);
  EXPECT_EQ(broken.failed(), 1);
  EXPECT_EQ(Events().size(), 3u);
}

}  // namespace
}  // namespace gantry::controllers::runtime
