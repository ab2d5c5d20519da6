#include "mta/delivery_scheduler.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace mailpipe::mta {
namespace {

const Destination local{true, ""};
Destination remote(const std::string& domain) { return {false, domain}; }

// The jobs as "queue id@destination", sorted: which jobs start matters
// here, not the order of one batch.
std::vector<std::string> names(const std::vector<DeliveryJob>& jobs) {
  std::vector<std::string> out;
  for (const auto& job : jobs) out.push_back(job.queue_id + "@" + job.destination.name());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(DeliverySchedulerTest, WakesUpByDueTimeEachQueueIdOnce) {
  DeliveryScheduler scheduler({});
  scheduler.wake_at("late", 300);
  scheduler.wake_at("early", 100);
  scheduler.wake_at("early", 150);
  scheduler.wake_at("middle", 200);
  EXPECT_EQ(scheduler.next_wake(), 100);
  EXPECT_EQ(scheduler.take_due(99), std::vector<std::string>{});
  EXPECT_EQ(scheduler.take_due(200), (std::vector<std::string>{"early", "middle"}));
  EXPECT_EQ(scheduler.next_wake(), 300);
  EXPECT_EQ(scheduler.take_due(1000), std::vector<std::string>{"late"});
  EXPECT_EQ(scheduler.next_wake(), std::nullopt);
}

// The starvation case of issue 19: a tarpit domain with many messages
// must leave slots to local mail and to every other domain.
TEST(DeliverySchedulerTest, AFullDestinationHoldsNoSlotAndOthersStillStart) {
  DeliveryScheduler scheduler({.local = 2, .remote = 4, .per_remote_destination = 2});
  for (int i = 0; i < 20; ++i) scheduler.offer({"tarpit" + std::to_string(i), remote("tarpit.test")});
  scheduler.offer({"healthy", remote("healthy.test")});
  scheduler.offer({"mine", local});
  EXPECT_EQ(names(scheduler.take_startable()),
            (std::vector<std::string>{"healthy@healthy.test", "mine@local", "tarpit0@tarpit.test",
                                      "tarpit1@tarpit.test"}));
  EXPECT_EQ(scheduler.running_to(remote("tarpit.test")), 2u);
  EXPECT_EQ(scheduler.waiting(), 18u);
  // More for other destinations still start while the tarpit is full.
  scheduler.offer({"other", remote("other.test")});
  scheduler.offer({"mine2", local});
  EXPECT_EQ(names(scheduler.take_startable()), (std::vector<std::string>{"mine2@local", "other@other.test"}));
  // The remote slots are all taken now (4): a new domain waits its turn.
  scheduler.offer({"fourth", remote("fourth.test")});
  EXPECT_TRUE(scheduler.take_startable().empty());
  scheduler.finished(remote("healthy.test"));
  EXPECT_EQ(names(scheduler.take_startable()), std::vector<std::string>{"fourth@fourth.test"});
}

TEST(DeliverySchedulerTest, FreeSlotsGoRoundRobinOverWaitingDestinations) {
  DeliveryScheduler scheduler({.local = 1, .remote = 1, .per_remote_destination = 1});
  for (int i = 0; i < 3; ++i) scheduler.offer({"a" + std::to_string(i), remote("a.test")});
  scheduler.offer({"b0", remote("b.test")});
  scheduler.offer({"c0", remote("c.test")});
  std::vector<std::string> order;
  for (int round = 0; round < 5; ++round) {
    const auto started = scheduler.take_startable();
    ASSERT_EQ(started.size(), 1u) << "round " << round;
    order.push_back(started.front().queue_id);
    scheduler.finished(started.front().destination);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"a0", "b0", "c0", "a1", "a2"}));
  EXPECT_EQ(scheduler.running(), 0u);
  EXPECT_EQ(scheduler.waiting(), 0u);
}

TEST(DeliverySchedulerTest, LocalAndRemoteSlotsAreSeparate) {
  DeliveryScheduler scheduler({.local = 1, .remote = 1, .per_remote_destination = 1});
  scheduler.offer({"l0", local});
  scheduler.offer({"l1", local});
  scheduler.offer({"r0", remote("r.test")});
  EXPECT_EQ(names(scheduler.take_startable()), (std::vector<std::string>{"l0@local", "r0@r.test"}));
  scheduler.finished(remote("r.test"));
  EXPECT_TRUE(scheduler.take_startable().empty()) << "a free remote slot is no local slot";
  scheduler.finished(local);
  EXPECT_EQ(names(scheduler.take_startable()), std::vector<std::string>{"l1@local"});
}

TEST(DeliverySchedulerTest, ZeroLimitsStillLetOneJobRunAndUnknownFinishesAreIgnored) {
  DeliveryScheduler scheduler({.local = 0, .remote = 0, .per_remote_destination = 0});
  scheduler.finished(local);  // never started: no slot to free, no underflow
  scheduler.offer({"l0", local});
  scheduler.offer({"l1", local});
  EXPECT_EQ(scheduler.take_startable().size(), 1u);
  EXPECT_EQ(scheduler.running(), 1u);
}

}  // namespace
}  // namespace mailpipe::mta
