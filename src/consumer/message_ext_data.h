#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "protocol/stored_message.h"
#include "rocketmq/message_ext.h"

namespace rocketmq::detail {

// What a MessageExt shares between its copies. Built once per pulled message and, apart from the
// one-time materialization below, never modified afterwards, which is what lets copies on
// different threads share it without locking.
//
// A pulled message arrives lazy (protocol::StoredMessage::lazy): its fixed fields are decoded, but
// body, topic and properties are still views into the pull response, and the strings (with msg id,
// offset msg id, tags and keys) are filled on the first call that needs any of them, under a
// striped lock. Most listeners read a few fields of each message, and the allocations for the rest
// were most of the decode cost on the I/O thread.
struct MessageExtData {
  MessageExtData() = default;
  // A copy owns its strings (materialized from `other` first) and no views.
  MessageExtData(const MessageExtData& other);
  MessageExtData& operator=(const MessageExtData&) = delete;

  // The record with every string field filled. Safe to call from any thread, at any time.
  const protocol::StoredMessage& record() const;
  // The record with everything but the body filled (topic, properties, ids, tags, keys): what a
  // filter reads, without a copy of the body beside the buffer it still sits in.
  const protocol::StoredMessage& header() const;
  // Fixed fields (offsets, timestamps, hosts, flags) may be read here without materializing.
  const protocol::StoredMessage& fixed() const noexcept { return stored; }
  std::size_t body_size() const noexcept { return stored.body_size(); }

  // Written only before the data is shared; a lazy record's strings only by record().
  mutable protocol::StoredMessage stored;
  std::string broker_name;
  // The topic the application subscribed to: the RETRY_TOPIC property for a message redelivered
  // through %RETRY%<group>. Empty when it is stored.topic (MessageExt::get_topic() then returns
  // that), which spares the pull path a copy per message.
  std::string topic;

 private:
  mutable std::atomic<bool> header_ready_{false};
  mutable std::atomic<bool> body_ready_{false};
};

// The messages of one pull response in one heap block, with the buffer their lazy views point
// into: one allocation per pull instead of one per message. Each MessageExt holds an aliasing
// reference into `items`, so the block lives until the last message of the pull is dropped.
struct PulledMessages {
  std::shared_ptr<const std::string> buffer;
  std::vector<MessageExtData> items;
};

// How many lazy messages have had their header or body materialized in this process (each counts
// once per half): for tests.
std::uint64_t materializations() noexcept;

// The SDK's way in and out of MessageExt's private data (MessageExt befriends this struct).
struct MessageExtAccess {
  // A null `data` yields a MessageExt equal to a default-constructed one.
  static MessageExt make(std::shared_ptr<const MessageExtData> data);
  static const MessageExtData& data(const MessageExt& message) noexcept;
};

}  // namespace rocketmq::detail
