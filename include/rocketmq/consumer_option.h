#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "rocketmq/error.h"
#include "rocketmq/export.h"
#include "rocketmq/message_queue.h"
#include "rocketmq/security_option.h"

namespace rocketmq {

enum class ConsumeFromWhere {
  ConsumeFromLastOffset,   // a new group starts at the end of each queue (default)
  ConsumeFromFirstOffset,  // a new group starts at the beginning of each queue
  ConsumeFromTimestamp,    // a new group starts at the first message stored at or after consume_timestamp
};

enum class MessageModel {
  Clustering,    // the group shares the queues; offsets are kept by the brokers (default)
  Broadcasting,  // every consumer of the group gets every message; offsets are kept in a local file
};

// Decides which queues of a topic this consumer owns. Every consumer of the group must use the
// same strategy; it runs on the SDK's scheduler thread and must not block.
class ROCKETMQ_API AllocateStrategy {
 public:
  virtual ~AllocateStrategy();
  virtual std::string name() const = 0;
  // `all_queues` and `all_consumer_ids` are sorted; returns the queues `consumer_id` owns.
  virtual std::vector<MessageQueue> allocate(const std::string& consumer_group, const std::string& consumer_id,
                                             const std::vector<MessageQueue>& all_queues,
                                             const std::vector<std::string>& all_consumer_ids) const = 0;
};

// The built-in strategies (same assignments as the Java client's of the same name).
ROCKETMQ_API std::shared_ptr<AllocateStrategy> allocate_averagely();
ROCKETMQ_API std::shared_ptr<AllocateStrategy> allocate_averagely_by_circle();
ROCKETMQ_API std::shared_ptr<AllocateStrategy> allocate_by_consistent_hash(int virtual_nodes = 10);
// Every consumer takes exactly the listed queues.
ROCKETMQ_API std::shared_ptr<AllocateStrategy> allocate_by_config(std::vector<MessageQueue> queues);

// Configuration of a PushConsumer. Every setter validates its argument and throws ClientError
// naming the option and the accepted range. The default and range of each numeric option are in
// docs/configuration.md, taken from the table the setters validate against (they are not repeated
// here, so they cannot drift); defaults are the Java client's unless that page says otherwise.
// Credentials and TLS come from SecurityOption.
class ROCKETMQ_API ConsumerOption : public SecurityOption {
 public:
  ConsumerOption();

  // "host:port", several separated by ';'. Required.
  void set_name_server_addr(const std::string& addr);
  const std::string& name_server_addr() const noexcept { return name_server_addr_; }

  // Consumer group: characters of [%|a-zA-Z0-9_-]. Required.
  void set_group_name(const std::string& group);
  const std::string& group_name() const noexcept { return group_name_; }

  // Consume threads: the pool grows from min towards max while tasks wait and shrinks back after
  // the keep-alive (Java's pool never grows past min).
  void set_consume_thread_min(int threads);
  void set_consume_thread_max(int threads);
  int consume_thread_min() const noexcept { return consume_thread_min_; }
  int consume_thread_max() const noexcept { return consume_thread_max_; }
  // Threads above the minimum exit after idling this long.
  void set_consume_thread_keep_alive(std::chrono::milliseconds keep_alive);
  std::chrono::milliseconds consume_thread_keep_alive() const noexcept { return consume_thread_keep_alive_; }

  // Flow control per queue: at most this many cached messages and bytes; pulling pauses until the
  // listener catches up. Span: max offset distance inside one queue's cache for concurrent
  // consumption.
  void set_process_queue_size(int messages);
  int process_queue_size() const noexcept { return process_queue_size_; }
  void set_process_queue_bytes(std::int64_t bytes);
  std::int64_t process_queue_bytes() const noexcept { return process_queue_bytes_; }
  void set_max_span(int offsets);
  int max_span() const noexcept { return max_span_; }

  // Messages asked for per pull request.
  void set_pull_batch_size(int messages);
  int pull_batch_size() const noexcept { return pull_batch_size_; }

  // Pause between two pulls of one queue.
  void set_pull_interval(std::int64_t millis) { set_pull_interval(std::chrono::milliseconds(millis)); }
  void set_pull_interval(std::chrono::milliseconds interval);
  std::chrono::milliseconds pull_interval() const noexcept { return pull_interval_; }

  // Messages per listener call.
  void set_consume_batch_size(int messages);
  int consume_batch_size() const noexcept { return consume_batch_size_; }

  void set_consume_from_where(ConsumeFromWhere where) noexcept { consume_from_where_ = where; }
  ConsumeFromWhere consume_from_where() const noexcept { return consume_from_where_; }
  // For ConsumeFromTimestamp: milliseconds since the epoch (default: half an hour ago at start).
  void set_consume_timestamp(std::int64_t epoch_millis);
  std::int64_t consume_timestamp() const noexcept { return consume_timestamp_; }

  void set_message_model(MessageModel model) noexcept { message_model_ = model; }
  MessageModel message_model() const noexcept { return message_model_; }

  // Deliveries before a message goes to %DLQ%<group>; -1 means the broker's largest value.
  void set_max_reconsume_times(int times);
  int max_reconsume_times() const noexcept { return max_reconsume_times_; }

  // A listener call longer than this hands its batch back for a retry.
  void set_consume_timeout(std::chrono::milliseconds timeout);
  std::chrono::milliseconds consume_timeout() const noexcept { return consume_timeout_; }

  void set_allocate_strategy(std::shared_ptr<AllocateStrategy> strategy);
  const std::shared_ptr<AllocateStrategy>& allocate_strategy() const noexcept { return allocate_strategy_; }

  // Distinguishes several client instances in one process ("DEFAULT" becomes "<pid>#<nanos>").
  void set_instance_name(const std::string& name);
  const std::string& instance_name() const noexcept { return instance_name_; }

  // Broadcasting offsets: <dir>/<client id>/<group>/offsets.json (default ~/.rocketmq_offsets).
  void set_offset_store_dir(const std::string& dir);
  const std::string& offset_store_dir() const noexcept { return offset_store_dir_; }

  // How often offsets are committed, heartbeats sent and queues rebalanced.
  void set_persist_offset_interval(std::chrono::milliseconds interval);
  std::chrono::milliseconds persist_offset_interval() const noexcept { return persist_offset_interval_; }
  void set_heartbeat_interval(std::chrono::milliseconds interval);
  std::chrono::milliseconds heartbeat_interval() const noexcept { return heartbeat_interval_; }
  void set_rebalance_interval(std::chrono::milliseconds interval);
  std::chrono::milliseconds rebalance_interval() const noexcept { return rebalance_interval_; }
  // How often topic routes are fetched from the name server: a broker that died,
  // or a replica that took over, is seen at the next refresh.
  void set_route_refresh_interval(std::chrono::milliseconds interval);
  std::chrono::milliseconds route_refresh_interval() const noexcept { return route_refresh_interval_; }

  // How long shutdown() waits for listener calls in flight.
  void set_shutdown_timeout(std::chrono::milliseconds timeout);
  std::chrono::milliseconds shutdown_timeout() const noexcept { return shutdown_timeout_; }

  // Timeout of the SDK's own requests to brokers and name servers.
  void set_request_timeout(std::chrono::milliseconds timeout);
  std::chrono::milliseconds request_timeout() const noexcept { return request_timeout_; }

  // Orderly consumption: pause of a queue after ReconsumeLater.
  void set_suspend_time(std::chrono::milliseconds pause);
  std::chrono::milliseconds suspend_time() const noexcept { return suspend_time_; }

  // Background failures of this client (see BackgroundError), besides the log and the stats. Empty
  // (the default): only logged and counted.
  void set_error_listener(ErrorListener listener) { error_listener_ = std::move(listener); }
  const ErrorListener& error_listener() const noexcept { return error_listener_; }

 private:
  // The constructor sets the numeric defaults from the library's option table (the one
  // docs/configuration.md is checked against).
  std::string name_server_addr_;
  std::string group_name_;
  int consume_thread_min_;
  int consume_thread_max_;
  std::chrono::milliseconds consume_thread_keep_alive_;
  int process_queue_size_;
  std::int64_t process_queue_bytes_;
  int max_span_;
  int pull_batch_size_;
  std::chrono::milliseconds pull_interval_;
  int consume_batch_size_;
  ConsumeFromWhere consume_from_where_ = ConsumeFromWhere::ConsumeFromLastOffset;
  std::int64_t consume_timestamp_;
  MessageModel message_model_ = MessageModel::Clustering;
  int max_reconsume_times_;
  std::chrono::milliseconds consume_timeout_;
  std::shared_ptr<AllocateStrategy> allocate_strategy_;
  std::string instance_name_ = "DEFAULT";
  std::string offset_store_dir_;
  std::chrono::milliseconds persist_offset_interval_;
  std::chrono::milliseconds heartbeat_interval_;
  std::chrono::milliseconds rebalance_interval_;
  std::chrono::milliseconds route_refresh_interval_;
  std::chrono::milliseconds shutdown_timeout_;
  std::chrono::milliseconds request_timeout_;
  std::chrono::milliseconds suspend_time_;
  ErrorListener error_listener_;
};

}  // namespace rocketmq
