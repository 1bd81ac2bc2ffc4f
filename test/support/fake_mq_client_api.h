#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "client/mq_client_api.h"
#include "rocketmq/message_queue.h"

namespace rocketmq::test {

// An in-memory MQClientAPI for broker-less unit tests of the client state machines (rebalance,
// pull loops, offset stores, producer routing). It answers like a small, well-behaved cluster,
// records every call for assertions, and lets a test inject failures and hold pulls pending.
//
// Brokers are identified by address; a call that carries no broker name (`bname`) is attributed to
// the broker whose address it targets: set_broker_name, else the brokerAddrs of the configured
// routes, else the address itself is taken as the name.
//
// Asynchronous callbacks (pulls, async sends) run on one "I/O" thread owned by the fake, never on
// the caller's thread, and never with the fake's locks held. Callbacks still queued or pending at
// destruction are dropped without being called. Thread-safe.
class FakeMQClientAPI : public client::MQClientAPI {
 public:
  using Clock = std::chrono::steady_clock;

  // ---- call records
  struct CreateTopicCall {
    std::string broker_addr;
    protocol::CreateTopicRequestHeader header;
  };
  enum class SendMode { Sync, Async, Oneway };
  struct SendCall {
    std::string broker_addr;
    protocol::SendMessageRequestHeaderV2 header;
    bool batch = false;
    std::string body;
    SendMode mode = SendMode::Sync;
  };
  struct PullCall {
    std::string broker_addr;
    protocol::PullMessageRequestHeader header;
    std::chrono::milliseconds timeout{0};
  };
  struct OffsetQueryCall {
    std::string broker_addr;
    protocol::QueryConsumerOffsetRequestHeader header;
  };
  struct OffsetUpdateCall {
    std::string broker_addr;
    protocol::UpdateConsumerOffsetRequestHeader header;
    bool oneway = false;
  };
  struct SendBackCall {
    std::string broker_addr;
    protocol::ConsumerSendMsgBackRequestHeader header;
  };
  struct LockCall {
    std::string broker_addr;
    protocol::LockBatchRequestBody body;
  };
  struct UnlockCall {
    std::string broker_addr;
    protocol::UnlockBatchRequestBody body;
    bool oneway = false;
  };
  struct HeartbeatCall {
    std::string broker_addr;
    protocol::HeartbeatData heartbeat;
  };
  struct UnregisterCall {
    std::string broker_addr;
    protocol::UnregisterClientRequestHeader header;
  };

  FakeMQClientAPI();
  ~FakeMQClientAPI() override;
  FakeMQClientAPI(const FakeMQClientAPI&) = delete;
  FakeMQClientAPI& operator=(const FakeMQClientAPI&) = delete;

  // ---- MQClientAPI
  protocol::TopicRouteData get_topic_route(const std::string& topic) override;
  std::vector<std::pair<std::string, protocol::TopicRouteData>> get_topic_route_from_other_name_servers(
      const std::string& topic) override;
  protocol::ClusterInfo get_broker_cluster_info() override;
  void create_topic(const std::string& broker_addr,
                    const protocol::CreateTopicRequestHeader& header) override;
  std::int64_t get_max_offset(const std::string& broker_addr, const std::string& topic,
                              int queue_id) override;
  void reset_group_offset(const std::string& broker_addr,
                          const protocol::ResetOffsetRequestHeader& header) override;
  // Answered at once on the fake I/O thread (or failed by fail_next("probe_broker")).
  void probe_broker(const std::string& broker_addr, const std::string& topic, int queue_id,
                    std::chrono::milliseconds timeout, client::ProbeCallback done) override;
  // Always nullopt ("no connection"): the fake has none. The silent-broker probe is tested against
  // a FakeBroker, over real connections.
  std::optional<std::chrono::steady_clock::time_point> last_heard_from(const std::string& broker_addr) const override;
  std::int64_t get_min_offset(const std::string& broker_addr, const std::string& topic,
                              int queue_id) override;
  std::int64_t search_offset(const std::string& broker_addr, const std::string& topic, int queue_id,
                             std::int64_t timestamp) override;
  client::SendResponse send_message(const std::string& broker_addr,
                                    const protocol::SendMessageRequestHeaderV2& header, bool batch,
                                    const std::string& body, std::chrono::milliseconds timeout) override;
  void send_message_async(const std::string& broker_addr, const protocol::SendMessageRequestHeaderV2& header,
                          bool batch, const std::string& body, std::chrono::milliseconds timeout,
                          client::SendCallback callback) override;
  void send_message_oneway(const std::string& broker_addr, const protocol::SendMessageRequestHeaderV2& header,
                           const std::string& body) override;
  void pull_message(const std::string& broker_addr, const protocol::PullMessageRequestHeader& header,
                    std::chrono::milliseconds timeout, client::PullCallback callback) override;
  std::int64_t query_consumer_offset(const std::string& broker_addr,
                                     const protocol::QueryConsumerOffsetRequestHeader& header) override;
  void update_consumer_offset(const std::string& broker_addr,
                              const protocol::UpdateConsumerOffsetRequestHeader& header,
                              bool oneway) override;
  std::vector<std::string> get_consumer_id_list(const std::string& broker_addr,
                                                const std::string& group) override;
  void consumer_send_message_back(const std::string& broker_addr,
                                  const protocol::ConsumerSendMsgBackRequestHeader& header) override;
  std::set<MessageQueue> lock_batch(const std::string& broker_addr,
                                    const protocol::LockBatchRequestBody& body) override;
  void unlock_batch(const std::string& broker_addr, const protocol::UnlockBatchRequestBody& body,
                    bool oneway) override;
  int send_heartbeat(const std::string& broker_addr, const protocol::HeartbeatData& heartbeat) override;
  void unregister_client(const std::string& broker_addr,
                         const protocol::UnregisterClientRequestHeader& header) override;

  // ---- cluster state
  // get_topic_route of a topic without a route fails like the name server: TOPIC_NOT_EXIST (17).
  void set_topic_route(const std::string& topic, protocol::TopicRouteData route);
  void remove_topic_route(const std::string& topic);
  // What get_topic_route_from_other_name_servers answers: the routes set here per name server
  // address (none by default, as with a single name server); each call is counted.
  void set_other_name_server_route(const std::string& name_server, const std::string& topic,
                                   protocol::TopicRouteData route);
  int other_name_server_queries() const;
  void set_cluster_info(protocol::ClusterInfo info);
  void set_broker_name(const std::string& broker_addr, const std::string& broker_name);
  // Committed offsets per group. query_consumer_offset of an unknown one answers QUERY_NOT_FOUND (22)
  // when the request says set_zero_if_not_found = false, else 0 while the queue's min offset is 0.
  void set_committed_offset(const std::string& group, const MessageQueue& queue, std::int64_t offset);
  std::optional<std::int64_t> committed_offset(const std::string& group, const MessageQueue& queue) const;
  // Queue bounds (0 when unset). Every message stored by a send raises the max offset by one.
  void set_min_offset(const MessageQueue& queue, std::int64_t offset);
  void set_max_offset(const MessageQueue& queue, std::int64_t offset);
  // search_offset's answer for the queue, whatever the timestamp (the min offset when unset).
  void set_search_offset(const MessageQueue& queue, std::int64_t offset);
  // get_consumer_id_list answers these (an empty list for an unknown group).
  void set_consumer_ids(const std::string& group, std::vector<std::string> client_ids);
  // What send_heartbeat returns (the broker's version ordinal); 0 by default.
  void set_broker_version(int version);
  // Broker-side queue locks: lock_batch grants a queue that is free or already held by the asking
  // client; unlock_batch frees the asking client's queues. A test may hand a lock to another client.
  void set_lock_owner(const MessageQueue& queue, std::optional<std::string> client_id);
  std::optional<std::string> lock_owner(const MessageQueue& queue) const;

  // ---- failure injection
  // The next `times` calls of `method` (the MQClientAPI member name, e.g. "query_consumer_offset")
  // fail with `error` and have no effect: synchronous and oneway methods throw it, asynchronous ones
  // pass it to their callback. Failures queue up per method.
  void fail_next(const std::string& method, std::exception_ptr error, std::size_t times = 1);
  // A BrokerError as the remoting client raises it for an error response.
  static std::exception_ptr broker_error(int response_code, const std::string& remark = "");
  // How many times `method` was called, failed calls included.
  std::size_t call_count(const std::string& method) const;

  // ---- pulls
  // Answers for the next pulls of `queue`, in order, delivered `delay` after the pull. A pull that
  // finds nothing queued is held pending, like a broker's long poll, until the test answers it.
  void push_pull_result(const MessageQueue& queue, client::PullResult result,
                        std::chrono::milliseconds delay = std::chrono::milliseconds(0));
  void push_pull_error(const MessageQueue& queue, std::exception_ptr error,
                       std::chrono::milliseconds delay = std::chrono::milliseconds(0));
  std::size_t pending_pulls() const;
  std::size_t pending_pulls(const MessageQueue& queue) const;
  // Answers the oldest pending pull of `queue`; false when none is pending.
  bool complete_next_pull(const MessageQueue& queue, client::PullResult result);
  bool fail_next_pull(const MessageQueue& queue, std::exception_ptr error);
  // Fails every pending pull (a broker going away); returns how many there were.
  std::size_t fail_pending_pulls(std::exception_ptr error);
  // Waits until no callback is queued on or running in the I/O thread (pending pulls aside).
  bool wait_idle(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

  // ---- call records, in call order
  std::vector<CreateTopicCall> create_topic_calls() const;
  std::vector<SendCall> send_calls() const;
  std::vector<PullCall> pull_calls() const;
  std::vector<OffsetQueryCall> offset_queries() const;
  std::vector<OffsetUpdateCall> offset_updates() const;
  std::vector<SendBackCall> send_backs() const;
  std::vector<LockCall> lock_calls() const;
  std::vector<UnlockCall> unlock_calls() const;
  std::vector<HeartbeatCall> heartbeats() const;
  std::vector<UnregisterCall> unregisters() const;
  // Forgets the records and call counts; state, queued answers and pending pulls stay.
  void clear_calls();

 private:
  struct PullAnswer {
    client::PullResult result;
    std::exception_ptr error;
    std::chrono::milliseconds delay{0};
  };
  struct PendingPull {
    MessageQueue queue;
    client::PullCallback callback;
  };

  // Counts the call and takes its injected failure, if any. Requires mutex_.
  std::exception_ptr begin_call(const char* method);
  // The queue a call addresses, naming its broker per the class comment. Requires mutex_.
  MessageQueue queue_of(const std::string& broker_addr, const std::optional<std::string>& broker_name,
                        const std::string& topic, int queue_id) const;
  client::SendResponse store_message(const MessageQueue& queue);  // requires mutex_
  // Runs `task` on the I/O thread after `delay`.
  void deliver(std::chrono::milliseconds delay, std::function<void()> task);
  bool answer_pending(const MessageQueue& queue, client::PullResult result, std::exception_ptr error);
  void run_io_thread();

  mutable std::mutex mutex_;
  std::map<std::string, protocol::TopicRouteData> routes_;
  std::map<std::string, std::map<std::string, protocol::TopicRouteData>> other_name_server_routes_;
  int other_name_server_queries_ = 0;
  protocol::ClusterInfo cluster_info_;
  std::map<std::string, std::string> broker_names_;  // address → name
  std::map<std::pair<std::string, MessageQueue>, std::int64_t> committed_offsets_;
  std::map<MessageQueue, std::int64_t> min_offsets_;
  std::map<MessageQueue, std::int64_t> max_offsets_;
  std::map<MessageQueue, std::int64_t> search_offsets_;
  std::map<std::string, std::vector<std::string>> consumer_ids_;
  std::map<MessageQueue, std::string> lock_owners_;
  int broker_version_ = 0;
  std::uint64_t next_commit_log_offset_ = 0;

  std::map<std::string, std::deque<std::exception_ptr>> failures_;
  std::map<std::string, std::size_t> call_counts_;
  std::map<MessageQueue, std::deque<PullAnswer>> pull_answers_;
  std::deque<PendingPull> pending_pulls_;

  std::vector<CreateTopicCall> create_topic_calls_;
  std::vector<SendCall> send_calls_;
  std::vector<PullCall> pull_calls_;
  std::vector<OffsetQueryCall> offset_queries_;
  std::vector<OffsetUpdateCall> offset_updates_;
  std::vector<SendBackCall> send_backs_;
  std::vector<LockCall> lock_calls_;
  std::vector<UnlockCall> unlock_calls_;
  std::vector<HeartbeatCall> heartbeats_;
  std::vector<UnregisterCall> unregisters_;

  // The I/O thread: due tasks by (due time, sequence), so equal delays keep their order.
  std::mutex io_mutex_;
  std::condition_variable io_changed_;
  std::map<std::pair<Clock::time_point, std::uint64_t>, std::function<void()>> io_tasks_;
  std::uint64_t io_sequence_ = 0;
  bool io_running_task_ = false;
  bool io_stopping_ = false;
  std::thread io_thread_;
};

}  // namespace rocketmq::test
