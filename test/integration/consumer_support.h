#pragma once

#include <rapidjson/document.h>
#include <rocketmq/rocketmq.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "support/listeners.h"
#include "support/test_env.h"

namespace rocketmq::test {

// Records every delivery; `decide` (default: always Success) picks each batch's result.
class RecordingListener : public MessageListenerConcurrently {
 public:
  using Decide = std::function<ConsumeResult(const std::vector<MessageExt>&)>;
  explicit RecordingListener(Decide decide = nullptr) : decide_(std::move(decide)) {}

  ConsumeResult consume_message(const std::vector<MessageExt>& messages) override {
    ConsumeResult result = decide_ ? decide_(messages) : ConsumeResult::Success;
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& message : messages) {
      counts_.add(message.get_msg_id());
      all_.push_back(message);
    }
    max_batch_ = std::max(max_batch_, messages.size());
    total_ += static_cast<long>(messages.size());
    return result;
  }

  long total() const { return total_.load(); }
  std::size_t distinct() const { return counts_.distinct(); }
  long duplicates() const { return counts_.duplicates(); }
  std::map<std::string, int> deliveries() const { return counts_.counts(); }
  std::vector<MessageExt> messages() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return all_;
  }
  std::size_t max_batch() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return max_batch_;
  }

 private:
  Decide decide_;
  mutable std::mutex mutex_;
  DeliveryCounts counts_;
  std::vector<MessageExt> all_;
  std::size_t max_batch_ = 0;
  std::atomic<long> total_{0};
};

inline rapidjson::Document parse_json(const std::string& line) {
  rapidjson::Document document;
  document.Parse(line.c_str());
  if (document.HasParseError() || !document.IsObject()) throw std::runtime_error("not a JSON object: " + line);
  return document;
}

inline void create_topic(const std::string& topic, int queues = 8) {
  auto result = run_interop("create-topic --namesrv " + shell_quote(namesrv_addr()) + " --topic " + topic +
                            " --queues " + std::to_string(queues));
  if (result.exit_code != 0) throw std::runtime_error("create-topic " + topic + " failed");
}

// Produces with the Java peer; returns the msgIds in send order.
inline std::vector<std::string> produce(const std::string& topic, int count, const std::string& extra = "") {
  auto result = run_interop("produce --namesrv " + shell_quote(namesrv_addr()) + " --topic " + topic + " --count " +
                            std::to_string(count) + " " + extra);
  if (result.exit_code != 0) throw std::runtime_error("produce to " + topic + " failed");
  std::vector<std::string> ids;
  for (const auto& line : result.stdout_lines) ids.push_back(parse_json(line)["msgId"].GetString());
  return ids;
}

// Per-queue consumer progress of a group as the brokers report it (the interop `offsets` command).
struct QueueProgress {
  std::string broker;
  int queue_id;
  long long broker_offset;
  long long consumer_offset;
};
inline std::vector<QueueProgress> progress(const std::string& group, const std::string& topic) {
  auto result = run_interop("offsets --namesrv " + shell_quote(namesrv_addr()) + " --group " + group + " --topic " +
                            topic);
  std::vector<QueueProgress> rows;
  for (const auto& line : result.stdout_lines) {
    auto row = parse_json(line);
    rows.push_back(QueueProgress{row["brokerName"].GetString(), row["queueId"].GetInt(),
                                 row["brokerOffset"].GetInt64(), row["consumerOffset"].GetInt64()});
  }
  return rows;
}

inline ConsumerOption consumer_option(const std::string& group, const std::string& instance) {
  ConsumerOption option;
  option.set_name_server_addr(namesrv_addr());
  option.set_group_name(group);
  option.set_instance_name(instance);
  option.set_consume_from_where(ConsumeFromWhere::ConsumeFromFirstOffset);
  option.set_persist_offset_interval(std::chrono::milliseconds(500));
  option.set_consume_thread_min(4);
  option.set_consume_thread_max(16);
  // Sanitizer builds on a loaded 2-core machine answer slowly now and then.
  option.set_request_timeout(std::chrono::seconds(10));
  return option;
}

}  // namespace rocketmq::test
