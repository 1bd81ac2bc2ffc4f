#include "rocketmq/message_ext.h"

#include <utility>

#include "consumer/message_ext_data.h"

namespace rocketmq {

namespace {

// Every default-constructed or moved-from MessageExt points here, so getters never meet a null
// pointer and default construction allocates nothing. Leaked on purpose: consume threads may still
// make and drop messages while static destruction runs at process exit.
const std::shared_ptr<const detail::MessageExtData>& empty_data() noexcept {
  static const auto* const empty =
      new std::shared_ptr<const detail::MessageExtData>(std::make_shared<detail::MessageExtData>());
  return *empty;
}

}  // namespace

namespace detail {

MessageExt MessageExtAccess::make(std::shared_ptr<const MessageExtData> data) {
  MessageExt message;
  if (data) message.data_ = std::move(data);
  return message;
}

const MessageExtData& MessageExtAccess::data(const MessageExt& message) noexcept { return *message.data_; }

}  // namespace detail

MessageExt::MessageExt() : data_(empty_data()) {}
MessageExt::~MessageExt() = default;
MessageExt::MessageExt(const MessageExt&) noexcept = default;
MessageExt& MessageExt::operator=(const MessageExt&) noexcept = default;
// The source keeps a valid (empty) message rather than a null pointer.
MessageExt::MessageExt(MessageExt&& other) noexcept : data_(std::exchange(other.data_, empty_data())) {}
MessageExt& MessageExt::operator=(MessageExt&& other) noexcept {
  if (this != &other) data_ = std::exchange(other.data_, empty_data());
  return *this;
}

const std::string& MessageExt::get_msg_id() const { return data_->stored.msg_id; }
const std::string& MessageExt::get_offset_msg_id() const { return data_->stored.offset_msg_id; }
const std::string& MessageExt::get_topic() const {
  return data_->topic.empty() ? data_->stored.topic : data_->topic;
}
const std::string& MessageExt::get_tags() const { return data_->stored.tags; }
const std::string& MessageExt::get_keys() const { return data_->stored.keys; }
const std::string& MessageExt::get_body() const { return data_->stored.body; }

std::string MessageExt::get_property(const std::string& name) const {
  const auto& properties = data_->stored.properties;
  const auto it = properties.find(name);
  return it == properties.end() ? std::string() : it->second;
}

const std::map<std::string, std::string>& MessageExt::get_properties() const {
  return data_->stored.properties;
}
std::int32_t MessageExt::get_queue_id() const { return data_->stored.queue_id; }
std::int64_t MessageExt::get_queue_offset() const { return data_->stored.queue_offset; }
std::int64_t MessageExt::get_commit_log_offset() const { return data_->stored.commit_log_offset; }
std::int32_t MessageExt::get_reconsume_times() const { return data_->stored.reconsume_times; }
std::int64_t MessageExt::get_born_timestamp() const { return data_->stored.born_timestamp; }
std::int64_t MessageExt::get_store_timestamp() const { return data_->stored.store_timestamp; }
std::string MessageExt::get_born_host() const { return data_->stored.born_host.to_string(); }
std::string MessageExt::get_store_host() const { return data_->stored.store_host.to_string(); }
const std::string& MessageExt::get_broker_name() const { return data_->broker_name; }
std::int32_t MessageExt::get_flag() const { return data_->stored.flag; }
std::int32_t MessageExt::get_sys_flag() const { return data_->stored.sys_flag; }
std::int32_t MessageExt::get_store_size() const { return data_->stored.store_size; }
std::int32_t MessageExt::get_body_crc() const { return data_->stored.body_crc; }

}  // namespace rocketmq
