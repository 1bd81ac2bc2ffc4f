#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "client/mq_client_api.h"
#include "client/mq_client_instance.h"
#include "protocol/bodies/heartbeat_data.h"
#include "protocol/headers.h"
#include "rocketmq/message_ext.h"
#include "rocketmq/message_queue.h"

namespace rocketmq::consumer {

// How a push consumer speaks PULL_MESSAGE: everything between "pull this queue from this offset"
// and "these messages belong to the application".
//
//   request ...... the wire header: group, queue, offset, batch size, the subscription it was
//                  pulled with, and the system flags (suspend at the broker: long polling; the
//                  subscription in the request; in clustering mode the committed offset rides along,
//                  so a pull doubles as an offset commit).
//   address ...... the broker to ask: the one the last response suggested for this queue (a broker
//                  under load sends consumers to a slave, id 1, and back again), else the master.
//                  A failed pull forgets the suggestion, so the next one asks the master, or any live
//                  replica the route still lists.
//   result ....... the response's messages (decoded on the I/O thread by the client API) turned into
//                  MessageExt: re-checked against the subscription (the broker's tag filter compares
//                  hashes only; exclusions and client-side SQL92 are applied only here), and, for the
//                  group's retry topic, given back the topic the application subscribed to.
//
// Threads: send() and process() run on the I/O threads and the scheduler (the pull loop); the
// suggestion table is guarded by its own mutex. The completion of send() runs on an I/O thread.
class PullAPIWrapper {
 public:
  struct Settings {
    std::string group;
    std::int32_t pull_batch_size = 32;
    bool clustering = true;  // commit offsets with each pull
    std::chrono::milliseconds timeout{30000};
    std::int64_t broker_suspend_millis = 15000;  // long polling at the broker, shorter than `timeout`
    // Long polling at a slave (any address but the broker's master in the route); see build_request.
    std::int64_t replica_suspend_millis = 3000;
  };

  static constexpr std::int32_t kFlagCommitOffset = 0x1;
  static constexpr std::int32_t kFlagSuspend = 0x2;
  static constexpr std::int32_t kFlagSubscription = 0x4;
  static constexpr std::int32_t kFlagLitePull = protocol::kPullSysFlagLitePull;  // LITE_PULL_MESSAGE

  PullAPIWrapper(client::MQClientInstance& instance, Settings settings);

  // The header of a pull of `queue` from `offset`, to be sent to `address` (pull_address);
  // `committed` (clustering, when positive) is committed by the same request. A pull sent to a
  // slave is held there for replica_suspend_millis at most instead of broker_suspend_millis: a
  // consumer reads from a slave while the master is gone (or under load), and a long poll held by
  // the slave would keep the queue there for up to 15 s after the master is back (a slave that
  // gets nothing new, its master being down, wakes the poll only at its expiry; a broker checks
  // held pulls every 5 s, so a 3 s hold returns within 3-8 s).
  protocol::PullMessageRequestHeader build_request(const MessageQueue& queue, const std::string& address,
                                                   std::int64_t offset, std::int64_t committed,
                                                   const protocol::SubscriptionData& subscription) const;

  // Where the next pull of `queue` goes; nullopt when the route knows no address for its broker.
  std::optional<std::string> pull_address(const MessageQueue& queue) const;

  // Sends the pull asynchronously. Throws (ClientError, ConnectError) when it could not be sent;
  // otherwise `callback` runs exactly once on an I/O thread.
  void send(const std::string& address, const protocol::PullMessageRequestHeader& header,
            client::PullCallback callback);

  // A response arrived: remembers the suggested broker and returns the messages the application
  // gets, in queue order. `result.messages` is consumed.
  std::vector<MessageExt> process(const MessageQueue& queue, client::PullResult& result,
                                  const protocol::SubscriptionData& subscription);

  // A pull failed: the next one asks the master (or whatever replica the route still has).
  void pull_failed(const MessageQueue& queue);
  // The queue was given away: its suggestion is forgotten.
  void forget(const MessageQueue& queue);
  std::int64_t suggested_broker_id(const MessageQueue& queue) const;

 private:
  client::MQClientInstance& instance_;
  const Settings settings_;
  const std::string retry_topic_;
  mutable std::mutex mutex_;
  std::map<MessageQueue, std::int64_t> suggested_broker_id_;
};

}  // namespace rocketmq::consumer
