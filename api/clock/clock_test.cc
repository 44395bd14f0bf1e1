#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "api/clock/fake_clock.h"
#include "api/clock/format_time.h"
#include "api/clock/system_clock.h"

namespace gantry::clock {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Generous: only a hung implementation takes this long, a slow machine does not.
constexpr auto kDeadline = seconds(10);

TEST(FakeClockTest, StartsAtNewYear2026AndMovesOnlyWhenAdvanced) {
  FakeClock clock;
  EXPECT_EQ(FormatTime(clock.Now()), "2026-01-01T00:00:00Z");
  clock.Advance(seconds(90));
  EXPECT_EQ(FormatTime(clock.Now()), "2026-01-01T00:01:30Z");
  clock.Advance(-seconds(30));
  EXPECT_EQ(FormatTime(clock.Now()), "2026-01-01T00:01:30Z");
}

TEST(FakeClockTest, FiresWhenDueInDueOrderWithNowAtTheDueTime) {
  FakeClock clock;
  const auto start = clock.Now();
  std::vector<std::pair<int, Clock::Duration>> fired;
  for (int ms : {30, 10, 20}) {
    clock.AfterFunc(milliseconds(ms), [&, ms] { fired.emplace_back(ms, clock.Now() - start); });
  }
  clock.Advance(milliseconds(9));
  EXPECT_TRUE(fired.empty());
  clock.Advance(milliseconds(41));
  ASSERT_EQ(fired.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(fired[i].first, 10 * (i + 1));
    EXPECT_EQ(fired[i].second, milliseconds(10 * (i + 1)));
  }
  EXPECT_EQ(clock.Now() - start, milliseconds(50));
  EXPECT_FALSE(clock.HasWaiters());
}

TEST(FakeClockTest, EqualDueTimesFireInSchedulingOrder) {
  FakeClock clock;
  std::vector<int> fired;
  for (int i = 0; i < 5; ++i) clock.AfterFunc(seconds(1), [&fired, i] { fired.push_back(i); });
  clock.Advance(seconds(1));
  EXPECT_EQ(fired, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(FakeClockTest, StopBeforeFiringPreventsTheCallAndAfterwardsReportsFalse) {
  FakeClock clock;
  int calls = 0;
  TimerHandle stopped = clock.AfterFunc(seconds(1), [&] { ++calls; });
  TimerHandle kept = clock.AfterFunc(seconds(1), [&] { ++calls; });
  EXPECT_EQ(clock.PendingTimers(), 2u);
  EXPECT_TRUE(stopped.Stop());
  EXPECT_FALSE(stopped.Stop()) << "a second Stop prevents nothing";
  EXPECT_EQ(clock.PendingTimers(), 1u);
  clock.Advance(seconds(1));
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(kept.Stop()) << "already fired";
  EXPECT_FALSE(TimerHandle().Stop());
}

TEST(FakeClockTest, ZeroAndNegativeDelaysFireOnTheNextAdvance) {
  FakeClock clock;
  int calls = 0;
  clock.AfterFunc(Clock::Duration::zero(), [&] { ++calls; });
  clock.AfterFunc(-seconds(5), [&] { ++calls; });
  EXPECT_EQ(calls, 0);
  clock.Advance(Clock::Duration::zero());
  EXPECT_EQ(calls, 2);
}

TEST(FakeClockTest, TimersScheduledFromACallbackAreMeasuredFromItsDueTime) {
  FakeClock clock;
  const auto start = clock.Now();
  std::vector<Clock::Duration> fired;
  clock.AfterFunc(milliseconds(10), [&] {
    fired.push_back(clock.Now() - start);
    clock.AfterFunc(milliseconds(5), [&] { fired.push_back(clock.Now() - start); });
    clock.AfterFunc(milliseconds(100), [&] { fired.push_back(clock.Now() - start); });
  });
  clock.Advance(milliseconds(50));
  EXPECT_EQ(fired, (std::vector<Clock::Duration>{milliseconds(10), milliseconds(15)}));
  EXPECT_EQ(clock.PendingTimers(), 1u);
  clock.Advance(milliseconds(60));
  ASSERT_EQ(fired.size(), 3u);
  EXPECT_EQ(fired[2], milliseconds(110));
}

TEST(FakeClockTest, ACallbackCanStopATimerDueLaterInTheSameAdvance) {
  FakeClock clock;
  bool later_ran = false;
  TimerHandle later = clock.AfterFunc(seconds(2), [&] { later_ran = true; });
  bool stopped = false;
  clock.AfterFunc(seconds(1), [&] { stopped = later.Stop(); });
  clock.Advance(seconds(3));
  EXPECT_TRUE(stopped);
  EXPECT_FALSE(later_ran);
}

TEST(FakeClockTest, AdvanceAcrossManyTimersFiresEachOnceInOrder) {
  FakeClock clock;
  const auto start = clock.Now();
  std::mt19937 random(42);
  std::uniform_int_distribution<int> delay_ms(0, 10'000);
  constexpr int kTimers = 2'000;
  std::vector<int> due_ms(kTimers);
  std::vector<int> calls(kTimers, 0);
  std::vector<Clock::Duration> fired_at;
  for (int i = 0; i < kTimers; ++i) {
    due_ms[i] = delay_ms(random);
    clock.AfterFunc(milliseconds(due_ms[i]), [&, i] {
      ++calls[i];
      fired_at.push_back(clock.Now() - start);
      EXPECT_EQ(clock.Now() - start, milliseconds(due_ms[i]));
    });
  }
  // Uneven steps, so some land exactly on due times and some between them.
  for (int step = 0; clock.Now() - start < seconds(10); step = (step + 1) % 7) {
    clock.Advance(milliseconds(97 + step * 13));
  }
  EXPECT_EQ(calls, std::vector<int>(kTimers, 1));
  EXPECT_TRUE(std::is_sorted(fired_at.begin(), fired_at.end()));
  EXPECT_FALSE(clock.HasWaiters());
}

TEST(FakeClockTest, AfterReleasesAWaitingThreadWhenAdvancedOrStopped) {
  FakeClock clock;
  Timer fires = clock.After(seconds(1));
  Timer stopped = clock.After(seconds(1));
  auto fired_wait = std::async(std::launch::async, [&] { return fires.Wait(); });
  auto stopped_wait = std::async(std::launch::async, [&] { return stopped.Wait(); });
  EXPECT_FALSE(fires.Fired());
  EXPECT_TRUE(stopped.Stop());
  ASSERT_EQ(stopped_wait.wait_for(kDeadline), std::future_status::ready);
  EXPECT_FALSE(stopped_wait.get());
  clock.Advance(seconds(1));
  ASSERT_EQ(fired_wait.wait_for(kDeadline), std::future_status::ready);
  EXPECT_TRUE(fired_wait.get());
  EXPECT_TRUE(fires.Fired());
  EXPECT_FALSE(fires.Stop());
}

TEST(FakeClockTest, HandlesOutliveTheClock) {
  TimerHandle handle;
  {
    FakeClock clock;
    handle = clock.AfterFunc(seconds(1), [] {});
  }
  EXPECT_FALSE(handle.Stop()) << "the clock dropped it";
}

// Signals from a timer callback to the test thread.
class Latch {
 public:
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    opened_.notify_all();
  }
  bool WaitOpen(std::chrono::steady_clock::duration timeout) {
    std::unique_lock lock(mu_);
    return opened_.wait_for(lock, timeout, [this] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable opened_;
  bool open_ = false;
};

TEST(SystemClockTest, NowIsTheWallClock) {
  SystemClock clock;
  const auto before = std::chrono::system_clock::now();
  const auto now = clock.Now();
  EXPECT_LE(before, now);
  EXPECT_LE(now, std::chrono::system_clock::now());
}

TEST(SystemClockTest, AfterFuncFiresNoEarlierThanItsDelayOnTheTimerThread) {
  SystemClock clock;
  Latch fired;
  std::thread::id ran_on;
  const auto scheduled = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point ran_at;
  clock.AfterFunc(milliseconds(20), [&] {
    ran_at = std::chrono::steady_clock::now();
    ran_on = std::this_thread::get_id();
    fired.Open();
  });
  ASSERT_TRUE(fired.WaitOpen(kDeadline));
  EXPECT_GE(ran_at - scheduled, milliseconds(20));
  EXPECT_NE(ran_on, std::this_thread::get_id());
}

TEST(SystemClockTest, OneThreadServesEveryTimerInDueOrder) {
  SystemClock clock;
  Latch last;
  std::mutex mu;
  std::vector<int> order;
  std::vector<std::thread::id> threads;
  auto record = [&](int i) {
    std::lock_guard lock(mu);
    order.push_back(i);
    threads.push_back(std::this_thread::get_id());
  };
  clock.AfterFunc(milliseconds(30), [&] {
    record(3);
    last.Open();
  });
  clock.AfterFunc(milliseconds(10), [&] { record(1); });
  clock.AfterFunc(milliseconds(20), [&] { record(2); });
  ASSERT_TRUE(last.WaitOpen(kDeadline));
  std::lock_guard lock(mu);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(threads[0], threads[1]);
  EXPECT_EQ(threads[1], threads[2]);
}

TEST(SystemClockTest, StopPreventsFiring) {
  SystemClock clock;
  std::atomic<bool> stopped_ran = false;
  // Due far enough ahead that a busy machine (ctest -j2 beside a build) cannot fire it before
  // Stop runs: at 5 ms it sometimes did.
  TimerHandle stopped = clock.AfterFunc(milliseconds(200), [&] { stopped_ran = true; });
  EXPECT_TRUE(stopped.Stop());
  // Timers fire in due order on one thread, so once a later sentinel has fired the stopped timer
  // would have fired too.
  Latch sentinel;
  clock.AfterFunc(milliseconds(250), [&] { sentinel.Open(); });
  ASSERT_TRUE(sentinel.WaitOpen(kDeadline));
  EXPECT_FALSE(stopped_ran.load());
  EXPECT_FALSE(stopped.Stop());
}

// The timer thread sleeps until the earliest timer is due; stopping that timer must not leave
// it holding the erased timer's deadline (AddressSanitizer caught a use after free here once).
TEST(SystemClockTest, StoppingTheTimerTheThreadWaitsForIsSafe) {
  SystemClock clock;
  for (int i = 0; i < 20; ++i) {
    TimerHandle far = clock.AfterFunc(hours(1), [] {});
    std::this_thread::sleep_for(milliseconds(1));  // let the thread start waiting for it
    EXPECT_TRUE(far.Stop());
    Latch fired;
    clock.AfterFunc(milliseconds(1), [&] { fired.Open(); });
    ASSERT_TRUE(fired.WaitOpen(kDeadline));
  }
}

TEST(SystemClockTest, AfterWakesAWaitingThread) {
  SystemClock clock;
  Timer timer = clock.After(milliseconds(5));
  auto waited = std::async(std::launch::async, [&] { return timer.Wait(); });
  ASSERT_EQ(waited.wait_for(kDeadline), std::future_status::ready);
  EXPECT_TRUE(waited.get());
}

TEST(SystemClockTest, DestroyingTheClockWithPendingTimersDoesNotHangOrFireThem) {
  std::atomic<int> calls = 0;
  TimerHandle pending;
  auto destroyed = std::async(std::launch::async, [&] {
    SystemClock clock;
    pending = clock.AfterFunc(hours(1), [&] { ++calls; });
    for (int i = 0; i < 100; ++i) clock.AfterFunc(hours(2), [&] { ++calls; });
  });
  ASSERT_EQ(destroyed.wait_for(kDeadline), std::future_status::ready);
  destroyed.get();
  EXPECT_EQ(calls.load(), 0);
  EXPECT_FALSE(pending.Stop()) << "the clock dropped it";
}

TEST(SystemClockTest, ACallbackCanScheduleAndStopTimers) {
  SystemClock clock;
  Latch done;
  std::atomic<bool> stopped_ran = false;
  clock.AfterFunc(milliseconds(1), [&] {
    TimerHandle doomed = clock.AfterFunc(milliseconds(1), [&] { stopped_ran = true; });
    EXPECT_TRUE(doomed.Stop());
    clock.AfterFunc(milliseconds(5), [&] { done.Open(); });
  });
  ASSERT_TRUE(done.WaitOpen(kDeadline));
  EXPECT_FALSE(stopped_ran.load());
}

}  // namespace
}  // namespace gantry::clock
