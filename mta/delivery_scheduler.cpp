#include "mta/delivery_scheduler.hpp"

#include <algorithm>
#include <set>

namespace mailpipe::mta {

DeliveryScheduler::DeliveryScheduler(Limits limits) : limits_(limits) {
  // A limit of 0 would never start anything: at least one.
  limits_.local = std::max<uint32_t>(1, limits_.local);
  limits_.remote = std::max<uint32_t>(1, limits_.remote);
  limits_.per_remote_destination = std::max<uint32_t>(1, limits_.per_remote_destination);
}

void DeliveryScheduler::wake_at(const std::string& queue_id, int64_t due_ms) { wakes_.emplace(due_ms, queue_id); }

std::vector<std::string> DeliveryScheduler::take_due(int64_t now_ms) {
  std::vector<std::string> due;
  std::set<std::string> seen;
  while (!wakes_.empty() && wakes_.top().first <= now_ms) {
    if (seen.insert(wakes_.top().second).second) due.push_back(wakes_.top().second);
    wakes_.pop();
  }
  return due;
}

std::optional<int64_t> DeliveryScheduler::next_wake() const {
  if (wakes_.empty()) return std::nullopt;
  return wakes_.top().first;
}

void DeliveryScheduler::offer(DeliveryJob job) {
  waiting_[job.destination].push_back(std::move(job.queue_id));
  ++waiting_count_;
}

std::size_t DeliveryScheduler::running_to(const Destination& destination) const {
  const auto it = running_per_destination_.find(destination);
  return it == running_per_destination_.end() ? 0 : it->second;
}

bool DeliveryScheduler::has_slot(const Destination& destination) const {
  if (destination.local) return running_local_ < limits_.local;
  return running_remote_ < limits_.remote && running_to(destination) < limits_.per_remote_destination;
}

std::optional<Destination> DeliveryScheduler::next_startable() const {
  if (waiting_.empty()) return std::nullopt;
  // Round robin: the destinations after the one served last, then from
  // the start up to and including it.
  auto start = cursor_ ? waiting_.upper_bound(*cursor_) : waiting_.begin();
  for (auto it = start; it != waiting_.end(); ++it) {
    if (has_slot(it->first)) return it->first;
  }
  for (auto it = waiting_.begin(); it != start; ++it) {
    if (has_slot(it->first)) return it->first;
  }
  return std::nullopt;
}

std::vector<DeliveryJob> DeliveryScheduler::take_startable() {
  std::vector<DeliveryJob> startable;
  while (const std::optional<Destination> destination = next_startable()) {
    auto line = waiting_.find(*destination);
    startable.push_back({std::move(line->second.front()), *destination});
    line->second.pop_front();
    --waiting_count_;
    if (line->second.empty()) waiting_.erase(line);
    ++running_per_destination_[*destination];
    ++(destination->local ? running_local_ : running_remote_);
    cursor_ = *destination;
  }
  return startable;
}

void DeliveryScheduler::finished(const Destination& destination) {
  const auto it = running_per_destination_.find(destination);
  if (it == running_per_destination_.end()) return;  // not ours: nothing to free
  if (--it->second == 0) running_per_destination_.erase(it);
  --(destination.local ? running_local_ : running_remote_);
}

}  // namespace mailpipe::mta
