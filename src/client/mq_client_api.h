#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "protocol/bodies/cluster_info.h"
#include "protocol/bodies/heartbeat_data.h"
#include "protocol/bodies/lock_batch_body.h"
#include "protocol/bodies/topic_route_data.h"
#include "protocol/headers.h"
#include "protocol/message_decoder.h"
#include "protocol/stored_message.h"

namespace rocketmq::client {

enum class PullStatus { Found, NoNewMessage, NoMatchedMessage, OffsetIllegal };

struct PullResult {
  PullStatus status = PullStatus::NoNewMessage;
  std::int64_t next_begin_offset = 0;
  std::int64_t min_offset = 0;
  std::int64_t max_offset = 0;
  std::int64_t suggest_which_broker_id = 0;
  // Decoded once, on the I/O thread; plain records lazily (StoredMessage::lazy), as views into
  // `buffer`, which whoever keeps them must keep alive too.
  std::vector<protocol::StoredMessage> messages;
  std::shared_ptr<const std::string> buffer;  // the response body the lazy records point into
  // Records that could not be decoded: skipped (the response's next_begin_offset passes them).
  std::vector<protocol::RejectedRecord> rejected;
  std::size_t body_bytes = 0;
};

// Exactly one of result/error is meaningful; runs on an I/O thread and must not block.
using PullCallback = std::function<void(PullResult&& result, std::exception_ptr error)>;

// A probe's outcome: null when the broker answered. Runs on an I/O thread and must not block.
using ProbeCallback = std::function<void(std::exception_ptr error)>;

struct SendResponse {
  std::int32_t code = 0;  // SUCCESS or one of the success-like codes 10, 11, 12
  protocol::SendMessageResponseHeader header;
};
using SendCallback = std::function<void(SendResponse&& response, std::exception_ptr error)>;

// One method per RPC a producer, a push consumer and a small admin need (docs/protocol.md §4). The
// seam under the state machines: unit tests substitute a fake, production uses the remoting client.
// Synchronous methods throw BrokerError for error codes, TimeoutError/ConnectError for transport
// failures; asynchronous ones report the same through their callback.
class MQClientAPI {
 public:
  virtual ~MQClientAPI() = default;

  // ---- name server (the client rotates through the configured addresses on failure)
  virtual protocol::TopicRouteData get_topic_route(const std::string& topic) = 0;
  // A second opinion: the route of `topic` as each other configured name server (not the one
  // get_topic_route asks now, nor one that failed recently) has it, with its address. Name servers
  // learn of a broker independently (a restarted broker registers with each in turn, seconds
  // apart), so one may not list a master another already does. A server that fails or does not
  // know the topic is left out; never throws. Empty with a single name server.
  virtual std::vector<std::pair<std::string, protocol::TopicRouteData>>
  get_topic_route_from_other_name_servers(const std::string& topic) = 0;
  virtual protocol::ClusterInfo get_broker_cluster_info() = 0;

  // ---- broker admin
  virtual void create_topic(const std::string& broker_addr, const protocol::CreateTopicRequestHeader& header) = 0;
  virtual std::int64_t get_max_offset(const std::string& broker_addr, const std::string& topic, int queue_id) = 0;
  // Asks `broker_addr` for a queue's max offset with its own `timeout`, only to learn whether the
  // broker answers: any answer, an error code included, calls `done` with no error; no answer with
  // TimeoutError/ConnectError. `done` runs once, on an I/O thread, and must not block; a probe that
  // cannot be sent (shut down) throws instead and never calls it.
  virtual void probe_broker(const std::string& broker_addr, const std::string& topic, int queue_id,
                            std::chrono::milliseconds timeout, ProbeCallback done) = 0;
  // When the open connection to `broker_addr` last received bytes; nullopt without one.
  virtual std::optional<std::chrono::steady_clock::time_point> last_heard_from(const std::string& broker_addr) const = 0;
  virtual std::int64_t get_min_offset(const std::string& broker_addr, const std::string& topic, int queue_id) = 0;
  virtual std::int64_t search_offset(const std::string& broker_addr, const std::string& topic, int queue_id,
                                     std::int64_t timestamp) = 0;
  // INVOKE_BROKER_TO_RESET_OFFSET: the broker moves the group's committed offsets of its queues of
  // the topic (to `header.timestamp`, or one queue to `header.offset`) and makes every member of the
  // group follow (RESET_CONSUMER_CLIENT_OFFSET, or an OFFSET_MOVED answer to their next pull).
  virtual void reset_group_offset(const std::string& broker_addr, const protocol::ResetOffsetRequestHeader& header) = 0;

  // ---- producer
  virtual SendResponse send_message(const std::string& broker_addr, const protocol::SendMessageRequestHeaderV2& header,
                                    bool batch, const std::string& body, std::chrono::milliseconds timeout) = 0;
  virtual void send_message_async(const std::string& broker_addr, const protocol::SendMessageRequestHeaderV2& header,
                                  bool batch, const std::string& body, std::chrono::milliseconds timeout,
                                  SendCallback callback) = 0;
  virtual void send_message_oneway(const std::string& broker_addr, const protocol::SendMessageRequestHeaderV2& header,
                                   const std::string& body) = 0;

  // ---- consumer
  virtual void pull_message(const std::string& broker_addr, const protocol::PullMessageRequestHeader& header,
                            std::chrono::milliseconds timeout, PullCallback callback) = 0;
  // QUERY_NOT_FOUND (22) surfaces as BrokerError with that code.
  virtual std::int64_t query_consumer_offset(const std::string& broker_addr,
                                             const protocol::QueryConsumerOffsetRequestHeader& header) = 0;
  virtual void update_consumer_offset(const std::string& broker_addr,
                                      const protocol::UpdateConsumerOffsetRequestHeader& header, bool oneway) = 0;
  virtual std::vector<std::string> get_consumer_id_list(const std::string& broker_addr, const std::string& group) = 0;
  virtual void consumer_send_message_back(const std::string& broker_addr,
                                          const protocol::ConsumerSendMsgBackRequestHeader& header) = 0;
  virtual std::set<MessageQueue> lock_batch(const std::string& broker_addr,
                                            const protocol::LockBatchRequestBody& body) = 0;
  virtual void unlock_batch(const std::string& broker_addr, const protocol::UnlockBatchRequestBody& body,
                            bool oneway) = 0;

  // ---- client
  // Returns the broker's version ordinal.
  virtual int send_heartbeat(const std::string& broker_addr, const protocol::HeartbeatData& heartbeat) = 0;
  virtual void unregister_client(const std::string& broker_addr,
                                 const protocol::UnregisterClientRequestHeader& header) = 0;
};

}  // namespace rocketmq::client
