#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "client/mq_client_api.h"
#include "remoting/remoting_client.h"

namespace rocketmq::client {

// MQClientAPI over the remoting transport.
class RemotingMQClientAPI : public MQClientAPI {
 public:
  // `name_servers`: "host:port;host:port". `timeout`: every request except pulls and sends, which
  // carry their own. Name server requests go to one server at a time: on a connect failure, a
  // timeout, a malformed answer or SYSTEM_ERROR/SYSTEM_BUSY the next one is tried at once, and the
  // one that answered is used from then on; a server that failed is tried last for three
  // `rotate_interval`s. Every `rotate_interval` the client moves on to the next server, so a
  // recovered one is used again and the load spreads. When none answers: ConnectError naming each
  // address with its failure.
  RemotingMQClientAPI(remoting::RemotingClient& remoting, const std::string& name_servers,
                      std::chrono::milliseconds timeout,
                      std::chrono::milliseconds rotate_interval = std::chrono::minutes(5));

  protocol::TopicRouteData get_topic_route(const std::string& topic) override;
  std::vector<std::pair<std::string, protocol::TopicRouteData>> get_topic_route_from_other_name_servers(
      const std::string& topic) override;
  protocol::ClusterInfo get_broker_cluster_info() override;

  void create_topic(const std::string& broker_addr, const protocol::CreateTopicRequestHeader& header) override;
  std::int64_t get_max_offset(const std::string& broker_addr, const std::string& topic, int queue_id) override;
  void probe_broker(const std::string& broker_addr, const std::string& topic, int queue_id,
                    std::chrono::milliseconds timeout, ProbeCallback done) override;
  std::optional<std::chrono::steady_clock::time_point> last_heard_from(const std::string& broker_addr) const override;
  std::int64_t get_min_offset(const std::string& broker_addr, const std::string& topic, int queue_id) override;
  void reset_group_offset(const std::string& broker_addr, const protocol::ResetOffsetRequestHeader& header) override;
  std::int64_t search_offset(const std::string& broker_addr, const std::string& topic, int queue_id,
                             std::int64_t timestamp) override;

  SendResponse send_message(const std::string& broker_addr, const protocol::SendMessageRequestHeaderV2& header,
                            bool batch, const std::string& body, std::chrono::milliseconds timeout) override;
  void send_message_async(const std::string& broker_addr, const protocol::SendMessageRequestHeaderV2& header,
                          bool batch, const std::string& body, std::chrono::milliseconds timeout,
                          SendCallback callback) override;
  void send_message_oneway(const std::string& broker_addr, const protocol::SendMessageRequestHeaderV2& header,
                           const std::string& body) override;

  void pull_message(const std::string& broker_addr, const protocol::PullMessageRequestHeader& header,
                    std::chrono::milliseconds timeout, PullCallback callback) override;
  std::int64_t query_consumer_offset(const std::string& broker_addr,
                                     const protocol::QueryConsumerOffsetRequestHeader& header) override;
  void update_consumer_offset(const std::string& broker_addr, const protocol::UpdateConsumerOffsetRequestHeader& header,
                              bool oneway) override;
  std::vector<std::string> get_consumer_id_list(const std::string& broker_addr, const std::string& group) override;
  void consumer_send_message_back(const std::string& broker_addr,
                                  const protocol::ConsumerSendMsgBackRequestHeader& header) override;
  std::set<MessageQueue> lock_batch(const std::string& broker_addr, const protocol::LockBatchRequestBody& body) override;
  void unlock_batch(const std::string& broker_addr, const protocol::UnlockBatchRequestBody& body, bool oneway) override;

  int send_heartbeat(const std::string& broker_addr, const protocol::HeartbeatData& heartbeat) override;
  void unregister_client(const std::string& broker_addr, const protocol::UnregisterClientRequestHeader& header) override;

  const std::vector<std::string>& name_servers() const noexcept { return name_servers_; }
  // The name server the next request goes to first.
  std::string current_name_server() const;

 private:
  remoting::RemotingCommand invoke_name_server(remoting::RemotingCommand request);
  remoting::RemotingCommand invoke(const std::string& address, remoting::RemotingCommand request);

  // The order to try the name servers in: the current one first, the ones that failed recently
  // last. Rotates first when rotate_interval has passed.
  std::vector<std::size_t> name_server_order();
  void name_server_answered(std::size_t index);
  void name_server_failed(std::size_t index);
  using Clock = std::chrono::steady_clock;
  // Failed within the last three rotate_intervals. Requires name_server_mutex_.
  bool recently_failed_locked(std::size_t index, Clock::time_point now) const;
  static remoting::RemotingCommand route_request(const std::string& topic);

  remoting::RemotingClient& remoting_;
  const std::vector<std::string> name_servers_;
  const std::chrono::milliseconds timeout_;
  const std::chrono::milliseconds rotate_interval_;
  mutable std::mutex name_server_mutex_;
  std::size_t current_name_server_ = 0;
  Clock::time_point last_rotation_;
  std::vector<Clock::time_point> failed_at_;  // per name server; the epoch when it never failed
};

// Turns an error response into a BrokerError "<CODE_NAME> (<code>) from <address>: <remark>";
// an AuthError for NO_PERMISSION (16).
[[noreturn]] void throw_broker_error(const remoting::RemotingCommand& response, const std::string& address,
                                     const std::string& what);

}  // namespace rocketmq::client
