#pragma once

#include <rocketmq/message_listener.h>

#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

// Building blocks of the tests' listeners, header-only so that programs which link only the
// library (test/lifecycle/lifecycle_helper.cpp) can use them too.
namespace rocketmq::test {

// A listener of either kind (Base = MessageListenerConcurrently or MessageListenerOrderly) whose
// consume_message is `consume`; it runs on the consume threads, like any listener.
template <typename Base>
class ListenerOf : public Base {
 public:
  using Consume = std::function<ConsumeResult(const std::vector<MessageExt>&)>;
  explicit ListenerOf(Consume consume) : consume_(std::move(consume)) {}
  ConsumeResult consume_message(const std::vector<MessageExt>& messages) override { return consume_(messages); }

 private:
  Consume consume_;
};

// How often each key (a message id or a body) was delivered, for the at-least-once checks:
// nothing missing, duplicates counted. Thread-safe.
class DeliveryCounts {
 public:
  void add(const std::string& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++counts_[key];
  }
  std::size_t distinct() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return counts_.size();
  }
  // Deliveries beyond the first of each key.
  long duplicates() const {
    std::lock_guard<std::mutex> lock(mutex_);
    long extra = 0;
    for (const auto& [key, count] : counts_) extra += count - 1;
    return extra;
  }
  bool has(const std::string& key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return counts_.count(key) != 0;
  }
  std::map<std::string, int> counts() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return counts_;
  }
  // The keys of `expected` never delivered.
  std::vector<std::string> missing(const std::set<std::string>& expected) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> result;
    for (const auto& key : expected) {
      if (counts_.count(key) == 0) result.push_back(key);
    }
    return result;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, int> counts_;
};

}  // namespace rocketmq::test
