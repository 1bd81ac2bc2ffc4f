#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "protocol/headers.h"
#include "protocol/stored_message.h"
#include "support/fake_peer.h"

namespace rocketmq::test {

// One FakePeer that plays name server and broker `broker_name` (id 0) of cluster "FakeCluster" at
// its own address (routes list the brokers added with add_broker() too), for end-to-end consumer tests of what a real broker will not do: records that
// cannot be decoded, a send-back refused, offset commits that are never answered.
//
// Every topic it is asked about has `queues` queues. A pull at offset `o` of queue `q` answers the
// records added there from `o` on (at most the request's max count), else PULL_NOT_FOUND after a
// short wait (a long poll in miniature). Offset queries answer 0 for a queue never committed.
// Queue locks are always granted. Requests it does not model (heartbeat, unregister, ...) get
// SUCCESS. Handlers run on the peer's connection threads; the accessors may be called from any thread.
class FakeBroker {
 public:
  explicit FakeBroker(int queues = 1, std::string broker_name = "broker-a");

  std::string address() const { return peer_.address(); }

  // Appends a raw stored record (see protocol::encode_stored_message) to `queue_id` of `topic` at
  // `queue_offset`; records of one queue must be added in offset order.
  void add_record(const std::string& topic, int queue_id, std::int64_t queue_offset, std::string record);
  // A well-formed stored record of `topic` with `body` at the given offsets.
  static protocol::StoredMessage message(const std::string& topic, int queue_id, std::int64_t queue_offset,
                                         std::string body);

  // Another broker (a FakeBroker of its own) that routes this one serves list with the same queues.
  void add_broker(const std::string& name, const std::string& address);

  // CONSUMER_SEND_MSG_BACK answered with SYSTEM_ERROR instead of SUCCESS.
  void refuse_send_backs(bool refuse);
  // UPDATE_CONSUMER_OFFSET (and QUERY_CONSUMER_OFFSET) never answered: a broker black-holing commits.
  void ignore_commits(bool ignore);
  // While on, every request (on old connections and new ones) is read and dropped unanswered, and the
  // connections stay open: a black-holed path, as a firewall dropping packets makes it. Requests
  // dropped are lost for good; the ones after it ends are answered again.
  void black_hole(bool on);
  // Requests dropped by black_hole(), and GET_MAX_OFFSET requests among them.
  int black_holed_requests() const;
  int black_holed_max_offset_requests() const;

  std::vector<protocol::ConsumerSendMsgBackRequestHeader> send_backs() const;
  // SEND_MESSAGE / SEND_MESSAGE_V2 requests (in the V1 field names), and their bodies.
  std::vector<std::pair<protocol::SendMessageRequestHeader, std::string>> sends() const;
  // The last offset committed per "topic:queue".
  std::map<std::string, std::int64_t> committed() const;
  // UPDATE_CONSUMER_OFFSET requests received (answered or not).
  int commit_requests() const;
  // Pulls received, and those of them that asked the broker to commit an offset (commit flag set).
  int pull_requests() const;
  int pulls_with_commit() const;
  // GET_ROUTEINFO_BY_TOPIC requests received.
  int route_requests() const;

 private:
  void handle(PeerConnection& connection, remoting::RemotingCommand& request);
  std::string route(const std::string& topic) const;

  const int queues_;
  const std::string broker_name_;
  std::map<std::string, std::string> other_brokers_;  // name → address
  mutable std::mutex mutex_;
  std::map<std::string, std::map<std::int64_t, std::string>> records_;  // "topic:queue" → offset → record
  std::map<std::string, std::int64_t> committed_;
  std::vector<protocol::ConsumerSendMsgBackRequestHeader> send_backs_;
  std::vector<std::pair<protocol::SendMessageRequestHeader, std::string>> sends_;
  std::vector<std::string> client_ids_;
  bool refuse_send_backs_ = false;
  bool ignore_commits_ = false;
  bool black_hole_ = false;
  int black_holed_requests_ = 0;
  int black_holed_max_offset_requests_ = 0;
  int commit_requests_ = 0;
  int pull_requests_ = 0;
  int pulls_with_commit_ = 0;
  int route_requests_ = 0;
  std::int64_t next_commit_log_offset_ = 1000;
  FakePeer peer_;  // last: its threads stop before the state above goes
};

}  // namespace rocketmq::test
