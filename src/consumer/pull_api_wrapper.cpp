#include "consumer/pull_api_wrapper.h"

#include <memory>
#include <utility>

#include "consumer/message_ext_data.h"
#include "filter/subscription.h"
#include "protocol/message_const.h"

namespace rocketmq::consumer {

PullAPIWrapper::PullAPIWrapper(client::MQClientInstance& instance, Settings settings)
    : instance_(instance), settings_(std::move(settings)), retry_topic_("%RETRY%" + settings_.group) {}

protocol::PullMessageRequestHeader PullAPIWrapper::build_request(const MessageQueue& queue, std::int64_t offset,
                                                                 std::int64_t committed,
                                                                 const protocol::SubscriptionData& subscription) const {
  protocol::PullMessageRequestHeader header;
  header.consumer_group = settings_.group;
  header.topic = queue.topic;
  header.queue_id = queue.queue_id;
  header.queue_offset = offset;
  header.max_msg_nums = settings_.pull_batch_size;
  header.sys_flag = kFlagSuspend | kFlagSubscription;
  // Offset 0 is never worth committing: a new group's queue would look consumed before it was.
  if (settings_.clustering && committed > 0) {
    header.sys_flag |= kFlagCommitOffset;
    header.commit_offset = committed;
  }
  header.suspend_timeout_millis = settings_.broker_suspend_millis;
  header.subscription = subscription.sub_string;
  header.sub_version = subscription.sub_version;
  header.expression_type = subscription.expression_type;
  header.broker_name = queue.broker_name;
  return header;
}

std::optional<std::string> PullAPIWrapper::pull_address(const MessageQueue& queue) const {
  return instance_.broker_address(queue.broker_name, suggested_broker_id(queue));
}

void PullAPIWrapper::send(const std::string& address, const protocol::PullMessageRequestHeader& header,
                          client::PullCallback callback) {
  instance_.api().pull_message(address, header, settings_.timeout, std::move(callback));
}

std::vector<MessageExt> PullAPIWrapper::process(const MessageQueue& queue, client::PullResult& result,
                                                const protocol::SubscriptionData& subscription) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    suggested_broker_id_[queue] = result.suggest_which_broker_id;
  }
  std::vector<MessageExt> messages;
  if (result.status != client::PullStatus::Found) return messages;
  messages.reserve(result.messages.size());
  const bool retry = queue.topic == retry_topic_;
  for (auto& record : result.messages) {
    if (!filter::matches(subscription, record)) continue;
    auto data = std::make_shared<detail::MessageExtData>();
    data->broker_name = queue.broker_name;
    // data->topic stays empty unless it differs from the stored topic (MessageExt::get_topic falls
    // back to stored.topic): one string copy less per message.
    if (retry) {
      auto original = record.properties.find(protocol::message_property::kRetryTopic);
      if (original != record.properties.end()) data->topic = original->second;
    }
    data->stored = std::move(record);
    messages.push_back(detail::MessageExtAccess::make(std::move(data)));
  }
  result.messages.clear();
  return messages;
}

void PullAPIWrapper::pull_failed(const MessageQueue& queue) { forget(queue); }

void PullAPIWrapper::forget(const MessageQueue& queue) {
  std::lock_guard<std::mutex> lock(mutex_);
  suggested_broker_id_.erase(queue);
}

std::int64_t PullAPIWrapper::suggested_broker_id(const MessageQueue& queue) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = suggested_broker_id_.find(queue);
  return it == suggested_broker_id_.end() ? 0 : it->second;
}

}  // namespace rocketmq::consumer
